"""Reads of the org directory and profiles, shaped for the viewer."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, TextChoices

from trellis.core import access
from trellis.core.errors import Forbidden, NotFound
from trellis.core.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from trellis.people.models import Department, Person

if TYPE_CHECKING:  # memberships are read through core.access; communities sit above people
    from trellis.communities.models import Membership

DEPARTMENT_COUNTS_KEY = "trellis:department-counts"
DEPARTMENT_COUNTS_SECONDS = 300
# Everyone who has had an account: not those known only from imported posts (inactive, never
# deactivated), who have no profile.
_ACTIVE_OR_FORMER = Q(is_active=True) | Q(deactivated_at__isnull=False)


class AccountState(TextChoices):
    """Which people the org admin's list shows."""

    EVERYONE = "all", "Everyone"
    ACTIVE = "active", "Active"
    DEACTIVATED = "deactivated", "Deactivated"


def people_queryset(*, viewer: access.Viewer) -> QuerySet[Person]:
    if not access.can_view_people(viewer):
        raise Forbidden("Sign in to see the directory.")
    return Person.objects.filter(is_active=True).select_related("department", "manager")


def _matching(people: QuerySet[Person], query: str) -> QuerySet[Person]:
    """People whose name, title or email has every word of the query."""
    for word in query.split()[:8]:
        people = people.filter(
            Q(name__icontains=word) | Q(title__icontains=word) | Q(email__istartswith=word)
        )
    return people


def person_directory(
    *,
    viewer: access.Viewer,
    query: str = "",
    department: str = "",
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[Person]:
    people = people_queryset(viewer=viewer)
    people = _matching(people, query)
    if department:
        people = people.filter(department__slug=department)
    return paginate(people.order_by("name", "pk"), page=page, page_size=page_size)


def people_for_admin(
    *,
    viewer: access.Viewer,
    query: str = "",
    state: str = AccountState.EVERYONE,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[Person]:
    """The org admin's list: the directory plus the people they deactivated."""
    if not access.can_manage_people(viewer):
        raise Forbidden("Only org admins manage people.")
    people = Person.objects.filter(_ACTIVE_OR_FORMER).select_related("department", "manager")
    if state == AccountState.ACTIVE:
        people = people.filter(is_active=True)
    elif state == AccountState.DEACTIVATED:
        people = people.filter(is_active=False)
    people = _matching(people, query)
    return paginate(people.order_by("name", "pk"), page=page, page_size=page_size)


@dataclass
class Profile:
    person: Person
    memberships: "list[Membership]"
    reports: list[Person]
    sponsored: list[int]


def person_profile(*, viewer: access.Viewer, person_id: int) -> Profile:
    """A colleague's profile; a former member's too, as their posts still link to it."""
    if not access.can_view_people(viewer):
        raise Forbidden("Sign in to see the directory.")
    person = (
        Person.objects.filter(_ACTIVE_OR_FORMER, pk=person_id)
        .select_related("department", "manager")
        .first()
    )
    if person is None:
        raise NotFound("No such person.")
    memberships = list(
        access.visible_memberships(viewer)
        .filter(person=person, left_at__isnull=True)
        .select_related("community")
        .order_by("community__name")
    )
    reports = list(
        Person.objects.filter(manager=person, is_active=True)
        .select_related("department")
        .order_by("name")[:50]
    )
    sponsored = list(
        access.visible_communities(viewer)
        .filter(sponsorship__person=person)
        .values_list("pk", flat=True)
    )
    return Profile(person, memberships, reports, sponsored)


def departments_with_counts(*, viewer: access.Viewer) -> list[Department]:
    """The department tree in reading order, each with its path (`Engineering / Platform`)."""
    if not access.can_view_people(viewer):
        raise Forbidden("Sign in to see the directory.")
    counts = cache.get(DEPARTMENT_COUNTS_KEY)
    if counts is None:  # a full pass over the people: cached for a few minutes
        counts = dict(
            Person.objects.filter(is_active=True)
            .values_list("department_id")
            .annotate(n=Count("pk"))
            .values_list("department_id", "n")
        )
        cache.set(DEPARTMENT_COUNTS_KEY, counts, DEPARTMENT_COUNTS_SECONDS)
    departments = list(Department.objects.all())
    for department in departments:
        department.people_count = counts.get(department.pk, 0)  # type: ignore[attr-defined]
    by_id = {d.pk: d for d in departments}

    def path(department: Department) -> list[str]:
        names, seen = [], set()
        current: Department | None = department
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            names.append(current.name)
            current = by_id.get(current.parent_id) if current.parent_id else None
        return names[::-1]

    for department in departments:
        department.path = " / ".join(path(department))  # type: ignore[attr-defined]
    return sorted(departments, key=lambda d: d.path.lower())  # type: ignore[attr-defined]


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


def person_by_id(*, person_id: int, active_only: bool = False) -> Person | None:
    """Someone by id, whether the viewer may list them or not: for callers that decided who
    may look (an org admin's page, a signed unsubscribe link, a form naming a colleague).
    Imported people cannot sign in (inactive); `active_only` leaves them out."""
    people = Person.objects.filter(pk=person_id)
    return (people.filter(is_active=True) if active_only else people).first()


def person_by_email(*, email: str, active_only: bool = False) -> Person | None:
    """Someone by their stored (lower-case) email address, as `person_by_id`."""
    people = Person.objects.filter(email=email)
    return (people.filter(is_active=True) if active_only else people).first()
