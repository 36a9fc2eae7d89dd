"""Duplicate curation: edited copies and rewrites are found, clustered per community, merged
with redirects, history and credits, or dismissed for good."""

import pytest
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import Org, build_content
from tests.test_search import WordHashEmbedder
from tests.typing_helpers import ClientFor
from trellis.library import services as library_services
from trellis.library.models import Resource
from trellis.search import embeddings
from trellis.search.duplicates import open_clusters, signature
from trellis.search.models import DocKind, Document, DuplicatePair, PairStatus

GUIDE = (
    "Before you deploy to production, freeze the release branch, run the smoke tests "
    "against staging, tell the on-call engineer, and keep the rollback command ready. "
    "After the deploy, watch the error dashboard for thirty minutes."
)


def make_guides(org: Org, capture: DjangoCaptureOnCommitCallbacks) -> list[Resource]:
    """The same guide three times (two lightly edited copies) and one unrelated guide."""
    copies = [
        ("Production deploy checklist", GUIDE),
        ("Deploying to prod: checklist", GUIDE.replace("thirty minutes", "half an hour")),
        ("Deploy checklist (team B)", GUIDE.replace("freeze", "lock") + " Ask in #deploys."),
        ("Writing good commit messages", "Use the imperative mood and explain why, not what."),
    ]
    made = []
    with capture(execute=True):
        for title, body in copies:
            made.append(
                library_services.resource_create(
                    actor=org.leader, community=org.public, kind="guide", title=title, body=body
                )
            )
    return made


def test_signatures_estimate_shared_wording() -> None:
    import numpy as np

    a, b = signature(GUIDE), signature(GUIDE.replace("thirty minutes", "half an hour"))
    other = signature("Use the imperative mood and explain why, not what, in commit messages.")

    def jaccard(x: bytes, y: bytes) -> float:
        return float((np.frombuffer(x, np.uint32) == np.frombuffer(y, np.uint32)).mean())

    assert jaccard(a, b) > 0.7 and jaccard(a, other) < 0.1


@pytest.mark.django_db
def test_edited_copies_form_one_cluster(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    guides = make_guides(org, django_capture_on_commit_callbacks)
    clusters = open_clusters(org.public.pk)
    assert len(clusters) == 1
    titles = {d.title for d in clusters[0].documents}
    assert titles == {g.title for g in guides[:3]}


@pytest.mark.django_db
def test_rewrites_are_found_by_meaning(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with embeddings.using(WordHashEmbedder()):
        with django_capture_on_commit_callbacks(execute=True):
            library_services.resource_create(
                actor=org.leader,
                community=org.public,
                kind="guide",
                title="Rotating secrets",
                body="secrets rotate quarterly vault keys owners",
            )
        with django_capture_on_commit_callbacks(execute=True):
            library_services.resource_create(
                actor=org.leader,
                community=org.public,
                kind="faq",
                title="Secrets rotating",
                body="quarterly owners rotate vault secrets keys",
            )
        pair = DuplicatePair.objects.get()
    assert pair.meaning is not None and pair.meaning > 0.92
    assert pair.wording is not None and pair.wording < 0.5  # not the same wording


@pytest.mark.django_db
def test_merge_redirects_keeps_history_and_credits(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    guides = make_guides(org, django_capture_on_commit_callbacks)
    cluster = open_clusters(org.public.pk)[0]
    keep = next(d for d in cluster.documents if d.object_id == guides[0].pk)
    leader = client_for(org.leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = leader.post(
            reverse("duplicate-resolve", args=[org.public.slug]),
            {"action": "merge", "documents": cluster.key, "canonical": keep.pk},
        )
    assert response.status_code == 302
    for old in guides[1:3]:
        old.refresh_from_db()
        assert old.canonical_id == guides[0].pk
        page = leader.get(reverse("resource-detail", args=[old.pk]))
        assert page.status_code == 302
        assert page["Location"] == reverse("resource-detail", args=[guides[0].pk])
        assert old.versions.exists()  # its own history stays
    canonical = Resource.objects.get(pk=guides[0].pk)
    assert any("merged here" in a["role"] for a in canonical.attribution)
    latest = canonical.versions.order_by("-number").first()
    assert latest is not None and "Merged 2 duplicate(s)" in latest.note

    body = leader.get(reverse("resource-detail", args=[canonical.pk])).content.decode()
    assert "Deploying to prod: checklist" in body  # credited / listed as merged into this
    assert open_clusters(org.public.pk) == []
    # Merged duplicates leave the search index: people find the canonical one.
    assert not Document.objects.filter(kind=DocKind.RESOURCE, object_id=guides[1].pk).exists()


@pytest.mark.django_db
def test_dismissed_clusters_never_come_back(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    guides = make_guides(org, django_capture_on_commit_callbacks)
    cluster = open_clusters(org.public.pk)[0]
    client_for(org.leader).post(
        reverse("duplicate-resolve", args=[org.public.slug]),
        {"action": "dismiss", "documents": cluster.key},
    )
    assert set(DuplicatePair.objects.values_list("status", flat=True)) == {PairStatus.DISMISSED}
    with django_capture_on_commit_callbacks(execute=True):
        library_services.resource_update(
            actor=org.leader,
            resource=guides[1],
            title=guides[1].title,
            body=guides[1].body + " Also check the feature flags.",
            tags="",
            url="",
            kind="guide",
        )
    assert open_clusters(org.public.pk) == []


@pytest.mark.django_db
def test_queue_is_for_curators_and_malformed_posts_are_named(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    make_guides(org, django_capture_on_commit_callbacks)
    build_content(org)
    url = reverse("duplicate-queue", args=[org.public.slug])
    assert client_for(org.member).get(url).status_code == 404
    assert (
        client_for(org.outsider)
        .get(reverse("duplicate-queue", args=[org.private.slug]))
        .status_code
        == 404
    )
    page = client_for(org.leader).get(url).content.decode()
    assert "Production deploy checklist" in page and 'data-testid="cluster"' in page
    leader = client_for(org.leader)
    bad = leader.post(
        reverse("duplicate-resolve", args=[org.public.slug]),
        {"action": "merge", "documents": "1-x"},
        follow=True,
    )
    assert "not a list of ids" in bad.content.decode()
    bad = leader.post(
        reverse("duplicate-resolve", args=[org.public.slug]),
        {"action": "merge", "documents": "999998-999999", "canonical": 999998},
        follow=True,
    )
    assert "no longer a cluster" in bad.content.decode()
    member = client_for(org.member).post(
        reverse("duplicate-resolve", args=[org.public.slug]),
        {"action": "dismiss", "documents": open_clusters(org.public.pk)[0].key},
        follow=True,
    )
    assert "core team" in member.content.decode()
    assert DuplicatePair.objects.filter(status=PairStatus.OPEN).exists()
