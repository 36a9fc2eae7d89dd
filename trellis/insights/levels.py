"""Participation levels: where a person stands in a community in a month, and why (pure).

The levels follow the practice literature (a core group, active members, occasional and
peripheral ones, transactional visitors) and the Orbit model's idea that a level describes a
trailing window, not one month: someone who answered every week all autumn is still core in a
December they spend on holiday. The rules, checked in this order over the window (the month and
the months before it, `Thresholds.window_months` in all):

1. **inactive**: nothing recorded in the window (a member who has gone quiet);
2. **core**: at least `core_contributions` contributions in the window, in every month of it;
3. **active**: at least `active_contributions` contributions in the window;
4. **transactional**: nothing before the window, and at most `transactional_actions` actions in
   all (a one-off visit or question that was not followed by anything);
5. **occasional**: at least one contribution in the window;
6. **peripheral**: reads or sessions attended only: taking part from the edge, which the
   practice literature counts as legitimate participation.

A contribution is a write to the practice the activity log records (`CONTRIBUTION_VERBS`:
asking, answering, commenting, voting, thanking, guide work, agenda work, organising a session,
telling a story, endorsing, offering to mentor), and each session facilitated counts as
`facilitation_weight` of them. Joining, replying to an invitation or an event, and the
administration around a community are not contributions. Reads are pages viewed; attending a
session counts as a read.
Docs: docs/PARTICIPATION.md. Thresholds come from settings (TRELLIS_PARTICIPATION_*).
"""

from collections.abc import Sequence
from dataclasses import dataclass

# The activity-log verbs that add to the practice (anything else but a read is bookkeeping).
CONTRIBUTION_VERBS = frozenset(
    {
        "question.ask",
        "answer.post",
        "answer.accept",
        "comment.add",
        "post.vote",
        "post.thank",
        "post.edit",
        "question.close",
        "question.reopen",
        "duplicates.merge",
        "duplicates.dismiss",
        "resource.create",
        "resource.update",
        "resource.verify",
        "resource.helped",
        "resource.duplicate",
        "resource.obsolete",
        "resource.revive",
        "agenda.propose",
        "agenda.vote",
        "agenda.draft",
        "agenda.item.add",
        "agenda.item.update",
        "agenda.item.remove",
        "agenda.move",
        "agenda.publish",
        "agenda.notes",
        "agenda.notes.publish",
        "event.create",
        "event.series.create",
        "story.tell",
        "story.add_detail",
        "person.endorse",
        "mentoring.offer",
        "mentorship.propose",
        "mentorship.accept",
    }
)
READ_SUFFIX = ".view"

CORE, ACTIVE, OCCASIONAL = "core", "active", "occasional"
PERIPHERAL, TRANSACTIONAL, INACTIVE = "peripheral", "transactional", "inactive"
LEVELS = (CORE, ACTIVE, OCCASIONAL, PERIPHERAL, TRANSACTIONAL, INACTIVE)
# Inward is up: a transition compares ranks.
RANK = {INACTIVE: 0, TRANSACTIONAL: 1, PERIPHERAL: 2, OCCASIONAL: 3, ACTIVE: 4, CORE: 5}
LEVEL_LABELS = {
    CORE: "Core",
    ACTIVE: "Active",
    OCCASIONAL: "Occasional",
    PERIPHERAL: "Peripheral",
    TRANSACTIONAL: "Transactional",
    INACTIVE: "Inactive",
}
LEVEL_MEANINGS = {
    CORE: "contribute every month, more than most",
    ACTIVE: "contribute regularly",
    OCCASIONAL: "contribute now and then",
    PERIPHERAL: "read and come to sessions, without writing",
    TRANSACTIONAL: "new here, or came once for one thing",
    INACTIVE: "nothing recorded lately",
}


@dataclass(frozen=True)
class Thresholds:
    window_months: int = 3
    core_contributions: int = 15
    active_contributions: int = 4
    transactional_actions: int = 3
    facilitation_weight: int = 3


@dataclass(frozen=True)
class MonthCounts:
    """What one person did in one month (in a community, or anywhere for org-wide levels)."""

    contributions: int = 0
    answers: int = 0
    reads: int = 0
    attended: int = 0
    facilitated: int = 0

    def effort(self, thresholds: Thresholds) -> int:
        return self.contributions + thresholds.facilitation_weight * self.facilitated

    @property
    def actions(self) -> int:
        return self.contributions + self.reads + self.attended + self.facilitated

    def __add__(self, other: "MonthCounts") -> "MonthCounts":
        return MonthCounts(
            contributions=self.contributions + other.contributions,
            answers=self.answers + other.answers,
            reads=self.reads + other.reads,
            attended=self.attended + other.attended,
            facilitated=self.facilitated + other.facilitated,
        )


@dataclass(frozen=True)
class Standing:
    level: str
    reasons: tuple[str, ...]


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _what_they_did(total: MonthCounts) -> list[str]:
    """The window's figures in a member's words, largest first."""
    parts = []
    if total.contributions:
        written = _plural(total.contributions, "contribution")
        if total.answers:
            written += f" ({_plural(total.answers, 'answer')})"
        parts.append(written)
    if total.facilitated:
        parts.append(f"facilitated {_plural(total.facilitated, 'session')}")
    if total.attended:
        parts.append(f"came to {_plural(total.attended, 'session')}")
    if total.reads:
        parts.append(f"read {_plural(total.reads, 'page')}")
    return parts


def level_for(
    window: Sequence[MonthCounts],
    *,
    actions_before: int,
    thresholds: Thresholds,
) -> Standing:
    """The level for the last month of `window` (oldest first, `thresholds.window_months`
    long, missing months as empty counts), given how many actions came before the window."""
    if len(window) != thresholds.window_months:
        raise ValueError(f"the window has {thresholds.window_months} months, not {len(window)}")
    total = sum(window, MonthCounts())
    effort = sum(month.effort(thresholds) for month in window)
    months_contributing = sum(1 for month in window if month.effort(thresholds))
    span = f"the last {thresholds.window_months} months"
    did = _what_they_did(total)
    summary = f"In {span}: {', '.join(did)}." if did else ""
    if total.actions == 0:
        return Standing(INACTIVE, (f"Nothing recorded in {span}.",))
    if effort >= thresholds.core_contributions and months_contributing == thresholds.window_months:
        return Standing(CORE, (summary, "Contributed every month."))
    if effort >= thresholds.active_contributions:
        return Standing(
            ACTIVE,
            (summary, f"Contributed in {_plural(months_contributing, 'month')} of them."),
        )
    if actions_before == 0 and total.actions <= thresholds.transactional_actions:
        return Standing(TRANSACTIONAL, (summary, "Nothing recorded before that."))
    if effort:
        return Standing(OCCASIONAL, (summary,))
    return Standing(PERIPHERAL, (summary, "Read without writing: that counts too."))


def movement(before: str | None, after: str) -> str:
    """'up', 'held' or 'down' from one month's level to the next; 'new' when the person had
    none the month before (not yet in the community)."""
    if before is None:
        return "new"
    if RANK[after] > RANK[before]:
        return "up"
    return "held" if RANK[after] == RANK[before] else "down"
