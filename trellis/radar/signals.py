"""The pitfall radar: how a community of practice is going wrong, read from its recent months
against the months before (pure).

Four pitfalls from the practice literature, each a score in 0..1 built from a few indicators,
raised at or above its threshold, with the evidence in words and figures and the fix to offer:

- **meetings without practice**: events go on while what comes out of them (notes, guides,
  questions, answers) falls, agendas stop coming from members, attendance falls;
- **leader burnout**: the leaders carry a rising share of the answers, facilitation and
  moderation, facilitation stops rotating, help concentrates (top-10 share sustained above
  70%), a leader's own activity falls from its peak, leaders sit at their routing cap;
- **sponsor disengagement**: a sponsor changed role or left, has not opened the impact report
  for two months, attends nothing and has heard no value story lately;
- **stagnation and drift**: fewer newcomers and new contributors than before and than a year
  ago, the same core with nobody moving inward, more questions left unanswered, guides going
  stale, questions drifting from the charter.

Every indicator compares rates or shares, not volumes, so a community that grows, dips in
August or changes its leader stays quiet; counts are pooled over a window and shrunk towards
the baseline (`_rate`), so a small community's one quiet month is not a trend. A community with
fewer than `MIN_MONTHS` months of history gets no signal: show less, not nonsense.

The weights and thresholds were set by reasoning and checked on the development histories of
`benchmarks/bench_radar.py` (its own seed); the figures it reports come from other seeds.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import log, log10, sqrt
from statistics import mean, stdev

from trellis.radar.facts import MonthFacts, SponsorMonth

MEETINGS = "meetings_without_practice"
BURNOUT = "leader_burnout"
SPONSOR = "sponsor_disengagement"
STAGNATION = "stagnation"
PITFALLS = (MEETINGS, BURNOUT, SPONSOR, STAGNATION)
TITLES = {
    MEETINGS: "Meetings without practice",
    BURNOUT: "Leader burnout",
    SPONSOR: "Sponsor drifting away",
    STAGNATION: "Stagnation and drift",
}

RECENT = 2  # months read as "now"
BASELINE = 6  # months before them read as "before"
MIN_MONTHS = RECENT + BASELINE
YEAR = 12
TOP = 10
FRAGILE_ABOVE = 0.70
Z_NOISE = 1.0  # a fall or rise this surprising, or less, is read as noise
Z_FULL = 3.0
Z_SIGNAL_FULL = 5.0
ABSENT_MONTHS = 3  # a sponsor silent in every way this long is raised whatever their habit


@dataclass(frozen=True)
class Indicator:
    """One reason behind a score: how strongly it points at the pitfall (0..1) and why."""

    key: str
    strength: float
    weight: float
    text: str
    figures: Mapping[str, float | int | None] = field(default_factory=dict)
    # the signed surprise behind it (towards the pitfall positive); None: not a rate
    z: float | None = None

    @property
    def evidence_z(self) -> float:
        """What it adds to the signal: its z, or for a plain fact its strength on z's scale."""
        return self.z if self.z is not None else self.strength * Z_FULL


@dataclass(frozen=True)
class Signal:
    pitfall: str
    score: float
    threshold: float
    indicators: tuple[Indicator, ...]

    @property
    def raised(self) -> bool:
        return self.score >= self.threshold

    @property
    def title(self) -> str:
        return TITLES[self.pitfall]

    @property
    def evidence(self) -> list[Indicator]:
        """The indicators that point at the pitfall, strongest first."""
        shown = [i for i in self.indicators if i.strength > 0]
        return sorted(shown, key=lambda i: -i.strength * i.weight)


# Each indicator's weight in its pitfall's combined z (what it adds when it has something to
# say; an indicator with nothing to read weighs 0). Set by reasoning; then burnout's and
# stagnation's fitted on development histories only (seeds 1 and 101-110 of
# benchmarks/radar_histories.py: a non-negative logistic fit of detection within two months,
# refined directly at 3% false alarms, rounded), the indicators the fit sets near 0 kept at
# 0.05 so that what the evidence says still counts. The leaders' share and their routing caps
# carry burnout; unanswered questions, drift and stale guides carry stagnation.
WEIGHTS = {
    # meetings without practice
    "outputs": 0.5,
    "agenda": 0.25,
    "attendance": 0.25,
    # leader burnout
    "share": 0.5,
    "concentration": 0.05,
    "rotation": 0.1,
    "peak": 0.05,
    "cap": 0.4,
    # stagnation and drift
    "newcomers": 0.15,
    "new_contributors": 0.05,
    "core": 0.05,
    "unanswered": 0.35,
    "stale": 0.2,
    "drift": 0.35,
}

THRESHOLDS = {MEETINGS: 0.4, BURNOUT: 0.44, SPONSOR: 0.5, STAGNATION: 0.56}


def _ramp(value: float, low: float, high: float) -> float:
    """0 at or below `low`, 1 at or above `high`, linear between."""
    if value <= low:
        return 0.0
    if value >= high:
        return 1.0
    return (value - low) / (high - low)


def _sum(months: Iterable[MonthFacts], read: Callable[[MonthFacts], float]) -> float:
    return sum(read(m) for m in months)


def _rate(part: float, whole: float, prior_rate: float, prior_weight: float) -> float | None:
    """part / whole shrunk towards `prior_rate` as if `prior_weight` more of `whole` had been
    seen at that rate: a window with little in it says little."""
    if whole + prior_weight <= 0:
        return None
    return (part + prior_rate * prior_weight) / (whole + prior_weight)


def _drop_z(now: float, exposure_now: float, before: float, exposure_before: float) -> float:
    """How surprising a fall of a rate is: `now` events over `exposure_now` (months, events,
    members) against `before` over `exposure_before`, as the z of the conditional binomial
    test for two Poisson counts (negative when it rose). A small community's noise
    makes a small z; the same fall in a large one a large z."""
    total = now + before
    if total <= 0 or exposure_now <= 0 or exposure_before <= 0:
        return 0.0
    share = exposure_now / (exposure_now + exposure_before)
    spread = sqrt(total * share * (1 - share))
    return (total * share - now) / spread if spread > 0 else 0.0


def _rise_z(part_now: float, whole_now: float, part_before: float, whole_before: float) -> float:
    """How surprising a rise of a share is (two-proportion z; negative when it fell)."""
    if whole_now <= 0 or whole_before <= 0:
        return 0.0
    pooled = (part_now + part_before) / (whole_now + whole_before)
    spread = sqrt(pooled * (1 - pooled) * (1 / whole_now + 1 / whole_before))
    if spread <= 0:
        return 0.0
    return (part_now / whole_now - part_before / whole_before) / spread


def _measured(
    key: str, z: float, weight: float, text: str, figures: Mapping[str, float | int | None]
) -> Indicator:
    return Indicator(key, _surprise(z), weight, text, figures, z)


def _surprise(z: float) -> float:
    """An indicator's strength from its z: nothing within noise, full from `Z_FULL` on."""
    return _ramp(z, Z_NOISE, Z_FULL)


def _share_of(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def _score(indicators: Sequence[Indicator]) -> float:
    """The indicators' evidence combined (Stouffer's weighted z: what points away from the
    pitfall counts against it, so noise cancels), on 0..1 from no evidence to `Z_SIGNAL_FULL`."""
    weights = sum(i.weight**2 for i in indicators)
    if weights == 0:
        return 0.0
    combined = sum(i.weight * i.evidence_z for i in indicators) / sqrt(weights)
    return _ramp(combined, 0.0, Z_SIGNAL_FULL)


def _windows(
    history: Sequence[MonthFacts], recent: int = RECENT
) -> tuple[list[MonthFacts], list[MonthFacts]]:
    """The recent months and the `BASELINE` months before them."""
    return list(history[-recent:]), list(history[-(recent + BASELINE) : -recent])


def _months(count: int) -> str:
    return "month" if count == 1 else f"{count} months"


def _per(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{round(100 * value)}%"


def _load(month: MonthFacts) -> tuple[int, int]:
    """(leaders' share of the month's answers, facilitation and moderation, all of it)."""
    carried = 0
    total = 0
    for counts in (
        month.answers_by_person,
        month.facilitations_by_person,
        month.moderation_by_person,
    ):
        for person, count in counts.items():
            total += count
            if person in month.leaders:
                carried += count
    return carried, total


# -- meetings without practice -------------------------------------------------------------


def meetings_without_practice(history: Sequence[MonthFacts], span: int = RECENT) -> Signal:
    recent, before = _windows(history, span)
    events_now, events_before = _sum(recent, lambda m: m.events), _sum(before, lambda m: m.events)
    if events_now < 2 or events_before < 2:
        return Signal(MEETINGS, 0.0, THRESHOLDS[MEETINGS], ())
    outputs_now = _sum(recent, lambda m: m.event_outputs)
    outputs_before = _sum(before, lambda m: m.event_outputs)
    indicators = [
        _measured(
            "outputs",
            _drop_z(outputs_now, events_now, outputs_before, events_before),
            WEIGHTS["outputs"],
            f"Events went on ({events_now:.0f} in the last {_months(span)}) but each led to "
            f"{_per(outputs_now / events_now)} notes, guides, questions or answers, against "
            f"{_per(outputs_before / events_before)} in the {BASELINE} months before.",
            {"events": events_now, "outputs": outputs_now, "outputs_before": outputs_before},
        )
    ]
    items_now = _sum(recent, lambda m: m.agenda_items)
    items_before = _sum(before, lambda m: m.agenda_items)
    if items_now >= 2 and items_before >= 3:
        from_now = _sum(recent, lambda m: m.agenda_items_from_members)
        from_before = _sum(before, lambda m: m.agenda_items_from_members)
        # a fall of the members' share is a rise of the leaders' share
        z = _rise_z(items_now - from_now, items_now, items_before - from_before, items_before)
        indicators.append(
            _measured(
                "agenda",
                z,
                WEIGHTS["agenda"],
                f"{_pct(_share_of(from_now, items_now))} of agenda items came from members, "
                f"against {_pct(_share_of(from_before, items_before))} before.",
                {"from_members": from_now, "items": items_now},
            )
        )
    came_now = _sum(recent, lambda m: m.attendance)
    came_before = _sum(before, lambda m: m.attendance)
    indicators.append(
        _measured(
            "attendance",
            # attendance clumps (a team comes or not): its z is read at half strength
            _drop_z(came_now, events_now, came_before, events_before) / 2,
            WEIGHTS["attendance"],
            f"{_per(came_now / events_now)} people came to each event, against "
            f"{_per(came_before / events_before)} before.",
            {"attendance": came_now, "before": came_before},
        )
    )
    return Signal(MEETINGS, _score(indicators), THRESHOLDS[MEETINGS], tuple(indicators))


# -- leader burnout --------------------------------------------------------------------------


def _top_share(months: Iterable[MonthFacts]) -> tuple[float | None, int]:
    by_person: dict[int, int] = {}
    for month in months:
        for person, count in month.answers_by_person.items():
            by_person[person] = by_person.get(person, 0) + count
    total = sum(by_person.values())
    if len(by_person) <= TOP or total == 0:
        return None, len(by_person)
    return sum(sorted(by_person.values(), reverse=True)[:TOP]) / total, len(by_person)


def _facilitators(months: Iterable[MonthFacts]) -> set[int]:
    return {p for m in months for p, count in m.facilitations_by_person.items() if count}


def leader_burnout(history: Sequence[MonthFacts], span: int = RECENT) -> Signal:
    recent, before = _windows(history, span)
    carried_before = _sum(before, lambda m: _load(m)[0])
    total_before = _sum(before, lambda m: _load(m)[1])
    if total_before < 10:
        return Signal(BURNOUT, 0.0, THRESHOLDS[BURNOUT], ())
    carried_now = _sum(recent, lambda m: _load(m)[0])
    total_now = _sum(recent, lambda m: _load(m)[1])
    indicators = [
        _measured(
            "share",
            _rise_z(carried_now, total_now, carried_before, total_before),
            WEIGHTS["share"],
            f"The leaders carried {_pct(_share_of(carried_now, total_now))} of the answers, "
            f"facilitation and moderation in the last {_months(span)}, against "
            f"{_pct(carried_before / total_before)} in the {BASELINE} before.",
            {"carried": carried_now, "of": total_now},
        )
    ]
    months_fragile = [_top_share([m])[0] for m in history[-max(span, 2) :]]
    top_now, answerers = _top_share(recent)
    top_before, _ = _top_share(before)
    sustained = all(share is not None and share > FRAGILE_ABOVE for share in months_fragile)
    if top_now is not None:
        indicators.append(
            Indicator(
                "concentration",
                _ramp((top_now or 0) - max(top_before or 0, FRAGILE_ABOVE), 0.0, 0.1)
                if sustained
                else 0.0,
                WEIGHTS["concentration"],
                f"The 10 people who answered most wrote {_pct(top_now)} of the answers "
                f"({answerers} people answered), above {_pct(FRAGILE_ABOVE)} two months running; "
                f"{_pct(top_before)} before.",
                {"top10_share": top_now, "before": top_before, "answerers": answerers},
            )
        )
    events_now = _sum(recent, lambda m: m.events)
    facilitators_now = _facilitators(recent)
    facilitators_before = _facilitators(before)
    if events_now >= 2 and len(facilitators_before) >= 2:
        indicators.append(
            Indicator(
                "rotation",
                1.0 if len(facilitators_now) <= 1 else 0.0,
                WEIGHTS["rotation"],
                f"{len(facilitators_now)} person facilitated the last {events_now:.0f} events; "
                f"{len(facilitators_before)} people shared it before.",
                {"facilitators": len(facilitators_now), "before": len(facilitators_before)},
            )
        )
    indicators.append(_falling_after_peak(history))
    at_cap = sum(1 for m in recent if m.leaders_at_cap)
    indicators.append(
        Indicator(
            "cap",
            _ramp(at_cap / span, 0.4, 1.0),
            WEIGHTS["cap"],
            f"Leaders were at their routing cap in {at_cap} of the last {_months(span)}.",
            {"months_at_cap": at_cap},
        )
    )
    return Signal(BURNOUT, _score(indicators), THRESHOLDS[BURNOUT], tuple(indicators))


def _falling_after_peak(history: Sequence[MonthFacts]) -> Indicator:
    """The current leader whose own activity fell furthest below their peak of the last year."""
    leaders = history[-1].leaders
    worst: tuple[float, int, float, float] | None = None
    year = history[-YEAR:]
    for leader in leaders:
        series = [m.actions_by_leader.get(leader, 0) for m in year if leader in m.leaders]
        if len(series) < RECENT + 3:
            continue
        peak = float(max(series[:-RECENT]))
        now = sum(series[-RECENT:]) / RECENT
        if peak < 8:
            continue
        fall = 1 - now / peak
        if worst is None or fall > worst[0]:
            worst = (fall, leader, now, peak)
    if worst is None:
        return Indicator("peak", 0.0, 0.0, "", {})  # no leader with a year: no evidence
    return Indicator(
        "peak",
        _ramp(worst[0], 0.45, 0.8),
        WEIGHTS["peak"],
        f"A leader's own activity fell to {worst[2]:.0f} actions a month from a peak of "
        f"{worst[3]:.0f}.",
        {"leader": worst[1], "per_month": worst[2], "peak": worst[3]},
    )


# -- sponsor disengagement -------------------------------------------------------------------


def sponsor_disengagement(history: Sequence[MonthFacts]) -> Signal:
    threshold = THRESHOLDS[SPONSOR]
    # a sponsor who left or changed role stays raised for the quarter after it (the longest
    # span the radar reads), not only the two months after: it takes a new sponsor to end it
    for month in history[-max(SPANS) :]:
        for sponsor in month.sponsors:
            if sponsor.left or sponsor.changed_role:
                what = "left" if sponsor.left else "changed role"
                indicator = Indicator(
                    "left" if sponsor.left else "changed_role",
                    1.0,
                    1.0,
                    f"The sponsor {what} in {month.month:%B %Y}.",
                    {"sponsor": sponsor.person_id},
                )
                return Signal(SPONSOR, 1.0, threshold, (indicator,))
    sponsored_before = {s.person_id for m in history[-MIN_MONTHS:-RECENT] for s in m.sponsors}
    if sponsored_before and not history[-1].sponsors:
        indicator = Indicator(
            "left", 1.0, 1.0, "The community has had no sponsor since last month.", {}
        )
        return Signal(SPONSOR, 1.0, threshold, (indicator,))
    best: Signal | None = None
    for sponsor in history[-1].sponsors:
        signal = _sponsor_drift(history, sponsor.person_id)
        if signal is not None and (best is None or signal.score > best.score):
            best = signal
    return best or Signal(SPONSOR, 0.0, threshold, ())


def _sponsor_drift(history: Sequence[MonthFacts], person: int) -> Signal | None:
    """How unlike their own habit a sponsor has gone quiet: for each habit (opening the
    report, coming to events, hearing value stories), how unlikely the silence since they last
    did it would be at the rate they did it before (in powers of ten), added up; unopened
    reports count from the second month only, as the issue's rule says."""
    mine = [
        (month, next(s for s in month.sponsors if s.person_id == person))
        for month in history[-YEAR:]
        if any(s.person_id == person for s in month.sponsors)
    ]
    if len(mine) < RECENT + 4:
        return None  # a new sponsor has not had the time to drift
    past = mine[:-RECENT]

    def silence(did: Callable[[SponsorMonth], float]) -> int:
        quiet = 0
        for _, sponsor in reversed(mine):
            if did(sponsor):
                break
            quiet += 1
        return quiet

    unopened = silence(lambda s: s.opened_report)
    open_rate = (sum(s.opened_report for _, s in past) + 1) / (len(past) + 2)
    report_surprise = -log10((1 - open_rate) ** unopened) if unopened >= 2 else 0.0
    unattended = silence(lambda s: s.attended)
    events_since = sum(m.events for m, _ in mine[len(mine) - unattended :]) if unattended else 0
    per_event = (sum(s.attended for _, s in past) + 0.5) / (sum(m.events for m, _ in past) + 2)
    attend_surprise = -log10((1 - min(per_event, 0.95)) ** events_since)
    untold = silence(lambda s: s.stories_told)
    per_month = (sum(s.stories_told for _, s in past) + 0.5) / (len(past) + 2)
    story_surprise = untold * per_month / log(10)
    indicators: tuple[Indicator, ...] = (
        Indicator(
            "report",
            _ramp(report_surprise, 0.5, 2.0),
            0.5,
            f"The sponsor has not opened the impact report for {unopened} months (before, they "
            f"opened it {_pct(open_rate)} of months).",
            {"sponsor": person, "months": unopened},
        ),
        Indicator(
            "attendance",
            _ramp(attend_surprise, 0.5, 2.0),
            0.25,
            f"The sponsor came to none of the {events_since} events since {unattended} months ago.",
            {"sponsor": person, "months": unattended, "events": events_since},
        ),
        Indicator(
            "stories",
            _ramp(story_surprise, 0.5, 2.0),
            0.25,
            f"Nobody has told the sponsor a value story for {untold} months (before, about one "
            f"every {max(1, round(1 / per_month))} months).",
            {"sponsor": person, "months": untold},
        ),
    )
    total = report_surprise + attend_surprise + story_surprise
    score = _ramp(total, 1.0, 3.0)
    absent = min(unopened, unattended, untold)
    if absent >= ABSENT_MONTHS:
        # The issue's own rule, whatever the habit: a sponsor who has read nothing, come to
        # nothing and heard nothing for a quarter has drifted, or never arrived.
        score = 1.0
        indicators = (
            Indicator(
                "absent",
                1.0,
                1.0,
                f"The sponsor has not opened the impact report, come to an event or been told a "
                f"value story for {absent} months.",
                {"sponsor": person, "months": absent},
            ),
            *indicators,
        )
    return Signal(SPONSOR, score, THRESHOLDS[SPONSOR], indicators)


# -- stagnation and drift --------------------------------------------------------------------


def _fall_z(
    history: Sequence[MonthFacts],
    count: Callable[[MonthFacts], float],
    exposure: Callable[[MonthFacts], float],
    span: int,
) -> tuple[float, float | None, float | None]:
    """How surprising the fall of a rate is in the recent months against the baseline and
    against the same months a year before (when known): the smaller of the two counts, so a
    seasonal dip that also happened last year is not a decline. Returns (z, rate now, rate
    before)."""
    recent, before = _windows(history, span)
    now, exposed_now = _sum(recent, count), _sum(recent, exposure)
    was, exposed_before = _sum(before, count), _sum(before, exposure)
    z = _drop_z(now, exposed_now, was, exposed_before)
    if len(history) >= YEAR + span:
        year_ago = history[-(YEAR + span) : -YEAR]
        z = min(z, _drop_z(now, exposed_now, _sum(year_ago, count), _sum(year_ago, exposure)))
    return z, _share_of(now, exposed_now), _share_of(was, exposed_before)


def stagnation(history: Sequence[MonthFacts], span: int = RECENT) -> Signal:
    recent, before = _windows(history, span)
    indicators: list[Indicator] = []
    z, now, was = _fall_z(history, lambda m: m.new_members, lambda m: m.members, span)
    indicators.append(
        _measured(
            "newcomers",
            z,
            WEIGHTS["newcomers"],
            f"{_pct(now)} of members joined each month lately, against {_pct(was)} before.",
            {"joined_share": now, "before": was},
        )
    )
    z, now, was = _fall_z(history, lambda m: m.new_contributors, lambda m: m.active, span)
    indicators.append(
        _measured(
            "new_contributors",
            z,
            WEIGHTS["new_contributors"],
            f"{_pct(now)} of active people contributed for the first time each month, against "
            f"{_pct(was)} before.",
            {"new_contributor_share": now, "before": was},
        )
    )
    indicators.append(_same_core(history))
    questions_now = _sum(recent, lambda m: m.questions)
    questions_before = _sum(before, lambda m: m.questions)
    if questions_now >= 3 and questions_before >= 5:
        open_now = _sum(recent, lambda m: m.unanswered)
        open_before = _sum(before, lambda m: m.unanswered)
        indicators.append(
            _measured(
                "unanswered",
                _rise_z(open_now, questions_now, open_before, questions_before),
                WEIGHTS["unanswered"],
                f"{_pct(open_now / questions_now)} of recent questions are still unanswered, "
                f"against {_pct(open_before / questions_before)} before.",
                {"unanswered": open_now, "questions": questions_now},
            )
        )
    first, last = history[-MIN_MONTHS], history[-1]
    if last.guides >= 3 and first.guides >= 3:
        z = _rise_z(last.stale_guides, last.guides, first.stale_guides, first.guides)
        indicators.append(
            _measured(
                "stale",
                z,
                WEIGHTS["stale"],
                f"{_pct(last.stale_guides / last.guides)} of the community's guides are overdue "
                f"for review, against {_pct(first.stale_guides / first.guides)} "
                f"{MIN_MONTHS - 1} months ago.",
                {"stale": last.stale_guides, "guides": last.guides},
            )
        )
    indicators.append(_drift(recent, before))
    return Signal(STAGNATION, _score(indicators), THRESHOLDS[STAGNATION], tuple(indicators))


def _drift(recent: Sequence[MonthFacts], before: Sequence[MonthFacts]) -> Indicator:
    """The questions' fit to the domain, recent months against the months before, in units of
    how much it varied from month to month before."""
    fits_now = [m.charter_fit for m in recent if m.charter_fit is not None]
    fits_before = [m.charter_fit for m in before if m.charter_fit is not None]
    if not fits_now or len(fits_before) < 3:
        return Indicator("drift", 0.0, 0.0, "", {})  # not measured: no evidence
    fit_now, fit_before = mean(fits_now), mean(fits_before)
    spread = max(stdev(fits_before), 0.02) * sqrt(1 / len(fits_now) + 1 / len(fits_before))
    return _measured(
        "drift",
        (fit_before - fit_now) / spread,
        WEIGHTS["drift"],
        f"{_pct(fit_now)} of the recent questions are as close to what the community is "
        f"about (its name, domain and charter) as its typical question, against "
        f"{_pct(fit_before)} before.",
        {"charter_fit": fit_now, "before": fit_before},
    )


def _same_core(history: Sequence[MonthFacts]) -> Indicator:
    last, earlier = history[-1].core, history[-(BASELINE + 1)].core
    inward = _sum(history[-3:], lambda m: m.moved_inward)
    inward_before = _sum(history[-(MIN_MONTHS):-3], lambda m: m.moved_inward) / (MIN_MONTHS - 3)
    if len(last) < 3 or not earlier:
        return Indicator("core", 0.0, 0.0, "", {})  # no core to compare: no evidence
    kept = len(last & earlier) / len(last | earlier)
    expected = 3 * inward_before
    strength = _ramp(kept, 0.6, 0.85) * (_ramp(expected - inward, 0.5, 2.0) if expected else 1.0)
    return Indicator(
        "core",
        strength,
        WEIGHTS["core"],
        f"{round(100 * kept)}% of the core team is the same as {BASELINE} months ago and "
        f"{inward:.0f} people moved inward in the last 3 months (about {expected:.0f} before).",
        {"same_core": kept, "moved_inward": inward, "expected": expected},
    )


SCANNED_DETECTORS: Mapping[str, Callable[[Sequence[MonthFacts], int], Signal]] = {
    MEETINGS: meetings_without_practice,
    BURNOUT: leader_burnout,
    STAGNATION: stagnation,
}
DETECTORS: Mapping[str, Callable[[Sequence[MonthFacts]], Signal]] = {
    MEETINGS: meetings_without_practice,
    BURNOUT: leader_burnout,
    SPONSOR: sponsor_disengagement,
    STAGNATION: stagnation,
}


SPANS = (1, 2, 3)  # recent windows read: a sharp change shows in one month, a slow one in three
SCANNED = frozenset({MEETINGS, BURNOUT, STAGNATION})


def assess(history: Sequence[MonthFacts]) -> list[Signal]:
    """Every pitfall's signal for the latest month of `history` (oldest month first): for the
    rates, the most telling of the last one, two and three months against the months before."""
    if len(history) < MIN_MONTHS:
        return []
    signals = []
    for pitfall, detect in DETECTORS.items():
        if pitfall not in SCANNED:
            signals.append(detect(history))
            continue
        spans = [s for s in SPANS if s + BASELINE <= len(history)]
        readings = [SCANNED_DETECTORS[pitfall](history, s) for s in spans]
        signals.append(max(readings, key=lambda signal: signal.score))
    return signals
