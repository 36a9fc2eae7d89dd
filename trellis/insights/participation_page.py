"""What the participation page shows, read from the stored levels: the month's people per
level, the movement since the month before (a table whose rows add up, and a flow chart)."""

from dataclasses import dataclass
from datetime import date

from trellis.communities.models import Community
from trellis.core import charts
from trellis.insights import counts, selectors
from trellis.insights.levels import (
    ACTIVE,
    CORE,
    INACTIVE,
    LEVEL_LABELS,
    LEVEL_MEANINGS,
    LEVELS,
    OCCASIONAL,
    PERIPHERAL,
    TRANSACTIONAL,
    Thresholds,
)
from trellis.insights.thresholds import configured_thresholds

MONTHS_OFFERED = 12
OUTSIDE = "outside"  # the flow chart's node for people not counted in one of the months
OUTSIDE_LABEL = "Not counted"


@dataclass(frozen=True)
class LevelRow:
    level: str
    label: str
    meaning: str
    people: int
    share: str  # of the month's people: "12%", "<1%", or "" when nobody was counted


@dataclass(frozen=True)
class MoveRow:
    level: str
    label: str
    before: int
    up: int
    held: int
    down: int
    left: int


@dataclass(frozen=True)
class Rules:
    """The level rules in words, with the thresholds this organisation set."""

    window: int
    facilitation_weight: int
    lines: list[tuple[str, str]]


def rules_in_words(thresholds: Thresholds) -> Rules:
    lines = [
        (LEVEL_LABELS[INACTIVE], "nothing recorded"),
        (
            LEVEL_LABELS[CORE],
            f"at least {thresholds.core_contributions} contributions, in every month",
        ),
        (LEVEL_LABELS[ACTIVE], f"at least {thresholds.active_contributions} contributions"),
        (
            LEVEL_LABELS[TRANSACTIONAL],
            f"new, with at most {thresholds.transactional_actions} actions in all",
        ),
        (LEVEL_LABELS[OCCASIONAL], "at least one contribution"),
        (LEVEL_LABELS[PERIPHERAL], "read or came to sessions, without writing"),
    ]
    return Rules(thresholds.window_months, thresholds.facilitation_weight, lines)


@dataclass(frozen=True)
class ParticipationPage:
    community: Community | None
    month: date | None  # None: nothing computed yet
    months: list[date]  # the months one may ask for, newest first
    levels: list[LevelRow]
    total: int
    previous: date | None
    moves: list[MoveRow]
    new: list[tuple[str, int]]  # (level label, people new to the scope this month)
    new_total: int
    new_in_words: str  # "1 transactional, 2 peripheral"
    before_total: int
    flow_svg: str
    rules: Rules


def _share(people: int, total: int) -> str:
    """A percentage that never rounds someone away: one person in 206 is "<1%", not "0%"."""
    if not total:
        return ""
    if people and people * 100 < total:
        return "<1%"
    return f"{round(100 * people / total)}%"


class BadMonth(ValueError):
    """A month asked for that is not a month, or has nothing computed: the page names it and
    offers the months there are (anything else going wrong is not the asker's mistake)."""


def parse_month(text: str) -> date:
    """'2026-10' -> 1 Oct 2026; a message naming the problem otherwise."""
    try:
        year, month = (int(part) for part in text.split("-"))
        if not 2000 <= year <= 2099:  # as the reports' periods
            raise ValueError
        return date(year, month, 1)
    except ValueError:
        raise BadMonth(f"“{text[:20]}” is not a month: use YYYY-MM, e.g. 2026-10.") from None


def _flow(transitions: selectors.Transitions) -> str:
    nodes = [(level, LEVEL_LABELS[level]) for level in LEVELS] + [(OUTSIDE, OUTSIDE_LABEL)]
    flows = {
        (before or OUTSIDE, after or OUTSIDE): float(people)
        for (before, after), people in transitions.flows.items()
    }
    return charts.flow(
        name="level-flow",
        title=f"How people moved from {transitions.previous:%B} to {transitions.month:%B %Y}",
        nodes=nodes,
        flows=flows,
        left_title=f"{transitions.previous:%B}",
        right_title=f"{transitions.month:%B}",
    )


def build(*, community: Community | None, month: date | None) -> ParticipationPage:
    latest = selectors.latest_month(community=community)
    months = [counts.add_months(latest, -k) for k in range(MONTHS_OFFERED)] if latest else []
    # Nothing computed yet: the page says so, whatever month was asked for.
    chosen = month.replace(day=1) if month and latest else latest
    if chosen is not None and chosen not in months:
        raise BadMonth(
            f"No levels for {chosen:%B %Y}: choose one of the last {MONTHS_OFFERED} months."
        )
    if chosen is None:
        rules = rules_in_words(configured_thresholds())
        return ParticipationPage(community, None, [], [], 0, None, [], [], 0, "", 0, "", rules)
    level_people = selectors.level_counts(community=community, month=chosen)
    total = sum(level_people.values())
    rows = [
        LevelRow(
            level=level,
            label=LEVEL_LABELS[level],
            meaning=LEVEL_MEANINGS[level],
            people=level_people[level],
            share=_share(level_people[level], total),
        )
        for level in LEVELS
    ]
    moved = selectors.transitions(community=community, month=chosen)
    moves = [
        MoveRow(
            level=row.level,
            label=LEVEL_LABELS[row.level],
            before=row.before,
            up=row.up,
            held=row.held,
            down=row.down,
            left=row.left,
        )
        for row in moved.moves
    ]
    new = [(LEVEL_LABELS[level], moved.new[level]) for level in LEVELS]
    return ParticipationPage(
        community=community,
        month=chosen,
        months=months,
        levels=rows,
        total=total,
        previous=moved.previous,
        moves=moves,
        new=new,
        new_total=sum(moved.new.values()),
        new_in_words=", ".join(f"{people} {label.lower()}" for label, people in new if people),
        before_total=moved.before_total,
        flow_svg=_flow(moved) if moved.flows else "",
        rules=rules_in_words(configured_thresholds()),
    )
