"""Matching a whole cohort of newcomers to mentors at once.

Matching one newcomer after another gives the first ones the best mentors and leaves later
ones with nobody whose places are not already taken. Instead the cohort is one assignment
problem: each mentor's free places are slots, each (newcomer, slot) edge weighs the pair's
suggestion score, and the matching of greatest total score is found by scipy's sparse
Jonker-Volgenant solver (`min_weight_full_bipartite_matching`). Each newcomer also has a
"nobody" slot of almost no weight, so a newcomer is left unmatched only when giving them a
mentor would cost the cohort more than it gains (or nobody fits them at all).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db.models import Count, Q
from django.utils import timezone
from scipy.sparse import csr_array  # type: ignore[import-untyped]
from scipy.sparse.csgraph import (  # type: ignore[import-untyped]
    min_weight_full_bipartite_matching,
)

from trellis.core import access
from trellis.core.errors import Forbidden
from trellis.mentoring import selectors
from trellis.mentoring.models import OPEN_STATUSES, Mentorship
from trellis.people.models import Person

PER_MENTEE = 25  # candidate mentors per newcomer considered by the assignment
COHORT_SIZE = 40  # newcomers matched at once: a table an admin can read, a page that answers fast
NOBODY = 1e-9  # weight of leaving a newcomer unmatched (the solver wants non-zero weights)


def assign(scores: Mapping[tuple[int, int], float], capacity: Mapping[int, int]) -> dict[int, int]:
    """The mentee -> mentor assignment of greatest total score, each mentor given at most
    `capacity[mentor]` mentees; pairs missing from `scores` (or scoring <= 0) are not allowed."""
    mentees = sorted({m for m, _ in scores})
    mentors = sorted({t for _, t in scores if capacity.get(t, 0) > 0})
    if not mentees or not mentors:
        return {}
    row = {m: i for i, m in enumerate(mentees)}
    slots: dict[int, list[int]] = {}
    columns = 0
    for mentor in mentors:
        places = min(capacity[mentor], len(mentees))  # more slots than mentees never help
        slots[mentor] = list(range(columns, columns + places))
        columns += places
    rows_i, cols_i, weights = [], [], []
    for (mentee, mentor), score in scores.items():
        if score <= 0 or mentor not in slots:
            continue
        for column in slots[mentor]:
            rows_i.append(row[mentee])
            cols_i.append(column)
            weights.append(float(score))
    for i in range(len(mentees)):  # the "nobody" slots
        rows_i.append(i)
        cols_i.append(columns + i)
        weights.append(NOBODY)
    graph = csr_array(
        (np.array(weights), (np.array(rows_i), np.array(cols_i))),
        shape=(len(mentees), columns + len(mentees)),
    )
    matched_rows, matched_cols = min_weight_full_bipartite_matching(graph, maximize=True)
    owner = {column: mentor for mentor, columns_ in slots.items() for column in columns_}
    return {
        mentees[r]: owner[c]
        for r, c in zip(matched_rows.tolist(), matched_cols.tolist(), strict=True)
        if c < columns
    }


@dataclass
class PlannedPair:
    mentee: Person
    suggestion: selectors.Suggestion

    @property
    def mentor(self) -> Person:
        return self.suggestion.mentor


@dataclass
class Unmatched:
    mentee: Person
    why: str


@dataclass
class CohortPlan:
    today: date
    window_days: int
    pairs: list[PlannedPair] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    without_mentor: int = 0  # newcomers without an open mentorship, in this plan or not
    with_mentor: int = 0  # newcomers who already have an open mentorship (not in the plan)
    page: int = 1  # which `size` newcomers, longest waiting first
    size: int = COHORT_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.without_mentor / self.size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1

    @property
    def newcomers(self) -> int:
        return len(self.pairs) + len(self.unmatched)

    @property
    def total_score(self) -> float:
        return sum(p.suggestion.score for p in self.pairs)


def cohort_plan(
    *, viewer: access.Viewer, today: date | None = None, page: int = 1, size: int = COHORT_SIZE
) -> CohortPlan:
    """Newcomers without an open mentorship, `size` at a time (page 1: those who have waited
    longest), matched at once (org admins only). Matching the whole window at once grows
    with the organisation (thousands of newcomers at 50,000 people), and no admin reads a
    table that long; confirming a page lets the next newcomers move up."""
    if not access.can_manage_people(viewer):
        raise Forbidden("Only an org admin can match a cohort.")
    today = today or timezone.localdate()
    in_window = selectors.newcomers(today)
    matched = Mentorship.objects.filter(status__in=OPEN_STATUSES).values("mentee_id")
    counts = in_window.aggregate(everyone=Count("pk"), busy=Count("pk", filter=Q(pk__in=matched)))
    plan = CohortPlan(
        today=today,
        window_days=selectors.newcomer_days(),
        without_mentor=counts["everyone"] - counts["busy"],
        with_mentor=counts["busy"],
        size=size,
    )
    plan.page = min(max(page, 1), plan.pages)  # past the end: the last page
    start = (plan.page - 1) * size
    people = list(
        in_window.exclude(pk__in=matched)
        .select_related("department")
        .order_by("start_date", "name", "pk")[start : start + size]
    )
    ranker = selectors.Ranker(today)
    ranker.prepare(people)  # the whole cohort in a few queries
    candidates = {person.pk: ranker.rank(person, limit=PER_MENTEE) for person in people}
    scores = {(mentee, s.mentor.pk): s.score for mentee, found in candidates.items() for s in found}
    capacity = {s.mentor.pk: s.free for found in candidates.values() for s in found}
    chosen_mentor = assign(scores, capacity)
    by_pk = {p.pk: p for p in people}
    for mentee_id, found in candidates.items():
        mentee = by_pk[mentee_id]
        mentor_id = chosen_mentor.get(mentee_id)
        if mentor_id is not None:
            chosen = next(s for s in found if s.mentor.pk == mentor_id)
            plan.pairs.append(PlannedPair(mentee, chosen))
        elif not selectors.mentee_terms(mentee):
            plan.unmatched.append(
                Unmatched(mentee, "Their profile names no title, skills or interests to match on.")
            )
        elif not found:
            plan.unmatched.append(
                Unmatched(
                    mentee,
                    "Nobody available with free places knows the topics of their title, "
                    "skills or interests.",
                )
            )
        else:
            names = ", ".join(s.mentor.name for s in found[:3])
            plan.unmatched.append(
                Unmatched(
                    mentee,
                    f"Everyone who fits ({names}) is needed by other newcomers of this cohort "
                    "and has no place left.",
                )
            )
    plan.pairs.sort(key=lambda p: (p.mentee.name, p.mentee.pk))
    plan.unmatched.sort(key=lambda u: (u.mentee.name, u.mentee.pk))
    return plan
