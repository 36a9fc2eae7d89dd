"""Writes of mentoring: a person's mentor offer, proposing, answering and ending mentorships,
and confirming a cohort's matching.

Capacity is a count of open mentorships, so every proposal locks the rows of the people it
concerns (mentors and mentees, in id order) before counting: two proposals to the same mentor
at once are serialised, and the second sees the first. The database keeps the rest: nobody
mentors themselves, a pair has one open mentorship, active means both said yes.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.mentoring import selectors
from trellis.mentoring.models import (
    MAX_CAPACITY,
    MAX_ID,
    OPEN_STATUSES,
    Cohort,
    MentorOffer,
    Mentorship,
    MentorshipStatus,
)
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.people.models import Person


def mentor_offer_set(
    *, actor: Person, person: Person, open: bool, capacity: int, note: str = ""
) -> MentorOffer:
    """A person's own say in mentoring (or an org admin's on their behalf). Lowering the
    capacity below the mentorships already open ends none of them; it only stops new ones."""
    if not access.can_edit_person(actor, person):
        raise Forbidden("You can only change your own mentoring offer.")
    if not 0 <= capacity <= MAX_CAPACITY:
        message = f"Between 0 and {MAX_CAPACITY} mentees."
        raise Invalid(message, field_errors={"capacity": message})
    note = note.strip()
    if len(note) > 500:
        raise Invalid("Too long.", field_errors={"note": "At most 500 characters."})
    with transaction.atomic():
        offer, _ = MentorOffer.objects.update_or_create(
            person=person, defaults={"open": open, "capacity": capacity, "note": note}
        )
        activity_record(actor=actor, verb="mentoring.offer", obj=person)
    return offer


def _lock(ids: set[int]) -> dict[int, Person]:
    """Lock these people's rows (in id order: no deadlock between two proposals)."""
    people = Person.objects.select_for_update().filter(pk__in=sorted(ids)).order_by("pk")
    return {p.pk: p for p in people}


def _notify_proposed(mentorship: Mentorship, actor: Person) -> None:
    mentor, mentee = mentorship.mentor, mentorship.mentee
    for recipient, title in (
        (mentor, f"you as mentor of {mentee.name}"),
        (mentee, f"{mentor.name} as your mentor"),
    ):
        notify(
            recipients=[recipient],
            kind=Kind.MENTORING,
            actor=actor,
            community=None,
            target_type="mentorship",
            target_id=mentorship.pk,
            title=title,
            url=reverse("mentorship-list"),
        )


@dataclass(frozen=True)
class Reasons:
    """Why a pair, as stored: the mentee's wording, and the facts for everyone else's."""

    text: str
    why: dict[str, Any]


def _reasons(ranker: selectors.Ranker, mentee: Person, mentor: Person) -> Reasons:
    suggestion = ranker.explain(mentee, mentor)
    return Reasons("\n".join(suggestion.reasons), suggestion.why.as_json())


def _create(
    *, actor: Person, mentor: Person, mentee: Person, message: str, reasons: Reasons
) -> Mentorship:
    now = timezone.now()
    try:
        with transaction.atomic():
            mentorship = Mentorship.objects.create(
                mentor=mentor,
                mentee=mentee,
                proposed_by=actor,
                message=message,
                reasons=reasons.text,
                why=reasons.why,
                mentor_accepted_at=now if access.is_self(actor, mentor.pk) else None,
                mentee_accepted_at=now if access.is_self(actor, mentee.pk) else None,
            )
    except IntegrityError as error:  # the database's word: one open mentorship per pair
        raise Invalid(
            f"{mentee.name} and {mentor.name} already have an open mentorship.",
            field_errors={"mentor": "This pair already has an open mentorship."},
        ) from error
    activity_record(actor=actor, verb="mentorship.propose", obj=mentorship)
    _notify_proposed(mentorship, actor)
    return mentorship


def mentorship_propose(
    *, actor: Person, mentor: Person, mentee: Person, message: str = ""
) -> Mentorship:
    """Propose that `mentor` mentors `mentee`: the mentee asking for a mentor, a mentor
    offering, or an org admin pairing two people. Whoever proposes has said yes already."""
    if not access.is_signed_in(actor):
        raise Forbidden("Sign in first.")
    if not access.can_propose_mentorship(actor, mentor.pk, mentee.pk):
        raise Forbidden(
            "You can propose a mentorship for yourself (as mentee or as mentor); "
            "only an org admin can pair two other people."
        )
    if mentor.pk == mentee.pk:
        problem = "Nobody can mentor themselves."
        raise Invalid(problem, field_errors={"mentor": f"{problem} Pick someone else."})
    message = message.strip()
    if len(message) > 1000:
        raise Invalid("Too long.", field_errors={"message": "At most 1,000 characters."})
    # Why this pair, worked out before any row is locked (it reads evidence and skills).
    reasons = _reasons(selectors.Ranker(), mentee, mentor)
    with transaction.atomic():
        locked = _lock({mentor.pk, mentee.pk})
        mentor, mentee = locked[mentor.pk], locked[mentee.pk]
        if not mentee.is_active:
            raise Invalid(
                f"{mentee.name} cannot sign in to Trellis.",
                field_errors={"mentee": f"{mentee.name} cannot sign in to Trellis."},
            )
        state = selectors.mentor_states({mentor.pk})[mentor.pk]
        if state.problem:
            raise Invalid(state.problem, field_errors={"mentor": state.problem})
        pair = Mentorship.objects.filter(mentor=mentor, mentee=mentee)
        if pair.filter(status__in=OPEN_STATUSES).exists():
            raise Invalid(
                f"{mentee.name} and {mentor.name} already have an open mentorship.",
                field_errors={"mentor": "This pair already has an open mentorship."},
            )
        # Whoever was declined by the other side does not ask them again (and again: each
        # proposal notifies them). An org admin pairing two other people still may.
        declined = pair.filter(status=MentorshipStatus.DECLINED)
        if access.is_self(actor, mentee.pk) and declined.filter(declined_by=mentor).exists():
            problem = f"{mentor.name} declined a mentorship with you before; ask someone else."
            raise Invalid(problem, field_errors={"mentor": problem})
        if access.is_self(actor, mentor.pk) and declined.filter(declined_by=mentee).exists():
            problem = (
                f"{mentee.name} declined a mentorship with you before; "
                "offer to mentor someone else."
            )
            raise Invalid(problem, field_errors={"mentee": problem})
        if (
            access.is_self(actor, mentee.pk)
            and selectors.open_as_mentee(mentee) >= selectors.MAX_OPEN_AS_MENTEE
        ):
            problem = (
                f"You already have {selectors.MAX_OPEN_AS_MENTEE} open mentorships or requests; "
                "wait for an answer, or withdraw one, first."
            )
            raise Invalid(problem, field_errors={"mentor": problem})
        return _create(actor=actor, mentor=mentor, mentee=mentee, message=message, reasons=reasons)


def _own(actor: Person, mentorship_id: int) -> Mentorship:
    """The mentorship, locked, if the actor is one of its two people (for anyone else it does
    not exist)."""
    found = (
        Mentorship.objects.select_for_update()
        .filter(Q(mentor_id=actor.pk) | Q(mentee_id=actor.pk), pk=mentorship_id)
        .first()
    )
    if found is None or not access.is_signed_in(actor):
        raise NotFound("No such mentorship, or not one of yours.")
    return found


def _state_error(mentorship: Mentorship, only: str) -> Invalid:
    label = MentorshipStatus(mentorship.status).label.lower()
    return Invalid(
        f"This mentorship is {label}: {only}.",
        field_errors={"status": f"It is {label}."},
    )


def mentorship_respond(
    *, actor: Person, mentorship_id: int, accept: bool, reason: str = ""
) -> Mentorship:
    """The mentor or the mentee says yes or no to a proposed mentorship. It is active once both
    said yes; either one's no declines it (the proposer's no withdraws it)."""
    reason = reason.strip()
    if len(reason) > 1000:
        raise Invalid("Too long.", field_errors={"reason": "At most 1,000 characters."})
    with transaction.atomic():
        mentorship = _own(actor, mentorship_id)
        if mentorship.status != MentorshipStatus.PROPOSED:
            raise _state_error(mentorship, "only a proposed one can be accepted or declined")
        now = timezone.now()
        if accept:
            as_mentor = access.is_self(actor, mentorship.mentor_id)
            if not access.can_accept_mentorship(actor, mentorship):
                other = mentorship.mentee if as_mentor else mentorship.mentor
                raise Invalid(
                    f"You have already accepted; waiting for {other.name}.",
                    field_errors={"status": "Already accepted by you."},
                )
            if as_mentor:
                mentorship.mentor_accepted_at = now
            else:
                mentorship.mentee_accepted_at = now
            if mentorship.mentor_accepted_at and mentorship.mentee_accepted_at:
                mentorship.status = MentorshipStatus.ACCEPTED
                mentorship.decided_at = now
            verb = "mentorship.accept"
        else:
            mentorship.status = MentorshipStatus.DECLINED
            mentorship.declined_by = actor
            mentorship.decline_reason = reason
            mentorship.decided_at = now
            verb = "mentorship.decline"
        mentorship.save()
        activity_record(actor=actor, verb=verb, obj=mentorship)
    return mentorship


def mentorship_end(*, actor: Person, mentorship_id: int) -> Mentorship:
    """Either side ends an active mentorship; the mentor's place is free again."""
    with transaction.atomic():
        mentorship = _own(actor, mentorship_id)
        if mentorship.status != MentorshipStatus.ACCEPTED:
            raise _state_error(mentorship, "only an active one can be ended")
        mentorship.status = MentorshipStatus.ENDED
        mentorship.ended_at = timezone.now()
        mentorship.save(update_fields=["status", "ended_at"])
        activity_record(actor=actor, verb="mentorship.end", obj=mentorship)
    return mentorship


@dataclass(frozen=True)
class PairIn:
    mentee_id: int
    mentor_id: int


def _cohort_reasons(pairs: list[PairIn], today: date) -> dict[int, Reasons]:
    """Why each pair (by its position), read before any row is locked, with one ranker for the
    whole cohort: a handful of queries for all the pairs plus one per mentee. Each mentor's
    room counts down as the cohort fills it, as if the pairs were proposed one by one."""
    ids = {p.mentee_id for p in pairs} | {p.mentor_id for p in pairs}
    people = Person.objects.select_related("department").in_bulk(sorted(ids))
    ranker = selectors.Ranker(today)
    ranker.prepare(
        (people[p.mentee_id] for p in pairs if p.mentee_id in people),
        mentors={p.mentor_id for p in pairs} & set(people),
    )
    reasons = {}
    for number, pair in enumerate(pairs):
        mentee, mentor = people.get(pair.mentee_id), people.get(pair.mentor_id)
        if mentee is not None and mentor is not None and mentee.pk != mentor.pk:
            reasons[number] = _reasons(ranker, mentee, mentor)
            ranker.take(mentor.pk)
    return reasons


def cohort_confirm(*, actor: Person, pairs: list[PairIn], note: str = "") -> Cohort:
    """Create the proposed mentorships of a cohort's matching (as previewed, or edited) in one
    go. Every pair is checked again under lock; if any is wrong, nothing is created and the
    error names each wrong pair."""
    if not access.can_manage_people(actor):
        raise Forbidden("Only an org admin can match a cohort.")
    if not pairs:
        raise Invalid("No pairs to create.", field_errors={"pairs": "Give at least one pair."})
    for number, pair in enumerate(pairs, start=1):  # a bigger id overflows the lookups
        if not all(1 <= pk <= MAX_ID for pk in (pair.mentee_id, pair.mentor_id)):
            problem = f"Pair {number}: ids are whole numbers from 1 to {MAX_ID}."
            raise Invalid(f"Nothing was created. {problem}", field_errors={"pairs": problem})
    note = note.strip()
    if len(note) > 500:
        raise Invalid("Too long.", field_errors={"note": "At most 500 characters."})
    today = timezone.localdate()
    reasons = _cohort_reasons(pairs, today)
    with transaction.atomic():
        ids = {p.mentee_id for p in pairs} | {p.mentor_id for p in pairs}
        people = _lock(ids)
        states = selectors.mentor_states({p.mentor_id for p in pairs} & set(people), today)
        open_mentees = set(
            Mentorship.objects.filter(
                mentee_id__in={p.mentee_id for p in pairs}, status__in=OPEN_STATUSES
            ).values_list("mentee_id", flat=True)
        )
        wanted = Counter(p.mentor_id for p in pairs)
        problems: list[str] = []
        seen: set[int] = set()
        given_to: dict[int, int] = {}  # mentees given to each mentor so far
        for number, pair in enumerate(pairs, start=1):
            mentee, mentor = people.get(pair.mentee_id), people.get(pair.mentor_id)
            where = f"Pair {number}"
            if mentee is None or mentor is None:
                missing = pair.mentee_id if mentee is None else pair.mentor_id
                problems.append(f"{where}: nobody has the id {missing}.")
                continue
            if pair.mentee_id in seen:
                problems.append(f"{where}: {mentee.name} is in more than one pair.")
                continue
            seen.add(pair.mentee_id)
            if mentee.pk == mentor.pk:
                problems.append(f"{where}: nobody can mentor themselves.")
            elif not selectors.is_newcomer(mentee, today) or not mentee.is_active:
                problems.append(f"{where}: {mentee.name} is not a newcomer now.")
            elif mentee.pk in open_mentees:
                problems.append(f"{where}: {mentee.name} already has an open mentorship.")
            else:
                state = states[mentor.pk]
                given_to[mentor.pk] = given_to.get(mentor.pk, 0) + 1
                if state.problem:
                    problems.append(f"{where}: {state.problem}")
                elif given_to[mentor.pk] > state.free:
                    problems.append(
                        f"{where}: {mentor.name} has {state.free} free place"
                        f"{'s' if state.free != 1 else ''}, and this cohort gives them "
                        f"{wanted[mentor.pk]} mentees."
                    )
        if problems:
            said = " ".join(problems)
            raise Invalid(f"Nothing was created. {said}", field_errors={"pairs": said})
        cohort = Cohort.objects.create(
            created_by=actor, window_days=selectors.newcomer_days(), note=note
        )
        now = timezone.now()
        # Every mentee is in one pair and has no open mentorship, under lock: one insert for
        # all (the database still has the last word on one open mentorship per pair).
        wanted_rows = [
            Mentorship(
                mentor=people[pair.mentor_id],
                mentee=people[pair.mentee_id],
                proposed_by=actor,
                cohort=cohort,
                message=note,
                reasons=reasons[number].text if number in reasons else "",
                why=reasons[number].why if number in reasons else {},
                mentor_accepted_at=now if access.is_self(actor, pair.mentor_id) else None,
                mentee_accepted_at=now if access.is_self(actor, pair.mentee_id) else None,
            )
            for number, pair in enumerate(pairs)
        ]
        try:
            with transaction.atomic():
                made = Mentorship.objects.bulk_create(wanted_rows)
        except IntegrityError as error:
            problem = "A pair already has an open mentorship."
            raise Invalid(
                f"Nothing was created. {problem}", field_errors={"pairs": problem}
            ) from error
        for mentorship in made:
            activity_record(actor=actor, verb="mentorship.propose", obj=mentorship)
            _notify_proposed(mentorship, actor)
        activity_record(actor=actor, verb="mentoring.cohort", obj=cohort)
    return cohort
