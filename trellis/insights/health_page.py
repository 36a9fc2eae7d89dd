"""What the community health page and its CSV show, read from the stored figures: the headline
label and why, each metric this month against the last in words (which way is good, whether it
moved that way), "not enough ... to say" where a figure rests on too few cases, and lines over
the last year for a few key metrics.

A month still running is compared, to date, with the whole month before: its counts are bound
to look low, so its label is held back until it is over (the metrics are shown, marked so).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from trellis.communities.models import Community
from trellis.core import charts
from trellis.insights import counts, health_selectors
from trellis.insights.health import (
    DEAD_BAND,
    DEAD_BAND_PEOPLE,
    DOWN,
    ENGAGED_BUT_SHRINKING,
    GROWING_BUT_QUIET,
    HEALTHY_GROWTH,
    MIN_ANSWERS,
    MIN_PEOPLE,
    MIN_QUESTIONS,
    SHRINKING,
    STEADY,
    TOP,
    UP,
    Headline,
    Metric,
)
from trellis.insights.health_selectors import StoredHealth
from trellis.insights.participation_page import BadMonth

MONTHS_OFFERED = 12
DESIRABLE_WORDS = {UP: "higher is better", DOWN: "lower is better"}
# What a metric's figure rests on, for "not enough ... to say".
CASES_WORDS = {
    "stickiness": "active people",
    "resolution_rate": "questions",
    "unanswered_share": "questions",
    "solo_thread_rate": "questions",
    "reply_coverage_7d": "questions a week old",
    "top10_share": "answers",
}
# The charts: (name, title, metric keys, plotted as percentages).
CHARTS = (
    ("health-people", "People taking part", ("active_people", "engaged_people"), False),
    (
        "health-questions",
        "Questions: % resolved, replied to within 7 days, unanswered",
        ("resolution_rate", "reply_coverage_7d", "unanswered_share"),
        True,
    ),
    (
        "health-turnover",
        "Contributors coming and going",
        ("new_contributors", "lost_regulars", "reactivated"),
        False,
    ),
)
CSV_HEADER = (
    "month",
    "metric",
    "label",
    "value",
    "previous",
    "desirable_direction",
    "moved_right_way",
    "month_over",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The label's rule (health.HEADLINES) in a leader's words.
LABEL_RULES = (
    (HEALTHY_GROWTH, "engaged people rose, and active people rose or held"),
    (GROWING_BUT_QUIET, "active people rose, engaged people did not"),
    (STEADY, "both held"),
    (ENGAGED_BUT_SHRINKING, "active people fell, engaged people rose or held"),
    (SHRINKING, "engaged people fell, and active people fell or held"),
)
LABEL_TERMS = (
    f"A number rose or fell only when it changed by more than {DEAD_BAND:.0%} and by more than "
    f"{DEAD_BAND_PEOPLE} {'person' if DEAD_BAND_PEOPLE == 1 else 'people'}; otherwise it held, "
    f"so a quiet week does not flip the label. With fewer than {MIN_PEOPLE} active people "
    "there is no label."
)
THIN_DATA = (
    f"A rate needs at least {MIN_QUESTIONS} questions (or {MIN_PEOPLE} active people); the "
    f"top-{TOP} share at least {MIN_ANSWERS} answers by more than {TOP} people. Below that "
    "the page says there is not enough to say rather than show a rate that means little."
)


@dataclass(frozen=True)
class MetricRow:
    key: str
    label: str
    now: str  # "40%", "12", or "not enough questions to say"
    before: str
    value: float | None  # the figure itself, for data-value
    desirable: str  # UP or DOWN
    desirable_words: str  # "higher is better"
    moved: str  # "right", "wrong", "same" or "" (not comparable)
    moved_words: str  # "moved the right way (up)"
    explanation: str


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    svg: str


@dataclass(frozen=True)
class HealthPage:
    community: Community | None
    month: date | None  # None: nothing computed yet
    months: list[tuple[date, str]]  # the months one may ask for, newest first, with labels
    complete: bool  # the month was over when its figures were read
    as_of: datetime | None
    previous: date | None
    headline: Headline | None
    fragile_reason: str
    rows: list[MetricRow]
    charts: list[Chart]
    label_rules: tuple[tuple[str, str], ...] = LABEL_RULES
    label_terms: str = LABEL_TERMS
    thin_data: str = THIN_DATA


def _figure(metric: Metric, value: float | None) -> str:
    if value is None:
        what = CASES_WORDS.get(metric.key, "cases")
        if metric.key == "top10_share" and metric.cases >= MIN_ANSWERS:
            what = "people answering"
        return f"not enough {what} to say"
    if metric.is_share:
        return f"{value:.0%}"
    return f"{value:g}"


def _moved(metric: Metric) -> tuple[str, str]:
    if metric.value is None or metric.previous is None:
        return "", "cannot compare: a figure is missing"
    if metric.value == metric.previous:
        return "same", "no change"
    way = "up" if metric.value > metric.previous else "down"
    if metric.moved_right_way:
        return "right", f"moved the right way ({way})"
    return "wrong", f"moved the wrong way ({way})"


def metric_row(metric: Metric, *, month_over: bool = True) -> MetricRow:
    """A metric in words; for a month still running, its counts to date against a whole month
    say nothing yet about which way it moved."""
    moved, moved_words = _moved(metric) if month_over else ("", "too early to say")
    return MetricRow(
        key=metric.key,
        label=metric.label,
        now=_figure(metric, metric.value),
        before=_figure(metric, metric.previous),
        value=metric.value,
        desirable=metric.desirable,
        desirable_words=DESIRABLE_WORDS[metric.desirable],
        moved=moved,
        moved_words=moved_words,
        explanation=metric.explanation,
    )


def headline_shown(stored: StoredHealth) -> Headline:
    """The stored headline, or, for a month still running, why there is none yet."""
    headline = stored.health.headline
    if stored.complete:
        return headline
    reason = f"The label compares whole months: it is given once {stored.month:%B} is over."
    return Headline(None, reason, headline.active_trend, headline.engaged_trend)


def _month_label(month: date, first: bool) -> str:
    return f"{month:%b ’%y}" if first or month.month == 1 else f"{month:%b}"


def _charts(community: Community | None, until: date) -> list[Chart]:
    history = health_selectors.health_history(community=community, until=until)
    labels = [_month_label(month, i == 0) for i, (month, _) in enumerate(history)]
    built = []
    for name, title, keys, percent in CHARTS:
        series = []
        for key in keys:
            values: list[float | None] = []
            label = key
            for _, stored in history:
                metric = stored.health.metric(key) if stored else None
                label = metric.label if metric else label
                value = metric.value if metric else None
                values.append(
                    None if value is None else round(value * 100, 1) if percent else value
                )
            series.append(charts.Line(key, label, values))
        caption = f"{title}, {history[0][0]:%B %Y} to {until:%B %Y}"
        svg = charts.lines(
            name=name, title=caption, labels=labels, series=series, top=100 if percent else None
        )
        built.append(Chart(name, caption, svg))
    return built


def _offered(community: Community | None) -> tuple[list[tuple[date, str]], date | None]:
    """The months one may ask for, newest first, with their labels, and the one shown by
    default: the newest that is over (a month just begun says little), else the newest."""
    months = health_selectors.health_months(community=community)[:MONTHS_OFFERED]
    if not months:
        return [], None
    newest = health_selectors.health_snapshot_read(community=community, month=months[0])
    running = newest is not None and not newest.complete
    offered = [
        (m, f"{m:%B %Y} (to date)" if i == 0 and running else f"{m:%B %Y}")
        for i, m in enumerate(months)
    ]
    return offered, months[1] if running and len(months) > 1 else months[0]


def default_month(*, community: Community | None) -> date | None:
    """The month shown when none is asked for (None: nothing computed yet)."""
    return _offered(community)[1]


def build(*, community: Community | None, month: date | None) -> HealthPage:
    months, default = _offered(community)
    if default is None:  # nothing computed yet: the page says so, whatever month was asked for
        return HealthPage(community, None, [], False, None, None, None, "", [], [])
    chosen = month.replace(day=1) if month else default
    if chosen not in {m for m, _ in months}:
        raise BadMonth(f"No health figures for {chosen:%B %Y}: choose one of the months offered.")
    stored = health_selectors.health_snapshot_read(community=community, month=chosen)
    if stored is None:  # gone between the two reads (a month replaced is never gone)
        raise BadMonth(f"No health figures for {chosen:%B %Y}.")
    return HealthPage(
        community=community,
        month=chosen,
        months=months,
        complete=stored.complete,
        as_of=stored.as_of,
        previous=counts.add_months(chosen, -1),
        headline=headline_shown(stored),
        fragile_reason=stored.health.fragile_reason,
        rows=[metric_row(m, month_over=stored.complete) for m in stored.health.metrics],
        charts=_charts(community, chosen),
    )


# CSV ------------------------------------------------------------------------------------------


def csv_safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula: one starting with = + - @ (or a tab or
    carriage return) gets a leading apostrophe."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def csv_rows(*, community: Community | None) -> Iterator[list[str]]:
    """The header, then one row per stored month and metric, oldest month first; an empty
    value is a figure that rested on too few cases."""
    yield list(CSV_HEADER)
    for stored in health_selectors.health_snapshots(community=community):
        for metric in stored.health.metrics:
            moved = {True: "yes", False: "no", None: ""}[metric.moved_right_way]
            row = [
                f"{stored.month:%Y-%m}",
                metric.key,
                metric.label,
                _number(metric.value),
                _number(metric.previous),
                metric.desirable,
                moved,
                "yes" if stored.complete else "no",
            ]
            yield [csv_safe(cell) for cell in row]
