"""Fairness of the facilitation rotation against plain round-robin. Prints ONE JSON line.

A year of weekly sessions (52) for 5, 12 and 40 volunteers, under several seeded absence
patterns; both the rotation (`trellis.facilitation.rotation.rotate`) and round-robin see the
same absences. For each run:

- `spread_equal_availability`: people are grouped by how many of the 52 sessions they were
  available for; within each group (two people or more), most sessions minus fewest; the worst
  group is reported. Target ≤ 1 for the rotation.
- `two_in_a_row_while_other_available`: sessions where the facilitator also ran the previous
  one although someone else was available. Target 0 for the rotation.
- `overall_spread`: most minus fewest sessions over everyone (absences make this larger; it is
  reported, not held to a target).
- `unstaffed`: sessions for which nobody was available.

    .venv/bin/python benchmarks/bench_rotation.py [--seeds 20] [--weeks 52]
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trellis.facilitation.rotation import (
    Occurrence,
    Pick,
    Volunteer,
    rotate,
    round_robin,
)

SIZES = (5, 12, 40)
TARGETS = {"spread_equal_availability": 1, "two_in_a_row_while_other_available": 0}
FIRST = date(2027, 1, 7)  # a Thursday


def _weeks(n: int) -> list[date]:
    return [FIRST + timedelta(weeks=i) for i in range(n)]


def _block(days: list[date], rng: random.Random, length: int) -> tuple[date, date]:
    start = rng.randrange(0, len(days) - length + 1)
    return (days[start], days[start + length - 1] + timedelta(days=1))


def absences(
    pattern: str, size: int, days: list[date], rng: random.Random
) -> list[list[tuple[date, date]]]:
    """Each volunteer's away ranges under one pattern."""
    away: list[list[tuple[date, date]]] = [[] for _ in range(size)]
    for person in range(size):
        if pattern == "scattered":  # a day off here and there: each week away with p = 0.12
            away[person] = [(d, d) for d in days if rng.random() < 0.12]
        elif pattern == "holidays":  # one to three holidays of one to four weeks
            away[person] = [_block(days, rng, rng.randint(1, 4)) for _ in range(rng.randint(1, 3))]
        elif pattern == "long_leave":  # a quarter of people away 6 to 12 weeks in one go
            if rng.random() < 0.25:
                away[person] = [_block(days, rng, rng.randint(6, 12))]
            away[person] += [(d, d) for d in days if rng.random() < 0.05]
        elif pattern == "part_time":  # a third available every other week only, others scattered
            if person % 3 == 0:
                parity = rng.randint(0, 1)
                away[person] = [(d, d) for i, d in enumerate(days) if i % 2 == parity]
            else:
                away[person] = [(d, d) for d in days if rng.random() < 0.08]
        elif pattern == "crunch":  # everyone scattered, plus a shared month most are away
            away[person] = [(d, d) for d in days if rng.random() < 0.06]
            if rng.random() < 0.7:
                away[person].append((days[30], days[33]))
        else:
            raise ValueError(pattern)
    return away


PATTERNS = ("scattered", "holidays", "long_leave", "part_time", "crunch")


def measure(picks: list[Pick], volunteers: list[Volunteer]) -> dict[str, int]:
    sessions: Counter[int] = Counter(p.person_id for p in picks if p.person_id is not None)
    available: dict[int, int] = {
        v.person_id: sum(not v.is_away(p.day) for p in picks) for v in volunteers
    }
    groups: dict[int, list[int]] = defaultdict(list)
    for v in volunteers:
        groups[available[v.person_id]].append(sessions[v.person_id])
    spread = max((max(g) - min(g) for g in groups.values() if len(g) > 1), default=0)
    repeats = 0
    for before, pick in itertools.pairwise(picks):
        if pick.person_id is not None and pick.person_id == before.person_id:
            others = [
                v for v in volunteers if v.person_id != pick.person_id and not v.is_away(pick.day)
            ]
            repeats += bool(others)
    counts = [sessions[v.person_id] for v in volunteers]
    return {
        "spread_equal_availability": spread,
        "two_in_a_row_while_other_available": repeats,
        "overall_spread": max(counts) - min(counts),
        "unstaffed": sum(p.person_id is None for p in picks),
    }


def run(size: int, pattern: str, seed: int, weeks: int) -> dict[str, dict[str, int]]:
    rng = random.Random(f"{seed}-{size}-{pattern}")
    days = _weeks(weeks)
    away = absences(pattern, size, days, rng)
    volunteers = [
        Volunteer(person_id=i + 1, name=f"Volunteer {i + 1:02d}", away=tuple(away[i]))
        for i in range(size)
    ]
    occurrences = [Occurrence(key=i, day=d) for i, d in enumerate(days)]
    return {
        "rotation": measure(rotate(occurrences, volunteers), volunteers),
        "round_robin": measure(round_robin(occurrences, volunteers), volunteers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeded runs per size and pattern")
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    began = time.perf_counter()
    results: dict[str, Any] = {}
    meets = True
    for size in SIZES:
        per_size: dict[str, Any] = {}
        for pattern in PATTERNS:
            worst: dict[str, dict[str, int]] = {"rotation": {}, "round_robin": {}}
            for seed in range(args.seeds):
                for method, figures in run(size, pattern, seed, args.weeks).items():
                    for name, value in figures.items():
                        worst[method][name] = max(worst[method].get(name, 0), value)
            ok = all(worst["rotation"][k] <= v for k, v in TARGETS.items())
            meets = meets and ok
            per_size[pattern] = worst | {"meets_targets": ok}
        results[str(size)] = per_size
    print(
        json.dumps(
            {
                "benchmark": "rotation",
                "weeks": args.weeks,
                "seeds": args.seeds,
                "sizes": list(SIZES),
                "patterns": list(PATTERNS),
                "figures": "worst over the seeds, per size, pattern and method",
                "targets": TARGETS,
                "python": platform.python_version(),
                "results": results,
                "meets_targets": meets,
                "wall_s": round(time.perf_counter() - began, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
