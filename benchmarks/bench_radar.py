"""Does the pitfall radar see each pitfall early, and stay quiet on healthy communities?
Prints ONE JSON line.

Generated histories (`radar_histories.generate`: person-level simulations of communities that
grow, dip with the seasons, change leaders normally or stay steady, and of communities into
which one pitfall is injected at a random onset and strength, on any of those backgrounds).
`trellis.radar.signals.assess` reads each history month by month, as the nightly job would.
Per pitfall:

- **auc**: the signal's score two months after onset (the detection deadline) in the histories
  with that pitfall, against its score in every healthy month of the controls (months from
  `EVALUATED_FROM` on); Mann-Whitney, ties counted half;
- **detected_within_2**: the share of those histories where the signal is raised in the onset
  month or one of the two after it; `median_delay` in months (undetected by the end counts as
  never); also by strength (below / from 0.6);
- **false_alarms**: the share of the controls' months in which the signal is raised;
  `controls_ever_raised`: the share of controls raised in at least one month;
- `raised_on_other_pitfalls`: raised at the deadline in histories with a different pitfall
  (context: pitfalls travel together).

Real data (point 2, figures, no target): the dumps in ../shared/data/stackexchange (or those
given) replayed month by month by `radar_replay.py` (which says how a Stack Exchange site maps
onto the radar's facts and what it cannot show: no events, sponsors or guides); per dump each
signal's score by month, the months it would have raised, and the evidence of the first.

Targets per pitfall: **AUC ≥ 0.9, false alarms ≤ 5%, detected within 2 periods of onset in at
least 90% of the histories**. The thresholds and weights were set looking only at the
development seed (`--dev`); the reported figures use other seeds, fixed here in advance.

    .venv/bin/python benchmarks/bench_radar.py
    .venv/bin/python benchmarks/bench_radar.py --dev          # the development seed only
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_participation import REAL_DUMPS
from radar_histories import History, generate
from radar_replay import replay

from trellis.radar.signals import MIN_MONTHS, PITFALLS, Signal, assess

DEV_SEED = 1
# Fresh seeds for each version of the detector reported, each run once: 2027 and 2028 first
# (then looked into: radar_ceiling.py found the sponsor-exit window too short), 2029 and 2030
# for the version that fixed it, 2031 and 2032 for the reweighting chosen on the development
# seed, 2033 and 2034 for the weights fitted on development seeds 1 and 101-110.
TEST_SEEDS = (2033, 2034)
HISTORIES = 240
MONTHS = 36
DEADLINE = 2  # months after onset
EVALUATED_FROM = 14  # controls' months read for false alarms (the earliest possible onset)
TARGET_AUC = 0.9
TARGET_FALSE_ALARMS = 0.05
TARGET_DETECTED = 0.9


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Mann-Whitney AUC by ranks, ties half."""
    if not positives or not negatives:
        return None
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + j + 1) / 2
        rank_sum += mean_rank * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def signals_by_month(history: History) -> list[dict[str, Signal]]:
    """Index t: every pitfall's signal as the nightly job would compute it at month t."""
    out: list[dict[str, Signal]] = []
    for t in range(len(history.months)):
        if t + 1 < MIN_MONTHS:
            out.append({})
            continue
        out.append({s.pitfall: s for s in assess(history.months[: t + 1])})
    return out


def evaluate(histories: list[History]) -> dict[str, Any]:
    read = [(h, signals_by_month(h)) for h in histories]
    controls = [(h, s) for h, s in read if h.pitfall is None]
    figures: dict[str, Any] = {}
    for pitfall in PITFALLS:
        control_scores: list[float] = []
        control_raised = 0
        control_months = 0
        ever = 0
        for history, signals in controls:
            raised_here = False
            for t in range(EVALUATED_FROM, len(history.months)):
                signal = signals[t][pitfall]
                control_scores.append(signal.score)
                control_months += 1
                if signal.raised:
                    control_raised += 1
                    raised_here = True
            ever += raised_here
        injected = [(h, s) for h, s in read if h.pitfall == pitfall]
        at_deadline: list[float] = []
        delays: list[float] = []
        by_strength: dict[str, list[bool]] = {"below_0.6": [], "from_0.6": []}
        for history, signals in injected:
            assert history.onset is not None and history.strength is not None
            deadline = min(history.onset + DEADLINE, len(history.months) - 1)
            at_deadline.append(signals[deadline][pitfall].score)
            delay = next(
                (
                    t - history.onset
                    for t in range(history.onset, len(history.months))
                    if signals[t][pitfall].raised
                ),
                None,
            )
            delays.append(float("inf") if delay is None else delay)
            bucket = "from_0.6" if history.strength >= 0.6 else "below_0.6"
            by_strength[bucket].append(delay is not None and delay <= DEADLINE)
        others = [
            signals[min(h.onset + DEADLINE, len(h.months) - 1)][pitfall].raised
            for h, signals in read
            if h.pitfall not in (None, pitfall) and h.onset is not None
        ]
        detected = sum(1 for d in delays if d <= DEADLINE) / len(delays) if delays else None
        median = statistics.median(delays) if delays else None
        figures[pitfall] = {
            "histories": len(injected),
            "auc": _round(auc(at_deadline, control_scores)),
            "detected_within_2": _round(detected),
            "detected_within_2_by_strength": {
                k: _round(sum(v) / len(v)) if v else None for k, v in by_strength.items()
            },
            "median_delay": None if median is None or median == float("inf") else median,
            "never_detected": sum(1 for d in delays if d == float("inf")),
            "false_alarms": _round(control_raised / control_months if control_months else None),
            "controls_ever_raised": _round(ever / len(controls) if controls else None),
            "raised_on_other_pitfalls": _round(sum(others) / len(others) if others else None),
        }
        figures[pitfall]["meets"] = bool(
            (figures[pitfall]["auc"] or 0) >= TARGET_AUC
            and (figures[pitfall]["false_alarms"] if control_months else 1) <= TARGET_FALSE_ALARMS
            and (detected or 0) >= TARGET_DETECTED
        )
    figures["controls"] = len(controls)
    return figures


def _replayed(full: dict[str, Any]) -> dict[str, Any]:
    """A dump's replay, kept to what a reader scans: each signal's score by month, the months
    it would have raised and the evidence of the first of them."""
    signals = full.get("signals", {})
    return {
        "dump": full["dump"],
        "months": len(full.get("months", [])),
        "raised_months": full.get("raised_months", {}),
        "course": {
            pitfall: {row["month"]: row["score"] for row in rows}
            for pitfall, rows in signals.items()
        },
        "first_raised_evidence": {
            pitfall: next((row["evidence"] for row in rows if row["raised"]), [])
            for pitfall, rows in signals.items()
        },
        "facts_available": full.get("facts_available", {}),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="the development seed only")
    parser.add_argument("--histories", type=int, default=HISTORIES)
    parser.add_argument(
        "--ceilings",
        action="store_true",
        help="also fit the ceilings of radar_ceiling.py on these histories (~40 s a seed)",
    )
    parser.add_argument(
        "dumps", nargs="*", help="Stack Exchange dump folders to replay (default: the shared ones)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    seeds = (DEV_SEED,) if args.dev else TEST_SEEDS
    histories = [
        h for seed in seeds for h in generate(seed=seed, communities=args.histories, months=MONTHS)
    ]
    generated = time.perf_counter() - started
    figures = evaluate(histories)
    meets = all(figures[p]["meets"] for p in PITFALLS)
    folders = [Path(d) for d in args.dumps] or (
        sorted(p for p in REAL_DUMPS.iterdir() if p.is_dir()) if REAL_DUMPS.is_dir() else []
    )
    replays = [_replayed(replay(folder.resolve())) for folder in folders]
    bounds = None
    if args.ceilings:
        from radar_ceiling import ceilings  # it reads this module's constants

        bounds = ceilings(histories)
    print(
        json.dumps(
            {
                "benchmark": "radar",
                "seeds": list(seeds),
                "development": args.dev,
                "histories": len(histories),
                "months": MONTHS,
                "generated_s": round(generated, 1),
                "seconds": round(time.perf_counter() - started, 1),
                "synthetic": figures,
                "replayed_dumps": replays,
                "ceilings": bounds,
                "meets_targets": meets and not args.dev,
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
