"""Reads of the rotation: who volunteers, their record of sessions, what the rotation
proposed and the open swaps; and "sessions facilitated" as evidence on a profile.

Every read starts from what the viewer may see (`access`): a private community's rotation, and
the sessions someone facilitated there, never reach a person outside it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone

from trellis.communities.models import Community, Membership
from trellis.core import access
from trellis.core.access import Viewer
from trellis.core.errors import NotFound
from trellis.events.models import Event
from trellis.expertise.models import Availability
from trellis.facilitation.models import Assignment, OptIn, SwapRequest, SwapStatus
from trellis.facilitation.rotation import Record
from trellis.people.models import Person

UPCOMING_LIMIT = 12


def held_sessions(community: Community) -> QuerySet[Event]:
    """Sessions that count as facilitated: over (started before now), not cancelled, with
    their facilitator recorded."""
    return Event.objects.filter(
        community=community,
        facilitator__isnull=False,
        cancelled_at__isnull=True,
        starts_at__lt=timezone.now(),
    )


def records(community: Community) -> dict[int, Record]:
    """Each person's sessions facilitated in the community and the day of the last one, in
    one query."""
    rows = (
        held_sessions(community)
        .values("facilitator_id")
        .annotate(n=Count("pk"), last=Max("starts_at"))
    )
    return {int(r["facilitator_id"]): Record(r["n"], timezone.localdate(r["last"])) for r in rows}


def volunteers(community: Community) -> list[OptIn]:
    """Who opted in and still belongs to the community (an active account), by name."""
    members = Membership.objects.filter(community=community, left_at__isnull=True).values(
        "person_id"
    )
    return list(
        OptIn.objects.filter(community=community, person__is_active=True, person__in=members)
        .select_related("person")
        .order_by("person__name", "person_id")
    )


def away_until(person_ids: list[int]) -> dict[int, date]:
    """The last day each of these people said they are away (expertise's availability)."""
    rows = Availability.objects.filter(person_id__in=person_ids, away_until__isnull=False)
    return {pid: day for pid, day in rows.values_list("person_id", "away_until") if day}


@dataclass
class VolunteerLine:
    person: Person
    weekly_load: int
    sessions: int
    last: date | None
    away_until: date | None
    upcoming: int = 0

    @property
    def record(self) -> str:
        if not self.sessions:
            return "none yet"
        last = f", last on {self.last.day} {self.last:%b %Y}" if self.last else ""
        return f"{self.sessions} session{'s' if self.sessions != 1 else ''}{last}"


@dataclass
class UpcomingLine:
    event: Event
    assignment: Assignment | None
    swap: SwapRequest | None
    # What the viewer may do here (decided by access, for the template).
    can_accept: bool = False
    can_ask_swap: bool = False
    colleagues: list[Person] = field(default_factory=list)  # whom a swap may be asked of

    @property
    def person(self) -> Person | None:
        if self.event.facilitator is not None:
            return self.event.facilitator
        return self.assignment.person if self.assignment else None

    @property
    def confirmed(self) -> bool:
        return self.event.facilitator_id is not None


@dataclass
class SwapLine:
    swap: SwapRequest
    can_accept: bool
    can_decline: bool


@dataclass
class Rotation:
    community: Community
    volunteers: list[VolunteerLine]
    upcoming: list[UpcomingLine]
    swaps: list[SwapLine] = field(default_factory=list)
    manage: bool = False
    me: OptIn | None = None
    can_volunteer: bool = False


def rotation_of(*, viewer: Viewer, community: Community) -> Rotation:
    """The community's rotation as the viewer may see it: everyone who may see the community
    sees who facilitates what is coming; its leaders also see each volunteer's record and the
    reasons; a swap is shown to its two people and the leaders. In a fixed number of queries."""
    if not access.can_view_rotation(viewer, community):
        raise NotFound("No such community.")
    manage = access.can_manage_rotation(viewer, community)
    opt_ins = volunteers(community)
    ids = [o.person_id for o in opt_ins]
    history = records(community)
    aways = away_until(ids)
    today = timezone.localdate()
    events = list(
        Event.objects.filter(
            community=community,
            series__isnull=False,
            cancelled_at__isnull=True,
            starts_at__gte=timezone.now(),
        )
        .select_related("facilitator", "facilitation__person")
        .order_by("starts_at", "pk")[:UPCOMING_LIMIT]
    )
    open_swaps = list(
        SwapRequest.objects.filter(community=community, status=SwapStatus.PENDING)
        .select_related("asked_by", "colleague", "event")
        .order_by("created_at", "pk")
    )
    swap_of = {s.event_id: s for s in open_swaps}
    upcoming_counts: dict[int, int] = defaultdict(int)
    lines = []
    for event in events:
        assignment = getattr(event, "facilitation", None)
        swap = swap_of.get(event.pk)
        shown = (  # who asks whom to swap is for those two and the leaders (`swap_get`)
            swap
            if swap is not None
            and access.can_act_on_swap(viewer, swap.asked_by_id, swap.colleague_id, community)
            else None
        )
        line = UpcomingLine(event, assignment, shown)
        who = line.person
        if who is not None:
            upcoming_counts[who.pk] += 1
            line.can_accept = (
                not line.confirmed
                and assignment is not None
                and access.can_answer_facilitation(viewer, who.pk, community)
            )
            line.can_ask_swap = swap is None and access.can_answer_facilitation(
                viewer, who.pk, community
            )
            if line.can_ask_swap:
                line.colleagues = [o.person for o in opt_ins if o.person_id != who.pk]
        lines.append(line)
    people = [
        VolunteerLine(
            o.person,
            o.weekly_load,
            history.get(o.person_id, Record()).sessions,
            history.get(o.person_id, Record()).last,
            aways.get(o.person_id) if aways.get(o.person_id, date.min) >= today else None,
        )
        for o in opt_ins
    ]
    for line_ in people:
        line_.upcoming = upcoming_counts.get(line_.person.pk, 0)
    swaps = [
        SwapLine(
            s,
            can_accept=access.can_accept_swap(viewer, s.colleague_id, community),
            can_decline=True,
        )
        for s in open_swaps
        if access.can_act_on_swap(viewer, s.asked_by_id, s.colleague_id, community)
    ]
    me = next((o for o in opt_ins if access.is_self(viewer, o.person_id)), None)
    return Rotation(
        community=community,
        volunteers=people if manage else [],
        upcoming=lines,
        swaps=swaps,
        manage=manage,
        me=me,
        can_volunteer=access.can_volunteer_to_facilitate(viewer, community),
    )


def rotation_event(*, viewer: Viewer, event_id: int) -> Event:
    """A community's event, with its community, if the viewer may see it (else NotFound)."""
    event = Event.objects.select_related("community").filter(pk=event_id).first()
    if (
        event is None
        or event.community is None
        or not access.can_view_rotation(viewer, event.community)
    ):
        raise NotFound("No such event.")
    return event


def swap_get(*, viewer: Viewer, swap_id: int) -> SwapRequest:
    """A swap, for its two people, the community's leaders and org admins; NotFound to
    anyone else (it would say who is swapping what)."""
    swap = (
        SwapRequest.objects.select_related("community", "event", "asked_by", "colleague")
        .filter(pk=swap_id)
        .first()
    )
    if swap is None or not access.can_act_on_swap(
        viewer, swap.asked_by_id, swap.colleague_id, swap.community
    ):
        raise NotFound("No such swap request.")
    return swap


# --- evidence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FacilitatedLine:
    """'Facilitated 4 sessions of Helm rollbacks circle', in a community the viewer may see."""

    title: str
    community: Community
    sessions: int
    last: datetime

    @property
    def text(self) -> str:
        noun = "session" if self.sessions == 1 else "sessions"
        return f"Facilitated {self.sessions} {noun} of {self.title}"


def sessions_facilitated(
    *, viewer: Viewer, person: Person, limit: int = 10
) -> list[FacilitatedLine]:
    """The sessions this person facilitated (past, not cancelled), per series (or per event
    outside a series), only in communities the viewer may see: evidence of participation
    for the profile and expertise pages. Two queries."""
    found = (
        Event.objects.filter(
            access.visible_community_filter(viewer),
            community__isnull=False,
            facilitator=person,
            cancelled_at__isnull=True,
            starts_at__lt=timezone.now(),
        )
        .annotate(  # a one-off event is a line of its own; a series' dates share one
            one_off=Case(
                When(series__isnull=True, then=F("pk")),
                default=Value(None),
                output_field=IntegerField(),
            )
        )
        .values("series_id", "community_id", "one_off")
        .annotate(n=Count("pk"), last=Max("starts_at"), latest_id=Max("pk"))
        .order_by("-n", "-last")[:limit]
    )
    rows = list(found)
    if not rows:
        return []
    titles = dict(
        Event.objects.filter(pk__in=[r["latest_id"] for r in rows]).values_list("pk", "title")
    )
    communities = Community.objects.in_bulk([r["community_id"] for r in rows])
    return [
        FacilitatedLine(titles[r["latest_id"]], communities[r["community_id"]], r["n"], r["last"])
        for r in rows
    ]


def facilitated_counts(person_ids: list[int], since: datetime | None = None) -> dict[int, int]:
    """Sessions facilitated per person (every community; for reports and participation
    figures computed by code that already decided what its reader may see)."""
    where = Q(facilitator_id__in=person_ids, cancelled_at__isnull=True) & Q(
        starts_at__lt=timezone.now()
    )
    if since is not None:
        where &= Q(starts_at__gte=since)
    rows = Event.objects.filter(where).values("facilitator_id").annotate(n=Count("pk"))
    return {int(r["facilitator_id"]): int(r["n"]) for r in rows}
