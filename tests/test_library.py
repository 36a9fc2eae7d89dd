"""The knowledge library: versions, verification, duplicates, and threads promoted to guides."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.personas import PRIVATE_RESOURCE, Org, build_content
from tests.typing_helpers import ClientFor
from trellis.core.errors import Forbidden, Invalid
from trellis.library import selectors, services
from trellis.library.models import Freshness, Resource
from trellis.library.tasks import remind_resource_owners
from trellis.notifications.models import Kind, Notification
from trellis.qa import services as qa_services


def test_edits_make_versions_and_count_as_verification(org: Org, client_for: ClientFor) -> None:
    content = build_content(org)
    resource = content.public_resource
    Resource.objects.filter(pk=resource.pk).update(verify_by=timezone.now() - timedelta(days=1))
    resource.refresh_from_db()
    assert resource.freshness() == Freshness.DUE
    resource = services.resource_update(
        actor=org.leader, resource=resource, title="Helm release checklist", body="v2", note="v2"
    )
    assert resource.version == 2 and resource.freshness() == Freshness.FRESH
    page = client_for(org.member).get(f"/library/{resource.pk}/versions/").content.decode()
    assert "Version 2" in page and "Version 1" in page and "Roll back" in page
    with pytest.raises(Forbidden):
        services.resource_update(actor=org.member, resource=resource, title="x", body="y")


def test_freshness_follows_the_community_interval(org: Org) -> None:
    org.public.verification_interval_days = 30
    org.public.save(update_fields=["verification_interval_days"])
    resource = services.resource_create(
        actor=org.member, community=org.public, kind="howto", title="Drain a node", body="kubectl"
    )
    now = timezone.now()
    assert abs((resource.verify_by - now) - timedelta(days=30)) < timedelta(minutes=1)
    assert resource.freshness(now + timedelta(days=10)) == Freshness.FRESH
    assert resource.freshness(now + timedelta(days=20)) == Freshness.DUE
    assert resource.freshness(now + timedelta(days=65)) == Freshness.STALE
    services.resource_mark_obsolete(actor=org.member, resource=resource)
    assert resource.freshness() == Freshness.OBSOLETE
    due = selectors.resource_list(viewer=org.member, state="obsolete")
    assert [r.pk for r in due.items] == [resource.pk]


def test_owners_are_reminded_once_when_due(org: Org) -> None:
    content = build_content(org)
    Resource.objects.filter(pk=content.public_resource.pk).update(
        verify_by=timezone.now() + timedelta(days=3)
    )
    assert remind_resource_owners.call() == 1
    assert remind_resource_owners.call() == 0  # once per due period
    reminders = Notification.objects.filter(kind=Kind.VERIFY)
    assert list(reminders.values_list("recipient", flat=True)) == [org.leader.pk]
    services.resource_verify(actor=org.leader, resource=content.public_resource)
    assert Resource.objects.get(pk=content.public_resource.pk).reminded_at is None


def test_a_duplicate_redirects_to_its_canonical_resource(org: Org, client_for: ClientFor) -> None:
    content = build_content(org)
    copy = services.resource_create(
        actor=org.member,
        community=org.public,
        kind="guide",
        title="Helm checklist (copy)",
        body="same again",
    )
    services.resource_mark_duplicate(
        actor=org.leader, resource=copy, canonical=content.public_resource
    )
    response = client_for(org.outsider).get(f"/library/{copy.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/library/{content.public_resource.pk}/"
    listed = selectors.resource_list(viewer=org.member, community=org.public)
    assert copy.pk not in [r.pk for r in listed.items]
    with pytest.raises(Invalid):
        services.resource_mark_duplicate(
            actor=org.leader, resource=content.public_resource, canonical=copy
        )


def test_promoting_a_thread_credits_its_authors_and_links_back(
    org: Org, client_for: ClientFor
) -> None:
    content = build_content(org)
    qa_services.answer_accept(actor=org.member, answer=content.public_answer)
    with pytest.raises(Forbidden):
        services.resource_promote_question(actor=org.member, question=content.public_question)
    guide = services.resource_promote_question(actor=org.leader, question=content.public_question)
    assert guide.kind == "guide" and guide.source_post_id == content.public_question.pk
    assert [a["name"] for a in guide.attribution] == [org.member.name, org.facilitator.name]
    assert "helm rollback" in guide.body
    page = client_for(org.outsider).get(f"/library/{guide.pk}/").content.decode()
    assert org.facilitator.name in page and f"/questions/{content.public_question.pk}/" in page


def test_the_outsider_never_sees_the_private_library(org: Org, client_for: ClientFor) -> None:
    build_content(org)
    listed = selectors.resource_list(viewer=org.outsider)
    assert PRIVATE_RESOURCE not in {r.title for r in listed.items}
    assert listed.count == 1
    assert selectors.resource_list(viewer=org.member).count == 2
    page = client_for(org.outsider).get("/library/").content.decode()
    assert PRIVATE_RESOURCE not in page


@pytest.mark.parametrize(
    ("kind", "url", "body", "field"),
    [
        ("link", "", "", "url"),
        ("link", "javascript:alert(1)", "", "url"),
        ("guide", "", "   ", "body"),
        ("nonsense", "", "x", "kind"),
    ],
)
def test_bad_resources_are_refused_with_the_field_named(
    org: Org, kind: str, url: str, body: str, field: str
) -> None:
    with pytest.raises(Invalid) as error:
        services.resource_create(
            actor=org.member, community=org.public, kind=kind, title="T", body=body, url=url
        )
    assert field in error.value.field_errors
    assert Resource.objects.count() == 0


def test_a_public_resource_cannot_fold_into_a_private_one(org: Org) -> None:
    content = build_content(org)
    with pytest.raises(Invalid):
        services.resource_mark_duplicate(
            actor=org.leader, resource=content.public_resource, canonical=content.private_resource
        )
    with pytest.raises(Invalid):
        services.resource_mark_duplicate(
            actor=org.leader, resource=content.public_resource, canonical=content.public_resource
        )


def test_owners_can_hand_a_resource_to_colleagues(org: Org, client_for: ClientFor) -> None:
    content = build_content(org)
    resource = content.public_resource
    client = client_for(org.leader)
    response = client.post(
        f"/library/{resource.pk}/edit/",
        {"kind": "guide", "title": resource.title, "body": "v2",
         "owners": f"{org.member.email}, {org.facilitator.email}"},
    )  # fmt: skip
    assert response.status_code == 302
    assert set(resource.owners.values_list("pk", flat=True)) == {org.member.pk, org.facilitator.pk}
    response = client_for(org.member).post(
        f"/library/{resource.pk}/edit/",
        {"kind": "guide", "title": resource.title, "body": "v3", "owners": "nobody@example.com"},
    )
    assert response.status_code == 200 and "nobody@example.com" in response.content.decode()
    assert Resource.objects.get(pk=resource.pk).version == 2
