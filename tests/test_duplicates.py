"""Duplicate curation: edited copies and rewrites are found, clustered per community, merged
with redirects, history and credits, or dismissed for good."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import Org, build_content
from tests.test_search import WordHashEmbedder
from tests.typing_helpers import ClientFor
from trellis.library import services as library_services
from trellis.library.models import Freshness, QuestionGuide, Resource, ResourceVersion
from trellis.qa import services as qa_services
from trellis.qa.models import Post, PostLink
from trellis.search import embeddings
from trellis.search import tasks as search_tasks
from trellis.search.duplicates import (
    MEANING_THRESHOLD,
    QUESTION_CRITERIA,
    RESOURCE_CRITERIA,
    WORDING_THRESHOLD,
    Item,
    _rank,
    detect,
    open_clusters,
    signature,
)
from trellis.search.models import DocKind, Document, DuplicatePair, MergeRecord, PairStatus

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
def test_rewrites_written_in_bulk_are_found_once_they_have_vectors(org: Org) -> None:
    """The demo and the importers write without the per-request hooks, then index everything
    and embed it in slices: the look for rewrites must come after the vectors."""
    with embeddings.using(WordHashEmbedder()):
        for kind, title, body in (
            ("guide", "Rotating secrets", "secrets rotate quarterly vault keys owners"),
            ("faq", "Secrets rotating", "quarterly owners rotate vault secrets keys"),
        ):  # no on-commit hooks run here: nothing is indexed yet, as after a bulk load
            library_services.resource_create(
                actor=org.leader, community=org.public, kind=kind, title=title, body=body
            )
        assert not Document.objects.filter(kind=DocKind.RESOURCE).exists()
        search_tasks.index_new_objects.enqueue()
        pair = DuplicatePair.objects.get()
    assert pair.meaning is not None and pair.meaning > 0.92


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
    assert client_for(org.member).get(url).status_code == 403
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
    )
    assert member.status_code == 403
    assert DuplicatePair.objects.filter(status=PairStatus.OPEN).exists()


# -- precise and trustworthy: no guide with its own thread, nothing below the floor ----------

QUESTION = (
    "Our nightly backup job to the object store fails with a timeout after forty minutes "
    "whenever the database is larger than two hundred gigabytes; how do we make it finish?"
)


def _ask(
    org: Org, title: str, body: str = QUESTION, *, answers: int = 0, accept: bool = False
) -> Post:
    question = qa_services.question_ask(
        actor=org.member, community=org.public, title=title, body=body
    )
    made = [
        qa_services.answer_post(
            actor=org.leader, question=question, body=f"Split the dump into parts, take {n}."
        )
        for n in range(answers)
    ]
    if accept and made:
        qa_services.answer_accept(actor=org.member, answer=made[0])
    question.refresh_from_db()
    return question


def _guide(org: Org, title: str, body: str = QUESTION) -> Resource:
    return library_services.resource_create(
        actor=org.leader, community=org.public, kind="guide", title=title, body=body
    )


def _document(kind: str, object_id: int) -> Document:
    return Document.objects.get(kind=kind, object_id=object_id)


@pytest.mark.django_db
def test_a_promoted_guide_is_never_paired_with_its_own_thread(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        thread = _ask(org, "Nightly backup times out", answers=2)
    with django_capture_on_commit_callbacks(execute=True):
        guide = library_services.resource_promote_question(actor=org.leader, question=thread)
    found = _document(DocKind.RESOURCE, guide.pk)
    source = _document(DocKind.QUESTION, thread.pk)
    assert detect(org.public.pk) == 0
    assert not DuplicatePair.objects.exists()
    # A pair recorded before the rule (an existing row) is not shown either.
    a, b = sorted([found.pk, source.pk])
    DuplicatePair.objects.create(community=org.public, first_id=a, second_id=b, wording=0.9)
    assert open_clusters(org.public.pk) == []


@pytest.mark.django_db
def test_a_question_already_closed_as_the_others_duplicate_is_not_proposed_again(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        original = _ask(org, "Nightly backup times out", answers=1)
        again = _ask(org, "Nightly backup times out (again)")
    assert len(open_clusters(org.public.pk)) == 1  # an edited copy: proposed
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.question_close_duplicate(actor=org.leader, question=again, original=original)
    assert open_clusters(org.public.pk) == []  # the row found before is settled
    DuplicatePair.objects.all().delete()
    assert detect(org.public.pk) == 0  # and it is not found again


@pytest.mark.django_db
def test_pairs_below_the_calibrated_floor_are_not_proposed(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = _ask(org, "Nightly backup times out")
        second = _ask(
            org,
            "Backups and the object store",
            "Which storage class should the nightly backups go to, and for how long?",
        )
    assert not DuplicatePair.objects.exists()  # little shared wording, no model: not proposed
    a, b = sorted([_document("question", first.pk).pk, _document("question", second.pk).pk])
    # Rows found under looser thresholds stay in the table but leave the queue.
    DuplicatePair.objects.create(
        community=org.public,
        first_id=a,
        second_id=b,
        wording=WORDING_THRESHOLD - 0.1,
        meaning=MEANING_THRESHOLD - 0.05,
    )
    assert open_clusters(org.public.pk) == []
    DuplicatePair.objects.update(meaning=MEANING_THRESHOLD)
    assert len(open_clusters(org.public.pk)) == 1


def _item(kind: str, *, days_old: int = 0, **facts: object) -> Item:
    document = Document(kind=kind, title="t", created_at=timezone.now() - timedelta(days=days_old))
    return Item(document, **facts)  # type: ignore[arg-type]  # facts are Item's own fields


def test_the_item_kept_is_the_best_answered_then_most_read_and_the_page_says_why() -> None:
    accepted = _item("question", answers=3, accepted=True, views=5)
    more_answers = _item("question", answers=6, views=90)
    ranked, reason = _rank([more_answers, accepted], QUESTION_CRITERIA)
    assert ranked[0] is accepted and reason == "has an accepted answer and 3 answers"
    ranked, reason = _rank(
        [_item("question", answers=1, views=400), more_answers], QUESTION_CRITERIA
    )
    assert ranked[0] is more_answers and reason == "6 answers"
    busy = _item("question", answers=6, views=120)
    ranked, reason = _rank([more_answers, busy], QUESTION_CRITERIA)
    assert ranked[0] is busy and reason == "6 answers and 120 views"
    older = _item("question", days_old=30)
    ranked, reason = _rank([_item("question"), older], QUESTION_CRITERIA)
    assert ranked[0] is older and reason == "asked first"
    verified = _item("resource", freshness=Freshness.FRESH, views=2)
    stale = _item("resource", freshness=Freshness.STALE, views=300)
    ranked, reason = _rank([stale, verified], RESOURCE_CRITERIA)
    assert ranked[0] is verified and reason == "verified"


def _mixed_cluster(org: Org, capture: DjangoCaptureOnCommitCallbacks) -> dict[str, Any]:
    """Two questions and two guides about the same thing: the accepted one and a verified
    guide are the ones to keep."""
    with capture(execute=True):
        plain = _ask(org, "Backup job times out at night", answers=4)
        solved = _ask(org, "Nightly backup times out", answers=1, accept=True)
        kept_guide = _guide(org, "Making big backups finish")
        other_guide = _guide(org, "Backup timeouts (old notes)")
    Resource.objects.filter(pk=other_guide.pk).update(verify_by=timezone.now() - timedelta(days=60))
    return {"plain": plain, "solved": solved, "guide": kept_guide, "old_guide": other_guide}


@pytest.mark.django_db
def test_a_mixed_cluster_shows_what_helps_choose_and_what_merging_does(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    made = _mixed_cluster(org, django_capture_on_commit_callbacks)
    page = client_for(org.leader).get(reverse("duplicate-queue", args=[org.public.slug]))
    html = page.content.decode()
    assert html.count('data-testid="cluster"') == 1
    assert "Keep which question?" in html and "Keep which guide?" in html
    solved = _document("question", made["solved"].pk)
    assert f'value="{solved.pk}" checked' in html
    assert "kept: has an accepted answer and 1 answer." in html
    guide = _document("resource", made["guide"].pk)
    assert f'value="{guide.pk}" checked' in html and "kept: verified." in html
    assert "4 answers · no accepted answer" in html and "1 answer · accepted answer" in html
    assert "Stale" in html  # the old guide's verification state
    assert "The other question will be closed as a duplicate of the question you keep" in html
    assert "The other guide will be marked as a duplicate of the guide you keep" in html
    assert (
        "The question you keep stays open and will point to the guide you keep as its answer "
        "in the library" in html
    )


def _state() -> dict[str, object]:
    """Everything a merge may touch, as plain values."""
    return {
        "posts": sorted(Post.objects.values_list("pk", "duplicate_of_id", "closed_at")),
        "links": sorted(PostLink.objects.values_list("from_post_id", "to_post_id", "kind")),
        "resources": sorted(
            Resource.objects.values_list("pk", "canonical_id", "version", "attribution")
        ),
        "versions": sorted(ResourceVersion.objects.values_list("resource_id", "number", "note")),
        "question_guides": list(QuestionGuide.objects.values_list("question_id", "resource_id")),
        "indexed": sorted(
            Document.objects.filter(kind__in=["question", "resource"]).values_list(
                "kind", "object_id"
            )
        ),
    }


def _merge(org: Org, client: Any, made: dict[str, Any]) -> Any:
    cluster = open_clusters(org.public.pk)[0]
    return client.post(
        reverse("duplicate-resolve", args=[org.public.slug]),
        {
            "action": "merge",
            "documents": cluster.key,
            "canonical": _document("question", made["solved"].pk).pk,
            "keep_also": _document("resource", made["guide"].pk).pk,
        },
    )


@pytest.mark.django_db
def test_merge_shows_its_result_and_undo_restores_exactly_the_state_before(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    made = _mixed_cluster(org, django_capture_on_commit_callbacks)
    before = _state()
    leader = client_for(org.leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = _merge(org, leader, made)
    record = MergeRecord.objects.get()
    assert response["Location"].endswith(f"?merged={record.pk}")
    queue = leader.get(response["Location"]).content.decode()
    assert (
        "Merged into “Nightly backup times out” and “Making big backups finish”. “Backup job "
        "times out at night” is closed as a duplicate; “Backup timeouts (old notes)” is marked "
        "as a duplicate; the question now points to the guide as its answer in the library."
    ) in queue
    assert reverse("duplicate-undo", args=[org.public.slug, record.pk]) in queue
    # The closed question says so and links to the kept one.
    closed = leader.get(reverse("question-detail", args=[made["plain"].pk])).content.decode()
    assert "closed as a duplicate of" in closed
    assert reverse("question-detail", args=[made["solved"].pk]) in closed
    # The duplicate guide leads to the kept one, which says what was merged into it.
    old = leader.get(reverse("resource-detail", args=[made["old_guide"].pk]), follow=True)
    assert old.redirect_chain[-1][0] == reverse("resource-detail", args=[made["guide"].pk])
    assert "was merged into this resource" in old.content.decode()
    assert QuestionGuide.objects.filter(
        question=made["solved"], resource=made["guide"]
    ).exists()  # the kept question points to the kept guide, and its page shows it
    kept = leader.get(reverse("question-detail", args=[made["solved"].pk])).content.decode()
    assert "kept as the answer to this question" in kept
    assert reverse("resource-detail", args=[made["guide"].pk]) in kept
    assert open_clusters(org.public.pk) == []

    with django_capture_on_commit_callbacks(execute=True):
        undone = leader.post(
            reverse("duplicate-undo", args=[org.public.slug, record.pk]), follow=True
        )
    assert "Merge undone" in undone.content.decode()
    assert _state() == before
    assert len(open_clusters(org.public.pk)) == 1  # back in the queue

    again = leader.post(reverse("duplicate-undo", args=[org.public.slug, record.pk]), follow=True)
    assert "This merge was already undone by" in again.content.decode()
    assert _state() == before


@pytest.mark.django_db
def test_undo_after_a_later_edit_is_refused_and_changes_nothing(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    made = _mixed_cluster(org, django_capture_on_commit_callbacks)
    leader = client_for(org.leader)
    with django_capture_on_commit_callbacks(execute=True):
        _merge(org, leader, made)
    record = MergeRecord.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.question_reopen(actor=org.leader, question=made["plain"])
    after_edit = _state()
    refused = leader.post(reverse("duplicate-undo", args=[org.public.slug, record.pk]), follow=True)
    assert (
        "“Backup job times out at night” was reopened or changed after the merge"
        in refused.content.decode()
    )
    assert _state() == after_edit
    record.refresh_from_db()
    assert record.undone_at is None


@pytest.mark.django_db
def test_only_the_core_team_sees_merges_and_undoes_in_a_private_community(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for title in ("Drill keys rotation", "Rotation of the drill keys"):
            library_services.resource_create(
                actor=org.leader, community=org.private, kind="guide", title=title, body=GUIDE
            )
    cluster = open_clusters(org.private.pk)[0]
    record = MergeRecord.objects.create(community=org.private, summary="Something merged.")
    slug = org.private.slug
    queue = reverse("duplicate-queue", args=[slug])
    resolve = reverse("duplicate-resolve", args=[slug])
    undo = reverse("duplicate-undo", args=[slug, record.pk])
    merge = {"action": "merge", "documents": cluster.key, "canonical": cluster.documents[0].pk}
    # The outsider cannot see the community: it is as if it did not exist (never confirmed).
    outsider = client_for(org.outsider)
    assert outsider.get(queue).status_code == 404
    assert outsider.post(resolve, merge).status_code == 404
    assert outsider.post(undo).status_code == 404
    assert "Drill keys" not in outsider.get(queue + "?merged=1").content.decode()
    # A plain member sees the community but does not curate it.
    member = client_for(org.member)
    assert member.get(queue).status_code == 403
    assert member.post(resolve, merge).status_code == 403
    assert member.post(undo).status_code == 403
    assert DuplicatePair.objects.filter(status=PairStatus.OPEN).count() == 1
    assert not Resource.objects.exclude(canonical=None).exists()
    assert client_for(org.leader).get(queue).status_code == 200


def _copies(org: Org, n: int, start: int) -> None:
    """n clusters, each a question and its edited copy, about subjects of their own."""
    for i in range(start, start + n):
        body = (
            f"Team {i} asks: the service number {i} returns an error {i * 7} whenever the "
            f"queue called q{i} holds more than {i * 100} messages, and the retry policy p{i} "
            f"gives up after {i + 3} attempts; what should change in the consumer c{i}?"
        )
        _ask(org, f"Consumer c{i} gives up", body, answers=1)
        _ask(org, f"Consumer c{i} gives up too early", body + " Thanks!")
        _guide(org, f"Consumer c{i} retries", body)


@pytest.mark.django_db
def test_the_queue_page_reads_the_same_number_of_queries_for_one_or_many_clusters(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = client_for(org.leader)
    url = reverse("duplicate-queue", args=[org.public.slug])

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    with django_capture_on_commit_callbacks(execute=True):
        _copies(org, 1, 0)
    assert len(open_clusters(org.public.pk)) == 1
    one = queries()
    with django_capture_on_commit_callbacks(execute=True):
        _copies(org, 3, 10)
    assert len(open_clusters(org.public.pk)) == 4
    assert queries() == one
