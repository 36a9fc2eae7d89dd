"""Fair rotating facilitation in the demo organisation: in every community with a recurring
event, the core team and a few active members volunteer; the dates already held were
facilitated in turn (the record the rotation weighs); the rotation proposes the upcoming
dates, with its reasons; the next date is accepted, and one volunteer has asked a colleague to
swap. Where a community's leader carries everything (`demo_knowledge.LIVES`), the volunteers
stopped taking their turn lately and the leader ran every date since. Works on whatever
series the demo has, and does nothing without one."""

import random
from datetime import datetime

from django.utils import timezone

from trellis.communities.models import Community, Membership, Role
from trellis.core.access import TEAM_ROLES
from trellis.events.models import Event, EventSeries
from trellis.facilitation import services
from trellis.facilitation.models import Assignment, AssignmentStatus, OptIn, SwapRequest
from trellis.facilitation.rotation import Occurrence, Volunteer, rotate
from trellis.ops.demo_knowledge import DEFAULT_LIFE, LIVES, lately_since
from trellis.people.models import Person

ACTIVE_MEMBERS = 3  # plain members who volunteer beside the core team, per community


def demo_facilitation_create(*, now: datetime, seed: int) -> int:
    """Volunteers, the past record and the proposals; returns how many sessions are planned."""
    rand = random.Random(seed)
    community_ids = set(
        EventSeries.objects.filter(community__isnull=False).values_list("community_id", flat=True)
    )
    planned = 0
    for community in Community.objects.filter(pk__in=community_ids).order_by("pk"):
        planned += _community(community, now, rand)
    return planned


def _community(community: Community, now: datetime, rand: random.Random) -> int:
    # Its leaders switched the rotation on when the recurring sessions began (start simple).
    Community.objects.filter(pk=community.pk).update(rotation_enabled=True)
    community.rotation_enabled = True
    members = list(
        Membership.objects.filter(community=community, left_at__isnull=True, person__is_active=True)
        .select_related("person")
        .order_by("pk")
    )
    leader = next((m.person for m in members if m.role == Role.LEADER), None)
    if leader is None:
        return 0
    team = [m.person for m in members if m.role in TEAM_ROLES]
    others = [m.person for m in members if m.role not in TEAM_ROLES]
    rand.shuffle(others)
    volunteers = team[:8] + others[:ACTIVE_MEMBERS]
    for person in volunteers:
        load = 2 if rand.random() < 0.2 else 1
        OptIn.objects.update_or_create(
            community=community, person=person, defaults={"weekly_load": load}
        )
    _past_record(community, volunteers, now)
    if LIVES.get(community.slug, DEFAULT_LIFE).leader_carries:
        _leader_stepped_in(community, leader, now)
    picks = services.rotation_propose(actor=leader, community=community)
    proposed = [p for p in picks if p.person_id is not None and not p.fixed]
    if not proposed:
        return 0
    # The next date is settled: its facilitator said yes.
    first = Assignment.objects.get(event_id=proposed[0].key)
    person = next(p for p in volunteers if p.pk == first.person_id)
    services.assignment_accept(actor=person, event_id=first.event_id)
    if len(proposed) > 1 and len(volunteers) > 2:  # and someone asks a colleague to swap
        second = Assignment.objects.get(event_id=proposed[1].key)
        colleague = next(p for p in volunteers if p.pk not in (second.person_id, first.person_id))
        if not SwapRequest.objects.filter(event_id=second.event_id).exists():
            asker = next(p for p in volunteers if p.pk == second.person_id)
            services.swap_ask(
                actor=asker,
                event_id=second.event_id,
                colleague_id=colleague.pk,
                note="I'm at the supplier review that afternoon; happy to take a later one.",
            )
    return len(proposed)


def _past_record(community: Community, volunteers: list[Person], now: datetime) -> None:
    """The dates already held were facilitated by the rule, in turn, so the page shows a
    record ("3 sessions, last on 12 Nov") and the rotation has history to weigh."""
    held = list(
        Event.objects.filter(
            community=community,
            series__isnull=False,
            cancelled_at__isnull=True,
            facilitator__isnull=True,
            starts_at__lt=now,
        ).order_by("starts_at", "pk")
    )
    if not held or not volunteers:
        return
    people = [Volunteer(p.pk, p.name) for p in volunteers]
    occurrences = [Occurrence(e.pk, timezone.localdate(e.starts_at)) for e in held]
    by_id = {e.pk: e for e in held}
    for pick in rotate(occurrences, people):
        if pick.person_id is None:
            continue
        event = by_id[pick.key]
        event.facilitator_id = pick.person_id
        Assignment.objects.update_or_create(
            event=event,
            defaults={
                "community": community,
                "person_id": pick.person_id,
                "status": AssignmentStatus.ACCEPTED,
                "reason": pick.reason[:300],
                "answered_at": event.starts_at,
            },
        )
    Event.objects.bulk_update(held, ["facilitator"])


def _leader_stepped_in(community: Community, leader: Person, now: datetime) -> None:
    """Where the leader carries everything, the volunteers stopped taking their turn lately:
    every date held since (`lately_since`) was run by the leader."""
    held = list(
        Event.objects.filter(
            community=community,
            series__isnull=False,
            cancelled_at__isnull=True,
            starts_at__gte=lately_since(now),
            starts_at__lt=now,
        )
    )
    for event in held:
        event.facilitator_id = leader.pk
        Assignment.objects.update_or_create(
            event=event,
            defaults={
                "community": community,
                "person_id": leader.pk,
                "status": AssignmentStatus.ACCEPTED,
                "reason": "Nobody volunteered this time, so the leader stepped in.",
                "answered_at": event.starts_at,
            },
        )
    Event.objects.bulk_update(held, ["facilitator"])
