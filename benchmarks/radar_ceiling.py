"""How far could ANY reading of the radar's monthly facts get on the generated histories? Bounds,
not methods: is a miss of `bench_radar.py` the detector's fault or the data's?

    .venv/bin/python benchmarks/radar_ceiling.py              # the test seeds, pooled
    .venv/bin/python benchmarks/radar_ceiling.py 1            # the development seed

Per pitfall, on the rows the benchmark scores (every control month from month 14; the injected
histories' months from onset to onset + 2), three readings, FITTED ON THE VERY LABELS they are
scored on (that is what makes them ceilings; nothing here is tuned into the detector):

- **logistic** (`own`: the pitfall's facts; `all`: every feature): a feature vector per
  (history, month) from the facts up to that month only: for the last 1, 2 and 3 months
  against the 6 before, every rate and share the detector's indicators read, as signed z's
  (rising positive) and as log ratios; year-ago z's for the newcomer rates; levels (leaders'
  share, top-10 concentration, facilitators, months at cap, a leader's fall from their peak,
  core overlap, stale guides, charter fit); the sponsors' habits (months since each last opened
  the report, came, heard a story; their own earlier rates; how unlikely that silence is; role
  changes and exits); and the detector's own score (so the fit starts from the detector).
  A logistic regression (IRLS in numpy with a small ridge) of "injected, onset..onset+2" vs
  "control month"; reported: AUC at the deadline (onset + 2) as the benchmark does, and
  detection: the threshold set so that at most 5% of control months cross it, the share of
  injected histories crossing it in the onset month or the two after. In-sample is the bound;
  cross-validated by history (5 folds, out-of-fold scores pooled) is context: what the same
  weighting is worth on histories it has not seen.
- **detector**: the detector's own figures on the same rows (they equal the benchmark's), and
  its detection with its threshold moved to the same 5% of control months.
- **oracle**: no fitting. For each injected history, the pitfall's main rates over the months
  onset..onset+2 (the best of the windows ending at the deadline: that month, the last two,
  all three) against the same history's 12 months before onset, in units of that history's
  month-to-month SD before onset (the largest over the rates, signed towards the pitfall); a
  sponsor's role change or exit counts as unbounded. Reported: the share of injected histories
  below 2 SDs, the share of control histories that reach 2 SDs at a pseudo-onset anyway (every
  month from 14 to 32: what the 2-SD rule would cost in false alarms), and the share of
  injected histories below the 95th percentile of the controls' values (below it, a reading
  of that history's own rates cannot separate it from 5% of healthy ones). An effect size,
  not a strict bound: a reading that pools more facts or a longer baseline (the logistic) can
  do better, and does for burnout and stagnation.
- **ideal_test** (meetings and sponsor only, whose misses look like the data's): the most
  powerful test at the deadline given what only the generator knows (onset, ramp, strength
  with each symptom's jitter at its maximum, the injected effects as `radar_histories` applies
  them, the baseline rates of the 12 months before onset taken as exact, counting noise only);
  its expected detection at 5% false alarms bounds any detector on these facts from above.

Detection is also broken down by strength (< 0.6, >= 0.6) and by size (members at onset < 60,
>= 60).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# small matrices: BLAS threads only contend for the shared cores
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import numpy.typing as npt
from bench_participation import fit_logistic
from bench_radar import DEADLINE, EVALUATED_FROM, MONTHS, TEST_SEEDS, auc
from radar_histories import History, generate

from trellis.radar.facts import MonthFacts
from trellis.radar.signals import (
    BASELINE,
    BURNOUT,
    MEETINGS,
    PITFALLS,
    SPONSOR,
    STAGNATION,
    YEAR,
    _drop_z,
    _rise_z,
    assess,
)

FloatArray = npt.NDArray[np.float64]

SPANS = (1, 2, 3)
FALSE_ALARMS = 0.05
FOLDS = 5
CV_REPEATS = 3
RIDGE = 0.01  # on standardised features: keeps weights finite when positives are separable
STRENGTH_SPLIT = 0.6
SPONSOR_EXITS = ("sponsor_changed_role", "sponsor_left")
SIZE_SPLIT = 60
ORACLE_PRE_MONTHS = 12
ORACLE_SDS = 2.0
LAST_ONSET = MONTHS - 4  # the generator's latest onset
Z_CLIP = 20.0

# --- monthly counts -----------------------------------------------------------------------


def _load_parts(month: MonthFacts) -> tuple[int, int, int, int, int, int, int, int]:
    """Leaders' answers, facilitation and moderation, and the totals of each."""
    leaders = month.leaders
    out = []
    for counts in (
        month.answers_by_person,
        month.facilitations_by_person,
        month.moderation_by_person,
    ):
        out.append(sum(c for p, c in counts.items() if p in leaders))
        out.append(sum(counts.values()))
    carried, total = out[0] + out[2] + out[4], out[1] + out[3] + out[5]
    return carried, total, out[0], out[1], out[2], out[3], out[4], out[5]


def monthly_counts(months: Sequence[MonthFacts]) -> dict[str, FloatArray]:
    """Every count the features read, one value per month (charter fit NaN when unknown)."""
    rows: dict[str, list[float]] = {}

    def put(key: str, value: float) -> None:
        rows.setdefault(key, []).append(float(value))

    for m in months:
        carried, total, l_ans, ans, l_fac, fac, l_mod, mod = _load_parts(m)
        sponsors = len(m.sponsors)
        for key, value in (
            ("months", 1),
            ("events", m.events),
            ("outputs", m.event_outputs),
            ("attendance", m.attendance),
            ("agenda", m.agenda_items),
            ("agenda_members", m.agenda_items_from_members),
            ("carried", carried),
            ("load", total),
            ("leader_answers", l_ans),
            ("answers", ans),
            ("leader_facilitations", l_fac),
            ("facilitations", fac),
            ("leader_moderation", l_mod),
            ("moderation", mod),
            ("top_facilitator", max(m.facilitations_by_person.values(), default=0)),
            ("answerers", len(m.answers_by_person)),
            ("at_cap", len(m.leaders_at_cap)),
            ("leaders", len(m.leaders)),
            ("members", m.members),
            ("new_members", m.new_members),
            ("active", m.active),
            ("contributors", m.contributors),
            ("new_contributors", m.new_contributors),
            ("moved_inward", m.moved_inward),
            ("questions", m.questions),
            ("unanswered", m.unanswered),
            ("guides", m.guides),
            ("stale", m.stale_guides),
            ("fit", math.nan if m.charter_fit is None else m.charter_fit),
            ("fit_known", m.charter_fit is not None),
            ("core", len(m.core)),
            ("sponsors", sponsors),
            ("sponsor_opened", sum(s.opened_report for s in m.sponsors)),
            ("sponsor_attended", sum(s.attended for s in m.sponsors)),
            ("sponsor_events", m.events * sponsors),
            ("stories", sum(s.stories_told for s in m.sponsors)),
            ("exits", sum(s.changed_role or s.left for s in m.sponsors)),
        ):
            put(key, value)
    return {key: np.array(values) for key, values in rows.items()}


# --- features -----------------------------------------------------------------------------

# (group, name, numerator, denominator, kind): "rate" is a Poisson count per exposure (its z is
# the two-count test), "share" a part of a whole (the two-proportion test).
RATES: tuple[tuple[str, str, str, str, str], ...] = (
    (MEETINGS, "outputs_per_event", "outputs", "events", "rate"),
    (MEETINGS, "attendance_per_event", "attendance", "events", "rate"),
    (MEETINGS, "member_agenda_share", "agenda_members", "agenda", "share"),
    (MEETINGS, "agenda_per_event", "agenda", "events", "rate"),
    (MEETINGS, "events_per_month", "events", "months", "rate"),
    (BURNOUT, "leader_load_share", "carried", "load", "share"),
    (BURNOUT, "leader_answer_share", "leader_answers", "answers", "share"),
    (BURNOUT, "leader_facilitation_share", "leader_facilitations", "facilitations", "share"),
    (BURNOUT, "leader_moderation_share", "leader_moderation", "moderation", "share"),
    (BURNOUT, "top_facilitator_share", "top_facilitator", "facilitations", "share"),
    (BURNOUT, "leaders_at_cap_share", "at_cap", "leaders", "share"),
    (BURNOUT, "answerers_per_answer", "answerers", "answers", "rate"),
    (BURNOUT, "answers_per_question", "answers", "questions", "rate"),
    (SPONSOR, "sponsor_open_share", "sponsor_opened", "sponsors", "share"),
    (SPONSOR, "sponsor_attendance_per_event", "sponsor_attended", "sponsor_events", "rate"),
    (SPONSOR, "stories_per_sponsor", "stories", "sponsors", "rate"),
    (STAGNATION, "new_members_per_member", "new_members", "members", "rate"),
    (STAGNATION, "new_contributors_per_active", "new_contributors", "active", "rate"),
    (STAGNATION, "moved_inward_per_member", "moved_inward", "members", "rate"),
    (STAGNATION, "unanswered_share", "unanswered", "questions", "share"),
    (STAGNATION, "contributor_share", "contributors", "active", "share"),
    (STAGNATION, "active_share", "active", "members", "share"),
    (STAGNATION, "questions_per_member", "questions", "members", "rate"),
)
YEAR_AGO = ("new_members_per_member", "new_contributors_per_active", "moved_inward_per_member")


def _window(series: FloatArray, start: int, end: int) -> float:
    """The sum over months start..end-1 (clamped to the history)."""
    return float(series[max(0, start) : max(0, end)].sum())


def _rate_z(kind: str, part_now: float, whole_now: float, part: float, whole: float) -> float:
    """Signed surprise of the change, positive when the rate or share rose."""
    if kind == "rate":
        z = -_drop_z(part_now, whole_now, part, whole)
    else:
        z = _rise_z(part_now, whole_now, part, whole)
    return max(-Z_CLIP, min(Z_CLIP, z))


def _log_ratio(part_now: float, whole_now: float, part: float, whole: float) -> float:
    return math.log((part_now + 0.5) / (whole_now + 1.0)) - math.log((part + 0.5) / (whole + 1.0))


def _top10_share(months: Sequence[MonthFacts]) -> float:
    by_person: Counter[int] = Counter()
    for month in months:
        by_person.update(month.answers_by_person)
    total = sum(by_person.values())
    return sum(c for _, c in by_person.most_common(10)) / total if total else 0.0


def _facilitators(months: Sequence[MonthFacts]) -> int:
    return len({p for m in months for p, c in m.facilitations_by_person.items() if c})


def _leader_features(months: Sequence[MonthFacts], t: int, span: int) -> dict[str, float]:
    """The current leader whose own activity fell most: against their peak of the year and
    against their own 6 months before, as the detector's peak indicator reads it, per span."""
    worst_fall, worst_z = 0.0, 0.0
    year = months[max(0, t - YEAR + 1) : t + 1]
    for leader in months[t].leaders:
        series = [m.actions_by_leader.get(leader, 0) for m in year if leader in m.leaders]
        if len(series) < span + 3:
            continue
        peak = max(series[:-span])
        now = sum(series[-span:])
        if peak > 0:
            worst_fall = max(worst_fall, 1 - now / span / peak)
        before = series[-(span + BASELINE) : -span]
        worst_z = max(worst_z, _drop_z(now, span, sum(before), len(before)))
    return {f"leader_fall_from_peak_{span}": worst_fall, f"leader_actions_drop_z_{span}": worst_z}


def _sponsor_features(months: Sequence[MonthFacts], t: int) -> dict[str, float]:
    """The current sponsor furthest from their own habit: months since they last opened the
    report, came to an event, heard a story; their earlier rates (before the last 2 months);
    how unlikely that silence is at those rates (in powers of ten), as the detector reads it,
    without its cut-offs. Plus role changes and exits lately, and losing every sponsor."""
    out = {
        "sponsor_unopened": 0.0,
        "sponsor_open_rate_before": 0.0,
        "sponsor_report_surprise": 0.0,
        "sponsor_unattended_events": 0.0,
        "sponsor_attend_rate_before": 0.0,
        "sponsor_attend_surprise": 0.0,
        "sponsor_untold": 0.0,
        "sponsor_story_rate_before": 0.0,
        "sponsor_story_surprise": 0.0,
        "sponsor_surprise": 0.0,
        "sponsor_tenure": 0.0,
    }
    best = -1.0
    year = months[max(0, t - YEAR + 1) : t + 1]
    for current in months[t].sponsors:
        person = current.person_id
        mine = [
            (m, next(s for s in m.sponsors if s.person_id == person))
            for m in year
            if any(s.person_id == person for s in m.sponsors)
        ]
        if len(mine) < 3:
            continue
        past = mine[:-2]

        def silence(did: Callable[[Any], float], mine: list[Any] = mine) -> int:
            quiet = 0
            for _, sponsor in reversed(mine):
                if did(sponsor):
                    break
                quiet += 1
            return quiet

        unopened = silence(lambda s: s.opened_report)
        open_rate = (sum(s.opened_report for _, s in past) + 1) / (len(past) + 2)
        report = -math.log10((1 - open_rate) ** unopened)
        unattended = silence(lambda s: s.attended)
        since = sum(m.events for m, _ in mine[len(mine) - unattended :]) if unattended else 0
        per_event = (sum(s.attended for _, s in past) + 0.5) / (sum(m.events for m, _ in past) + 2)
        attend = -math.log10((1 - min(per_event, 0.95)) ** since)
        untold = silence(lambda s: s.stories_told)
        per_month = (sum(s.stories_told for _, s in past) + 0.5) / (len(past) + 2)
        story = untold * per_month / math.log(10)
        total = report + attend + story
        if total > best:
            best = total
            out = {
                "sponsor_unopened": float(unopened),
                "sponsor_open_rate_before": open_rate,
                "sponsor_report_surprise": report,
                "sponsor_unattended_events": float(since),
                "sponsor_attend_rate_before": per_event,
                "sponsor_attend_surprise": attend,
                "sponsor_untold": float(untold),
                "sponsor_story_rate_before": per_month,
                "sponsor_story_surprise": story,
                "sponsor_surprise": total,
                "sponsor_tenure": float(len(mine)),
            }
    earlier = {s.person_id for m in months[max(0, t - 7) : t - 1] for s in m.sponsors}
    out["sponsor_lost_all"] = float(bool(earlier) and not months[t].sponsors)
    out["sponsor_count_change"] = float(
        len(months[t].sponsors) - len(months[max(0, t - 6)].sponsors)
    )
    for span in SPANS:
        out[f"sponsor_exit_{span}"] = float(
            any(s.changed_role or s.left for m in months[t - span + 1 : t + 1] for s in m.sponsors)
        )
    return out


def _group(name: str) -> str:
    """Which pitfall's facts a feature belongs to (by its name)."""
    for group, rate, *_ in RATES:
        if name.startswith(rate):
            return group
    if name.startswith("sponsor_"):
        return SPONSOR
    if name.startswith(("leader_", "top10", "facilitators", "months_at_cap", "rotation")):
        return BURNOUT
    if name.startswith(("stale", "charter", "core", "members_")):
        return STAGNATION
    raise ValueError(name)


def month_features(
    months: Sequence[MonthFacts], counts: dict[str, FloatArray], t: int
) -> dict[str, float]:
    """Everything read at month t from months 0..t only (no look-ahead)."""
    f: dict[str, float] = {}
    for span in SPANS:
        now_start, before_start = t - span + 1, t - span + 1 - BASELINE
        year_start = now_start - YEAR
        for _, name, part, whole, kind in RATES:
            p_now = _window(counts[part], now_start, t + 1)
            w_now = _window(counts[whole], now_start, t + 1)
            p_was = _window(counts[part], before_start, now_start)
            w_was = _window(counts[whole], before_start, now_start)
            f[f"{name}_z_{span}"] = _rate_z(kind, p_now, w_now, p_was, w_was)
            f[f"{name}_log_{span}"] = _log_ratio(p_now, w_now, p_was, w_was)
            if name in YEAR_AGO and year_start >= 0:
                p_year = _window(counts[part], year_start, year_start + span)
                w_year = _window(counts[whole], year_start, year_start + span)
                f[f"{name}_year_z_{span}"] = _rate_z(kind, p_now, w_now, p_year, w_year)
        recent = months[now_start : t + 1]
        before = months[before_start:now_start]
        # leader burnout: levels the detector reads
        top_now, top_was = _top10_share(recent), _top10_share(before)
        f[f"top10_share_{span}"] = top_now
        f[f"top10_share_rise_{span}"] = top_now - top_was
        f[f"facilitators_{span}"] = float(_facilitators(recent))
        f[f"facilitators_change_{span}"] = _facilitators(recent) - _facilitators(before) * (
            span / BASELINE
        )
        f[f"rotation_lost_{span}"] = float(
            _facilitators(recent) <= 1 and _window(counts["events"], now_start, t + 1) >= 2
        )
        f[f"months_at_cap_{span}"] = sum(1.0 for m in recent if m.leaders_at_cap) / span
        f.update(_leader_features(months, t, span))
        share_now = _window(counts["carried"], now_start, t + 1)
        load_now = _window(counts["load"], now_start, t + 1)
        f[f"leader_load_level_{span}"] = share_now / load_now if load_now else 0.0
        # stagnation: charter fit against the 6 months before, in units of its spread then
        fits = counts["fit"]
        fit_now = fits[now_start : t + 1]
        fit_was = fits[before_start:now_start]
        fit_now, fit_was = fit_now[~np.isnan(fit_now)], fit_was[~np.isnan(fit_was)]
        if fit_now.size and fit_was.size >= 2:
            spread = max(float(fit_was.std(ddof=1)), 0.02)
            scale = spread * math.sqrt(1 / fit_now.size + 1 / fit_was.size)
            f[f"charter_fit_fall_z_{span}"] = float(fit_was.mean() - fit_now.mean()) / scale
            f[f"charter_fit_fall_{span}"] = float(fit_was.mean() - fit_now.mean())
        else:
            f[f"charter_fit_fall_z_{span}"] = 0.0
            f[f"charter_fit_fall_{span}"] = 0.0
        # stale guides: the share now against the share at the start of the window
        then = t - span - BASELINE + 1
        f[f"stale_rise_z_{span}"] = _rise_z(
            counts["stale"][t], counts["guides"][t], counts["stale"][then], counts["guides"][then]
        )
        f[f"stale_rise_{span}"] = (counts["stale"][t] / max(1.0, counts["guides"][t])) - (
            counts["stale"][then] / max(1.0, counts["guides"][then])
        )
    for back in (3, BASELINE):
        last, earlier = months[t].core, months[t - back].core
        union = last | earlier
        f[f"core_kept_{back}"] = len(last & earlier) / len(union) if union else 0.0
        f[f"core_size_log_{back}"] = math.log((len(last) + 1) / (len(earlier) + 1))
    f["core_size_log"] = math.log1p(len(months[t].core))
    f["members_log"] = math.log1p(months[t].members)
    f["members_growth_log"] = math.log((months[t].members + 1) / (months[t - BASELINE].members + 1))
    f.update(_sponsor_features(months, t))
    return f


# --- fitting and scoring ------------------------------------------------------------------


def _design(rows: FloatArray) -> FloatArray:
    """Constant columns dropped, standardised (no labels used), an intercept column first."""
    x = rows[:, rows.std(axis=0) > 1e-12]
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return np.hstack([np.ones((len(x), 1)), x])


def _threshold(control_scores: FloatArray) -> float:
    """The lowest cut that at most `FALSE_ALARMS` of control months exceed (score > cut)."""
    ranked = np.sort(control_scores)[::-1]
    allowed = math.floor(FALSE_ALARMS * len(ranked))
    return float(ranked[allowed]) if allowed < len(ranked) else -math.inf


def _share(flags: Sequence[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


class _Rows:
    """One pitfall's scored rows: every control month from `EVALUATED_FROM`, and each injected
    history's months onset..onset+2."""

    def __init__(self, control_keys: list[tuple[int, int]], injected: list[History]) -> None:
        self.control = control_keys  # (history index, month)
        self.injected = injected


def _detection(
    scores: FloatArray,
    is_control: FloatArray,
    owner: list[int],
    at_deadline: FloatArray,
    buckets: dict[int, dict[str, str]],
) -> dict[str, Any]:
    """AUC at the deadline vs control months; detection at <= 5% false alarms, overall and by
    bucket (strength, size)."""
    controls = scores[is_control == 1]
    cut = _threshold(controls)
    crossed: dict[int, bool] = {}
    for score, control, who in zip(scores, is_control, owner, strict=True):
        if not control:
            crossed[who] = crossed.get(who, False) or bool(score > cut)
    positives = scores[(is_control == 0) & (at_deadline == 1)]
    figures: dict[str, Any] = {
        "auc": _round(auc([float(s) for s in positives], [float(s) for s in controls])),
        "detected_at_5pct": _share(list(crossed.values())),
        "false_alarms": _round(float((controls > cut).mean())),
        "cut": _round(cut),  # scores above it are raised
    }
    for axis in ("strength", "size", "how"):
        groups: dict[str, list[bool]] = {}
        for who, hit in crossed.items():
            groups.setdefault(buckets[who][axis], []).append(hit)
        if len(groups) > 1 or axis != "how":
            figures[f"by_{axis}"] = {k: _share(v) for k, v in sorted(groups.items())}
    return figures


def _logistic(
    x: FloatArray,
    y: FloatArray,
    owner: list[int],
    at_deadline: FloatArray,
    buckets: dict[int, dict[str, str]],
) -> dict[str, Any]:
    design = _design(x)
    fitted = design @ fit_logistic(design, y, ridge=RIDGE)
    out: dict[str, Any] = {
        "parameters": int(design.shape[1]),
        "in_sample": _detection(fitted, 1 - y, owner, at_deadline, buckets),
    }
    histories = sorted(set(owner))
    rng = np.random.default_rng(0)
    repeats = []
    for _ in range(CV_REPEATS):
        fold_of = dict(zip(histories, rng.permutation(len(histories)) % FOLDS, strict=True))
        fold = np.array([fold_of[h] for h in owner])
        predicted = np.zeros(len(y))
        for k in range(FOLDS):
            held = fold == k
            predicted[held] = design[held] @ fit_logistic(design[~held], y[~held], ridge=RIDGE)
        repeats.append(_detection(predicted, 1 - y, owner, at_deadline, buckets))
    out["cross_validated"] = {
        "auc": _round(float(np.mean([r["auc"] for r in repeats]))),
        "detected_at_5pct": _round(float(np.mean([r["detected_at_5pct"] for r in repeats]))),
        "by_strength": repeats[0]["by_strength"],
        "by_size": repeats[0]["by_size"],
    }
    if "by_how" in repeats[0]:
        out["cross_validated"]["by_how"] = repeats[0]["by_how"]
    return out


# --- the oracle ---------------------------------------------------------------------------

# The pitfall's main rates: (numerator, denominator, +1 if the pitfall raises it, -1 lowers it).
ORACLE_RATES: dict[str, tuple[tuple[str, str, int], ...]] = {
    MEETINGS: (
        ("outputs", "events", -1),
        ("attendance", "events", -1),
        ("agenda_members", "agenda", -1),
    ),
    BURNOUT: (
        ("carried", "load", 1),
        ("leader_answers", "answers", 1),
        ("at_cap", "leaders", 1),
        ("top_facilitator", "facilitations", 1),
    ),
    SPONSOR: (
        ("sponsor_opened", "sponsors", -1),
        ("sponsor_attended", "sponsor_events", -1),
        ("stories", "sponsors", -1),
    ),
    STAGNATION: (
        ("new_members", "members", -1),
        ("new_contributors", "active", -1),
        ("moved_inward", "members", -1),
        ("unanswered", "questions", 1),
        ("fit", "fit_known", -1),
    ),
}


SHARE_WHOLES = ("load", "answers", "leaders", "facilitations", "sponsors", "questions", "agenda")


def oracle_effects(counts: dict[str, FloatArray], pitfall: str, onset: int) -> tuple[float, float]:
    """The pitfall's effect by the deadline, in the history's own month-to-month SDs before
    onset (each month's rate; the SD floored at the rate's counting noise, so that a rate that
    never moved before is not infinitely surprising), signed towards the pitfall, best of the
    windows ending at the deadline: (the largest of its rates, its rates combined as
    sum / sqrt(count))."""
    if pitfall == SPONSOR:
        window = slice(onset, onset + DEADLINE + 1)
        if counts["exits"][window].sum() or (
            counts["sponsors"][onset - 1] and not counts["sponsors"][onset + DEADLINE]
        ):
            return math.inf, math.inf
    by_window: dict[int, list[float]] = {}
    pre = slice(max(0, onset - ORACLE_PRE_MONTHS), onset)
    for part, whole, sign in ORACLE_RATES[pitfall]:
        num, den = counts[part], counts[whole]
        if part == "fit":
            num = np.nan_to_num(num)
        known = den > 0
        rates = np.where(known, num / np.where(known, den, 1.0), np.nan)
        before = rates[pre][known[pre]]
        if before.size < 3:
            continue
        mean = float(before.mean())
        exposure = float(den[pre][known[pre]].mean())
        pooled = (float(num[pre].sum()) + 0.5) / (float(den[pre].sum()) + 1.0)
        if part == "fit":
            floor = 0.02
        elif whole in SHARE_WHOLES:
            floor = math.sqrt(max(pooled * (1 - pooled), 1e-6) / exposure)
        else:
            floor = math.sqrt(pooled / exposure)
        spread = max(float(before.std(ddof=1)), floor)
        for first in range(onset, onset + DEADLINE + 1):
            after = rates[first : onset + DEADLINE + 1]
            after = after[~np.isnan(after)]
            if after.size:
                effect = sign * (float(after.mean()) - mean) / spread
                by_window.setdefault(first, []).append(effect)
    if not by_window:
        return -math.inf, -math.inf
    largest = max(max(effects) for effects in by_window.values())
    combined = max(sum(effects) / math.sqrt(len(effects)) for effects in by_window.values())
    return largest, combined


def _oracle(
    counts: list[dict[str, FloatArray]],
    histories: list[History],
    pitfall: str,
    buckets: dict[int, dict[str, str]],
) -> dict[str, Any]:
    controls = [
        oracle_effects(counts[i], pitfall, onset)
        for i, h in enumerate(histories)
        if h.pitfall is None
        for onset in range(EVALUATED_FROM, LAST_ONSET + 1)
    ]
    injected = {
        i: oracle_effects(counts[i], pitfall, h.onset)
        for i, h in enumerate(histories)
        if h.pitfall == pitfall and h.onset is not None
    }
    out: dict[str, Any] = {
        "rates": [f"{p}/{w}" for p, w, _ in ORACLE_RATES[pitfall]],
        "unbounded": sum(1 for v in injected.values() if v[0] == math.inf),
    }
    for position, reading in enumerate(("largest", "combined")):
        control_values = [v[position] for v in controls]
        effects = {i: v[position] for i, v in injected.items()}
        cut = float(np.quantile(np.array(control_values), 1 - FALSE_ALARMS))
        finite = [v for v in effects.values() if math.isfinite(v)]
        figures: dict[str, Any] = {
            "median_effect_sd": _round(float(np.median(finite))) if finite else None,
            "below_2sd": _share([v < ORACLE_SDS for v in effects.values()]),
            "controls_reaching_2sd": _share([v >= ORACLE_SDS for v in control_values]),
            "control_95th_sd": _round(cut),
            "below_control_95th": _share([v <= cut for v in effects.values()]),
        }
        for axis in ("strength", "size", "how"):
            groups: dict[str, list[bool]] = {}
            for i, v in effects.items():
                groups.setdefault(buckets[i][axis], []).append(v <= cut)
            if len(groups) > 1 or axis != "how":
                figures[f"below_control_95th_by_{axis}"] = {
                    k: _share(g) for k, g in sorted(groups.items())
                }
        out[reading] = figures
    return out


# --- the ideal test, knowing the generator -------------------------------------------------

# For the two pitfalls whose misses look like the data's: the most powerful test there could be
# at the deadline, given what only the generator knows: the onset, the ramp (History.notes),
# the strength with each symptom's jitter at its maximum (1.0), the injected effects as
# `radar_histories` applies them, and the history's baseline rates from the 12 months before
# onset taken as exact. Its power at 5% false alarms bounds any detector from above (a single
# look at the deadline over the three months; looking in the onset month and the one after as
# well adds little, the windows being nested).
ONE_SIDED_5PCT = 1.6449


def _normal_cdf(value: float) -> float:
    return 0.5 * (1.0 + math.erf(value / math.sqrt(2.0)))


def _ramp_at(history: History, month: int) -> float:
    assert history.onset is not None
    ramp_months = max(1.0, history.notes.get("ramp_months", 1.0))
    return min(1.0, (month - history.onset + 1) / ramp_months)


def meetings_ideal_power(history: History, counts: dict[str, FloatArray]) -> float:
    """Power of the best test on outputs per event, members' agenda share and attendance per
    event (Poisson and binomial noise only, which is less than the generator's), combined as
    independent z's: the expected z is the injected deficit over its noise."""
    assert history.onset is not None and history.strength is not None
    onset, strength = history.onset, history.strength
    pre = slice(max(0, onset - ORACLE_PRE_MONTHS), onset)
    events = counts["events"][pre].sum()
    agenda = counts["agenda"][pre].sum()
    outputs_rate = (counts["outputs"][pre].sum() + 0.5) / (events + 1.0)
    attendance_rate = (counts["attendance"][pre].sum() + 0.5) / (events + 1.0)
    member_share = (counts["agenda_members"][pre].sum() + 0.5) / (agenda + 1.0)
    squares = 0.0
    parts = {"outputs": [0.0, 0.0], "agenda": [0.0, 0.0], "attendance": [0.0, 0.0]}
    for month in range(onset, onset + DEADLINE + 1):
        ramp = _ramp_at(history, month)
        held, items = counts["events"][month], counts["agenda"][month]
        expected = held * outputs_rate
        parts["outputs"][0] += expected * 0.9 * strength * ramp
        parts["outputs"][1] += expected
        expected = items * member_share
        parts["agenda"][0] += expected * 0.85 * strength * ramp
        parts["agenda"][1] += expected * (1 - member_share)
        expected = held * attendance_rate
        parts["attendance"][0] += expected * 0.65 * strength * min(1.0, (month - onset + 1) / 6)
        parts["attendance"][1] += expected
    for deficit, variance in parts.values():
        if variance > 0:
            squares += deficit**2 / variance
    return _normal_cdf(math.sqrt(squares) - ONE_SIDED_5PCT)


Atoms = dict[float, tuple[float, float]]  # log likelihood ratio -> (P under health, P faded)


def _combine(atoms: Atoms, outcomes: list[tuple[float, float]]) -> Atoms:
    """Add one independent observation (its outcomes' probabilities, healthy and faded)."""
    out: dict[float, tuple[float, float]] = {}
    for ratio, (p0, p1) in atoms.items():
        for q0, q1 in outcomes:
            if q0 <= 0 or q1 <= 0:
                continue
            key = round(ratio + math.log(q1 / q0), 2)
            a, b = out.get(key, (0.0, 0.0))
            out[key] = (a + p0 * q0, b + p1 * q1)
    return out


def _binomial(n: int, p: float) -> list[float]:
    return [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]


def _poisson(rate: float, top: int = 8) -> list[float]:
    probabilities = [math.exp(-rate) * rate**k / math.factorial(k) for k in range(top)]
    return [*probabilities, max(1e-300, 1.0 - sum(probabilities))]


def sponsor_ideal_power(history: History) -> float:
    """Power of the Neyman-Pearson test (exact, on every sponsor's report opening, attendance
    and stories over the three months) between the sponsors' own habits and their faded
    habits; 1 when a sponsor changed role or left (a fact no healthy month shows)."""
    assert history.onset is not None and history.strength is not None
    onset, strength = history.onset, history.strength
    window = history.months[onset : onset + DEADLINE + 1]
    if any(s.changed_role or s.left for m in window for s in m.sponsors):
        return 1.0
    pre = history.months[max(0, onset - ORACLE_PRE_MONTHS) : onset]
    atoms: Atoms = {0.0: (1.0, 1.0)}
    for sponsor in history.months[onset - 1].sponsors:
        mine = [(m, s) for m in pre for s in m.sponsors if s.person_id == sponsor.person_id]
        opened = (sum(s.opened_report for _, s in mine) + 0.5) / (len(mine) + 1)
        per_event = (sum(s.attended for _, s in mine) + 0.5) / (sum(m.events for m, _ in mine) + 1)
        stories = (sum(s.stories_told for _, s in mine) + 0.5) / (len(mine) + 1)
        per_event = min(per_event, 0.95)
        for offset, month in enumerate(window):
            fade = strength * _ramp_at(history, onset + offset)
            faded = opened * (1 - 0.95 * fade)
            atoms = _combine(atoms, [(opened, faded), (1 - opened, 1 - faded)])
            healthy = _binomial(month.events, per_event)
            atoms = _combine(
                atoms,
                list(zip(healthy, _binomial(month.events, per_event * (1 - fade)), strict=True)),
            )
            atoms = _combine(
                atoms, list(zip(_poisson(stories), _poisson(stories * (1 - fade)), strict=True))
            )
    power, spent = 0.0, 0.0
    for _, (p0, p1) in sorted(atoms.items(), reverse=True):
        if spent + p0 <= FALSE_ALARMS:
            spent, power = spent + p0, power + p1
        else:
            return power + p1 * (FALSE_ALARMS - spent) / p0  # the boundary outcome, randomised
    return power


def _ideal(
    pitfall: str,
    histories: list[History],
    counts: list[dict[str, FloatArray]],
    buckets: dict[int, dict[str, str]],
) -> dict[str, Any]:
    powers: dict[int, float] = {}
    for i, h in enumerate(histories):
        if h.pitfall == pitfall:
            if pitfall == MEETINGS:
                powers[i] = meetings_ideal_power(h, counts[i])
            else:
                powers[i] = sponsor_ideal_power(h)
    out: dict[str, Any] = {
        "expected_detection": _round(float(np.mean(list(powers.values())))),
        "histories_below_90pct_power": _share([p < 0.9 for p in powers.values()]),
    }
    for axis in ("strength", "size", "how"):
        groups: dict[str, list[float]] = {}
        for i, power in powers.items():
            groups.setdefault(buckets[i][axis], []).append(power)
        if len(groups) > 1 or axis != "how":
            out[f"expected_detection_by_{axis}"] = {
                k: _round(float(np.mean(g))) for k, g in sorted(groups.items())
            }
    return out


# --- the whole ----------------------------------------------------------------------------


def _is_deadline(history: History, month: int) -> bool:
    return history.onset is not None and month == history.onset + DEADLINE


def ceilings(histories: list[History]) -> dict[str, Any]:
    """Per pitfall: the detector's figures, the fitted logistic's (own facts, every feature;
    in-sample and cross-validated) and the oracle's, on the rows the benchmark scores."""
    counts = [monthly_counts(h.months) for h in histories]
    buckets: dict[int, dict[str, str]] = {}
    for i, h in enumerate(histories):
        if h.onset is not None and h.strength is not None:
            buckets[i] = {
                "strength": "below_0.6" if h.strength < STRENGTH_SPLIT else "from_0.6",
                "size": f"below_{SIZE_SPLIT}"
                if h.months[h.onset].members < SIZE_SPLIT
                else f"from_{SIZE_SPLIT}",
                # the generator's label (History.notes): a sponsor who changed role or left at
                # onset, or one fading away
                "how": "exit" if any(k in h.notes for k in SPONSOR_EXITS) else "gradual",
            }
    # every (history, month) any pitfall scores, read once
    wanted: dict[tuple[int, int], dict[str, float]] = {}
    detector: dict[tuple[int, int], dict[str, tuple[float, bool]]] = {}
    for i, h in enumerate(histories):
        if h.pitfall is None:
            months = range(EVALUATED_FROM, len(h.months))
        else:
            assert h.onset is not None
            months = range(h.onset, min(h.onset + DEADLINE, len(h.months) - 1) + 1)
        for t in months:
            row = month_features(h.months, counts[i], t)
            signals = {s.pitfall: (s.score, s.raised) for s in assess(h.months[: t + 1])}
            for pitfall, (score, _) in signals.items():
                row[f"detector_{pitfall}"] = score
            wanted[(i, t)] = row
            detector[(i, t)] = signals
    names = sorted(next(iter(wanted.values())))
    for row in wanted.values():
        for name in names:
            row.setdefault(name, 0.0)  # year-ago z's: missing only before a year of history
    figures: dict[str, Any] = {}
    for pitfall in PITFALLS:
        keys = [
            (i, t)
            for (i, t) in wanted
            if histories[i].pitfall is None or histories[i].pitfall == pitfall
        ]
        y = np.array([float(histories[i].pitfall == pitfall) for i, _ in keys])
        owner = [i for i, _ in keys]
        at_deadline = np.array([float(_is_deadline(histories[i], t)) for i, t in keys])
        own = [
            n
            for n in names
            if n == f"detector_{pitfall}"
            or (not n.startswith("detector_") and _group(n) == pitfall)
        ]
        everything = np.array([[wanted[k][n] for n in names] for k in keys])
        x_own = np.array([[wanted[k][n] for n in own] for k in keys])
        scores = np.array([detector[k][pitfall][0] for k in keys])
        raised_control = [detector[k][pitfall][1] for k in keys if histories[k[0]].pitfall is None]
        raised_by: dict[int, bool] = {}
        for k in keys:
            if histories[k[0]].pitfall == pitfall:
                raised_by[k[0]] = raised_by.get(k[0], False) or detector[k][pitfall][1]
        own_threshold = {
            "detected_within_2": _share(list(raised_by.values())),
            "false_alarms": _share(raised_control),
        }
        figures[pitfall] = {
            "histories": len(raised_by),
            "control_months": len(raised_control),
            "detector": own_threshold
            | {"at_5pct": _detection(scores, 1 - y, owner, at_deadline, buckets)},
            "logistic_own": {"features": len(own)}
            | _logistic(x_own, y, owner, at_deadline, buckets),
            "logistic_all": {"features": len(names)}
            | _logistic(everything, y, owner, at_deadline, buckets),
            "oracle": _oracle(counts, histories, pitfall, buckets),
        }
        if pitfall in (MEETINGS, SPONSOR):
            figures[pitfall]["ideal_test"] = _ideal(pitfall, histories, counts, buckets)
    figures["controls"] = sum(1 for h in histories if h.pitfall is None)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="*", type=int, default=list(TEST_SEEDS))
    args = parser.parse_args()
    started = time.perf_counter()
    generated = [h for s in args.seeds for h in generate(seed=s, communities=240, months=MONTHS)]
    result = {"benchmark": "radar_ceiling", "seeds": args.seeds, **ceilings(generated)}
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result))
