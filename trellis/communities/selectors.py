"""Reads of communities, shaped for the viewer: nothing private leaks from here."""

from dataclasses import dataclass, field

from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, Value, When

from trellis.communities.models import (
    ROLE_ORDER,
    Community,
    CommunityInvitation,
    InvitationStatus,
    JoinRequest,
    Membership,
    RequestStatus,
    Sponsorship,
    Status,
)
from trellis.core import access
from trellis.core.errors import NotFound
from trellis.core.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from trellis.people.models import Person

ACTIVE = Q(memberships__left_at__isnull=True)


def _with_counts(viewer: access.Viewer, communities: QuerySet[Community]) -> QuerySet[Community]:
    viewer_role = Membership.objects.filter(
        community=OuterRef("pk"), person_id=access.viewer_id(viewer), left_at__isnull=True
    ).values("role")[:1]
    return communities.annotate(viewer_role=Subquery(viewer_role))


def community_directory(
    *,
    viewer: access.Viewer,
    query: str = "",
    status: str = "",
    visibility: str = "",
    mine: bool = False,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[Community]:
    communities = access.visible_communities(viewer)
    if query.strip():
        for word in query.split()[:8]:
            communities = communities.filter(Q(name__icontains=word) | Q(domain__icontains=word))
    if status:
        communities = communities.filter(status=status)
    else:
        communities = communities.exclude(status=Status.ARCHIVED)
    if visibility:
        communities = communities.filter(visibility=visibility)
    if mine:
        communities = communities.filter(pk__in=access.joined_community_ids(viewer))
    return paginate(
        _with_counts(viewer, communities).order_by("name", "pk"), page=page, page_size=page_size
    )


def community_get(*, viewer: access.Viewer, slug: str) -> Community:
    community = _with_counts(viewer, access.visible_communities(viewer)).filter(slug=slug).first()
    if community is None:
        raise NotFound("No such community, or it is private.")
    return community


def community_get_by_id(*, viewer: access.Viewer, community_id: int) -> Community:
    community = (
        _with_counts(viewer, access.visible_communities(viewer)).filter(pk=community_id).first()
    )
    if community is None:
        raise NotFound("No such community, or it is private.")
    return community


@dataclass
class RoleGroup:
    role: str
    label: str
    members: list[Membership] = field(default_factory=list)
    is_team: bool = False  # a team role (`access.is_team_role`): its holders' roles can change


def members_by_role(
    *, viewer: access.Viewer, community: Community, limit: int = 60
) -> list[RoleGroup]:
    """Leaders first, newest members first; each list is capped (the API pages through all)."""
    if not access.can_view_community(viewer, community):
        raise NotFound("No such community, or it is private.")
    base = Membership.objects.filter(
        community=community, left_at__isnull=True, person__is_active=True
    ).select_related("person", "person__department")
    groups = []
    for role in ROLE_ORDER:
        members = list(base.filter(role=role).order_by("-joined_at", "-pk")[:limit])
        groups.append(
            RoleGroup(
                role=role.value,
                label=role.label,
                members=members,
                is_team=access.is_team_role(role),
            )
        )
    return groups


def community_sponsors(*, viewer: access.Viewer, community: Community) -> list[Person]:
    if not access.can_view_community(viewer, community):
        raise NotFound("No such community, or it is private.")
    return list(
        Person.objects.filter(
            pk__in=Sponsorship.objects.filter(community=community).values("person_id")
        ).select_related("department")
    )


def pending_join_requests(*, viewer: access.Viewer, community: Community) -> list[JoinRequest]:
    if not access.can_manage_community(viewer, community):
        return []
    return list(
        JoinRequest.objects.filter(community=community, status=RequestStatus.PENDING)
        .select_related("community", "person", "person__department")
        .order_by("created_at")
    )


def viewer_pending_request(*, viewer: access.Viewer, community: Community) -> JoinRequest | None:
    if not access.is_signed_in(viewer):
        return None
    return JoinRequest.objects.filter(
        community=community, person_id=access.viewer_id(viewer), status=RequestStatus.PENDING
    ).first()


def my_pending_invitations(*, viewer: access.Viewer) -> list[CommunityInvitation]:
    """The viewer's open invitations; `names_role` says the page names the role offered (a
    team role: "invited you as leader")."""
    if not access.is_signed_in(viewer):
        return []
    invitations = list(
        CommunityInvitation.objects.filter(
            person_id=access.viewer_id(viewer), status=InvitationStatus.PENDING
        )
        .select_related("community", "invited_by")
        .order_by("-created_at")
    )
    for invitation in invitations:
        invitation.names_role = access.is_team_role(invitation.role)  # type: ignore[attr-defined]
    return invitations


def my_pending_requests(*, viewer: access.Viewer) -> list[JoinRequest]:
    """The viewer's own requests, for communities they can see (sponsors, admins).

    A request for a private community the viewer cannot see is not listed: listing it would
    confirm that the address they guessed exists.
    """
    if not access.is_signed_in(viewer):
        return []
    return list(
        JoinRequest.objects.filter(
            person_id=access.viewer_id(viewer),
            status=RequestStatus.PENDING,
            community__in=access.visible_communities(viewer),
        )
        .select_related("community")
        .order_by("-created_at")
    )


def my_communities(*, viewer: access.Viewer) -> list[Community]:
    if not access.is_signed_in(viewer):
        return []
    mine = Community.objects.filter(pk__in=access.joined_community_ids(viewer))
    return list(_with_counts(viewer, mine).order_by("name"))


def suggested_communities(*, viewer: access.Viewer, limit: int = 6) -> list[Community]:
    """Open communities the viewer is not in, where colleagues from their department gather."""
    if not access.is_signed_in(viewer):
        return []
    joined = access.joined_community_ids(viewer)
    candidates = (
        access.visible_communities(viewer)
        .exclude(pk__in=joined)
        .exclude(status__in=[Status.ARCHIVED, Status.DORMANT])
    )
    department_id = getattr(viewer, "department_id", None)
    # Counted from the department's side (a few thousand memberships at most), not by
    # scanning every membership of every candidate community.
    colleagues = (
        dict(
            Membership.objects.filter(
                left_at__isnull=True,
                person__department_id=department_id,
                community__in=candidates,
            )
            .values_list("community_id")
            .annotate(n=Count("pk"))
            .values_list("community_id", "n")
        )
        if department_id
        else {}
    )
    ranked = sorted(
        _with_counts(viewer, candidates),
        key=lambda c: (-colleagues.get(c.pk, 0), -c.member_count, c.name),
    )
    for community in ranked:
        community.colleagues = colleagues.get(community.pk, 0)  # type: ignore[attr-defined]
    return ranked[:limit]


def community_members(
    *, viewer: access.Viewer, community: Community, role: str | None = None
) -> QuerySet[Membership]:
    """Active members of a community the viewer may see, by role then newest, for paging."""
    if not access.can_view_community(viewer, community):
        raise NotFound("No such community, or it is private.")
    members = Membership.objects.filter(
        community=community, left_at__isnull=True, person__is_active=True
    )
    if role:
        members = members.filter(role=role)
    rank = Case(
        *(When(role=value, then=Value(i)) for i, value in enumerate(ROLE_ORDER)),
        default=Value(len(ROLE_ORDER)),
    )
    return (
        members.select_related("community", "person", "person__department")
        .annotate(role_rank=rank)
        .order_by("role_rank", "-joined_at", "-pk")  # leaders first, then newest
    )


def join_request_get(*, viewer: access.Viewer, request_id: int) -> JoinRequest:
    """A join request, for the leaders who decide it and the person who sent it; to anyone
    else it does not exist (it would tell who wants into which community)."""
    join_request = (
        JoinRequest.objects.select_related("community", "person", "person__department")
        .filter(pk=request_id, community__in=access.visible_communities(viewer))
        .first()
    )
    if join_request is None or not access.can_view_join_request(
        viewer, join_request.person_id, join_request.community
    ):
        raise NotFound("No such join request.")
    return join_request


def community_by_slug(*, slug: str) -> Community | None:
    """Any community by its address, private or not: the caller decides what the viewer may
    learn of it (asking to join a private community whose address was shared, or a filter
    that ignores what the viewer cannot see)."""
    return Community.objects.filter(slug=slug).first()


def my_invitation_get(*, viewer: access.Viewer, invitation_id: int) -> CommunityInvitation:
    """One of the viewer's own invitations; anyone else's does not exist for them."""
    invitation = (
        CommunityInvitation.objects.select_related("community")
        .filter(pk=invitation_id, person_id=access.viewer_id(viewer))
        .first()
    )
    if invitation is None:
        raise NotFound("No such invitation.")
    return invitation


def community_team(*, community: Community) -> list[Person]:
    """The active people of its core team (leaders, facilitators, core): those told when
    someone asks to join. Not for display: the caller is a service acting for the community."""
    team = Membership.objects.filter(
        community=community, left_at__isnull=True, role__in=access.TEAM_ROLES
    ).values("person_id")
    return list(Person.objects.filter(pk__in=team, is_active=True).order_by("pk"))


def pending_request_count(*, viewer: access.Viewer, community: Community) -> int:
    """How many requests to join wait, for the core team; to anyone else there are none."""
    if not access.can_see_join_requests(viewer, community):
        return 0
    return JoinRequest.objects.filter(community=community, status=RequestStatus.PENDING).count()


def requests_waiting_for_me(*, viewer: access.Viewer) -> list[Community]:
    """The communities the viewer leads that have requests to join waiting, each with
    `waiting` (their number), in one query: the home page's reminder."""
    if not access.is_signed_in(viewer):
        return []
    led = Membership.objects.filter(
        person_id=access.viewer_id(viewer), left_at__isnull=True, role__in=access.MANAGING_ROLES
    ).values("community_id")
    pending = Q(join_requests__status=RequestStatus.PENDING)
    return list(
        Community.objects.filter(pk__in=led)
        .annotate(waiting=Count("join_requests", filter=pending))
        .filter(waiting__gt=0)
        .order_by("name")
    )


def sponsored_communities(*, viewer: access.Viewer) -> list[Community]:
    """The communities the viewer backs as a sponsor (they may see each, private or not)."""
    if not access.is_signed_in(viewer):
        return []
    backed = Sponsorship.objects.filter(person_id=access.viewer_id(viewer)).values("community_id")
    return list(
        access.visible_communities(viewer)
        .filter(pk__in=backed)
        .exclude(status=Status.ARCHIVED)
        .order_by("name")
    )


MEMBER_PAGE_SIZE = 24


def member_page(
    *,
    viewer: access.Viewer,
    community: Community,
    query: str = "",
    page: int = 1,
    page_size: int = MEMBER_PAGE_SIZE,
) -> Page[Membership]:
    """A page of the community's members, leaders first, found by name, job title or
    department (every word must match one of them)."""
    members = community_members(viewer=viewer, community=community)
    for word in query.split()[:8]:
        members = members.filter(
            Q(person__name__icontains=word)
            | Q(person__title__icontains=word)
            | Q(person__department__name__icontains=word)
        )
    return paginate(members, page=page, page_size=page_size)
