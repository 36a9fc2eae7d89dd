"""Writes of the expertise domain: a person's availability, and keeping evidence current."""

from datetime import date

from django.db import transaction

from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.core.models import Tag
from trellis.expertise.models import Availability, Endorsement
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


def evidence_refresh_after_commit(*, person_ids: list[int]) -> None:
    """On `hooks.contributions_changed`: these people's evidence changed (an answer, an accept)."""
    from trellis.expertise.tasks import refresh_evidence

    ids = sorted({pk for pk in person_ids if pk})
    if ids:
        transaction.on_commit(lambda: refresh_evidence.enqueue(ids))


def evidence_rebuild_after_commit() -> None:
    """For bulk writers (imports, the demo): everyone's evidence once the load is in."""
    from trellis.expertise.tasks import rebuild_all_evidence

    transaction.on_commit(lambda: rebuild_all_evidence.enqueue())


def topics_learn_after_commit() -> None:
    """On `hooks.vectors_refreshed`: topics relearned from the new vectors."""
    from trellis.expertise.tasks import learn_topics

    transaction.on_commit(lambda: learn_topics.enqueue())


def topics_after_visibility_change(*, community_id: int) -> None:
    """On `hooks.community_visibility_changed` (a community turned private or public): the
    topics everyone sees that its questions helped learn go at once, in the same transaction
    (their words may be its words), and every topic is relearned on commit."""
    from trellis.expertise import topics

    topics.forget_community(community_id)
    topics_learn_after_commit()


def routing_waiting_after_commit(limit: int = 20) -> None:
    """For the demo: everyone's evidence rebuilt, then its newest unanswered questions routed
    (one task, so the routing always has the evidence)."""
    from trellis.expertise.tasks import route_waiting_questions

    transaction.on_commit(lambda: route_waiting_questions.enqueue(limit))


def routing_after_commit(*, question_id: int) -> None:
    """On `hooks.question_asked`: find the people to ask once the question is safely stored."""
    from trellis.expertise.tasks import route_question

    transaction.on_commit(lambda: route_question.enqueue(question_id))


def _one_topic(tag: str) -> Tag:
    from trellis.qa.services import normalise_tags

    try:
        names = normalise_tags([tag])
    except Invalid as error:
        detail = (error.field_errors or {}).get("tags", error.message)
        raise Invalid("That is not a topic.", field_errors={"tag": detail}) from error
    if len(names) != 1:
        raise Invalid("Name one topic.", field_errors={"tag": "Name one topic, as a tag."})
    found, _ = Tag.objects.get_or_create(name=names[0])
    return found


def endorsement_add(*, actor: Person, person: Person, tag: str) -> Endorsement:
    """A colleague vouches for what someone knows. Endorsing twice changes nothing."""
    if not access.is_signed_in(actor):
        raise Forbidden("Sign in to endorse a colleague.")
    if actor.pk == person.pk:
        raise Invalid("You cannot endorse yourself.", field_errors={"tag": "Ask a colleague."})
    if not person.is_active:
        raise Invalid("This person has left.", field_errors={"tag": "Not an active colleague."})
    with transaction.atomic():
        topic = _one_topic(tag)
        endorsement, created = Endorsement.objects.get_or_create(
            person=person, tag=topic, endorsed_by=actor
        )
        if created:
            activity_record(actor=actor, verb="person.endorse", obj=person)
    return endorsement


def endorsement_withdraw(*, actor: Person, person: Person, tag: str) -> bool:
    """Take your endorsement back. Whether there was one to take back."""
    with transaction.atomic():
        deleted, _ = Endorsement.objects.filter(
            person=person, endorsed_by_id=access.viewer_id(actor), tag__name=tag.strip().lower()
        ).delete()
        if deleted:
            activity_record(actor=actor, verb="person.endorse.withdraw", obj=person)
    return bool(deleted)
