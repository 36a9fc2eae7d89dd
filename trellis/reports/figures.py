"""The report's figures for one scope (a community, or the whole organisation) and one period,
computed from the domain tables. Every figure is a count or a median a director can read; how
each is defined is written next to it (and on the page).

This is the expensive part (it reads a period's questions, answers, memberships, activity,
events and resources); `services.figures_refresh` stores its result per period so the page
reads one row instead.
"""

from datetime import datetime
from statistics import median
from typing import TypedDict

from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone

from trellis.communities.models import Community, Membership
from trellis.events.models import Event, Rsvp
from trellis.library.models import DUE_BEFORE, STALE_AFTER, Resource
from trellis.qa.models import Comment, Post, PostKind
from trellis.reports.periods import Period

TOP_PAIRS = 5
HOUR = 3600.0
DAY = 86400.0


class Questions(TypedDict):
    asked: int  # questions asked in the period
    answered: int  # of those, how many have at least one answer (by the time of computing)
    answer_rate: float | None  # answered / asked, 0..1
    median_hours_to_first_answer: float | None


class DepartmentPair(TypedDict):
    helper: str  # the answerer's department
    helped: str  # the asker's department
    answers: int


class Help(TypedDict):
    people_helped: int  # askers who got an answer from someone else in the period
    people_helped_across: int  # …from someone in another department
    answers_across: int
    top_pairs: list[DepartmentPair]


class Events(TypedDict):
    held: int  # not cancelled, over, started in the period
    signed_up: int  # "going" replies to them
    attendances: int  # marked as attended
    attendees: int  # different people who attended


class Onboarding(TypedDict):
    newcomers: int  # joined in the period
    reached_answer: int
    median_days_to_first_answer: float | None
    reached_contribution: int
    median_days_to_first_contribution: float | None


class Library(TypedDict):
    added: int
    total: int  # not obsolete, existing at the end of the period
    fresh: int
    due: int
    stale: int


class Figures(TypedDict):
    period: str
    questions: Questions
    help: Help
    events: Events
    onboarding: Onboarding
    library: Library


def _in(qs: QuerySet, community: Community | None, field: str = "community") -> QuerySet:  # type: ignore[type-arg]  # any model's queryset
    return qs if community is None else qs.filter(**{field: community})


def questions_between(community: Community | None, start: datetime, end: datetime) -> Questions:
    rows = (
        _in(Post.objects.filter(kind=PostKind.QUESTION), community)
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(first_answer=Min("answers__created_at"))
        .values_list("created_at", "first_answer")
    )
    asked = 0
    waits: list[float] = []
    for created_at, first_answer in rows:
        asked += 1
        if first_answer is not None:
            waits.append(max(0.0, (first_answer - created_at).total_seconds()) / HOUR)
    return {
        "asked": asked,
        "answered": len(waits),
        "answer_rate": round(len(waits) / asked, 4) if asked else None,
        "median_hours_to_first_answer": round(median(waits), 1) if waits else None,
    }


def help_between(community: Community | None, start: datetime, end: datetime) -> Help:
    answers = (
        _in(Post.objects.filter(kind=PostKind.ANSWER), community)
        .filter(created_at__gte=start, created_at__lt=end)
        .exclude(author__isnull=True)
        .exclude(question__author__isnull=True)
        .exclude(author=F("question__author"))
    )
    across = answers.filter(
        author__department__isnull=False, question__author__department__isnull=False
    ).exclude(author__department=F("question__author__department"))
    pairs = (
        across.values("author__department__name", "question__author__department__name")
        .annotate(answers=Count("id"))
        .order_by("-answers", "author__department__name", "question__author__department__name")
    )
    return {
        "people_helped": answers.values("question__author").distinct().count(),
        "people_helped_across": across.values("question__author").distinct().count(),
        "answers_across": across.count(),
        "top_pairs": [
            {
                "helper": row["author__department__name"],
                "helped": row["question__author__department__name"],
                "answers": row["answers"],
            }
            for row in pairs[:TOP_PAIRS]
        ],
    }


def events_between(community: Community | None, start: datetime, end: datetime) -> Events:
    """Events held: started in the period, not cancelled, over by now (the report counts a
    session once it is over, where `events.selectors.attendance_between` counts it once it has
    started), with the places taken beside the attendance, in two queries."""
    held = _in(Event.objects.all(), community).filter(
        starts_at__gte=start,
        starts_at__lt=end,
        cancelled_at__isnull=True,
        ends_at__lte=timezone.now(),
    )
    rsvps = Rsvp.objects.filter(event__in=held.values("pk"))
    counts = rsvps.aggregate(
        signed_up=Count("pk", filter=Q(reply="going")),
        attendances=Count("pk", filter=Q(attended=True)),
        attendees=Count("person", filter=Q(attended=True), distinct=True),
    )
    return {
        "held": held.count(),
        "signed_up": counts["signed_up"],
        "attendances": counts["attendances"],
        "attendees": counts["attendees"],
    }


def _median_days(
    joined: dict[int, datetime], firsts: dict[int, datetime]
) -> tuple[int, float | None]:
    days = [
        max(0.0, (firsts[pk] - joined_at).total_seconds() / DAY)
        for pk, joined_at in joined.items()
        if pk in firsts
    ]
    return len(days), (round(median(days), 1) if days else None)


def _earliest(rows: QuerySet, key: str, into: dict[int, datetime]) -> None:  # type: ignore[type-arg]
    for row in rows:
        pk, first = row[key], row["first"]
        if first is not None and (pk not in into or first < into[pk]):
            into[pk] = first


def onboarding_between(community: Community | None, start: datetime, end: datetime) -> Onboarding:
    """Newcomers: people who joined (the community, or organisation-wide their first community)
    in the period. Days to their first answered question: from joining to the first answer
    someone else gave to a question they asked; to their first contribution: to their first
    question, answer, comment or library resource. Counted up to when the figures are computed."""
    memberships = _in(Membership.objects.all(), community)
    joined: dict[int, datetime] = {}
    if community is None:
        firsts = memberships.values("person_id").annotate(first=Min("joined_at"))
        for row in firsts.filter(first__gte=start, first__lt=end):
            joined[row["person_id"]] = row["first"]
    else:
        for person_id, joined_at in memberships.filter(
            joined_at__gte=start, joined_at__lt=end
        ).values_list("person_id", "joined_at"):
            joined[person_id] = min(joined_at, joined.get(person_id, joined_at))
    if not joined:
        return {
            "newcomers": 0,
            "reached_answer": 0,
            "median_days_to_first_answer": None,
            "reached_contribution": 0,
            "median_days_to_first_contribution": None,
        }
    newcomer_ids = memberships.filter(joined_at__gte=start, joined_at__lt=end).values("person_id")
    first_answer: dict[int, datetime] = {}
    _earliest(
        _in(Post.objects.filter(kind=PostKind.ANSWER), community, "question__community")
        .filter(question__author__in=newcomer_ids, created_at__gte=start)
        .exclude(author=F("question__author"))
        .values("question__author")
        .annotate(first=Min("created_at")),
        "question__author",
        first_answer,
    )
    first_contribution: dict[int, datetime] = {}
    _earliest(
        _in(Post.objects.all(), community)
        .filter(author__in=newcomer_ids, created_at__gte=start)
        .values("author")
        .annotate(first=Min("created_at")),
        "author",
        first_contribution,
    )
    _earliest(
        _in(Comment.objects.all(), community, "post__community")
        .filter(author__in=newcomer_ids, created_at__gte=start)
        .values("author")
        .annotate(first=Min("created_at")),
        "author",
        first_contribution,
    )
    _earliest(
        _in(Resource.objects.all(), community)
        .filter(created_by__in=newcomer_ids, created_at__gte=start)
        .values("created_by")
        .annotate(first=Min("created_at")),
        "created_by",
        first_contribution,
    )
    reached_answer, days_answer = _median_days(joined, first_answer)
    reached_contribution, days_contribution = _median_days(joined, first_contribution)
    return {
        "newcomers": len(joined),
        "reached_answer": reached_answer,
        "median_days_to_first_answer": days_answer,
        "reached_contribution": reached_contribution,
        "median_days_to_first_contribution": days_contribution,
    }


def library_between(community: Community | None, start: datetime, end: datetime) -> Library:
    """Resources added in the period, and the state of the library at its end (or now, for a
    period not over): fresh, due for review (within two weeks of lapsing, or lapsed less than a
    month ago), stale (lapsed longer ago). Read from today's verification dates."""
    as_of = min(end, timezone.now())
    resources = _in(Resource.objects.all(), community)
    live = resources.filter(created_at__lt=end, canonical__isnull=True).filter(
        Q(obsolete_at__isnull=True) | Q(obsolete_at__gt=as_of)
    )
    counts = live.aggregate(
        total=Count("pk"),
        fresh=Count("pk", filter=Q(verify_by__gte=as_of + DUE_BEFORE)),
        stale=Count("pk", filter=Q(verify_by__lt=as_of - STALE_AFTER)),
    )
    return {
        "added": resources.filter(created_at__gte=start, created_at__lt=end).count(),
        "total": counts["total"],
        "fresh": counts["fresh"],
        "due": counts["total"] - counts["fresh"] - counts["stale"],
        "stale": counts["stale"],
    }


def figures_compute(*, community: Community | None, period: Period) -> Figures:
    start, end = period.start, period.end
    return {
        "period": period.key,
        "questions": questions_between(community, start, end),
        "help": help_between(community, start, end),
        "events": events_between(community, start, end),
        "onboarding": onboarding_between(community, start, end),
        "library": library_between(community, start, end),
    }
