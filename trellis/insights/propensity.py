"""Ready to move inward: who is likely to start answering soon, and why (pure).

A leader's list of members worth a nudge ("you asked about helm all summer: these 3 helm
questions are waiting"). The same function scores members in Trellis and people in a Stack
Exchange dump (benchmarks/bench_participation.py), so the score uses only what both record:
per month, the level's counts (`levels.MonthCounts`), questions asked, comments on other
people's posts, answers accepted on their own questions and up-votes received; the tags of
what they asked, commented on and read; and the interests path: the unanswered questions on
those tags that someone could answer now.

The score is a sum of points, each a reason a leader can check. The weights were fixed by
reasoning, before any evaluation (benchmarks/README.md has the figures):

- the **level** (`levels.level_for`, the levels-and-paths score): half a point per rank, so
  core 2.5, active 2, occasional 1.5, peripheral 1, transactional 0.5, inactive 0. Someone
  who already writes every month is closest to answering;
- **commenting on other people's posts**, 1 point per doubling: a comment that clarifies a
  question or corrects an answer is an answer in small, the usual last step before answering;
- **asking**, **up-votes received** and **answers accepted** on their own questions, half a
  point per doubling each: engaged with the subject, and valued by others;
- **waiting questions** on their tags (asked by someone else, still unanswered), half a point
  per doubling: the opportunity, and the path's next step;
- **last month**: one point if they contributed in the latest month, half a point if they only
  read or came to a session then, since readiness fades. (The half point for reading was added
  after the development split of the benchmark showed every recent sign-up tied with those
  of three months before; nothing else changed after any evaluation.)

Counts cover the level's window (`Thresholds.window_months`, the latest months before now);
people who have answered already are not candidates: they have moved inward.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from trellis.insights.levels import (
    LEVEL_LABELS,
    RANK,
    MonthCounts,
    Thresholds,
    level_for,
)

LEVEL_POINTS_PER_RANK = 0.5
COMMENT_POINTS = 1.0
ASKED_POINTS = 0.5
VOTES_POINTS = 0.5
ACCEPTED_POINTS = 0.5
WAITING_POINTS = 0.5
LAST_MONTH_POINTS = 1.0
LAST_MONTH_READ_POINTS = 0.5


@dataclass(frozen=True)
class MonthActivity:
    """One month of a person's history: the level's counts and the finer ones the score uses."""

    month: date  # its first day
    counts: MonthCounts = field(default_factory=MonthCounts)
    asked: int = 0
    commented: int = 0  # on other people's questions and answers
    commented_on_answers: int = 0  # of those, on answers
    accepted: int = 0  # answers they accepted on their own questions
    votes_received: int = 0  # up-votes on their questions and comments


@dataclass(frozen=True)
class TagEngagement:
    """How a person engaged with one tag in the window: questions asked, commented on, read."""

    tag: str
    asked: int = 0
    commented: int = 0
    read: int = 0

    @property
    def total(self) -> int:
        return self.asked + self.commented + self.read


@dataclass(frozen=True)
class Member:
    """A person as the score sees them. `months`: their months up to now, in any order, those
    without a record left out (only the level's window is scored); `actions_before`: their
    actions before the earliest of `months` (for the level's 'transactional' rule);
    `interests`: the tags they engaged with in the window."""

    person: Hashable
    months: Sequence[MonthActivity]
    actions_before: int = 0
    interests: Sequence[TagEngagement] = ()
    has_answered: bool = False


@dataclass(frozen=True)
class WaitingQuestion:
    """An open question nobody has answered yet."""

    id: Hashable
    tags: tuple[str, ...]
    asker: Hashable | None = None


class WaitingQuestions:
    """The waiting questions by tag, built once for everyone scored against them."""

    def __init__(self, questions: Iterable[WaitingQuestion]) -> None:
        self._by_tag: dict[str, list[WaitingQuestion]] = defaultdict(list)
        for question in questions:
            for tag in dict.fromkeys(question.tags):
                self._by_tag[tag].append(question)

    def __len__(self) -> int:
        return len({q.id for questions in self._by_tag.values() for q in questions})

    def matching(self, tags: Iterable[str], *, asked_by_other_than: Hashable) -> dict[str, int]:
        """Waiting questions on `tags` that someone else asked: each counted once, under the
        first of `tags` it carries (give the tags most engaged first)."""
        seen: set[Hashable] = set()
        per_tag: dict[str, int] = {}
        for tag in tags:
            for question in self._by_tag.get(tag, ()):
                if question.asker == asked_by_other_than or question.id in seen:
                    continue
                seen.add(question.id)
                per_tag[tag] = per_tag.get(tag, 0) + 1
        return per_tag


@dataclass(frozen=True)
class Readiness:
    person: Hashable
    score: float
    level: str
    reasons: tuple[str, ...]
    points: Mapping[str, float] = field(default_factory=dict)  # what each input added
    waiting_tags: Mapping[str, int] = field(default_factory=dict)  # the path's next step


def _doublings(count: int) -> float:
    return math.log2(1 + count)


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _tags_phrase(tags: Sequence[str]) -> str:
    if len(tags) == 1:
        return tags[0]
    return f"{', '.join(tags[:-1])} and {tags[-1]}"


def _month_before(month: date) -> date:
    return date(month.year, month.month - 1, 1) if month.month > 1 else date(month.year - 1, 12, 1)


def _window(member: Member, last_month: date, thresholds: Thresholds) -> list[MonthActivity]:
    """The level's window: the `window_months` months ending with `last_month`, oldest first,
    months without a record as empty ones (a month given twice: the two are added up)."""
    firsts = [last_month.replace(day=1)]
    while len(firsts) < thresholds.window_months:
        firsts.append(_month_before(firsts[-1]))
    by_month: dict[date, MonthActivity] = {first: MonthActivity(month=first) for first in firsts}
    for activity in member.months:
        kept = by_month.get(activity.month)
        if kept is not None:
            by_month[activity.month] = MonthActivity(
                month=kept.month,
                counts=kept.counts + activity.counts,
                asked=kept.asked + activity.asked,
                commented=kept.commented + activity.commented,
                commented_on_answers=kept.commented_on_answers + activity.commented_on_answers,
                accepted=kept.accepted + activity.accepted,
                votes_received=kept.votes_received + activity.votes_received,
            )
    return [by_month[first] for first in reversed(firsts)]


def readiness(
    member: Member,
    *,
    waiting: WaitingQuestions,
    thresholds: Thresholds,
    last_month: date,
) -> Readiness:
    """The score and its reasons as of the end of `last_month` (the latest whole month: the
    window ends there even when the member did nothing in it)."""
    window = _window(member, last_month, thresholds)
    window_start = window[0].month
    earlier = sum(m.counts.actions for m in member.months if m.month < window_start)
    standing = level_for(
        [m.counts for m in window],
        actions_before=member.actions_before + earlier,
        thresholds=thresholds,
    )
    asked = sum(m.asked for m in window)
    commented = sum(m.commented for m in window)
    on_answers = sum(m.commented_on_answers for m in window)
    accepted = sum(m.accepted for m in window)
    votes = sum(m.votes_received for m in window)
    latest = window[-1].counts
    if latest.effort(thresholds):
        last_month_points = LAST_MONTH_POINTS
    elif latest.actions:
        last_month_points = LAST_MONTH_READ_POINTS
    else:
        last_month_points = 0.0
    interests = sorted((i for i in member.interests if i.total), key=lambda i: (-i.total, i.tag))
    waiting_tags = waiting.matching([i.tag for i in interests], asked_by_other_than=member.person)
    waiting_count = sum(waiting_tags.values())
    points = {
        "level": LEVEL_POINTS_PER_RANK * RANK[standing.level],
        "commented": COMMENT_POINTS * _doublings(commented),
        "asked": ASKED_POINTS * _doublings(asked),
        "votes_received": VOTES_POINTS * _doublings(votes),
        "accepted": ACCEPTED_POINTS * _doublings(accepted),
        "waiting": WAITING_POINTS * _doublings(waiting_count),
        "last_month": last_month_points,
    }
    reasons = _reasons(
        window=window,
        level=standing.level,
        asked=asked,
        commented=commented,
        on_answers=on_answers,
        accepted=accepted,
        votes=votes,
        interests=interests,
        waiting_tags=waiting_tags,
    )
    return Readiness(
        person=member.person,
        score=round(sum(points.values()), 6),
        level=standing.level,
        reasons=reasons,
        points=points,
        waiting_tags=waiting_tags,
    )


def _reasons(
    *,
    window: Sequence[MonthActivity],
    level: str,
    asked: int,
    commented: int,
    on_answers: int,
    accepted: int,
    votes: int,
    interests: Sequence[TagEngagement],
    waiting_tags: Mapping[str, int],
) -> tuple[str, ...]:
    """'Asked 4 questions about helm since June and commented on 6 answers; 3 helm questions
    are waiting.' and the level, in words a leader can check against the pages."""
    writing_months = [m.month for m in window if m.asked or m.commented]
    since = f" since {writing_months[0]:%B}" if writing_months else ""
    did: list[str] = []
    asked_most = sorted((i for i in interests if i.asked), key=lambda i: (-i.asked, i.tag))
    asked_about = [i.tag for i in asked_most][:2]
    if asked:
        about = f" about {_tags_phrase(asked_about)}" if asked_about else ""
        did.append(f"asked {_plural(asked, 'question')}{about}{since}")
    if commented:
        where = (
            f"commented on {_plural(on_answers, 'answer')}"
            if on_answers == commented
            else f"commented {_plural(commented, 'time')} on other people's posts"
        )
        did.append(where if did else f"{where}{since}")
    sentence = " and ".join(did)
    waiting_count = sum(waiting_tags.values())
    if waiting_count:
        tags = sorted(waiting_tags, key=lambda t: -waiting_tags[t])[:2]
        verb = "is" if waiting_count == 1 else "are"
        waiting = f"{_plural(waiting_count, _tags_phrase(tags) + ' question')} {verb} waiting"
        sentence = f"{sentence}; {waiting}" if sentence else waiting
    reasons = [sentence[0].upper() + sentence[1:] + "."] if sentence else []
    valued = []
    if votes:
        valued.append(f"received {_plural(votes, 'up-vote')}")
    if accepted:
        valued.append(f"accepted {_plural(accepted, 'answer')} to their questions")
    if valued:
        text = " and ".join(valued)
        reasons.append(text[0].upper() + text[1:] + ".")
    reasons.append(f"Level: {LEVEL_LABELS[level].lower()}.")
    return tuple(reasons)


def ready_to_move_inward(
    members: Iterable[Member],
    *,
    waiting: WaitingQuestions,
    thresholds: Thresholds,
    last_month: date,
    limit: int | None = None,
) -> list[Readiness]:
    """The members who have not answered yet, most ready first (ties by person, for a stable
    list); those with no points at all are left out."""
    scored = [
        readiness(m, waiting=waiting, thresholds=thresholds, last_month=last_month)
        for m in members
        if not m.has_answered
    ]
    ranked = sorted((r for r in scored if r.score > 0), key=lambda r: (-r.score, str(r.person)))
    return ranked if limit is None else ranked[:limit]


def interests_from(
    engagements: Iterable[tuple[str, str]],
) -> list[TagEngagement]:
    """(tag, how) pairs, how being 'asked', 'commented' or 'read', as engagements per tag."""
    counts: Counter[tuple[str, str]] = Counter(engagements)
    tags = sorted({tag for tag, _ in counts})
    return [
        TagEngagement(
            tag=tag,
            asked=counts[(tag, "asked")],
            commented=counts[(tag, "commented")],
            read=counts[(tag, "read")],
        )
        for tag in tags
    ]
