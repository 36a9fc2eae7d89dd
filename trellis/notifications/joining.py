"""Telling people about requests to join a private community: the core team when someone
asks, the person who asked when a leader answers. Connected to communities' hooks in
`NotificationsConfig.ready`."""

from django.urls import reverse

from trellis.communities.models import JoinRequest, RequestStatus
from trellis.communities.selectors import community_team
from trellis.core import access
from trellis.notifications.models import Kind
from trellis.notifications.services import notify


def tell_team_of_request(*, join_request: JoinRequest) -> None:
    """Only the core team of that community hears of it (`notify` also checks each may see
    the community), linked to the community page where the leaders decide."""
    community = join_request.community
    notify(
        recipients=community_team(community=community),
        kind=Kind.JOIN_REQUEST,
        actor=join_request.person,
        community=community,
        target_type="join_request",
        target_id=join_request.pk,
        title=community.name,
        url=reverse("community-detail", args=[community.slug]) + "#requests",
    )


def tell_requester_of_decision(*, join_request: JoinRequest) -> None:
    """The person who asked hears the answer. Approved, they are a member and the notice
    links to the community. Declined, one who still may not see the community learns nothing
    of it they did not know: the address they asked at, and no name or leader."""
    community = join_request.community
    requester = join_request.person
    approved = join_request.status == RequestStatus.APPROVED
    may_see = access.can_view_community(requester, community)
    if may_see:
        name = community.name
        url = reverse("community-detail", args=[community.slug])
    else:
        name = f"the private community at /c/{community.slug}/"
        url = reverse("home")
    outcome = "approved" if approved else "declined"
    notify(
        recipients=[requester],
        kind=Kind.JOIN_APPROVED if approved else Kind.JOIN_DECLINED,
        actor=join_request.decided_by if may_see else None,
        community=community if may_see else None,
        target_type="join_request",
        target_id=join_request.pk,
        title=f"Your request to join {name} was {outcome}",
        url=url,
    )
