"""Community services: the invariants a leader relies on."""

import pytest

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.communities import services
from trellis.communities.models import Community, Membership, Role
from trellis.core.errors import Forbidden, Invalid
from trellis.core.models import Activity


def _counts() -> dict[str, int]:
    return dict(Community.objects.values_list("slug", "member_count"))


def _recounted() -> dict[str, int]:
    services.community_recount_members()
    return _counts()


def test_stored_member_counts_follow_joins_leaves_and_approvals(org: Org) -> None:
    assert _counts() == {"kubernetes": 3, "security-council": 3}
    services.community_join(actor=org.newcomer, community=org.public)
    services.community_join(actor=org.newcomer, community=org.public)  # twice: no change
    services.community_leave(actor=org.member, community=org.public)
    request = services.join_request_create(actor=org.outsider, community=org.private)
    services.join_request_decide(actor=org.leader, join_request=request, approve=True)
    assert _counts() == {"kubernetes": 3, "security-council": 4}
    assert _counts() == _recounted()


def test_rejoining_keeps_history(org: Org) -> None:
    services.community_leave(actor=org.member, community=org.public)
    services.community_join(actor=org.member, community=org.public)
    stints = Membership.objects.filter(person=org.member, community=org.public)
    assert stints.count() == 2 and stints.filter(left_at__isnull=True).count() == 1


def test_the_only_leader_cannot_leave_or_step_down(org: Org) -> None:
    with pytest.raises(Invalid, match="only leader"):
        services.community_leave(actor=org.leader, community=org.public)
    with pytest.raises(Invalid, match="at least one leader"):
        services.membership_set_role(
            actor=org.leader, community=org.public, person=org.leader, role=Role.MEMBER
        )


def test_private_communities_are_joined_by_request_not_directly(org: Org) -> None:
    with pytest.raises(Forbidden, match="private"):
        services.community_join(actor=org.sponsor, community=org.private)


def test_members_cannot_manage(org: Org) -> None:
    with pytest.raises(Forbidden):
        services.community_update(actor=org.member, community=org.public, name="Mine now")
    with pytest.raises(Forbidden):
        services.membership_set_role(
            actor=org.member, community=org.public, person=org.member, role=Role.LEADER
        )


def test_every_service_write_is_recorded_in_the_activity_log(org: Org) -> None:
    before = Activity.objects.count()
    services.community_join(actor=org.newcomer, community=org.public)
    services.community_update(actor=org.leader, community=org.public, charter="New charter")
    verbs = list(
        Activity.objects.order_by("pk").values_list("verb", "actor_id", "community_id")[before:]
    )
    assert verbs == [
        ("community.join", org.newcomer.pk, org.public.pk),
        ("community.update", org.leader.pk, org.public.pk),
    ]


def test_page_views_are_recorded_for_participation(org: Org, client_for: ClientFor) -> None:
    client = client_for(org.newcomer)
    client.get(f"/c/{org.public.slug}/")
    client.get(f"/people/{org.member.pk}/")
    views = Activity.objects.filter(actor=org.newcomer).values_list("verb", "object_id")
    assert set(views) == {("community.view", org.public.pk), ("person.view", org.member.pk)}


def test_leading_one_community_gives_no_power_over_another(org: Org) -> None:
    other = services.community_create(actor=org.newcomer, name="Rust Users", domain="Rust")
    assert Community.objects.get(pk=other.pk).member_count == 1  # its leader
    with pytest.raises(Forbidden):
        services.community_update(actor=org.newcomer, community=org.public, name="Taken over")
    with pytest.raises(Forbidden):
        services.membership_set_role(
            actor=org.newcomer, community=org.public, person=org.member, role=Role.LEADER
        )
    with pytest.raises(Forbidden):
        services.invitation_create(actor=org.newcomer, community=org.private, person=org.outsider)


def test_community_invitation_email_is_sent_once(org: Org) -> None:
    from django.core import mail

    from trellis.communities.tasks import send_community_invitation

    invitation = services.invitation_create(
        actor=org.leader, community=org.public, person=org.newcomer
    )
    assert send_community_invitation.call(invitation.pk) is True
    assert send_community_invitation.call(invitation.pk) is False
    assert [m.to for m in mail.outbox] == [[org.newcomer.email]]


def test_community_invitation_email_names_a_team_role_only(org: Org) -> None:
    from django.core import mail

    from trellis.communities.tasks import send_community_invitation

    as_member = services.invitation_create(
        actor=org.leader, community=org.public, person=org.newcomer
    )
    as_core = services.invitation_create(
        actor=org.leader, community=org.public, person=org.outsider, role=Role.CORE
    )
    send_community_invitation.call(as_member.pk)
    send_community_invitation.call(as_core.pk)
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert f"on Trellis as {Role.CORE.label.lower()}." in bodies[org.outsider.email]
    assert f"{org.public.name} on Trellis." in bodies[org.newcomer.email]


def test_a_charter_is_rendered_as_markdown_and_sanitised(org: Org, client_for: ClientFor) -> None:
    services.community_update(
        actor=org.leader,
        community=org.public,
        charter="We **ship safely**.\n\n- Blameless reviews\n- Office hours\n\n"
        "<script>alert(1)</script>[x](javascript:alert(2))",
    )
    page = client_for(org.member).get(f"/c/{org.public.slug}/").content.decode()
    charter = page[page.index('class="charter') :]
    assert "<strong>ship safely</strong>" in charter and "<li>Blameless reviews</li>" in charter
    assert "<script>alert" not in charter and 'href="javascript:' not in charter
