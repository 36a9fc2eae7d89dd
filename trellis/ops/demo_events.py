"""Events in the demo organisation, so the Events page and the community pages show a
community's rhythm on first contact: who organises what, who is going, a waitlist, and two
recurring series (the weekly Python office hours, the fortnightly Kubernetes circle, UX
design critique and product discovery circle) whose past dates have attendance recorded, so
reports, the rotation and the pitfall radar have history. Sponsors drop in on a session now
and then; where a community's circles went hollow (`demo_knowledge.LIVES`), nobody who came
lately asked or answered anything in the week after."""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from trellis.communities.models import Community, Membership, Role, Sponsorship
from trellis.core import access
from trellis.events.models import Event, EventKind, Reply
from trellis.events.services import (
    EventFields,
    Repeat,
    attendance_record,
    event_create,
    rsvp_set,
)
from trellis.ops.demo_knowledge import DEFAULT_LIFE, LIVES, lately_since
from trellis.qa.models import Post
from trellis.radar.reads import OUTPUT_WINDOW

TIME_ZONE = "Europe/London"  # Larkspur's head office


@dataclass(frozen=True)
class Planned:
    slug: str
    kind: str
    title: str
    description: str
    days_ahead: int
    at: time
    minutes: int
    place: str
    capacity: int | None
    going: int  # members who answer "going" (beyond the capacity: the waitlist)
    interested: int
    every: str = ""  # a series: "week" or "two_weeks" (recurrence.REPEATS)
    past: int = 0  # dates of the series already held, attendance recorded
    future: int = 1  # dates still to come, the first `days_ahead` from now


STEP_DAYS = {"week": 7, "two_weeks": 14}
SPONSOR_DROPS_IN = 0.15  # a sponsor's chance of coming to a given session


EVENTS: tuple[Planned, ...] = (
    Planned(
        "kubernetes",
        EventKind.CIRCLE,
        "Problem-solving circle: rollouts that stall",
        "Bring a rollout that hung, half-finished, in the last month. We take the three with "
        "the most votes from the open questions and work through them on the big screen: "
        "`kubectl rollout status`, events, PodDisruptionBudgets and what Argo CD saw.",
        3,
        time(12, 30),
        60,
        "Thames room, 4th floor",
        8,
        9,
        3,
        every="two_weeks",
        past=6,
        future=4,
    ),
    Planned(
        "kubernetes",
        EventKind.BROWN_BAG,
        "Brown-bag: six months of Karpenter",
        "What moving the node groups to Karpenter did to our bill, our drain times and our "
        "on-call, with the graphs. Bring lunch and questions.",
        10,
        time(12, 30),
        45,
        "Canteen, ground floor",
        None,
        14,
        6,
    ),
    Planned(
        "python",
        EventKind.OFFICE_HOURS,
        "Office hours: typing and mypy",
        "Stuck on a Protocol, a TypeVar or a `# type: ignore` you don't understand? Drop in "
        "with your branch; two of the core team pair with you.",
        5,
        time(15, 0),
        60,
        "Hopper room",
        6,
        4,
        2,
        every="week",
        past=8,
        future=6,
    ),
    Planned(
        "data-analytics",
        EventKind.SHOW_AND_TELL,
        "Show & tell: the new revenue explore",
        "The Looker revenue explore that stops fan-out from doubling the numbers, how it is "
        "modelled in dbt, and how Finance will use it from next month.",
        7,
        time(16, 0),
        45,
        "Lovelace room",
        None,
        11,
        5,
    ),
    Planned(
        "ux-design",
        EventKind.WORKSHOP,
        "Workshop: writing usability test tasks",
        "Tasks that don't lead the participant: we rewrite five from real studies together. "
        "Laptops useful, Figma not needed.",
        9,
        time(10, 0),
        90,
        "Studio 2",
        10,
        11,
        2,
    ),
    Planned(
        "ux-design",
        EventKind.SHOW_AND_TELL,
        "Design critique",
        "Bring work in progress (a flow, a screen, a research plan) and get twenty minutes of "
        "structured critique: what works, what is unclear, what to try next. Whoever hosts "
        "keeps time and writes the actions in the thread.",
        6,
        time(14, 0),
        60,
        "Studio 1",
        12,
        9,
        3,
        every="two_weeks",
        past=21,
        future=3,
    ),
    Planned(
        "product-management",
        EventKind.CIRCLE,
        "Discovery circle",
        "Members bring the discovery problem they are stuck on (an interview that went "
        "nowhere, an opportunity tree that keeps growing, a test nobody trusts); we vote and "
        "work on the top three, and the notes go to the library.",
        8,
        time(11, 0),
        60,
        "Hamilton room",
        12,
        9,
        3,
        every="two_weeks",
        past=21,
        future=3,
    ),
    Planned(
        "accessibility",
        EventKind.BROWN_BAG,
        "Brown-bag: a screen reader in 30 minutes",
        "NVDA and VoiceOver basics for people who build pages: the five keys that matter and "
        "what our checkout sounds like today.",
        4,
        time(12, 30),
        30,
        "Online",
        None,
        9,
        7,
    ),
    Planned(
        "security-council",
        EventKind.WORKSHOP,
        "Tabletop: a leaked deploy key",
        "A scripted incident in four injects. Who revokes, who tells customers, what we "
        "check in the audit logs first. Invite only; notes stay in the council.",
        12,
        time(14, 0),
        120,
        "Boardroom",
        8,
        7,
        1,
    ),
)


def _working_day(day: date) -> date:
    """The day, or the Monday after it: a company's circles and office hours are not held at
    weekends (the days are counted from whenever the demo is built)."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def demo_events_create(*, now: datetime, seed: int) -> int:
    """Each planned event (or series) in its community, organised by its leader, with
    replies from its members and, for dates already held, who came (deterministic for a
    seed). Communities the organisation lacks are skipped."""
    rand = random.Random(seed)
    zone = ZoneInfo(TIME_ZONE)
    today = now.astimezone(zone).date()
    communities = {c.slug: c for c in Community.objects.filter(slug__in={e.slug for e in EVENTS})}
    made = 0
    for planned in EVENTS:
        community = communities.get(planned.slug)
        if community is None:
            continue
        members = list(
            Membership.objects.filter(community=community, left_at__isnull=True)
            .select_related("person")
            .order_by("pk")
        )
        leader = next((m.person for m in members if m.role == Role.LEADER), None)
        if leader is None:
            continue
        step = STEP_DAYS.get(planned.every, 0)
        first_day = _working_day(today + timedelta(days=planned.days_ahead - planned.past * step))
        starts = datetime.combine(first_day, planned.at)
        repeat = None
        if planned.every:
            repeat = Repeat(every=planned.every, count=planned.past + planned.future)
        first = event_create(
            actor=leader,
            community=community,
            fields=EventFields(
                kind=planned.kind,
                title=planned.title,
                description=planned.description,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=planned.minutes),
                time_zone=TIME_ZONE,
                place=planned.place,
                capacity=planned.capacity,
            ),
            repeat=repeat,
        )
        dates = (
            list(Event.objects.filter(series_id=first.series_id).order_by("starts_at"))
            if first.series_id
            else [first]
        )
        others = [m.person for m in members if m.person.is_active]
        life = LIVES.get(community.slug, DEFAULT_LIFE)
        hollow = life.circles_hollow
        lately = lately_since(now)
        # Sponsors drop in now and then (one who has gone quiet stopped coming with the rest)
        sponsors = sorted(
            access.who_may_be_recorded_at(
                community,
                set(
                    Sponsorship.objects.filter(community=community).values_list(
                        "person_id", flat=True
                    )
                )
                - {p.pk for p in others},
            )
        )
        quiet_since = (
            lately_since(now, life.sponsor_quiet_months) if life.sponsor_quiet_months else None
        )
        for index, event in enumerate(dates):
            rand.shuffle(others)
            if event.starts_at <= now:
                # Held: between half and all of the places were taken, a few came unannounced.
                size = planned.capacity or planned.going
                pool = others
                if hollow and event.starts_at >= lately:
                    # The circle became a status meeting: whoever comes asks and answers
                    # nothing afterwards (what comes out of it is the radar's "practice").
                    silent = set(
                        Post.objects.filter(
                            community=community,
                            created_at__gte=event.starts_at,
                            created_at__lt=event.ends_at + OUTPUT_WINDOW,
                        ).values_list("author_id", flat=True)
                    )
                    pool = [p for p in others if p.pk not in silent]
                came = [p.pk for p in pool[: rand.randint(max(2, size // 2), max(2, size))]]
                if quiet_since is None or event.starts_at < quiet_since:
                    came += [pk for pk in sponsors if rand.random() < SPONSOR_DROPS_IN]
                attendance_record(actor=leader, event_id=event.pk, came=came)
                continue
            later = index > planned.past  # dates after the next one fill up as they near
            going = planned.going if not later else rand.randint(2, max(2, planned.going - 2))
            answers = [Reply.GOING] * going + [Reply.INTERESTED] * planned.interested
            for person, answer in zip(others, answers, strict=False):
                rsvp_set(actor=person, event_id=event.pk, answer=answer)
        made += 1
    return made
