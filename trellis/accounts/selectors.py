"""Reads about accounts."""

from collections.abc import Iterable

from trellis.accounts import throttle
from trellis.core import access
from trellis.people.models import Person


def signin_locked_ids(*, viewer: Person, people: Iterable[Person]) -> set[int]:
    """Which of these people cannot sign in now after too many failures (for the org admin's
    people page, where they can be unlocked); nobody else is told."""
    if not access.can_manage_people(viewer):
        return set()
    people = list(people)
    locked = throttle.signin_locked(emails=[p.email for p in people])
    return {p.pk for p in people if p.email.lower() in locked}
