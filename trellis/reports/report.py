"""The report as a director reads it: each figure with the one before it and what changed, in
words; the charts; what the sponsor provides against what it enabled; the value stories.

Built from the stored figures (`services.figures_many`), so it costs a few indexed reads. The
caller has checked that the viewer may open this report (`access.can_view_*_report`).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from trellis.communities.models import Community
from trellis.core import charts
from trellis.core.access import Viewer
from trellis.insights import selectors as insights_selectors
from trellis.insights.levels import INACTIVE, LEVEL_LABELS, LEVEL_MEANINGS, LEVELS
from trellis.reports import value_stories
from trellis.reports.figures import Figures
from trellis.reports.models import ReportOpen, SponsorResources
from trellis.reports.periods import Period, months_until
from trellis.reports.services import CHART_MONTHS, figures_many

NONE = "\u2013"  # an en dash: no figure
MINUS = "\u2212"


@dataclass(frozen=True)
class Row:
    """One line of a table: the figure now, before, and the change in words."""

    label: str
    now: str
    before: str
    change: str
    key: str  # a stable name for tests and the API


@dataclass
class Report:
    title: str
    scope: str  # the community's name, or "the organisation"
    community: Community | None
    period: Period
    previous: Period
    figures: Figures
    previous_figures: Figures
    sections: dict[str, list[Row]]
    top_pairs: list[dict[str, object]]
    charts: dict[str, str]
    chart_values: dict[str, dict[str, list[float]]]
    chart_labels: list[str]
    resources: SponsorResources | None
    enabled: list[str]
    stories: list[value_stories.StoryLine]
    hours: value_stories.HoursLine | None
    last_sponsor_open: ReportOpen | None = None
    notes: list[str] = field(default_factory=list)
    level_meanings: list[tuple[str, str]] = field(default_factory=list)


def _num(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return NONE
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.1f}"
    else:
        text = f"{int(value):,}"
    return f"{text}{unit}"


def _pct(value: float | None) -> str:
    return NONE if value is None else f"{round(value * 100)}%"


def _change(
    now: float | None, before: float | None, *, lower_is_better: bool = False, pct: bool = False
) -> str:
    if now is None or before is None:
        return "no comparison"
    delta = now - before
    if abs(delta) < 1e-9:
        return "unchanged"
    better = (delta < 0) if lower_is_better else (delta > 0)
    word = "better" if better else "worse"
    if pct:
        return f"{'+' if delta > 0 else MINUS}{abs(round(delta * 100))} points ({word})"
    amount = f"{abs(delta):,.1f}".removesuffix(".0")
    sign = "+" if delta > 0 else MINUS
    if before:
        return f"{sign}{amount} ({sign}{abs(round(delta / before * 100))}%, {word})"
    return f"{sign}{amount} ({word})"


def _row(
    key: str, label: str, now: float | None, before: float | None, unit: str = "", **kw: bool
) -> Row:
    if kw.get("pct"):
        return Row(label, _pct(now), _pct(before), _change(now, before, **kw), key)
    return Row(label, _num(now, unit), _num(before, unit), _change(now, before, **kw), key)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def sections_of(now: Figures, before: Figures) -> dict[str, list[Row]]:
    q, qb = now["questions"], before["questions"]
    h, hb = now["help"], before["help"]
    e, eb = now["events"], before["events"]
    o, ob = now["onboarding"], before["onboarding"]
    lib, libb = now["library"], before["library"]
    return {
        "questions": [
            _row("asked", "Questions asked", q["asked"], qb["asked"]),
            _row("answered", "Questions answered", q["answered"], qb["answered"]),
            _row("answer_rate", "Answer rate", q["answer_rate"], qb["answer_rate"], pct=True),
            _row(
                "median_hours",
                "Median wait for a first answer",
                q["median_hours_to_first_answer"],
                qb["median_hours_to_first_answer"],
                " h",
                lower_is_better=True,
            ),
        ],
        "help": [
            _row("people_helped", "People who got help", h["people_helped"], hb["people_helped"]),
            _row(
                "people_helped_across",
                "…of them, helped by another department",
                h["people_helped_across"],
                hb["people_helped_across"],
            ),
            _row(
                "answers_across",
                "Answers across departments",
                h["answers_across"],
                hb["answers_across"],
            ),
        ],
        "events": [
            _row("held", "Events held", e["held"], eb["held"]),
            _row("signed_up", "Places taken", e["signed_up"], eb["signed_up"]),
            _row("attendances", "Attendances", e["attendances"], eb["attendances"]),
            _row("attendees", "Different people who came", e["attendees"], eb["attendees"]),
        ],
        "onboarding": [
            _row("newcomers", "Newcomers", o["newcomers"], ob["newcomers"]),
            _row(
                "days_to_answer",
                "Median days to a newcomer's first answered question",
                o["median_days_to_first_answer"],
                ob["median_days_to_first_answer"],
                " days",
                lower_is_better=True,
            ),
            _row(
                "days_to_contribution",
                "Median days to a newcomer's first contribution",
                o["median_days_to_first_contribution"],
                ob["median_days_to_first_contribution"],
                " days",
                lower_is_better=True,
            ),
        ],
        "library": [
            _row("added", "Resources added", lib["added"], libb["added"]),
            _row("total", "Resources in the library", lib["total"], libb["total"]),
            _row(
                "fresh_share",
                "Fresh (checked on time)",
                _share(lib["fresh"], lib["total"]),
                _share(libb["fresh"], libb["total"]),
                pct=True,
            ),
            _row(
                "stale_share",
                "Stale (overdue by a month or more)",
                _share(lib["stale"], lib["total"]),
                _share(libb["stale"], libb["total"]),
                pct=True,
                lower_is_better=True,
            ),
        ],
    }


def participation_rows(now: dict[str, int] | None, before: dict[str, int] | None) -> list[Row]:
    """People per participation level (trellis/insights, the levels leaders see) at the end of
    the period against the end of the one before; none when the levels are not computed."""
    if now is None:
        return []
    return [
        _row(
            level,
            LEVEL_LABELS[level],
            now[level],
            before[level] if before is not None else None,
            lower_is_better=level == INACTIVE,
        )
        for level in LEVELS
    ]


def _money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.0f}"


def enabled_lines(
    resources: SponsorResources | None,
    period: Period,
    figures: Figures,
    hours: value_stories.HoursLine | None,
) -> list[str]:
    """What the sponsor's resources enabled, in sentences."""
    if resources is None:
        return []
    lines: list[str] = []
    answered = figures["questions"]["answered"]
    attendances = figures["events"]["attendances"]
    if resources.annual_budget is not None:
        share = resources.annual_budget * period.months / 12
        line = (
            f"Budget for {period.label}: {_money(share, resources.currency)} "
            f"(of {_money(resources.annual_budget, resources.currency)} a year)"
        )
        costs = []
        if answered:
            costs.append(f"{_money(share / answered, resources.currency)} per question answered")
        if attendances:
            costs.append(f"{_money(share / attendances, resources.currency)} per event attendance")
        lines.append(line + (": " + ", ".join(costs) if costs else "") + ".")
    if resources.hours_per_month is not None:
        granted = resources.hours_per_month.normalize()
        line = f"Time to take part: up to {granted:f} hours a month per member"
        if hours is not None and hours.total_hours:
            line += f"; members estimate {hours.total_hours:,.0f} hours saved in the period"
        lines.append(line + ".")
    if resources.channels:
        lines.append(f"Channels: {resources.channels}")
    return lines


def _last_month(period: Period) -> date:
    """The month whose participation levels describe the period: each level looks at the
    3 months to its end, so a quarter's last month covers the quarter."""
    return (period.end.date() - timedelta(days=1)).replace(day=1)


def _levels_by_month(community: Community | None, months: list[date]) -> dict[date, dict[str, int]]:
    """People per level for each month the levels are computed for (nobody counted: zeros);
    a month not computed yet is left out."""
    computed_through = insights_selectors.latest_month(community=None)
    found = insights_selectors.level_counts_by_month(community=community, months=months)
    return {
        month: found.get(month, dict.fromkeys(LEVELS, 0))
        for month in months
        if computed_through is not None and month <= computed_through
    }


def build_report(*, viewer: Viewer, community: Community | None, period: Period) -> Report:
    previous = period.previous()
    months = months_until(period, CHART_MONTHS)
    wanted = {period.key: period, previous.key: previous, **{m.key: m for m in months}}
    figures = figures_many(community=community, periods=list(wanted.values()))
    now, before = figures[period.key], figures[previous.key]
    labels = [m.short_label for m in months]
    levels = _levels_by_month(community, [_last_month(p) for p in (period, previous, *months)])
    charted = [level for level in LEVELS if level != INACTIVE]  # the table has them
    participation = {
        level: [float(levels.get(_last_month(m), {}).get(level, 0)) for m in months]
        for level in charted
    }
    asked = [float(figures[m.key]["questions"]["asked"]) for m in months]
    answered = [float(figures[m.key]["questions"]["answered"]) for m in months]
    lib, libb = now["library"], before["library"]
    freshness = {
        "now": [float(lib["fresh"]), float(lib["due"]), float(lib["stale"])],
        "before": [float(libb["fresh"]), float(libb["due"]), float(libb["stale"])],
    }
    chart_svgs = {
        "participation": charts.stacked_bars(
            name="participation",
            title="People taking part, by level, month by month",
            labels=labels,
            series=[
                charts.Series(level, LEVEL_LABELS[level], participation[level]) for level in charted
            ],
        ),
        "questions": charts.grouped_bars(
            name="questions",
            title="Questions asked and answered, month by month",
            labels=labels,
            series=[
                charts.Series("asked", "Asked", asked),
                charts.Series("answered", "Answered", answered),
            ],
        ),
        "library": charts.grouped_bars(
            name="library",
            title="Library resources by freshness, this period and the last",
            labels=["Fresh", "Due for review", "Stale"],
            series=[
                charts.Series("now", period.short_label, freshness["now"]),
                charts.Series("before", previous.short_label, freshness["before"]),
            ],
        ),
    }
    resources = (
        SponsorResources.objects.filter(community=community).first()
        if community is not None
        else None
    )
    hours = value_stories.hours(community=community, start=period.start, end=period.end)
    stories = value_stories.featured(
        viewer=viewer, community=community, start=period.start, end=period.end
    )
    last_open = (
        ReportOpen.objects.filter(community=community)
        .select_related("person")
        .order_by("-opened_at")
        .first()
        if community is not None
        else None
    )
    scope = community.name if community is not None else "the organisation"
    return Report(
        title=f"Impact report: {community.name if community else 'every community'}, "
        f"{period.label}",
        scope=scope,
        community=community,
        period=period,
        previous=previous,
        figures=now,
        previous_figures=before,
        sections={
            **sections_of(now, before),
            "participation": participation_rows(
                levels.get(_last_month(period)), levels.get(_last_month(previous))
            ),
        },
        level_meanings=[(LEVEL_LABELS[level], LEVEL_MEANINGS[level]) for level in LEVELS],
        top_pairs=[dict(pair) for pair in now["help"]["top_pairs"]],
        charts=chart_svgs,
        chart_values={
            "participation": participation,
            "questions": {"asked": asked, "answered": answered},
            "library": freshness,
        },
        chart_labels=labels,
        resources=resources,
        enabled=enabled_lines(resources, period, now, hours),
        stories=stories,
        hours=hours,
        last_sponsor_open=last_open,
    )
