"""A person's own say in being asked: opted out, away, and their weekly cap."""

from datetime import date

from django.db import transaction

from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.expertise.models import Availability
from trellis.people.models import Person

MAX_WEEKLY_CAP = 50


def availability_set(
    *,
    actor: Person,
    person: Person,
    opted_out: bool,
    away_until: date | None,
    weekly_cap: int,
) -> Availability:
    """A person's own say in being asked (or an org admin's on their behalf)."""
    if not access.can_edit_person(actor, person):
        raise Forbidden("You can only change your own availability.")
    if not 0 <= weekly_cap <= MAX_WEEKLY_CAP:
        message = f"Between 0 and {MAX_WEEKLY_CAP} questions a week."
        raise Invalid(message, field_errors={"weekly_cap": message})
    with transaction.atomic():
        availability, _ = Availability.objects.update_or_create(
            person=person,
            defaults={"opted_out": opted_out, "away_until": away_until, "weekly_cap": weekly_cap},
        )
        activity_record(actor=actor, verb="availability.set", obj=person)
    return availability
