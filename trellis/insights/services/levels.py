"""Participation levels stored per person, community (and organisation-wide) and month.

A month is computed from its own counts (`counts.month_tally`) and the stored rows of the months
before it: the window's earlier months give their counts, and `actions_to_date` tells whether
anything came before the window. So the daily job reads one month of the log, never the whole
history, and `levels_rebuild` is `levels_compute` month after month, oldest first.

Who is counted in a month:
- in a community: its members (a membership open at some point in the month), whatever they
  did, so a quiet member is "inactive"; and anyone with something recorded there in the window
  (a non-member who answered or read is in its orbit);
- organisation-wide: everyone with an account during the month (created before its end, and
  active or deactivated only after it began), and anyone with something recorded in the window
  (people known only from an import), with the sum of everything they did anywhere.

Each month is written in one transaction: its rows (only those that changed, so a day's
refresh holds SQLite's write lock for a moment) and its transitions (`MonthlyFlow`, paired with
the month before's stored levels). The rules are `insights.levels.level_for`; the thresholds
come from settings (a change of thresholds needs `levels_rebuild`).
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import batched

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from trellis.communities.models import Membership
from trellis.core.bulk import fast_insert
from trellis.insights import counts
from trellis.insights.levels import MonthCounts, Thresholds, level_for
from trellis.insights.models import NOT_COUNTED, MonthlyFlow, MonthlyLevel
from trellis.insights.thresholds import configured_thresholds
from trellis.people.models import Person

# The previous month is recomputed during the first days of the next: answers, attendance and
# imports dated in it keep arriving for a while.
LATE_DAYS = 3
LOOKUP_BATCH = 2000  # person ids per query (SQLite's parameter limit)
COLUMNS = (
    "person_id",
    "community_id",
    "month",
    "level",
    "contributions",
    "answers",
    "reads",
    "attended",
    "facilitated",
    "actions_to_date",
)
FLOW_COLUMNS = ("community_id", "month", "before", "after", "people")
NOTHING = MonthCounts()

Scope = int | None  # a community's id, or None for organisation-wide
Key = tuple[Scope, int]  # (scope, person)


@dataclass(frozen=True)
class _StoredMonth:
    """The stored rows of one earlier month, as much as a later month needs."""

    counts: dict[Key, MonthCounts]
    actions_to_date: dict[Key, int]
    levels: dict[Key, str]


def levels_compute(*, month: date, now: datetime | None = None) -> int:
    """Recompute one month for every community and organisation-wide, replacing its rows in
    one transaction. Later months read this one: recompute them after it (levels_rebuild with
    `since`). Returns the month's rows."""
    month = month.replace(day=1)
    now = now or timezone.now()
    thresholds = configured_thresholds()
    earlier = [counts.add_months(month, -k) for k in range(thresholds.window_months - 1, 0, -1)]
    previous = counts.add_months(month, -1)
    start, end = counts.month_bounds(month)

    tally = counts.month_tally(month=month, now=now)
    current: dict[Key, MonthCounts] = {(None, p): c for p, c in tally.organisation.items()}
    for community_id, doers in tally.by_community.items():
        current.update(((community_id, p), c) for p, c in doers.items())
    stored = {m: _stored_month(m) for m in sorted({*earlier, previous})}

    counted: set[Key] = set(current)
    counted.update(_members(start, end))
    counted.update((None, p) for p in _people_with_accounts(start, end))
    for m in earlier:  # in the orbit: something recorded in the window's earlier months
        counted.update(key for key, done in stored[m].counts.items() if done.actions)
    carried = _totals_before(counted - stored[previous].actions_to_date.keys(), before=previous)
    figures = _figures(
        counted=counted,
        current=current,
        window=[stored[m].counts for m in earlier],
        before_month={**carried, **stored[previous].actions_to_date},
        thresholds=thresholds,
    )
    levels = {key: values[0] for key, values in figures.items()}
    flows = _flows(month, before=stored[previous].levels, after=levels)
    with transaction.atomic():
        _replace_month(month, figures)
        MonthlyFlow.objects.filter(month=month).delete()
        fast_insert(MonthlyFlow, FLOW_COLUMNS, flows, skip_clashes=False)
    return len(figures)


def levels_rebuild(*, since: date | None = None, now: datetime | None = None) -> int:
    """Every month from the first thing recorded (or from `since`) to the current one, oldest
    first, each from the one before. Without `since`, rows older than the first record go too.
    Returns the rows of the months computed."""
    now = now or timezone.now()
    first = counts.first_recorded_month()
    if first is None:
        MonthlyLevel.objects.all().delete()
        MonthlyFlow.objects.all().delete()
        return 0
    if since is None:
        MonthlyLevel.objects.filter(month__lt=first).delete()
        MonthlyFlow.objects.filter(month__lt=first).delete()
    start = max(first, since.replace(day=1)) if since else first
    return sum(levels_compute(month=m, now=now) for m in _months(start, counts.month_of(now)))


def levels_refresh(*, now: datetime | None = None) -> int:
    """The daily job: the current month, and the previous one while its late rows may still
    come (the first LATE_DAYS days of a month); any month missed since the last stored one;
    everything when nothing is stored yet. Returns the rows of the months computed."""
    now = now or timezone.now()
    latest = MonthlyLevel.objects.aggregate(latest=Max("month"))["latest"]
    if latest is None:
        return levels_rebuild(now=now)
    current = counts.month_of(now)
    late = now < counts.month_bounds(current)[0] + timedelta(days=LATE_DAYS)
    start = min(counts.add_months(current, -1) if late else current, counts.add_months(latest, 1))
    return sum(levels_compute(month=m, now=now) for m in _months(start, current))


# -- reads ---------------------------------------------------------------------------------


def _months(first: date, last: date) -> Iterator[date]:
    month = first
    while month <= last:
        yield month
        month = counts.add_months(month, 1)


def _members(start: datetime, end: datetime) -> Iterable[tuple[int, int]]:
    """(community, person) for every membership open at some point in [start, end)."""
    return (
        Membership.objects.filter(joined_at__lt=end)
        .filter(Q(left_at__isnull=True) | Q(left_at__gte=start))
        .order_by()
        .values_list("community_id", "person_id")
        .distinct()
    )


def _people_with_accounts(start: datetime, end: datetime) -> Iterable[int]:
    """Everyone who had an account at some point in [start, end): people known only from an
    import (inactive, never deactivated) are counted only by what they did."""
    return (
        Person.objects.filter(created_at__lt=end)
        .filter(Q(is_active=True) | Q(deactivated_at__gte=start))
        .values_list("pk", flat=True)
    )


def _stored_month(month: date) -> _StoredMonth:
    """One month's stored rows (one query; equal counts share one MonthCounts)."""
    counts_of: dict[Key, MonthCounts] = {}
    to_date: dict[Key, int] = {}
    levels: dict[Key, str] = {}
    shared: dict[tuple[int, ...], MonthCounts] = {}
    rows = MonthlyLevel.objects.filter(month=month).values_list(
        "community_id",
        "person_id",
        "level",
        "contributions",
        "answers",
        "reads",
        "attended",
        "facilitated",
        "actions_to_date",
    )
    for scope, person, level, *figures, actions_to_date in rows.iterator(chunk_size=20000):
        key = (scope, person)
        done = tuple(figures)
        counts_of[key] = shared.get(done) or shared.setdefault(done, MonthCounts(*done))
        to_date[key] = actions_to_date
        levels[key] = level
    return _StoredMonth(counts_of, to_date, levels)


def _totals_before(arrivals: set[Key], *, before: date) -> dict[Key, int]:
    """For people counted this month with no row the month before (newcomers, and people
    back after a gap longer than the window), their actions up to their last stored row.

    Most have no earlier row at all: their last month is found from the unique indexes alone
    (person, community, month), and only the few who do have one are read in full. A query or
    two per batch of people; none when nothing older is stored (early in a rebuild)."""
    if not arrivals or not MonthlyLevel.objects.filter(month__lt=before).exists():
        return {}
    last_month: dict[Key, date] = {}
    in_communities = sorted({person for scope, person in arrivals if scope is not None})
    for batch in batched(in_communities, LOOKUP_BATCH):
        rows = (
            MonthlyLevel.objects.filter(
                community__isnull=False, person_id__in=batch, month__lt=before
            )
            .order_by()
            .values("community_id", "person_id")
            .annotate(last=Max("month"))
            .values_list("community_id", "person_id", "last")
        )
        last_month.update(((c, p), last) for c, p, last in rows if (c, p) in arrivals)
    organisation = sorted(person for scope, person in arrivals if scope is None)
    for batch in batched(organisation, LOOKUP_BATCH):
        org_rows = (
            MonthlyLevel.objects.filter(
                community__isnull=True, person_id__in=batch, month__lt=before
            )
            .order_by()
            .values("person_id")
            .annotate(last=Max("month"))
            .values_list("person_id", "last")
        )
        last_month.update(((None, p), last) for p, last in org_rows)
    found: dict[Key, int] = {}
    for in_community in (True, False):
        returning = sorted({p for c, p in last_month if (c is not None) == in_community})
        for batch in batched(returning, LOOKUP_BATCH):
            stored = MonthlyLevel.objects.filter(
                community__isnull=not in_community, person_id__in=batch
            ).values_list("community_id", "person_id", "month", "actions_to_date")
            found.update(
                ((c, p), to_date) for c, p, m, to_date in stored if last_month.get((c, p)) == m
            )
    return found


# -- the levels ------------------------------------------------------------------------------


# (level, contributions, answers, reads, attended, facilitated, actions_to_date): a row's
# values after its key, in the order of COLUMNS.
Figures = tuple[str, int, int, int, int, int, int]


def _figures(
    *,
    counted: set[Key],
    current: dict[Key, MonthCounts],
    window: list[dict[Key, MonthCounts]],
    before_month: dict[Key, int],
    thresholds: Thresholds,
) -> dict[Key, Figures]:
    """Everyone's row for the month. `window` holds the window's earlier months, oldest
    first; `before_month` everyone's actions up to the month before.

    The levels are memoised by the window's counts and whether anything came before it: all
    that `level_for` reads (rule 4 asks only whether there was anything before), and far
    fewer combinations than people (most members of a big community have the same quiet
    window). tests/test_insights_levels.py checks that reading of the rules."""
    known: dict[tuple[tuple[MonthCounts, ...], bool], str] = {}
    out: dict[Key, Figures] = {}
    for key in counted:
        this_month = current.get(key, NOTHING)
        months = (*(earlier.get(key, NOTHING) for earlier in window), this_month)
        to_date = before_month.get(key, 0)
        actions_before = max(0, to_date - sum(done.actions for done in months[:-1]))
        memo = (months, actions_before > 0)
        level = known.get(memo)
        if level is None:
            standing = level_for(months, actions_before=actions_before, thresholds=thresholds)
            level = known[memo] = standing.level
        out[key] = (
            level,
            this_month.contributions,
            this_month.answers,
            this_month.reads,
            this_month.attended,
            this_month.facilitated,
            to_date + this_month.actions,
        )
    return out


def _replace_month(month: date, figures: dict[Key, Figures]) -> None:
    """Make the month's stored rows `figures`, deleting and inserting only the rows that
    differ: a day's refresh changes the people who did something that day, so SQLite's write
    lock is held for a moment, not for a quarter of a million rows."""
    unchanged: set[Key] = set()
    stale: list[int] = []
    stored = MonthlyLevel.objects.filter(month=month).values_list("pk", *COLUMNS[:2], *COLUMNS[3:])
    for pk, person, scope, *values in stored.iterator(chunk_size=20000):
        key = (scope, person)
        if figures.get(key) == tuple(values):
            unchanged.add(key)
        else:
            stale.append(pk)
    for batch in batched(stale, LOOKUP_BATCH):
        MonthlyLevel.objects.filter(pk__in=batch).delete()
    month_value = connection.ops.adapt_datefield_value(month)
    fast_insert(
        MonthlyLevel,
        COLUMNS,
        (
            (key[1], key[0], month_value, *values)
            for key, values in figures.items()
            if key not in unchanged
        ),
        skip_clashes=False,
    )


def _flows(
    month: date, *, before: dict[Key, str], after: dict[Key, str]
) -> list[tuple[object, ...]]:
    """The month's transitions per scope, ready for fast_insert (FLOW_COLUMNS): everyone
    counted in either month, paired by person."""
    moved: Counter[tuple[Scope, str, str]] = Counter(
        (key[0], before.get(key, NOT_COUNTED), level) for key, level in after.items()
    )
    moved.update((key[0], level, NOT_COUNTED) for key, level in before.items() if key not in after)
    month_value = connection.ops.adapt_datefield_value(month)
    return [(scope, month_value, b, a, people) for (scope, b, a), people in moved.items()]
