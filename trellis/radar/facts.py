"""What the pitfall radar reads about one community, month by month (pure data).

The nightly job fills these from the database (`radar/reads.py`); the benchmark fills them
from generated histories and replayed Stack Exchange dumps: one detector for all three.
Every field is a plain count or a set of person ids for one calendar month, so a reader can
check a signal's evidence against the pages it came from.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class SponsorMonth:
    """One sponsor of the community during one month."""

    person_id: int
    opened_report: bool = False  # opened the community's impact report this month
    attended: int = 0  # events of the community attended
    stories_told: int = 0  # value stories addressed to the sponsor this month
    changed_role: bool = False  # changed job title or department this month
    left: bool = False  # left the organisation or stopped sponsoring this month


@dataclass(frozen=True)
class MonthFacts:
    """One community's month."""

    month: date  # the 1st of the month
    members: int = 0  # at the end of the month
    new_members: int = 0
    active: int = 0  # did anything, reading included
    contributors: int = 0  # wrote anything
    new_contributors: int = 0  # contributed for the first time in the community
    questions: int = 0  # asked this month
    unanswered: int = 0  # of those, still without an answer
    answers_by_person: Mapping[int, int] = field(default_factory=dict)
    moderation_by_person: Mapping[int, int] = field(default_factory=dict)  # closes, merges, edits
    actions_by_leader: Mapping[int, int] = field(default_factory=dict)  # every write, per leader
    leaders: frozenset[int] = frozenset()
    leaders_at_cap: frozenset[int] = frozenset()  # at their routing cap for part of the month
    events: int = 0  # held this month
    attendance: int = 0  # attendances over those events
    facilitations_by_person: Mapping[int, int] = field(default_factory=dict)
    event_outputs: int = 0  # notes, guides, questions and answers that came out of the events
    agenda_items: int = 0
    agenda_items_from_members: int = 0  # proposed by members who do not lead
    core: frozenset[int] = frozenset()  # people at the core level
    moved_inward: int = 0  # people whose level moved up this month
    guides: int = 0  # library resources of the community
    stale_guides: int = 0  # of those, overdue for verification
    charter_fit: float | None = None  # how well this month's questions fit the domain (0..1)
    sponsors: tuple[SponsorMonth, ...] = ()

    @property
    def answers(self) -> int:
        return sum(self.answers_by_person.values())

    @property
    def facilitations(self) -> int:
        return sum(self.facilitations_by_person.values())

    @property
    def moderation(self) -> int:
        return sum(self.moderation_by_person.values())
