"""A few live figures for the sponsors of communities: what a community did in the last 30
days against the 30 before, for every community a sponsor backs in the same handful of
queries. Rolling windows, not calendar months: on the 3rd of a month "this month" is three
days long and every figure looks like a collapse.

It counts questions and answers, so it sits in qa (above communities); the home page calls it.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.qa.models import Comment, Post, PostKind, Vote

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class CommunityFigures:
    """Questions first answered and the median wait for that answer; active members (posted,
    answered, commented or voted): each in the last 30 days and in the 30 days before."""

    community: Community
    answered_recently: int
    answered_before: int
    median_wait_recently: timedelta | None
    median_wait_before: timedelta | None
    active_recently: int
    active_before: int

    @property
    def wait_recently(self) -> str:
        return duration_words(self.median_wait_recently)

    @property
    def wait_before(self) -> str:
        return duration_words(self.median_wait_before)


def duration_words(wait: timedelta | None) -> str:
    """'40 minutes', '3 hours', '2 days': as precise as a sponsor needs, no more."""
    if wait is None:
        return "no answers"
    minutes = round(wait.total_seconds() / 60)
    if minutes < 60:
        return _plural(max(minutes, 1), "minute")
    hours = round(minutes / 60)
    if hours < 48:
        return _plural(hours, "hour")
    return _plural(round(hours / 24), "day")


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def community_figures(
    *, viewer: access.Viewer, communities: list[Community], now: datetime | None = None
) -> list[CommunityFigures]:
    """The figures of those communities the viewer may see, in four queries however many."""
    now = now or timezone.now()
    visible = set(
        access.visible_communities(viewer)
        .filter(pk__in=[c.pk for c in communities])
        .values_list("pk", flat=True)
    )
    shown = [c for c in communities if c.pk in visible]
    if not shown:
        return []
    ids = [c.pk for c in shown]
    recent_from, before_from = now - WINDOW, now - 2 * WINDOW
    waits = _first_answer_waits(ids, since=before_from)
    active = _active_people(ids, recent_from=recent_from, before_from=before_from)
    figures = []
    for community in shown:
        this = [w for at, w in waits[community.pk] if at >= recent_from]
        last = [w for at, w in waits[community.pk] if at < recent_from]
        recent, before = active[community.pk]
        figures.append(
            CommunityFigures(
                community=community,
                answered_recently=len(this),
                answered_before=len(last),
                median_wait_recently=_median(this),
                median_wait_before=_median(last),
                active_recently=len(recent),
                active_before=len(before),
            )
        )
    return figures


def _median(waits: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=statistics.median(w.total_seconds() for w in waits)) if waits else None


def _first_answer_waits(
    community_ids: list[int], *, since: datetime
) -> dict[int, list[tuple[datetime, timedelta]]]:
    """For each community, (when, how long after it was asked) of each question whose first
    answer came since `since`. One query."""
    firsts = (
        Post.objects.filter(kind=PostKind.ANSWER, question__community_id__in=community_ids)
        .values("question_id", "question__community_id", "question__created_at")
        .annotate(first=Min("created_at"))
        .filter(first__gte=since)
        .order_by()
    )
    waits: dict[int, list[tuple[datetime, timedelta]]] = defaultdict(list)
    for row in firsts:
        wait = max(row["first"] - row["question__created_at"], timedelta(0))
        waits[row["question__community_id"]].append((row["first"], wait))
    return waits


def _active_people(
    community_ids: list[int], *, recent_from: datetime, before_from: datetime
) -> dict[int, tuple[set[int], set[int]]]:
    """For each community, the people who posted, commented or voted in it since
    `recent_from`, and those who did between `before_from` and then. Three queries, one row
    per community and person."""
    sources = (
        (Post.objects, "community_id", "author_id"),
        (Comment.objects, "post__community_id", "author_id"),
        (Vote.objects, "post__community_id", "voter_id"),
    )
    active: dict[int, tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
    for manager, community_field, person_field in sources:
        rows = (
            manager.filter(
                **{
                    f"{community_field}__in": community_ids,
                    f"{person_field}__isnull": False,
                    "created_at__gte": before_from,
                }
            )
            .values_list(community_field, person_field)
            .annotate(
                recent=Count("pk", filter=Q(created_at__gte=recent_from)),
                before=Count("pk", filter=Q(created_at__lt=recent_from)),
            )
            .order_by()
        )
        for community_id, person_id, recent, before in rows:
            recent_people, before_people = active[community_id]
            if recent:
                recent_people.add(person_id)
            if before:
                before_people.add(person_id)
    return active
