"""Writes of the expertise domain: a person's availability, and keeping evidence current."""

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


def evidence_refresh_after_commit(person_ids: list[int]) -> None:
    """For qa and library services: these people's evidence changed (an answer, an accept)."""
    from trellis.expertise.tasks import refresh_evidence

    ids = sorted({pk for pk in person_ids if pk})
    if ids:
        transaction.on_commit(lambda: refresh_evidence.enqueue(ids))


def evidence_rebuild_after_commit() -> None:
    """For bulk writers (imports, the demo): everyone's evidence once the load is in."""
    from trellis.expertise.tasks import rebuild_all_evidence

    transaction.on_commit(lambda: rebuild_all_evidence.enqueue())


def routing_after_commit(question_id: int) -> None:
    """For `question_ask`: find the people to ask once the question is safely stored."""
    from trellis.expertise.tasks import route_question

    transaction.on_commit(lambda: route_question.enqueue(question_id))
