"""Writes of the rotation: opting in and out, proposing facilitators for what is coming,
accepting, and swaps between two people.

The rule is `rotation.rotate` (pure); this module reads its inputs, stores what it proposes
(`Assignment`, with the reason in words), and tells people (the bell). `Event.facilitator` is
set only when someone accepts: the person proposed, or the colleague who takes a swap.
"""

from collections import defaultdict
from datetime import date, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.events.models import Event, EventSeries
from trellis.events.times import zone_or_none
from trellis.facilitation import selectors
from trellis.facilitation.models import (
    MAX_WEEKLY_LOAD,
    Assignment,
    AssignmentStatus,
    OptIn,
    SwapRequest,
    SwapStatus,
)
from trellis.facilitation.rotation import Occurrence, Pick, Volunteer, Week, rotate, week_of
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.people.models import Person

HORIZON = 8  # upcoming occurrences of each series the rotation plans
MAX_NOTE = 300
# The title is the whole sentence: the bell reads "You're proposed to facilitate ...".
NOTICE: str = Kind.FACILITATION


def _tell(people: list[Person], event: Event, title: str, actor: Person | None) -> None:
    notify(
        recipients=people,
        kind=NOTICE,
        actor=actor,
        community=event.community,
        target_type="event",
        target_id=event.pk,
        title=title,
        url=reverse("rotation", args=[event.community.slug]) if event.community else "",
    )


def _when(event: Event) -> str:
    """The day as the organiser planned it (in the event's own time zone)."""
    zone = zone_or_none(event.time_zone)
    local = event.starts_at.astimezone(zone) if zone else timezone.localtime(event.starts_at)
    return f"{local.day} {local:%b}"


# --- opting in ----------------------------------------------------------------------------


def opt_in(*, actor: Person, community: Community, weekly_load: int = 1) -> OptIn:
    """Volunteer to facilitate (again: change the weekly load)."""
    if not access.can_view_community(actor, community):
        raise NotFound("No such community.")
    if not access.can_volunteer_to_facilitate(actor, community):
        raise Forbidden("Only members of the community can volunteer to facilitate its sessions.")
    if not isinstance(weekly_load, int) or not 1 <= weekly_load <= MAX_WEEKLY_LOAD:
        message = f"Choose between 1 and {MAX_WEEKLY_LOAD} sessions a week."
        raise Invalid(message, field_errors={"weekly_load": message})
    with transaction.atomic():
        opt, _ = OptIn.objects.update_or_create(
            community=community, person=actor, defaults={"weekly_load": weekly_load}
        )
        activity_record(actor=actor, verb="facilitation.opt_in", obj=opt, community_id=community.pk)
    return opt


def opt_out(*, actor: Person, community: Community) -> None:
    """Stop volunteering. What you already accepted stays yours (swap it to hand it over);
    proposals not yet accepted go back to the rotation."""
    if not access.can_view_community(actor, community):
        raise NotFound("No such community.")
    with transaction.atomic():
        deleted, _ = OptIn.objects.filter(community=community, person=actor).delete()
        if not deleted:
            raise Invalid("You had not volunteered to facilitate here.")
        Assignment.objects.filter(
            community=community,
            person=actor,
            status=AssignmentStatus.PROPOSED,
            event__starts_at__gte=timezone.now(),
        ).delete()
        activity_record(
            actor=actor, verb="facilitation.opt_out", obj=None, community_id=community.pk
        )


# --- proposing ----------------------------------------------------------------------------


def _away_ranges(until: date | None, today: date) -> tuple[tuple[date, date], ...]:
    return ((today, until),) if until is not None and until >= today else ()


def rotation_propose(*, actor: Person, community: Community) -> list[Pick]:
    """Propose facilitators for the next occurrences of each of the community's series.

    What someone accepted (or took in a swap) stays; the open proposals are made again by the
    rule, so an absence or an opt-out since is taken into account. Each newly proposed person
    is told. Returns every pick, kept and new, in day order per series.
    """
    if not access.can_view_community(actor, community):
        raise NotFound("No such community.")
    if not access.can_manage_rotation(actor, community):
        raise Forbidden("Only the community's leaders run its facilitation rotation.")
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        # One rotation at a time per community: the community's row is the lock.
        Community.objects.select_for_update().filter(pk=community.pk).first()
        opt_ins = selectors.volunteers(community)
        aways = selectors.away_until([o.person_id for o in opt_ins])
        people = [
            Volunteer(
                o.person_id,
                o.person.name,
                o.weekly_load,
                _away_ranges(aways.get(o.person_id), today),
            )
            for o in opt_ins
        ]
        by_id = {o.person_id: o.person for o in opt_ins}
        history = selectors.records(community)
        series_ids = list(
            EventSeries.objects.filter(
                community=community,
                occurrences__starts_at__gte=now,
                occurrences__cancelled_at__isnull=True,
            )
            .distinct()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        upcoming: dict[int, list[Event]] = {}
        for series_id in series_ids:
            upcoming[series_id] = list(
                Event.objects.select_for_update()
                .filter(series_id=series_id, starts_at__gte=now, cancelled_at__isnull=True)
                .order_by("starts_at", "pk")[:HORIZON]
            )
        planned = [e.pk for events in upcoming.values() for e in events]
        existing = {a.event_id: a for a in Assignment.objects.filter(event_id__in=planned)}
        # Weekly load: sessions already settled in each week, in any of the community's events.
        booked: dict[tuple[int, Week], int] = defaultdict(int)
        settled = Event.objects.filter(
            community=community,
            facilitator__isnull=False,
            cancelled_at__isnull=True,
            starts_at__gte=now - timedelta(days=7),
        ).values_list("facilitator_id", "starts_at")
        for pid, starts_at in settled:
            booked[(pid, week_of(timezone.localdate(starts_at)))] += 1
        picks: list[Pick] = []
        for series_id, events in upcoming.items():
            recent = list(
                Event.objects.filter(
                    series_id=series_id, starts_at__lt=now, cancelled_at__isnull=True
                )
                .order_by("-starts_at", "-pk")
                .values_list("facilitator_id", flat=True)[:2]
            )[::-1]
            occurrences = []
            for event in events:
                fixed = event.facilitator_id
                if fixed is not None:  # counted in `booked` already; `rotate` counts it again
                    booked[(fixed, week_of(timezone.localdate(event.starts_at)))] -= 1
                occurrences.append(Occurrence(event.pk, timezone.localdate(event.starts_at), fixed))
            series_picks = rotate(
                occurrences, people, history=history, recent=recent, booked=booked
            )
            for pick in series_picks:
                if pick.person_id is not None:
                    booked[(pick.person_id, week_of(pick.day))] += 1
            picks += series_picks
            by_event = {e.pk: e for e in events}
            for pick in series_picks:
                if pick.fixed:
                    continue
                _store(pick, by_event[pick.key], existing.get(pick.key), by_id, actor)
        activity_record(
            actor=actor, verb="facilitation.propose", obj=None, community_id=community.pk
        )
    return picks


def _store(
    pick: Pick,
    event: Event,
    before: Assignment | None,
    by_id: dict[int, Person],
    actor: Person,
) -> None:
    if pick.person_id is None:
        if before is not None and before.status == AssignmentStatus.PROPOSED:
            before.delete()
        return
    if before is not None and before.person_id == pick.person_id:
        if before.reason != pick.reason:
            before.reason = pick.reason[:300]
            before.save(update_fields=["reason"])
        return
    if before is not None and before.status == AssignmentStatus.ACCEPTED:
        return  # accepted, though the event lost its facilitator since: leave it to people
    Assignment.objects.update_or_create(
        event=event,
        defaults={
            "community_id": int(event.community_id or 0),
            "person_id": pick.person_id,
            "status": AssignmentStatus.PROPOSED,
            "reason": pick.reason[:300],
            "proposed_at": timezone.now(),
            "answered_at": None,
        },
    )
    _tell(
        [by_id[pick.person_id]],
        event,
        f"You're proposed to facilitate {event.title} on {_when(event)}: accept, or ask a "
        "colleague to swap",
        actor,
    )


# --- accepting ----------------------------------------------------------------------------


def _event_locked(actor: Person, event_id: int) -> Event:
    event = Event.objects.select_for_update().filter(pk=event_id, community__isnull=False).first()
    if event is None:
        raise NotFound("No such event.")
    event.community = Community.objects.get(pk=int(event.community_id or 0))
    if not access.can_view_rotation(actor, event.community):
        raise NotFound("No such event.")
    return event


def _upcoming(event: Event) -> None:
    if event.is_cancelled:
        raise Invalid("This session was cancelled.")
    if event.starts_at <= timezone.now():
        raise Invalid("This session has already started; its facilitator can't change now.")


def assignment_accept(*, actor: Person, event_id: int) -> Assignment:
    """The person proposed says yes: they facilitate the occurrence."""
    with transaction.atomic():
        event = _event_locked(actor, event_id)
        assert event.community is not None
        assignment = Assignment.objects.select_for_update().filter(event=event).first()
        if assignment is None:
            raise Invalid("Nobody is proposed to facilitate this session yet.")
        if not access.can_answer_facilitation(actor, assignment.person_id, event.community):
            raise Forbidden("Only the person proposed (or a leader) can accept.")
        _upcoming(event)
        if assignment.status == AssignmentStatus.ACCEPTED:
            raise Invalid("This is accepted already.")
        assignment.status, assignment.answered_at = AssignmentStatus.ACCEPTED, timezone.now()
        assignment.save(update_fields=["status", "answered_at"])
        event.facilitator_id = assignment.person_id
        event.save(update_fields=["facilitator", "updated_at"])
        activity_record(
            actor=actor, verb="facilitation.accept", obj=event, community_id=event.community_id
        )
    return assignment


# --- swaps --------------------------------------------------------------------------------


def swap_ask(*, actor: Person, event_id: int, colleague_id: int, note: str = "") -> SwapRequest:
    """The facilitator (or the person proposed) asks a colleague who volunteers here to take
    the occurrence; the colleague is told."""
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Invalid(
            f"Keep the note to {MAX_NOTE} characters.", field_errors={"note": "Too long."}
        )
    with transaction.atomic():
        event = _event_locked(actor, event_id)
        community = event.community
        assert community is not None
        assignment = Assignment.objects.filter(event=event).first()
        holder = event.facilitator_id or (assignment.person_id if assignment else None)
        if holder is None:
            raise Invalid("Nobody facilitates this session yet, so there is nothing to swap.")
        if not access.can_answer_facilitation(actor, holder, community):
            raise Forbidden("Only the session's facilitator (or a leader) can ask for a swap.")
        _upcoming(event)
        if colleague_id == holder:
            message = "Ask someone else: they already facilitate this session."
            raise Invalid(message, field_errors={"colleague": message})
        colleague = next(
            (o.person for o in selectors.volunteers(community) if o.person_id == colleague_id),
            None,
        )
        if colleague is None:
            message = "Ask someone who volunteers to facilitate in this community."
            raise Invalid(message, field_errors={"colleague": message})
        if SwapRequest.objects.filter(event=event, status=SwapStatus.PENDING).exists():
            raise Invalid("A swap for this session is already waiting for an answer.")
        swap = SwapRequest.objects.create(
            event=event,
            community=community,
            asked_by_id=holder,
            colleague=colleague,
            note=note,
        )
        asker = Person.objects.get(pk=holder)
        _tell(
            [colleague],
            event,
            f"{asker.name} asks you to facilitate {event.title} on {_when(event)} instead",
            actor,
        )
        activity_record(
            actor=actor, verb="facilitation.swap_ask", obj=swap, community_id=community.pk
        )
    return swap


def swap_answer(*, actor: Person, swap_id: int, accept: bool) -> SwapRequest:
    """The colleague takes the occurrence (then they facilitate it, and both are told) or
    declines it (the asker is told). The asker may withdraw (decline) their own request."""
    with transaction.atomic():
        found = SwapRequest.objects.select_for_update().filter(pk=swap_id).first()
        if found is None:
            raise NotFound("No such swap request.")
        swap = found
        event = _event_locked(actor, swap.event_id)
        community = event.community
        assert community is not None
        if not access.can_act_on_swap(actor, swap.asked_by_id, swap.colleague_id, community):
            raise NotFound("No such swap request.")
        if swap.status != SwapStatus.PENDING:
            raise Invalid(f"This swap was {swap.get_status_display().lower()} already.")
        if accept and not access.can_accept_swap(actor, swap.colleague_id, community):
            raise Forbidden("Only the colleague asked (or a leader) can accept the swap.")
        now = timezone.now()
        if accept:
            _upcoming(event)
            swap.status = SwapStatus.ACCEPTED
            event.facilitator_id = swap.colleague_id
            event.save(update_fields=["facilitator", "updated_at"])
            Assignment.objects.update_or_create(
                event=event,
                defaults={
                    "community": community,
                    "person_id": swap.colleague_id,
                    "status": AssignmentStatus.ACCEPTED,
                    "reason": "took it over in a swap",
                    "answered_at": now,
                },
            )
        else:
            swap.status = SwapStatus.DECLINED
        swap.decided_at, swap.decided_by = now, actor
        swap.save(update_fields=["status", "decided_at", "decided_by"])
        asker = Person.objects.get(pk=swap.asked_by_id)
        colleague = Person.objects.get(pk=swap.colleague_id)
        if accept:
            # Both are told, whoever of them (or a leader) accepted: it changes both calendars.
            _tell(
                [asker, colleague],
                event,
                f"{colleague.name} now facilitates {event.title} on {_when(event)} "
                f"(swapped with {asker.name})",
                None,
            )
        else:
            _tell(
                [asker, colleague],
                event,
                f"The swap for {event.title} on {_when(event)} was declined; "
                f"{asker.name} still facilitates it",
                actor,
            )
        activity_record(
            actor=actor,
            verb=f"facilitation.swap_{swap.status}",
            obj=swap,
            community_id=community.pk,
        )
    return swap
