"""Champions: the people who make others succeed, ranked with reasons (pure).

Built from help edges (someone answered someone's question; in Trellis also a guide used or a
session facilitated): the helper, the person helped, when, and whether it worked (accepted,
up-voted, thanked). Help that worked is what counts for people helped; every tie counts for
brokerage, since an unaccepted answer still connects two people. The same function ranks
people in Trellis and in a Stack Exchange dump (benchmarks/bench_participation.py, where
departments are unknown).

The score is a sum of points, each a reason, with weights fixed by reasoning before any
evaluation:

- **people helped** (distinct, help that worked), 2 points per doubling: the heart of it;
- **accepted answers** and **thanks**, 1 point per doubling each: the helped said it worked;
- **departments bridged** (helped people in other departments), 1 point per doubling: help
  that crosses silos is what a leader cannot see otherwise;
- **brokerage** (`graph.brokerage`): 10 points times the share of pairs of others whose
  shortest help path runs through them, so a person on a tenth of them gets 1 point;
- **steadiness**: half a point per month with help in the last `STEADY_MONTHS` months.

Recent help counts more: each edge weighs half as much every `HALF_LIFE_DAYS` days, since a
leader thanks and invites the people who help now. Edges older than `LOOKBACK_DAYS` and from
after `now` are ignored.
"""

import math
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from trellis.insights.graph import SAMPLED_SOURCES, brokerage

HALF_LIFE_DAYS = 90
LOOKBACK_DAYS = 365
STEADY_MONTHS = 6
PEOPLE_POINTS = 2.0
ACCEPTED_POINTS = 1.0
THANKS_POINTS = 1.0
DEPARTMENT_POINTS = 1.0
BROKERAGE_POINTS = 10.0
STEADY_POINTS = 0.5


@dataclass(frozen=True)
class HelpEdge:
    helper: Hashable
    helped: Hashable
    at: datetime
    accepted: bool = False
    upvoted: bool = False
    thanked: bool = False
    helper_department: str | None = None
    helped_department: str | None = None

    @property
    def worked(self) -> bool:
        return self.accepted or self.upvoted or self.thanked


@dataclass(frozen=True)
class Champion:
    person: Hashable
    score: float
    reasons: tuple[str, ...]
    people_helped: int
    accepted: int
    thanks: int
    departments_bridged: tuple[str, ...]
    brokerage: float  # share of pairs of others whose shortest help path runs through them
    months_with_help: int  # of the last STEADY_MONTHS
    recognised: bool  # holds a leading role already


def _doublings(amount: float) -> float:
    return math.log2(1 + amount)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _months_ago(then: datetime, now: datetime) -> int:
    return (now.year - then.year) * 12 + now.month - then.month


@dataclass
class _Tally:
    # person helped -> the weight of their latest help that worked
    helped: dict[Hashable, float] = field(default_factory=dict)
    accepted: float = 0.0  # weighted by age, as `thanks`
    accepted_count: int = 0
    thanks: float = 0.0
    thanks_count: int = 0
    departments: set[str] = field(default_factory=set)
    months: set[int] = field(default_factory=set)  # months ago, within STEADY_MONTHS


def champions(
    edges: Iterable[HelpEdge],
    *,
    now: datetime,
    recognised: Collection[Hashable] = (),
    sampled_sources: int = SAMPLED_SOURCES,
    seed: int = 0,
) -> list[Champion]:
    """Everyone whose help worked at least once in the lookback, best first (ties by person)."""
    tallies: dict[Hashable, _Tally] = {}
    ties: list[tuple[Hashable, Hashable]] = []
    for edge in edges:
        age_days = (now - edge.at).total_seconds() / 86400
        if age_days < 0 or age_days > LOOKBACK_DAYS or edge.helper == edge.helped:
            continue
        ties.append((edge.helper, edge.helped))
        if not edge.worked:
            continue
        weight = 0.5 ** (age_days / HALF_LIFE_DAYS)
        tally = tallies.setdefault(edge.helper, _Tally())
        tally.helped[edge.helped] = max(weight, tally.helped.get(edge.helped, 0.0))
        if edge.accepted:
            tally.accepted += weight
            tally.accepted_count += 1
        if edge.thanked:
            tally.thanks += weight
            tally.thanks_count += 1
        if (
            edge.helper_department
            and edge.helped_department
            and edge.helper_department != edge.helped_department
        ):
            tally.departments.add(edge.helped_department)
        months_ago = _months_ago(edge.at, now)
        if months_ago < STEADY_MONTHS:
            tally.months.add(months_ago)
    shares = brokerage(ties, sampled_sources=sampled_sources, seed=seed) if tallies else {}
    leaders = set(recognised)
    ranked = [
        _champion(person, tally, shares.get(person, 0.0), person in leaders)
        for person, tally in tallies.items()
    ]
    return sorted(ranked, key=lambda c: (-c.score, str(c.person)))


def _champion(person: Hashable, tally: _Tally, share: float, recognised: bool) -> Champion:
    departments = tuple(sorted(tally.departments))
    months = len(tally.months)
    points = (
        PEOPLE_POINTS * _doublings(sum(tally.helped.values()))
        + ACCEPTED_POINTS * _doublings(tally.accepted)
        + THANKS_POINTS * _doublings(tally.thanks)
        + DEPARTMENT_POINTS * _doublings(len(departments))
        + BROKERAGE_POINTS * share
        + STEADY_POINTS * months
    )
    return Champion(
        person=person,
        score=round(points, 6),
        reasons=_reasons(tally, departments, share, months, recognised),
        people_helped=len(tally.helped),
        accepted=tally.accepted_count,
        thanks=tally.thanks_count,
        departments_bridged=departments,
        brokerage=share,
        months_with_help=months,
        recognised=recognised,
    )


def _reasons(
    tally: _Tally, departments: tuple[str, ...], share: float, months: int, recognised: bool
) -> tuple[str, ...]:
    said = []
    if tally.accepted_count:
        said.append(f"{_plural(tally.accepted_count, 'accepted answer')}")
    if tally.thanks_count:
        said.append(f"thanked {_plural(tally.thanks_count, 'time')}")
    helped = f"Helped {_plural(len(tally.helped), 'person', 'people')} in the last year"
    reasons = [f"{helped} ({', '.join(said)})." if said else f"{helped}."]
    if departments:
        reasons.append(
            f"Helped people in {_plural(len(departments), 'other department')}: "
            f"{', '.join(departments)}."
        )
    if share >= 0.01:
        reasons.append(
            f"Connects people: on {share:.0%} of the shortest help paths between others."
        )
    if months:
        reasons.append(f"Helped in {months} of the last {STEADY_MONTHS} months.")
    if not recognised:
        reasons.append("Not yet recognised: holds no leading role.")
    return tuple(reasons)
