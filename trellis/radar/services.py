"""The radar's writes: the daily signals, and a leader's snooze."""

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden, Invalid
from trellis.insights import counts
from trellis.people.models import Person
from trellis.radar import reads
from trellis.radar.facts import MonthFacts
from trellis.radar.models import RadarSignal, RadarSnooze
from trellis.radar.signals import MIN_MONTHS, PITFALLS, YEAR, Signal, assess

HISTORY_READ = YEAR + 2  # months of facts one reading looks at (a year back and the window)
COURSE_MONTHS = 12  # months of signals kept for the chart, filled on the first run
SNOOZE_REASON_MAX = 300
SNOOZE_LONGEST = timedelta(days=180)


def _last_whole_month(now: datetime) -> date:
    return counts.add_months(counts.month_of(now), -1)


def radar_refresh(*, now: datetime | None = None, communities: Sequence[int] | None = None) -> int:
    """Read the last whole month of every community and store its signals; months of the
    chart's window not stored yet (the first run, a new community) are computed too. Returns
    the rows written. Reads happen outside any transaction; each community's rows are
    replaced in one short transaction, so a failure leaves every community whole."""
    now = now or timezone.now()
    latest = _last_whole_month(now)
    course = [counts.add_months(latest, -k) for k in range(COURSE_MONTHS - 1, -1, -1)]
    stored = set(
        RadarSignal.objects.filter(month__in=course[:-1])
        .values_list("community_id", "month")
        .distinct()
    )
    ids = list(communities) if communities is not None else None
    every = ids if ids is not None else list(Community.objects.values_list("pk", flat=True))
    missing = {c: [m for m in course[:-1] if (c, m) not in stored] for c in every}
    # the reads cost by the month: the chart's back months only when one is not stored yet
    earliest = min((m[0] for m in missing.values() if m), default=latest)
    first = counts.add_months(earliest, -(HISTORY_READ - 1))
    span = (latest.year - first.year) * 12 + latest.month - first.month + 1
    months = [counts.add_months(first, k) for k in range(span)]
    facts = reads.radar_facts(months=months, now=now, communities=ids)
    written = 0
    for community_id, history in facts.items():
        due = [*missing.get(community_id, []), latest]
        readings = {month: _reading(history, month) for month in due}
        written += _store(community_id=community_id, readings=readings, now=now)
    return written


def _lived(history: Sequence[MonthFacts]) -> list[MonthFacts]:
    """The months from the first one the community had members or activity in: before it
    existed (or before its history was imported) there is nothing to compare with."""
    for index, month in enumerate(history):
        if month.members or month.active:
            return list(history[index:])
    return []


def _reading(history: Sequence[MonthFacts], month: date) -> list[Signal]:
    upto = [m for m in _lived(history) if m.month <= month][-HISTORY_READ:]
    return assess(upto) if len(upto) >= MIN_MONTHS else []


def _evidence(signal: Signal) -> list[dict[str, object]]:
    return [asdict(indicator) for indicator in signal.evidence]


def _store(*, community_id: int, readings: dict[date, list[Signal]], now: datetime) -> int:
    rows = [
        RadarSignal(
            community_id=community_id,
            pitfall=signal.pitfall,
            month=month,
            score=round(min(1.0, max(0.0, signal.score)), 4),
            threshold=signal.threshold,
            raised=signal.raised,
            evidence=_evidence(signal),
            computed_at=now,
        )
        for month, signals in readings.items()
        for signal in signals
    ]
    with transaction.atomic():
        RadarSignal.objects.filter(community_id=community_id, month__in=list(readings)).delete()
        RadarSignal.objects.bulk_create(rows)
    return len(rows)


def radar_snooze(
    *, actor: Person, community: Community, pitfall: str, reason: str, until: date
) -> RadarSnooze:
    """A leader's "we know": the signal is shown as snoozed, with the reason, until `until`."""
    if not access.can_snooze_radar(actor, community):
        raise Forbidden("Only the community's leaders can snooze its radar.")
    reason = reason.strip()
    if pitfall not in PITFALLS:
        raise Invalid(f"There is no pitfall called {pitfall!r}.")
    if not reason:
        raise Invalid("Say why the signal can wait: the other leaders will read it.")
    if len(reason) > SNOOZE_REASON_MAX:
        raise Invalid(f"Keep the reason under {SNOOZE_REASON_MAX} characters.")
    today = timezone.localdate()
    if until <= today:
        raise Invalid("Snooze until a day after today.")
    if until > today + SNOOZE_LONGEST:
        raise Invalid("A signal can be snoozed for six months at most.")
    snooze, _ = RadarSnooze.objects.update_or_create(
        community=community,
        pitfall=pitfall,
        defaults={
            "reason": reason,
            "until": until,
            "snoozed_by": actor,
            "snoozed_at": timezone.now(),
        },
    )
    return snooze


def radar_wake(*, actor: Person, community: Community, pitfall: str) -> None:
    """End a snooze early."""
    if not access.can_snooze_radar(actor, community):
        raise Forbidden("Only the community's leaders can change its radar.")
    RadarSnooze.objects.filter(community=community, pitfall=pitfall).delete()
