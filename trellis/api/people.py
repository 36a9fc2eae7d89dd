"""People and departments: the org directory."""

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field, StrictStr, StringConstraints

from trellis.accounts import services as account_services
from trellis.api.auth import viewer
from trellis.api.errors import conflicts, error_responses
from trellis.api.schemas import (
    MAX_ID,
    CommunityRef,
    DepartmentRef,
    Email,
    Flag,
    Id,
    Input,
    IsoDate,
    Location,
    LongText,
    Maybe,
    Paged,
    PageParams,
    PersonBrief,
    PersonRef,
    QueryId,
    SearchText,
    ShortName,
    SlugFilter,
    Tags,
    Title,
)
from trellis.communities.models import Role
from trellis.core import access
from trellis.core.errors import Forbidden, NotFound
from trellis.core.pagination import Page, paginate_list
from trellis.core.text import NAME_PATTERN
from trellis.people import selectors, services
from trellis.people.models import Department, Person

router = Router(tags=["people"])

# A name with at least one visible character: the rule clean_name applies (invisible format
# characters and whitespace alone are no name), declared so that it is refused up front with a
# 422 on the field. Bidi controls inside an accepted name are taken out by the service.
PersonName = Annotated[StrictStr, StringConstraints(max_length=200, pattern=NAME_PATTERN)]
PersonId = PathEx[int, P(ge=1, le=MAX_ID, description="A person's id.")]
DepartmentId = PathEx[int, P(ge=1, le=MAX_ID, description="A department's id.")]


# -- schemas ------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    email: str
    name: str
    title: str
    department: DepartmentRef | None
    manager: PersonBrief | None
    location: str
    start_date: date | None
    skills: list[str]
    interests: list[str]
    bio: str
    is_org_admin: bool


class ProfileMembership(Schema):
    community: CommunityRef
    role: Role
    joined_at: datetime


class ProfileOut(PersonOut):
    memberships: list[ProfileMembership] = Field(
        description="Active memberships in communities the viewer may see (never a private "
        "community the viewer is not part of)."
    )
    reports: list[PersonRef]
    sponsored_community_ids: list[int]


class PersonPage(Paged[PersonOut]):
    pass


class DepartmentOut(Schema):
    id: int
    slug: str
    name: str
    parent_id: int | None
    people_count: int


class DepartmentDetail(DepartmentOut):
    children: list[DepartmentRef]

    @staticmethod
    def resolve_children(obj: Department) -> list[Department]:
        return list(getattr(obj, "child_departments", []))


class DepartmentPage(Paged[DepartmentOut]):
    pass


class PersonCreate(Input):
    email: Email
    name: PersonName
    title: Title = ""
    department_id: Id | None = None
    manager_id: Id | None = None
    location: Location = ""
    start_date: IsoDate | None = None
    skills: Tags = Field(default_factory=list)
    interests: Tags = Field(default_factory=list)
    send_invitation: Flag = Field(False, description="Email a link to set a password.")


class PersonUpdate(Input):
    """Only the fields sent change. Anyone may edit their own name, location, skills,
    interests and bio; email, title, department, manager and start date are for org admins.
    ``null`` clears department_id, manager_id and start_date."""

    name: Maybe[PersonName] = None
    location: Maybe[Location] = None
    skills: Maybe[Tags] = None
    interests: Maybe[Tags] = None
    bio: Maybe[LongText] = None
    email: Maybe[Email] = None
    title: Maybe[Title] = None
    department_id: Id | None = None
    manager_id: Id | None = None
    start_date: IsoDate | None = None


LOOKUPS = frozenset({"department_id", "manager_id"})
ADMIN_FIELDS = frozenset({"email", "title", "department_id", "manager_id", "start_date"})


class DepartmentCreate(Input):
    name: ShortName
    parent_id: Id | None = None


class PeopleParams(PageParams):
    q: SearchText = Field("", description="Words to find in name, title or email.")
    department: SlugFilter = Field("", description="A department slug.")


class DepartmentParams(PageParams):
    q: SearchText = Field("", description="Words to find in the name.")
    parent_id: Maybe[QueryId] = Field(None, description="Only sub-departments of this one.")


# -- helpers ------------------------------------------------------------------------------


def _profile(viewer_: Person, person_id: int) -> dict[str, Any]:
    profile = selectors.person_profile(viewer=viewer_, person_id=person_id)
    return {
        **{name: getattr(profile.person, name) for name in PersonOut.model_fields},
        "memberships": profile.memberships,
        "reports": profile.reports,
        "sponsored_community_ids": profile.sponsored,
    }


def _department(department_id: int | None, field: str) -> Department | None:
    if department_id is None:
        return None
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise NotFound("No such department.", field_errors={field: "No such department."})
    return department


def _manager(viewer_: Person, manager_id: int | None) -> Person | None:
    if manager_id is None:
        return None
    manager = selectors.people_queryset(viewer=viewer_).filter(pk=manager_id).first()
    if manager is None:
        raise NotFound("No such manager.", field_errors={"manager_id": "No such person."})
    return manager


def _person(viewer_: Person, person_id: int) -> Person:
    person = selectors.people_queryset(viewer=viewer_).filter(pk=person_id).first()
    if person is None:
        raise NotFound("No such person.")
    return person


# -- people -------------------------------------------------------------------------------


@router.get("/people", response={200: PersonPage, **error_responses()}, summary="List people")
def people_list(request: HttpRequest, params: Query[PeopleParams]) -> Page[Person]:
    return selectors.person_directory(
        viewer=viewer(request),
        query=params.q,
        department=params.department,
        page=params.page,
        page_size=params.page_size,
    )


@router.post(
    "/people",
    response={201: PersonOut, **error_responses(conflict=True)},
    summary="Add a person (org admins)",
)
def people_create(request: HttpRequest, payload: PersonCreate) -> Reply[Person]:
    actor = viewer(request)
    if not access.can_manage_people(actor):  # before the lookups: 403, not a 404 on an id
        raise Forbidden("Only org admins add people.")
    with conflicts():  # the email is already in the directory
        person = account_services.person_add(
            actor=actor,
            email=payload.email,
            name=payload.name,
            title=payload.title,
            department=_department(payload.department_id, "department_id"),
            manager=_manager(actor, payload.manager_id),
            location=payload.location,
            start_date=payload.start_date,
            skills=payload.skills,
            interests=payload.interests,
            send_invitation=payload.send_invitation,
        )
    return Reply(201, _person(actor, person.pk))


@router.get("/people/me", response={200: ProfileOut, **error_responses()}, summary="Your profile")
def people_me(request: HttpRequest) -> dict[str, Any]:
    actor = viewer(request)
    return _profile(actor, actor.pk)


@router.get(
    "/people/{person_id}",
    response={200: ProfileOut, **error_responses()},
    summary="A person's profile",
)
def people_detail(request: HttpRequest, person_id: PersonId) -> dict[str, Any]:
    return _profile(viewer(request), person_id)


@router.patch(
    "/people/{person_id}",
    response={200: PersonOut, **error_responses(conflict=True)},
    summary="Edit a profile",
)
def people_update(request: HttpRequest, person_id: PersonId, payload: PersonUpdate) -> Person:
    actor = viewer(request)
    person = _person(actor, person_id)
    sent = payload.model_dump(exclude_unset=True)
    # The service decides; these two checks only keep the lookups below from answering 404
    # to someone who may not make the change at all.
    if not access.can_edit_person(actor, person):
        raise Forbidden("You can only edit your own profile.")
    if set(sent) & ADMIN_FIELDS and not access.can_manage_people(actor):
        raise Forbidden("Only org admins change email, title, department, manager or start date.")
    changes: dict[str, Any] = {k: v for k, v in sent.items() if k not in LOOKUPS}
    if "department_id" in sent:
        changes["department"] = _department(sent["department_id"], "department_id")
    if "manager_id" in sent:
        changes["manager"] = _manager(actor, sent["manager_id"])
    with conflicts(rename={"manager": "manager_id", "department": "department_id"}):
        # a taken email, a reporting loop
        services.person_update(actor=actor, person=person, **changes)
    return _person(actor, person.pk)


# -- departments --------------------------------------------------------------------------


@router.get(
    "/departments",
    response={200: DepartmentPage, **error_responses()},
    summary="List departments",
)
def departments_list(request: HttpRequest, params: Query[DepartmentParams]) -> Page[Department]:
    departments = selectors.departments_with_counts(viewer=viewer(request))
    words = params.q.lower().split()
    if words:
        departments = [d for d in departments if all(w in d.name.lower() for w in words)]
    if params.parent_id is not None:
        departments = [d for d in departments if d.parent_id == params.parent_id]
    return paginate_list(departments, page=params.page, page_size=params.page_size)


@router.get(
    "/departments/{department_id}",
    response={200: DepartmentDetail, **error_responses()},
    summary="A department",
)
def departments_detail(request: HttpRequest, department_id: DepartmentId) -> Department:
    return selectors.department_get(viewer=viewer(request), department_id=department_id)


@router.post(
    "/departments",
    response={201: DepartmentDetail, **error_responses()},
    summary="Add a department (org admins)",
    description="Adding a name that exists under the same parent returns that department.",
)
def departments_create(request: HttpRequest, payload: DepartmentCreate) -> Reply[Department]:
    actor = viewer(request)
    if not access.can_manage_people(actor):  # before the lookup: 403, not a 404 on an id
        raise Forbidden("Only org admins manage departments.")
    department = services.department_create(
        actor=actor, name=payload.name, parent=_department(payload.parent_id, "parent_id")
    )
    return Reply(201, selectors.department_get(viewer=actor, department_id=department.pk))
