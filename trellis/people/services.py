"""Writes to people and departments."""

from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from trellis.core import access, hooks
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.core.text import clean_name
from trellis.people.emails import normalise_email
from trellis.people.models import Department, Person
from trellis.people.selectors import DEPARTMENT_COUNTS_KEY

ADMIN_ONLY_FIELDS = frozenset({"email", "department", "manager", "title", "start_date"})
SELF_FIELDS = frozenset({"name", "location", "skills", "interests", "bio"})


def _clean_tags(values: list[str] | str) -> list[str]:
    """Skills and interests: trimmed, deduplicated case-insensitively, order kept."""
    if isinstance(values, str):
        values = values.split(",")
    seen: set[str] = set()
    tags = []
    for value in values:
        tag = " ".join(str(value).split())[:60]
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    return tags[:40]


def department_get_or_create(*, name: str, parent: Department | None = None) -> Department:
    clean = " ".join(name.split())[:120]
    if not clean:
        raise Invalid("A department needs a name.", field_errors={"name": "Required."})
    existing = Department.objects.filter(name__iexact=clean, parent=parent).first()
    if existing:
        return existing
    base = slugify(clean) or "department"
    slug, n = base, 2
    while Department.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return Department.objects.create(name=clean, slug=slug, parent=parent)


@transaction.atomic
def department_create(*, actor: Person, name: str, parent: Department | None = None) -> Department:
    if not access.can_manage_people(actor):
        raise Forbidden("Only org admins manage departments.")
    department = department_get_or_create(name=name, parent=parent)
    activity_record(actor=actor, verb="department.create", obj=department)
    return department


def _check_manager(person: Person | None, manager: Person | None) -> None:
    """Refuse a manager chain that loops back to the person."""
    if person is None or person.pk is None or manager is None:
        return
    seen = {person.pk}
    current: Person | None = manager
    while current is not None:
        if current.pk in seen:
            raise Invalid(
                "That manager would make a reporting loop.",
                field_errors={"manager": f"{manager.name} reports (indirectly) to {person.name}."},
            )
        seen.add(current.pk)
        current = current.manager


@transaction.atomic
def person_create(
    *,
    actor: Person,
    email: str,
    name: str,
    title: str = "",
    department: Department | None = None,
    manager: Person | None = None,
    location: str = "",
    start_date: date | None = None,
    skills: list[str] | None = None,
    interests: list[str] | None = None,
) -> Person:
    if not access.can_manage_people(actor):
        raise Forbidden("Only org admins add people.")
    email = normalise_email(email)
    name = clean_name(name)
    if Person.objects.filter(email=email).exists():
        raise Invalid(f"{email} is already in the directory.", field_errors={"email": "Taken."})
    try:
        with transaction.atomic():  # the unique email decides a race, not the check above
            person = Person.objects.create_user(
                email,
                None,
                name=name,
                title=title.strip(),
                department=department,
                manager=manager,
                location=location.strip(),
                start_date=start_date,
                skills=_clean_tags(skills or []),
                interests=_clean_tags(interests or []),
            )
    except IntegrityError as error:
        raise Invalid(
            f"{email} is already in the directory.", field_errors={"email": "Taken."}
        ) from error
    hooks.content_changed(kind=hooks.ContentKind.PERSON, ids=[person.pk])
    activity_record(actor=actor, verb="person.create", obj=person)
    return person


@transaction.atomic
def person_update(*, actor: Person, person: Person, **changes: Any) -> Person:
    if not access.can_edit_person(actor, person):
        raise Forbidden("You can only edit your own profile.")
    unknown = set(changes) - ADMIN_ONLY_FIELDS - SELF_FIELDS
    if unknown:
        raise Invalid(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if set(changes) & ADMIN_ONLY_FIELDS and not access.can_manage_people(actor):
        raise Forbidden("Only org admins change email, title, department, manager or start date.")
    if "email" in changes:
        changes["email"] = normalise_email(changes["email"])
        if Person.objects.filter(email=changes["email"]).exclude(pk=person.pk).exists():
            raise Invalid("Email taken.", field_errors={"email": "Another person uses it."})
    if "name" in changes:
        changes["name"] = clean_name(str(changes["name"]))
    if "manager" in changes:
        _check_manager(person, changes["manager"])
    for tag_field in ("skills", "interests"):
        if tag_field in changes:
            changes[tag_field] = _clean_tags(changes[tag_field])
    for field, value in changes.items():
        setattr(person, field, value.strip() if isinstance(value, str) else value)
    try:
        with transaction.atomic():  # only what changed: never undo an admin's deactivation
            person.save(update_fields=list(changes))
    except IntegrityError as error:
        raise Invalid("Email taken.", field_errors={"email": "Another person uses it."}) from error
    hooks.content_changed(kind=hooks.ContentKind.PERSON, ids=[person.pk])
    activity_record(actor=actor, verb="person.update", obj=person)
    return person


@transaction.atomic
def person_set_named_in_insights(*, actor: Person, person: Person, named: bool) -> Person:
    """Whether the person may be named in analytics lists (champions, who is moving inward,
    lost regulars): their own choice, so only they make it. Either way they are counted."""
    if not access.can_edit_own_profile(actor, person):
        raise Forbidden("Only you choose whether you are named in community analytics.")
    Person.objects.filter(pk=person.pk).update(named_in_insights=named)
    person.named_in_insights = named
    activity_record(actor=actor, verb="person.update", obj=person)
    return person


def _unchanged_reason(person: Person, *, active: bool) -> str:
    current = Person.objects.filter(pk=person.pk).values_list("is_active", flat=True).first()
    if current is None:
        return "That person is no longer in the directory."
    if current == active:
        return f"{person.name} is already {'active' if active else 'deactivated'}."
    return (  # reactivating someone known only from imported posts
        f"{person.name} is known here only from imported posts and has no account to reactivate."
    )


@transaction.atomic
def person_set_active(*, actor: Person, person: Person, active: bool) -> Person:
    """Deactivate someone (they can no longer sign in, by password, session or API token; what
    they wrote stays, credited to them) or let a deactivated person back in.

    Leadership is not this app's to hand over: deactivating a community leader goes through
    `communities.handover.person_deactivate`, which calls this once the roles have passed on.
    """
    if not access.can_manage_people(actor):
        raise Forbidden("Only org admins deactivate or reactivate people.")
    if access.is_self(actor, person.pk):
        raise Invalid("You can't deactivate or reactivate your own account: ask another org admin.")
    now = timezone.now()
    if active:  # only a deactivated person: someone known only from an import is linked instead
        changed = Person.objects.filter(
            pk=person.pk, is_active=False, deactivated_at__isnull=False
        ).update(is_active=True, deactivated_at=None)
    else:
        changed = Person.objects.filter(pk=person.pk, is_active=True).update(
            is_active=False, deactivated_at=now
        )
    if not changed:
        raise Invalid(_unchanged_reason(person, active=active))
    person.is_active, person.deactivated_at = active, None if active else now
    cache.delete(DEPARTMENT_COUNTS_KEY)  # the directory's head counts change
    hooks.content_changed(kind=hooks.ContentKind.PERSON, ids=[person.pk])  # in or out of search
    activity_record(
        actor=actor, verb="person.reactivate" if active else "person.deactivate", obj=person
    )
    return person
