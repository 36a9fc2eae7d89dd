"""Who may still be asked this week: the load cap, as one pure rule.

Routing and the fairness replay of `benchmarks/bench_routing.py` both choose through `pick`,
so the benchmark measures the rule the product applies.
"""

from collections.abc import Iterable, Mapping

DEFAULT_WEEKLY_CAP = 3  # as Availability.weekly_cap's default: people never asked to set one
WEEK_DAYS = 7


def pick(
    ranked: Iterable[int],
    *,
    k: int,
    routed_this_week: Mapping[int, int],
    caps: Mapping[int, int] | None = None,
) -> list[int]:
    """The first `k` of `ranked` who have been routed fewer questions in the last seven days
    than their weekly cap (the default cap for people who never set one)."""
    chosen: list[int] = []
    for person in ranked:
        if len(chosen) == k:
            break
        cap = DEFAULT_WEEKLY_CAP if caps is None else caps.get(person, DEFAULT_WEEKLY_CAP)
        if routed_this_week.get(person, 0) < cap:
            chosen.append(person)
    return chosen
