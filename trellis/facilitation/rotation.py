"""Who facilitates each occurrence of a series: the rotation's rule, as a pure function.

No database here: the service reads opt-ins, absences and the record of past sessions, hands
them over as plain values, and stores what comes back. The benchmark runs the same function.

The rule, for each occurrence in order (earliest first):

1. **Who is available**: people who opted in, are not away that day, and have not reached
   their weekly load (the most sessions they take in one ISO week, counting what is already
   booked for them in the community that week).
2. **Not again so soon**: of those, people who facilitated neither of the previous two
   occurrences. When nobody is left, people who did not facilitate the previous one; only when
   the one available person facilitated the previous occurrence do they take this one too.
   So nobody facilitates two in a row while anyone else is available.
3. **Fewest sessions**: of the rest, the one with the fewest sessions facilitated (in the
   community, before this occurrence, including those proposed just before it). Someone back
   from being away is behind and so comes up more often until level; people available equally
   often end up within one session of each other (`benchmarks/bench_rotation.py`).
4. **Longest since the last one**: among those tied, the one whose last session was longest
   ago (never beats any date).
5. **Deterministic tie-break**: then by name, then by person id, so the same facts always give
   the same proposals.

An occurrence that already has its facilitator (confirmed, or swapped) keeps them; it counts
for the sessions, the last date, the weekly load and the previous-two rule of what follows.
Each proposal carries its reason in words ("fewest sessions (2), last on 3 Oct").
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

Week = tuple[int, int]  # ISO (year, week)


def week_of(day: date) -> Week:
    iso = day.isocalendar()
    return (iso.year, iso.week)


@dataclass(frozen=True)
class Volunteer:
    """Someone who opted in to facilitate, with the days they are away (inclusive ranges)."""

    person_id: int
    name: str
    weekly_load: int = 1
    away: tuple[tuple[date, date], ...] = ()

    def is_away(self, day: date) -> bool:
        return any(start <= day <= end for start, end in self.away)


@dataclass(frozen=True)
class Occurrence:
    """One session to staff; `fixed` names its facilitator when that is already settled."""

    key: int
    day: date
    fixed: int | None = None


@dataclass(frozen=True)
class Record:
    """What a person had facilitated before the occurrences being planned."""

    sessions: int = 0
    last: date | None = None


@dataclass(frozen=True)
class Pick:
    """The facilitator proposed (or kept) for one occurrence, and why."""

    key: int
    day: date
    person_id: int | None
    fixed: bool
    sessions_before: int = 0
    last_before: date | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def day_label(day: date) -> str:
    return f"{day.day} {day:%b}"


def rotate(
    occurrences: Sequence[Occurrence],
    volunteers: Iterable[Volunteer],
    *,
    history: Mapping[int, Record] | None = None,
    recent: Sequence[int | None] = (),
    booked: Mapping[tuple[int, Week], int] | None = None,
) -> list[Pick]:
    """Propose a facilitator for each occurrence (in day order), by the rule above.

    `history`: each person's sessions before these occurrences; `recent`: who facilitated the
    occurrences just before them, oldest first (only the last two matter); `booked`: sessions
    a person already has in a week elsewhere (other series), against their weekly load.
    """
    people = {v.person_id: v for v in volunteers}
    sessions: dict[int, int] = defaultdict(int)
    last: dict[int, date] = {}
    for pid, record in (history or {}).items():
        sessions[pid] = record.sessions
        if record.last is not None:
            last[pid] = record.last
    load: dict[tuple[int, Week], int] = defaultdict(int, booked or {})
    previous: list[int | None] = list(recent)[-2:]
    picks: list[Pick] = []
    for occurrence in sorted(occurrences, key=lambda o: (o.day, o.key)):
        week = week_of(occurrence.day)
        if occurrence.fixed is not None:
            pid = occurrence.fixed
            picks.append(
                Pick(
                    occurrence.key,
                    occurrence.day,
                    pid,
                    True,
                    sessions[pid],
                    last.get(pid),
                    ("already confirmed",),
                )
            )
        else:
            pick = _choose(occurrence, people, sessions, last, load, previous, week)
            picks.append(pick)
            pid = pick.person_id  # type: ignore[assignment]
        if pid is not None:
            sessions[pid] += 1
            last[pid] = occurrence.day
            load[(pid, week)] += 1
        previous = [*previous, pid][-2:]
    return picks


def _choose(
    occurrence: Occurrence,
    people: Mapping[int, Volunteer],
    sessions: Mapping[int, int],
    last: Mapping[int, date],
    load: Mapping[tuple[int, Week], int],
    previous: Sequence[int | None],
    week: Week,
) -> Pick:
    away = [v for v in people.values() if v.is_away(occurrence.day)]
    loaded = [
        v
        for v in people.values()
        if not v.is_away(occurrence.day) and load.get((v.person_id, week), 0) >= v.weekly_load
    ]
    available = [
        v
        for v in people.values()
        if not v.is_away(occurrence.day) and load.get((v.person_id, week), 0) < v.weekly_load
    ]
    if not available:
        why = []
        if away:
            why.append(f"{len(away)} away")
        if loaded:
            why.append(f"{len(loaded)} at their weekly load")
        text = "nobody available" + (f" ({', '.join(why)})" if why else "")
        return Pick(occurrence.key, occurrence.day, None, False, reasons=(text,))
    last_one = previous[-1] if previous else None
    pool = [v for v in available if v.person_id not in previous]
    relaxed = ""
    if not pool:
        pool = [v for v in available if v.person_id != last_one]
        relaxed = "everyone else available facilitated one of the last two"
    if not pool:
        pool = available
        relaxed = "the only one available"

    def rank(v: Volunteer) -> tuple[int, date, str, int]:
        counted = sessions.get(v.person_id, 0)
        return (counted, last.get(v.person_id, date.min), v.name.casefold(), v.person_id)

    chosen = min(pool, key=rank)
    pid = chosen.person_id
    count = sessions.get(pid, 0)
    previous_day = last.get(pid)
    reason = f"fewest sessions ({count})"
    reason += f", last on {day_label(previous_day)}" if previous_day else ", none yet"
    tied = [v for v in pool if rank(v)[:2] == rank(chosen)[:2] and v is not chosen]
    reasons = [reason]
    if tied:
        reasons.append(f"tied with {len(tied)}, first by name")
    if relaxed:
        reasons.append(relaxed)
    return Pick(occurrence.key, occurrence.day, pid, False, count, previous_day, tuple(reasons))


def round_robin(occurrences: Sequence[Occurrence], volunteers: Sequence[Volunteer]) -> list[Pick]:
    """The comparison: take turns in a fixed order, skipping whoever is away (their turn is
    lost, as on a printed rota), with no memory of counts."""
    order = list(volunteers)
    picks: list[Pick] = []
    turn = 0
    for occurrence in sorted(occurrences, key=lambda o: (o.day, o.key)):
        chosen = None
        for step in range(len(order)):
            candidate = order[(turn + step) % len(order)]
            if not candidate.is_away(occurrence.day):
                chosen = candidate
                turn = (turn + step + 1) % len(order)
                break
        pid = chosen.person_id if chosen else None
        picks.append(Pick(occurrence.key, occurrence.day, pid, False, reasons=("next in turn",)))
    return picks
