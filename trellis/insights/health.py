"""Community health: this period's figures against the period before, each with the direction
a leader wants it to move, whether it did, and a line saying what it means (pure).

The metrics are those of Discourse's admin dashboard (stickiness, engaged people, resolution
rate, unanswered share, a headline label) and of the critique of it (new contributors, lost
regulars, reactivated members, reply coverage within 7 days, solo threads, the top-10 share).
They are computed from plain facts (`HealthInputs`), which `health_reads.py` reads from the
database with a handful of grouped queries and a benchmark can build from a dump: one
implementation for both.

Definitions, for a period [start, end) and the period before it of the same length (calendar
months when the period is made of whole months):

- **active people**: anyone with anything recorded, reading included;
- **stickiness**: average daily active people / active people in the period (DAU/MAU);
- **engaged people**: anyone who contributed (wrote anything: asked, answered, commented,
  voted, thanked, worked on a guide);
- **new contributors**: contributed for the first time ever (in the scope) in the period;
- **lost regulars**: contributed in at least 2 of the 3 periods before, nothing in this one;
- **reactivated**: contributed in this period, nothing in the 3 before, something earlier;
- **questions asked**, and over them: **resolution rate** (an accepted answer),
  **unanswered share** (no answer at all), **reply coverage within 7 days** (an answer or a
  comment from someone other than the asker within 7 days; only questions whose 7 days are
  over count), **solo-thread rate** (nobody but the asker took part);
- **top-10 share**: the share of the period's answers written by the 10 people who wrote
  most; fragile when above 70% in this period and the one before ("sustained above 70%").

Show less, not nonsense: a rate that rests on fewer than `MIN_QUESTIONS` questions,
`MIN_PEOPLE` people or `MIN_ANSWERS` answers (or on 10 answerers or fewer, when the top 10 is
everyone) is None, and its line says why.

The headline label reads the movement of active and engaged people. Each moves "up" or "down"
only when it changed by more than `DEAD_BAND` of its previous value and by more than
`DEAD_BAND_PEOPLE` people; otherwise it held ("flat"), so noise does not flip the label:

    active \\ engaged   up                     flat                   down
    up                 healthy growth         growing but quiet      growing but quiet
    flat               healthy growth         steady                 shrinking
    down               engaged but shrinking  engaged but shrinking  shrinking

With fewer than `MIN_PEOPLE` active people in both periods there is no label.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from itertools import pairwise

UP, DOWN, FLAT = "up", "down", "flat"
MIN_QUESTIONS = 5
MIN_PEOPLE = 5
MIN_ANSWERS = 20
TOP = 10
FRAGILE_ABOVE = 0.70
REPLY_WITHIN = timedelta(days=7)
REGULAR_PERIODS = 3  # lost regulars and reactivated look this many periods back
REGULAR_MIN = 2  # a regular contributed in at least this many of them
PERIODS_NEEDED = REGULAR_PERIODS + 2  # the current one, the previous one and 3 before that
DEAD_BAND = 0.05
DEAD_BAND_PEOPLE = 1

HEALTHY_GROWTH = "healthy growth"
ENGAGED_BUT_SHRINKING = "engaged but shrinking"
GROWING_BUT_QUIET = "growing but quiet"
SHRINKING = "shrinking"
STEADY = "steady"
HEADLINES = {
    (UP, UP): HEALTHY_GROWTH,
    (UP, FLAT): GROWING_BUT_QUIET,
    (UP, DOWN): GROWING_BUT_QUIET,
    (FLAT, UP): HEALTHY_GROWTH,
    (FLAT, FLAT): STEADY,
    (FLAT, DOWN): SHRINKING,
    (DOWN, UP): ENGAGED_BUT_SHRINKING,
    (DOWN, FLAT): ENGAGED_BUT_SHRINKING,
    (DOWN, DOWN): SHRINKING,
}

Span = tuple[datetime, datetime]


# Periods ------------------------------------------------------------------------------------


def _whole_months(start: datetime, end: datetime) -> int | None:
    """How many calendar months [start, end) covers, when both are local midnights on a 1st."""
    midnight = time(0, 0)
    if not (start.day == end.day == 1 and start.time() == end.time() == midnight):
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if months > 0 else None


def _shift_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def periods_ending(start: datetime, end: datetime, count: int = PERIODS_NEEDED) -> list[Span]:
    """`count` consecutive periods, oldest first, the last being [start, end): calendar months
    (or quarters) when the period is whole months, otherwise steps of end - start."""
    if end <= start:
        raise ValueError("a period ends after it starts")
    months = _whole_months(start, end)
    bounds = [end]
    for back in range(count):
        if months is not None:
            bounds.append(_shift_months(start, -months * back))
        else:
            bounds.append(start - (end - start) * back)
    bounds.reverse()
    return list(pairwise(bounds))


def days_in(start: datetime, stop: datetime, zone: tzinfo | None = None) -> int:
    """The calendar days [start, stop) touches, in the period's time zone (a day with a
    daylight-saving change is still one day), at least 1."""
    zone = zone or start.tzinfo
    first = start.astimezone(zone)
    last = stop.astimezone(zone)
    days = (last.date() - first.date()).days
    if last.time() != time(0, 0):
        days += 1
    return max(days, 1)


def local_day(moment: datetime, zone: tzinfo | None) -> date:
    return moment.astimezone(zone).date()


# Inputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFacts:
    """One question asked in the period, as it stands when the figures are read."""

    asker_id: int | None
    asked_at: datetime
    answered: bool  # at least one answer, by anyone
    accepted: bool  # an accepted answer
    first_reply_by_other_at: datetime | None  # first answer or comment by someone else


@dataclass(frozen=True)
class PeriodFacts:
    """What happened in one period."""

    start: datetime
    end: datetime
    active_people: int  # anyone with anything recorded, reading included
    active_person_days: int  # over the period's days, the people active that day, added up
    questions: tuple[QuestionFacts, ...]
    answers_by_author: Mapping[int, int]  # answers written in the period, per author


@dataclass(frozen=True)
class HealthInputs:
    current: PeriodFacts
    previous: PeriodFacts
    # Who contributed in each of the last `PERIODS_NEEDED` periods, oldest first, the current
    # one last.
    contributors: tuple[frozenset[int], ...]
    # Who contributed before the oldest of them: at least everyone in the last two periods'
    # contributors who did nothing in the periods given before theirs (more does no harm).
    contributed_earlier: frozenset[int]
    as_of: datetime  # when the figures are read (the current period may still be running)


def people_in_period(
    events: Sequence[tuple[int, datetime]], start: datetime, end: datetime
) -> tuple[int, int]:
    """(active people, active person-days) from (person, moment) pairs: the definitions the
    database reads follow, for a benchmark or a test that has the events themselves."""
    zone = start.tzinfo
    inside = [(person, when) for person, when in events if start <= when < end]
    people = {person for person, _ in inside}
    person_days = {(person, local_day(when, zone)) for person, when in inside}
    return len(people), len(person_days)


# Results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    value: float | None  # a count, or a share between 0 and 1; None when too few cases
    previous: float | None
    desirable: str  # UP or DOWN
    moved_right_way: bool | None  # None when unchanged or not comparable
    explanation: str
    is_share: bool = False
    cases: int = 0  # what the value rests on: people, questions or answers in this period


@dataclass(frozen=True)
class Headline:
    label: str | None  # None when too few people to call a trend
    reason: str
    active_trend: str
    engaged_trend: str


@dataclass(frozen=True)
class Health:
    start: datetime
    end: datetime
    previous_start: datetime
    metrics: tuple[Metric, ...]
    headline: Headline
    fragile: bool
    fragile_reason: str

    def metric(self, key: str) -> Metric:
        for metric in self.metrics:
            if metric.key == key:
                return metric
        raise KeyError(key)


# Computation --------------------------------------------------------------------------------


def _share(part: int, whole: int, minimum: int) -> float | None:
    return round(part / whole, 4) if whole >= minimum else None


def _percent(share: float | None) -> str:
    return "no rate" if share is None else f"{share:.0%}"


def _moved_right_way(value: float | None, previous: float | None, desirable: str) -> bool | None:
    if value is None or previous is None or value == previous:
        return None
    return (value > previous) == (desirable == UP)


def _before_phrase(inputs: HealthInputs) -> str:
    months = _whole_months(inputs.current.start, inputs.current.end)
    if months == 1:
        return "the month before"
    if months == 3:
        return "the quarter before"
    return "the period before"


def _period_words(inputs: HealthInputs) -> tuple[str, str]:
    """What to call the period and several of them: a leader thinks in months."""
    months = _whole_months(inputs.current.start, inputs.current.end)
    if months == 1:
        return "month", "months"
    if months == 3:
        return "quarter", "quarters"
    return "period", "periods"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _count_metric(
    key: str, label: str, now: int, before: int, desirable: str, what: str, earlier: str
) -> Metric:
    return Metric(
        key=key,
        label=label,
        value=now,
        previous=before,
        desirable=desirable,
        moved_right_way=_moved_right_way(now, before, desirable),
        explanation=f"{what} ({before} {earlier}).",
        cases=now,
    )


def _contribution_history(inputs: HealthInputs, index: int) -> tuple[int, int, int]:
    """(new contributors, lost regulars, reactivated) for the period at `index` of
    `inputs.contributors` (which needs `REGULAR_PERIODS` periods before it for lost regulars)."""
    periods = inputs.contributors
    now = periods[index]
    before = periods[:index]
    recent = before[-REGULAR_PERIODS:]
    older = before[:-REGULAR_PERIODS]
    ever_before = inputs.contributed_earlier.union(*before)
    new = len(now - ever_before)
    lost = sum(
        1
        for person in frozenset().union(*recent)
        if person not in now and sum(person in period for period in recent) >= REGULAR_MIN
    )
    quiet_recently = now - frozenset().union(*recent)
    earlier = inputs.contributed_earlier.union(*older)
    reactivated = len(quiet_recently & earlier)
    return new, lost, reactivated


def _stickiness(period: PeriodFacts, as_of: datetime) -> tuple[float | None, float]:
    days = days_in(period.start, min(period.end, as_of))
    daily = period.active_person_days / days
    if period.active_people < MIN_PEOPLE:
        return None, daily
    return round(daily / period.active_people, 4), daily


@dataclass(frozen=True)
class _QuestionTally:
    asked: int
    accepted: int
    unanswered: int
    eligible: int  # whose 7 days are over
    covered: int
    solo: int


def _tally(questions: Sequence[QuestionFacts], as_of: datetime) -> _QuestionTally:
    eligible = [q for q in questions if q.asked_at + REPLY_WITHIN <= as_of]
    return _QuestionTally(
        asked=len(questions),
        accepted=sum(q.accepted for q in questions),
        unanswered=sum(not q.answered for q in questions),
        eligible=len(eligible),
        covered=sum(
            q.first_reply_by_other_at is not None
            and q.first_reply_by_other_at - q.asked_at <= REPLY_WITHIN
            for q in eligible
        ),
        solo=sum(q.first_reply_by_other_at is None for q in questions),
    )


def _question_rate(
    key: str,
    label: str,
    counted: tuple[int, int],
    previous: float | None,
    desirable: str,
    words: tuple[str, str],
    earlier: str,
) -> Metric:
    """A share of questions: `counted` is (part, whole), `words` says what the part has ("An
    accepted answer on") and names the whole ("questions")."""
    part, whole = counted
    what, whole_words = words
    value = _share(part, whole, MIN_QUESTIONS)
    if value is None:
        named = whole_words.replace("questions", "question", 1) if whole == 1 else whole_words
        said = f"Only {whole} {named}: too few for a rate" if whole else f"No {whole_words}"
        explanation = f"{said} ({_percent(previous)} {earlier})."
    else:
        explanation = (
            f"{what} {part} of the {whole} {whole_words} ({value:.0%}; "
            f"{_percent(previous)} {earlier})."
        )
    return Metric(
        key=key,
        label=label,
        value=value,
        previous=previous,
        desirable=desirable,
        moved_right_way=_moved_right_way(value, previous, desirable),
        explanation=explanation,
        is_share=True,
        cases=whole,
    )


def _top_share(answers_by_author: Mapping[int, int]) -> tuple[float | None, int, int]:
    """(share of answers by the top 10, answers, answerers)."""
    counts = sorted(answers_by_author.values(), reverse=True)
    total = sum(counts)
    if total < MIN_ANSWERS or len(counts) <= TOP:
        return None, total, len(counts)
    return round(sum(counts[:TOP]) / total, 4), total, len(counts)


def _trend(now: int, before: int) -> str:
    band = max(DEAD_BAND * before, DEAD_BAND_PEOPLE)
    if now - before > band:
        return UP
    if before - now > band:
        return DOWN
    return FLAT


def _movement_phrase(what: str, now: int, before: int, trend: str) -> str:
    if trend == FLAT:
        if now == before:
            return f"{what} held at {now}"
        return f"{what} held steady ({before} to {now}, within {DEAD_BAND:.0%})"
    verb = "rose" if trend == UP else "fell"
    change = f" ({(now - before) / before:+.0%})" if before else ""
    return f"{what} {verb} from {before} to {now}{change}"


def headline_for(*, active: tuple[int, int], engaged: tuple[int, int]) -> Headline:
    """The label from (now, before) of active and engaged people, and why, in figures."""
    active_trend = _trend(*active)
    engaged_trend = _trend(*engaged)
    if max(active) < MIN_PEOPLE:
        return Headline(
            None,
            f"Too few people to call a trend ({active[1]} active the period before, "
            f"{active[0]} now).",
            active_trend,
            engaged_trend,
        )
    label = HEADLINES[(active_trend, engaged_trend)]
    reason = (
        f"{label.capitalize()}: {_movement_phrase('active people', *active, active_trend)} and "
        f"{_movement_phrase('engaged people', *engaged, engaged_trend)}."
    )
    return Headline(label, reason, active_trend, engaged_trend)


def assess(inputs: HealthInputs) -> Health:
    """Every metric for the current period against the previous one, and the headline."""
    if len(inputs.contributors) != PERIODS_NEEDED:
        raise ValueError(f"contributors covers {PERIODS_NEEDED} periods")
    now, before = inputs.current, inputs.previous
    earlier = _before_phrase(inputs)
    period, periods = _period_words(inputs)
    metrics: list[Metric] = []

    metrics.append(
        _count_metric(
            "active_people",
            "Active people",
            now.active_people,
            before.active_people,
            UP,
            f"{_plural(now.active_people, 'person', 'people')} did something here, "
            "reading included",
            earlier,
        )
    )
    sticky, daily = _stickiness(now, inputs.as_of)
    sticky_before, _ = _stickiness(before, inputs.as_of)
    if sticky is None:
        said = f"Only {_plural(now.active_people, 'active person', 'active people')}: too few"
        sticky_text = f"{said} for a rate ({_percent(sticky_before)} {earlier})."
    else:
        sticky_text = (
            f"On an average day {daily:.1f} of the {now.active_people} people active in the "
            f"{period} came by "
            f"({sticky:.0%}; {_percent(sticky_before)} {earlier})."
        )
    metrics.append(
        Metric(
            key="stickiness",
            label="Stickiness (who comes on an average day)",
            value=sticky,
            previous=sticky_before,
            desirable=UP,
            moved_right_way=_moved_right_way(sticky, sticky_before, UP),
            explanation=sticky_text,
            is_share=True,
            cases=now.active_people,
        )
    )

    engaged = len(inputs.contributors[-1]), len(inputs.contributors[-2])
    metrics.append(
        _count_metric(
            "engaged_people",
            "Engaged people",
            *engaged,
            UP,
            f"{_plural(engaged[0], 'person', 'people')} wrote something: asked, answered, "
            "commented, voted, thanked or worked on a guide",
            earlier,
        )
    )
    new, lost, back = _contribution_history(inputs, PERIODS_NEEDED - 1)
    new_before, lost_before, back_before = _contribution_history(inputs, PERIODS_NEEDED - 2)
    metrics.append(
        _count_metric(
            "new_contributors",
            "New contributors",
            new,
            new_before,
            UP,
            f"{_plural(new, 'person', 'people')} contributed here for the first time",
            earlier,
        )
    )
    metrics.append(
        _count_metric(
            "lost_regulars",
            "Lost regulars",
            lost,
            lost_before,
            DOWN,
            f"{_plural(lost, 'regular')} (contributing in at least {REGULAR_MIN} of the "
            f"{REGULAR_PERIODS} {periods} before) wrote nothing this {period}",
            earlier,
        )
    )
    metrics.append(
        _count_metric(
            "reactivated",
            "Reactivated",
            back,
            back_before,
            UP,
            f"{_plural(back, 'person', 'people')} contributed again after "
            f"{REGULAR_PERIODS} quiet {periods}",
            earlier,
        )
    )

    tally, tally_before = (
        _tally(now.questions, inputs.as_of),
        _tally(before.questions, inputs.as_of),
    )
    metrics.append(
        _count_metric(
            "questions_asked",
            "Questions asked",
            tally.asked,
            tally_before.asked,
            UP,
            f"{_plural(tally.asked, 'question')} asked",
            earlier,
        )
    )
    rates = (
        ("resolution_rate", "Resolution rate", "accepted", UP, "An accepted answer on"),
        ("unanswered_share", "Unanswered", "unanswered", DOWN, "No answer yet on"),
        ("solo_thread_rate", "Solo threads", "solo", DOWN, "Nobody but the asker took part in"),
    )
    for key, label, field, desirable, what in rates:
        metrics.append(
            _question_rate(
                key,
                label,
                (getattr(tally, field), tally.asked),
                _share(getattr(tally_before, field), tally_before.asked, MIN_QUESTIONS),
                desirable,
                (what, "questions"),
                earlier,
            )
        )
    metrics.append(
        _question_rate(
            "reply_coverage_7d",
            "Replied to within 7 days",
            (tally.covered, tally.eligible),
            _share(tally_before.covered, tally_before.eligible, MIN_QUESTIONS),
            UP,
            (
                "An answer or comment from someone else within 7 days on",
                "questions at least 7 days old",
            ),
            earlier,
        )
    )

    top, answers, answerers = _top_share(now.answers_by_author)
    top_before, _, _ = _top_share(before.answers_by_author)
    if top is not None:
        top_text = (
            f"The {TOP} people who answered most wrote {top:.0%} of the {answers} answers "
            f"({_percent(top_before)} {earlier}); sustained above {FRAGILE_ABOVE:.0%} is fragile."
        )
    elif answerers <= TOP and answers:
        top_text = (
            f"Only {_plural(answerers, 'person', 'people')} answered: the top {TOP} is everyone, "
            "so no share."
        )
    else:
        top_text = f"Only {_plural(answers, 'answer')}: too few for a share."
    metrics.append(
        Metric(
            key="top10_share",
            label=f"Top-{TOP} share of answers",
            value=top,
            previous=top_before,
            desirable=DOWN,
            moved_right_way=_moved_right_way(top, top_before, DOWN),
            explanation=top_text,
            is_share=True,
            cases=answers,
        )
    )
    fragile = (
        top is not None
        and top_before is not None
        and top > FRAGILE_ABOVE
        and top_before > FRAGILE_ABOVE
    )
    fragile_reason = (
        f"Fragile: the top {TOP} answerers wrote {top_before:.0%} of the answers {earlier} and "
        f"{top:.0%} now, above {FRAGILE_ABOVE:.0%} both times: a few people carry the community."
        if fragile and top is not None and top_before is not None
        else ""
    )

    headline = headline_for(active=(now.active_people, before.active_people), engaged=engaged)
    return Health(
        start=now.start,
        end=now.end,
        previous_start=before.start,
        metrics=tuple(metrics),
        headline=headline,
        fragile=fragile,
        fragile_reason=fragile_reason,
    )
