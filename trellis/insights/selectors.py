"""Reads of the stored participation levels: counts per level, the month's transitions, a
person's standing with its reasons, and their history.

`community=None` is the organisation-wide scope. Who may read what (a private community's
figures, another person's level) is decided by core/access.py in the views, not here.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max, QuerySet

from trellis.communities.models import Community
from trellis.insights import counts
from trellis.insights.levels import (
    LEVEL_LABELS,
    LEVEL_MEANINGS,
    LEVELS,
    MonthCounts,
    level_for,
    movement,
)
from trellis.insights.models import MonthlyFlow, MonthlyLevel
from trellis.insights.thresholds import configured_thresholds
from trellis.people.models import Person


def _scope(community: Community | None) -> "QuerySet[MonthlyLevel]":
    if community is None:
        return MonthlyLevel.objects.filter(community__isnull=True)
    return MonthlyLevel.objects.filter(community=community)


def latest_month(*, community: Community | None) -> date | None:
    """The newest month computed for the scope (the daily job keeps it the current one)."""
    latest: date | None = _scope(community).aggregate(latest=Max("month"))["latest"]
    return latest


def level_counts(*, community: Community | None, month: date) -> dict[str, int]:
    """How many people were at each level in the month (every level, zeros included)."""
    found = dict(
        _scope(community)
        .filter(month=month.replace(day=1))
        .order_by()
        .values("level")
        .annotate(people=Count("pk"))
        .values_list("level", "people")
    )
    return {level: found.get(level, 0) for level in LEVELS}


def level_counts_by_month(
    *, community: Community | None, months: Sequence[date]
) -> dict[date, dict[str, int]]:
    """`level_counts` for several months in one query; a month with no levels computed is
    left out (not all zeros), so a reader can tell "nobody" from "not computed"."""
    wanted = sorted({month.replace(day=1) for month in months})
    found: dict[date, dict[str, int]] = {}
    rows = (
        _scope(community)
        .filter(month__in=wanted)
        .order_by()
        .values("month", "level")
        .annotate(people=Count("pk"))
        .values_list("month", "level", "people")
    )
    for month, level, people in rows:
        found.setdefault(month, dict.fromkeys(LEVELS, 0))[level] = people
    return found


@dataclass(frozen=True)
class LevelMoves:
    """The people at one level the month before, and where they went."""

    level: str
    before: int
    up: int
    held: int
    down: int
    left: int  # counted the month before, not this month (left the community's orbit)


@dataclass(frozen=True)
class Transitions:
    """From the month before to this one. `moves` has a row per level of the month before;
    `new` counts, per level of this month, the people not counted the month before; `flows`
    is the whole table (None: not counted), for the flow chart. The rows add up:
    sum(before) == before_total and held + up + down (all rows) + sum(new) == after_total."""

    month: date
    previous: date
    moves: tuple[LevelMoves, ...]
    new: dict[str, int]
    flows: dict[tuple[str | None, str | None], int]
    before_total: int
    after_total: int


def transitions(*, community: Community | None, month: date) -> Transitions:
    """The month's stored transitions (written with its levels: a few dozen rows)."""
    month = month.replace(day=1)
    stored = MonthlyFlow.objects.filter(month=month)
    stored = (
        stored.filter(community__isnull=True)
        if community is None
        else stored.filter(community=community)
    )
    flows: dict[tuple[str | None, str | None], int] = {
        (before or None, after or None): people
        for before, after, people in stored.values_list("before", "after", "people")
    }
    new = {level: flows.get((None, level), 0) for level in LEVELS}
    moves = []
    for level in LEVELS:
        went = {"up": 0, "held": 0, "down": 0, "left": 0}
        for (before, after), people in flows.items():
            if before == level:
                went["left" if after is None else movement(before, after)] += people
        moves.append(LevelMoves(level=level, before=sum(went.values()), **went))
    return Transitions(
        month=month,
        previous=counts.add_months(month, -1),
        moves=tuple(moves),
        new=new,
        flows=flows,
        before_total=sum(n for (before, _), n in flows.items() if before is not None),
        after_total=sum(n for (_, after), n in flows.items() if after is not None),
    )


@dataclass(frozen=True)
class PersonStanding:
    """Where a person stands now, in words they can read about themselves."""

    month: date
    level: str
    label: str
    meaning: str
    reasons: tuple[str, ...]


def standing_of(*, person: Person, community: Community | None) -> PersonStanding | None:
    """The person's level in the newest month computed for the scope, with the reasons
    `levels.level_for` gives from the stored window; None when they are not counted there."""
    month = latest_month(community=community)
    if month is None:
        return None
    thresholds = configured_thresholds()
    months = [counts.add_months(month, -k) for k in range(thresholds.window_months - 1, -1, -1)]
    rows = {row.month: row for row in _scope(community).filter(person=person, month__in=months)}
    last = rows.get(month)
    if last is None:
        return None
    window = [
        MonthCounts(r.contributions, r.answers, r.reads, r.attended, r.facilitated)
        if (r := rows.get(m))
        else MonthCounts()
        for m in months
    ]
    # What came before the window: everything to date, less the window's own actions.
    actions_before = max(0, last.actions_to_date - sum(m.actions for m in window))
    standing = level_for(window, actions_before=actions_before, thresholds=thresholds)
    return PersonStanding(
        month=month,
        level=standing.level,
        label=LEVEL_LABELS[standing.level],
        meaning=LEVEL_MEANINGS[standing.level],
        reasons=tuple(reason for reason in standing.reasons if reason),
    )


def level_history(
    *, person: Person, community: Community | None, months: int, until: date | None = None
) -> list[tuple[date, str | None]]:
    """The person's level in each of the `months` months up to `until` (the newest month
    computed for the scope), oldest first; None for a month they were not counted in."""
    until = until.replace(day=1) if until else latest_month(community=community)
    if until is None or months <= 0:
        return []
    wanted = [counts.add_months(until, -k) for k in range(months - 1, -1, -1)]
    found = dict(
        _scope(community)
        .filter(person=person, month__gte=wanted[0], month__lte=until)
        .values_list("month", "level")
    )
    return [(month, found.get(month)) for month in wanted]
