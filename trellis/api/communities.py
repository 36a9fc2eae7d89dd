"""Communities, their members and roles, and requests to join private ones.

A private community is answered exactly like one that does not exist (404) for everyone who may
not see it; every read goes through the selectors (or `reads`), which ask `core.access`.
"""

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field

from trellis.api.auth import viewer
from trellis.api.errors import conflicts, error_responses
from trellis.api.schemas import (
    MAX_ID,
    CommunityRef,
    Flag,
    Input,
    LongText,
    Maybe,
    MembershipOut,
    Message,
    Paged,
    PageParams,
    PersonRef,
    SearchText,
    ShortName,
    Slug,
    SlugPath,
    Summary,
)
from trellis.communities import selectors, services
from trellis.communities.models import (
    Community,
    JoinRequest,
    Membership,
    RequestStatus,
    Role,
    Status,
    Visibility,
)
from trellis.core import access
from trellis.core.errors import Forbidden, NotFound
from trellis.core.pagination import Page, paginate, paginate_list
from trellis.people.selectors import people_queryset

router = Router(tags=["communities"])

CommunitySlug = PathEx[SlugPath, P(description="The community's slug.")]
PersonId = PathEx[int, P(ge=1, le=MAX_ID, description="A person's id.")]
RequestId = PathEx[int, P(ge=1, le=MAX_ID, description="A join request's id.")]


# -- schemas ------------------------------------------------------------------------------


class CommunityOut(Schema):
    id: int
    slug: str
    name: str
    domain: str
    charter: str
    visibility: Visibility
    status: Status
    member_count: int = Field(description="Active members.")
    viewer_role: Role | None = Field(description="Your role in it, if you are a member.")
    created_at: datetime
    updated_at: datetime


class CommunityPage(Paged[CommunityOut]):
    pass


class MemberOut(Schema):
    person: PersonRef
    role: Role
    joined_at: datetime


class MemberPage(Paged[MemberOut]):
    pass


class JoinRequestOut(Schema):
    id: int
    community: CommunityRef
    person: PersonRef
    message: str
    status: RequestStatus
    created_at: datetime
    decided_at: datetime | None


class JoinRequestPage(Paged[JoinRequestOut]):
    pass


class CommunityParams(PageParams):
    q: SearchText = Field("", description="Words to find in the name or domain.")
    status: Maybe[Status] = Field(None, description="Archived ones are left out unless asked.")
    visibility: Maybe[Visibility] = None
    mine: bool = Field(False, description="Only communities you belong to.")


class MemberParams(PageParams):
    role: Maybe[Role] = None


class CommunityCreate(Input):
    name: ShortName
    domain: Summary = Field(description="The shared concern or craft, in a sentence.")
    charter: LongText = ""
    visibility: Visibility = Visibility.PUBLIC
    status: Status = Status.SEED
    slug: Maybe[Slug] = Field(None, description="Derived from the name when left out.")


class CommunityUpdate(Input):
    """Only the fields sent change."""

    name: Maybe[ShortName] = None
    domain: Maybe[Summary] = None
    charter: Maybe[LongText] = None
    visibility: Maybe[Visibility] = None
    status: Maybe[Status] = None


class RoleIn(Input):
    role: Role


class JoinRequestIn(Input):
    message: Message = ""


class DecisionIn(Input):
    approve: Flag


# -- communities --------------------------------------------------------------------------


@router.get(
    "/communities",
    response={200: CommunityPage, **error_responses()},
    summary="List communities",
)
def communities_list(request: HttpRequest, params: Query[CommunityParams]) -> Page[Community]:
    return selectors.community_directory(
        viewer=viewer(request),
        query=params.q,
        status=params.status or "",
        visibility=params.visibility or "",
        mine=params.mine,
        page=params.page,
        page_size=params.page_size,
    )


@router.post(
    "/communities",
    response={201: CommunityOut, **error_responses(conflict=True)},
    summary="Start a community (you become its leader)",
)
def communities_create(request: HttpRequest, payload: CommunityCreate) -> Reply[Community]:
    actor = viewer(request)
    with conflicts():  # the slug is taken
        community = services.community_create(actor=actor, **payload.model_dump(exclude_none=True))
    return Reply(201, selectors.community_get(viewer=actor, slug=community.slug))


@router.get(
    "/communities/{slug}",
    response={200: CommunityOut, **error_responses()},
    summary="A community",
)
def communities_detail(request: HttpRequest, slug: CommunitySlug) -> Community:
    return selectors.community_get(viewer=viewer(request), slug=slug)


@router.patch(
    "/communities/{slug}",
    response={200: CommunityOut, **error_responses()},
    summary="Change a community's settings (leaders, org admins)",
)
def communities_update(
    request: HttpRequest, slug: CommunitySlug, payload: CommunityUpdate
) -> Community:
    actor = viewer(request)
    community = selectors.community_get(viewer=actor, slug=slug)
    changes = payload.model_dump(exclude_unset=True)
    services.community_update(actor=actor, community=community, **changes)
    return selectors.community_get(viewer=actor, slug=community.slug)


# -- members ------------------------------------------------------------------------------


@router.get(
    "/communities/{slug}/members",
    response={200: MemberPage, **error_responses()},
    summary="A community's active members: leaders first, then by role, newest first",
)
def members_list(
    request: HttpRequest, slug: CommunitySlug, params: Query[MemberParams]
) -> Page[Membership]:
    actor = viewer(request)
    community = selectors.community_get(viewer=actor, slug=slug)
    members = selectors.community_members(viewer=actor, community=community, role=params.role)
    return paginate(members, page=params.page, page_size=params.page_size)


@router.post(
    "/communities/{slug}/join",
    response={200: MembershipOut, **error_responses()},
    summary="Join a public community",
    description="Joining twice changes nothing. Private communities take requests instead.",
)
def members_join(request: HttpRequest, slug: CommunitySlug) -> Membership:
    actor = viewer(request)
    community = selectors.community_get(viewer=actor, slug=slug)
    membership = services.community_join(actor=actor, community=community)
    return _membership(membership.pk)


@router.post(
    "/communities/{slug}/leave",
    response={204: None, **error_responses(conflict=True)},
    summary="Leave a community",
    description="Leaving a community you are not in changes nothing. The only leader of a "
    "community with other members must hand the lead on first (409).",
)
def members_leave(request: HttpRequest, slug: CommunitySlug) -> Reply[None]:
    actor = viewer(request)
    community = selectors.community_get(viewer=actor, slug=slug)
    with conflicts():  # the only leader
        services.community_leave(actor=actor, community=community)
    return Reply(204, None)


@router.put(
    "/communities/{slug}/members/{person_id}/role",
    response={200: MembershipOut, **error_responses(conflict=True)},
    summary="Change a member's role (leaders, org admins)",
)
def members_set_role(
    request: HttpRequest, slug: CommunitySlug, person_id: PersonId, payload: RoleIn
) -> Membership:
    actor = viewer(request)
    community = selectors.community_get(viewer=actor, slug=slug)
    if not access.can_manage_community(actor, community):  # 403 before looking anyone up
        raise Forbidden("Only the community's leaders can change roles.")
    person = people_queryset(viewer=actor).filter(pk=person_id).first()
    if person is None:
        raise NotFound("No such person.")
    with conflicts():  # demoting the last leader
        membership = services.membership_set_role(
            actor=actor, community=community, person=person, role=payload.role
        )
    return _membership(membership.pk)


# -- join requests ------------------------------------------------------------------------


@router.post(
    "/communities/{slug}/join-requests",
    response={201: JoinRequestOut, **error_responses(conflict=True)},
    summary="Ask to join a private community",
    description="Asking again returns the pending request. A public community is joined "
    "directly, and a member cannot ask (409).",
)
def join_requests_create(
    request: HttpRequest, slug: CommunitySlug, payload: JoinRequestIn
) -> Reply[JoinRequest]:
    actor = viewer(request)
    community = selectors.community_get(viewer=actor, slug=slug)
    with conflicts():  # public, archived, or already a member
        join_request = services.join_request_create(
            actor=actor, community=community, message=payload.message
        )
    return Reply(201, selectors.join_request_get(viewer=actor, request_id=join_request.pk))


@router.get(
    "/communities/{slug}/join-requests",
    response={200: JoinRequestPage, **error_responses()},
    summary="Pending requests to join (leaders, org admins)",
)
def join_requests_list(
    request: HttpRequest, slug: CommunitySlug, params: Query[PageParams]
) -> Page[JoinRequest]:
    actor = viewer(request)
    community = selectors.community_get(viewer=actor, slug=slug)
    if not access.can_manage_community(actor, community):
        raise Forbidden("Only the community's leaders see its join requests.")
    pending = selectors.pending_join_requests(viewer=actor, community=community)
    for join_request in pending:
        join_request.community = community  # the selector does not join it; no query per row
    return paginate_list(pending, page=params.page, page_size=params.page_size)


@router.post(
    "/join-requests/{request_id}/decision",
    response={200: JoinRequestOut, **error_responses(conflict=True)},
    summary="Approve or decline a join request (leaders, org admins)",
)
def join_requests_decide(
    request: HttpRequest, request_id: RequestId, payload: DecisionIn
) -> JoinRequest:
    actor = viewer(request)
    join_request = selectors.join_request_get(viewer=actor, request_id=request_id)
    with conflicts():  # already decided
        services.join_request_decide(
            actor=actor, join_request=join_request, approve=payload.approve
        )
    return selectors.join_request_get(viewer=actor, request_id=join_request.pk)


# -- helpers ------------------------------------------------------------------------------


def _membership(membership_id: int) -> Membership:
    return Membership.objects.select_related("community", "person", "person__department").get(
        pk=membership_id
    )
