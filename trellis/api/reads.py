"""Reads the API needs that the domain selectors do not offer (yet).

Each one asks `core.access` first, like a selector would; they belong in the domains'
`selectors.py` and should move there.
"""

from django.db.models import Case, Count, Model, Q, QuerySet, Value, When

from trellis.communities.models import ROLE_ORDER, Community, JoinRequest, Membership
from trellis.core import access
from trellis.core.errors import Forbidden, NotFound
from trellis.core.pagination import MAX_PAGE_SIZE, Page
from trellis.people.models import Department


def paginate_list[T: Model](rows: list[T], *, page: int, page_size: int) -> Page[T]:
    """`core.pagination.paginate` for a list a selector already loaded."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    count = len(rows)
    last = max(1, -(-count // page_size))
    page = max(1, min(page, last))
    start = (page - 1) * page_size
    return Page(rows[start : start + page_size], count, page, page_size)


def department_get(*, viewer: access.Viewer, department_id: int) -> Department:
    """One department with its active head count and its sub-departments."""
    if not access.can_view_people(viewer):
        raise Forbidden("Sign in to see the directory.")
    department = (
        Department.objects.annotate(people_count=Count("people", filter=Q(people__is_active=True)))
        .filter(pk=department_id)
        .first()
    )
    if department is None:
        raise NotFound("No such department.")
    department.child_departments = list(  # type: ignore[attr-defined]
        Department.objects.filter(parent=department).order_by("name", "pk")
    )
    return department


def community_members(
    *, viewer: access.Viewer, community: Community, role: str | None = None
) -> QuerySet[Membership]:
    """Active members of a community the viewer may see, leaders first, for paging."""
    if not access.can_view_community(viewer, community):
        raise NotFound("No such community, or it is private.")
    members = Membership.objects.filter(community=community, left_at__isnull=True)
    if role:
        members = members.filter(role=role)
    rank = Case(
        *(When(role=value, then=Value(i)) for i, value in enumerate(ROLE_ORDER)),
        default=Value(len(ROLE_ORDER)),
    )
    return (
        members.select_related("community", "person", "person__department")
        .annotate(role_rank=rank)
        .order_by("role_rank", "person__name", "pk")
    )


def join_request_get(*, viewer: access.Viewer, request_id: int) -> JoinRequest:
    """A join request, for the leaders who decide it and the person who sent it; to anyone
    else it does not exist (it would tell who wants into which community)."""
    join_request = (
        JoinRequest.objects.select_related("community", "person", "person__department")
        .filter(pk=request_id, community__in=access.visible_communities(viewer))
        .first()
    )
    if join_request is None or not (
        join_request.person_id == viewer.pk
        or access.can_manage_community(viewer, join_request.community)
    ):
        raise NotFound("No such join request.")
    return join_request
