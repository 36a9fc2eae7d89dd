"""The facts community health is computed from (`health.HealthInputs`), read from the database
for a community, or the whole organisation (None: everything, content outside any community
included), and a period.

Sources, as the participation counts read them:

- the activity log: a verb ending in `.view` is a read, any other verb a contribution;
- posts and comments loaded in bulk (a non-empty `source`): the importers write no activity
  rows for them, so each counts here as a contribution by its author;
- the questions asked in the period and the answers written in it, whoever wrote them.

A handful of grouped queries per call, none per person or per question: contributors per
period (three, one per source, over the five periods the figures need), whether the few who
contributed for the first time in a while had contributed earlier (one, in chunks), active
people and person-days (one, over a UNION of the three sources, so someone both imported and
active on a day counts once), the questions with their replies (one, with correlated
subqueries on the answer and comment indexes) and the answers per author (one).

Which communities the viewer may see is the caller's decision: this module reads what it is
given. Figures are as the data stands at `as_of` (now, unless told): activity, answers and
comments after it are left out; whether a question has an accepted answer is as it stands.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core.models import Activity
from trellis.insights import counts, health
from trellis.insights.health import HealthInputs, PeriodFacts, QuestionFacts, Span
from trellis.insights.levels import CONTRIBUTION_VERBS, READ_SUFFIX
from trellis.people.models import Person
from trellis.qa.models import Comment, Post, PostKind

CHUNK = 5000  # ids per IN list (SQLite allows 32,766 parameters a statement)


def _activity(community: Community | None) -> "QuerySet[Activity]":
    rows = Activity.objects.filter(actor__isnull=False)
    return rows if community is None else rows.filter(community=community)


def _imported_posts(community: Community | None) -> "QuerySet[Post]":
    rows = Post.objects.filter(author__isnull=False).exclude(source="")
    return rows if community is None else rows.filter(community=community)


def _imported_comments(community: Community | None) -> "QuerySet[Comment]":
    rows = Comment.objects.filter(author__isnull=False).exclude(source="")
    return rows if community is None else rows.filter(post__community=community)


def _sources(
    community: Community | None, *, contributions_only: bool
) -> list[tuple["QuerySet[Any]", str]]:
    """(rows, the column naming the person) for each source of activity."""
    logged = _activity(community)
    if contributions_only:
        logged = logged.filter(verb__in=CONTRIBUTION_VERBS)
    else:  # reads and contributions: joining, RSVPs and administration are neither
        logged = logged.filter(Q(verb__in=CONTRIBUTION_VERBS) | Q(verb__endswith=READ_SUFFIX))
    return [
        (logged, "actor_id"),
        (_imported_posts(community), "author_id"),
        (_imported_comments(community), "author_id"),
    ]


def _period_of(spans: Sequence[Span]) -> Case:
    """The index of the span a row's created_at falls in (rows are filtered to the spans)."""
    return Case(
        *(When(created_at__lt=stop, then=Value(i)) for i, (_, stop) in enumerate(spans)),
        default=Value(len(spans) - 1),
        output_field=IntegerField(),
    )


def _within(rows: "QuerySet[Any]", spans: Sequence[Span]) -> "QuerySet[Any]":
    return rows.filter(created_at__gte=spans[0][0], created_at__lt=spans[-1][1]).order_by()


def contributors_by_period(
    community: Community | None, spans: Sequence[Span]
) -> tuple[frozenset[int], ...]:
    """Who contributed in each span (consecutive, oldest first): one query per source."""
    found: list[set[int]] = [set() for _ in spans]
    for rows, person in _sources(community, contributions_only=True):
        pairs = (
            _within(rows, spans)
            .annotate(period_index=_period_of(spans))
            .values_list("period_index", person)
            .distinct()
        )
        for index, person_id in pairs:
            found[index].add(person_id)
    return tuple(frozenset(people) for people in found)


def contributed_before(
    community: Community | None, people: Iterable[int], moment: datetime
) -> frozenset[int]:
    """Which of `people` contributed before `moment`: an EXISTS per source, each stopping at
    the first row an index finds (one query per `CHUNK` people)."""
    ids = sorted(set(people))
    found: set[int] = set()
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        earlier = [
            Exists(rows.filter(created_at__lt=moment, **{person: OuterRef("pk")}))
            for rows, person in _sources(community, contributions_only=True)
        ]
        people_found = Person.objects.filter(pk__in=chunk).filter(
            Q(earlier[0]) | Q(earlier[1]) | Q(earlier[2])
        )
        found.update(people_found.values_list("pk", flat=True))
    return frozenset(found)


def _day_starts(spans: Sequence[Span], zone: tzinfo) -> list[datetime]:
    """Where each local day of the spans begins (the first begins with the first span), and
    where the last span ends."""
    first, stop = spans[0][0], spans[-1][1]
    starts = [first]
    day = first.astimezone(zone).date()
    while True:
        day += timedelta(days=1)
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        if midnight >= stop:
            return [*starts, stop]
        starts.append(midnight)


def _day_of(bounds: Sequence[datetime], column: str) -> tuple[str, list[Any]]:
    """SQL for the index of the day a row's `column` falls in, `bounds` being where the days
    begin (and the last ends): a binary search written as nested CASEs, so the database compares
    a handful of values per row instead of converting each to local time (on SQLite a Python
    callback per row: 4.3 s against 0.5 s for the 835,000 rows of two months at 10M). Written
    as text: as ORM expressions, compiling the two months' 60-odd days took longer than running
    the query on a small community."""

    def search(low: int, high: int) -> tuple[str, list[Any]]:
        if high - low <= 1:
            return str(low), []
        middle = (low + high) // 2
        below, below_params = search(low, middle)
        above, above_params = search(middle, high)
        bound = connection.ops.adapt_datetimefield_value(bounds[middle])
        return (
            f"CASE WHEN {column} < %s THEN {below} ELSE {above} END",
            [bound, *below_params, *above_params],
        )

    return search(0, len(bounds) - 1)


def active_by_period(
    community: Community | None, spans: Sequence[Span], zone: tzinfo
) -> list[tuple[int, int]]:
    """(active people, active person-days) per span, reading included: one statement over the
    UNION of the sources' distinct (span, person, day) rows, days taken in `zone`."""
    day_starts = _day_starts(spans, zone)
    parts: list[str] = []
    params: list[Any] = []
    quote = connection.ops.quote_name
    for i, (rows, person) in enumerate(_sources(community, contributions_only=False)):
        column = f"{quote(rows.model._meta.db_table)}.{quote('created_at')}"
        day_sql, day_params = _day_of(day_starts, column)
        triples = (
            _within(rows, spans)
            .annotate(
                period_index=_period_of(spans),
                person_key=F(person),
                # Our own CASE text; every value a parameter.
                active_day=RawSQL(day_sql, day_params, output_field=IntegerField()),  # noqa: S611
            )
            .values_list("period_index", "person_key", "active_day")
            .distinct()
        )
        sql, part_params = triples.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS source{i}")  # noqa: S608
        params += list(part_params)
    statement = (
        "SELECT period_index, COUNT(DISTINCT person_key), COUNT(*) "  # noqa: S608
        f"FROM ({' UNION '.join(parts)}) AS person_days GROUP BY period_index"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        counted = {int(index): (int(people), int(days)) for index, people, days in cursor}
    return [counted.get(i, (0, 0)) for i in range(len(spans))]


def _first_reply_by_other(rows: "QuerySet[Any]") -> Subquery:
    """The first of `rows` (answers or comments of the outer question) not by its asker; a
    question whose asker's account is gone has every reply by someone else."""
    by_others = rows.exclude(author_id=Coalesce(OuterRef("author_id"), Value(0)))
    return Subquery(by_others.order_by("created_at").values("created_at")[:1])


def questions_by_period(
    community: Community | None, spans: Sequence[Span], as_of: datetime
) -> list[list[QuestionFacts]]:
    """The questions asked in each span with what they got by `as_of`: one query."""
    questions = Post.objects.filter(kind=PostKind.QUESTION)
    if community is not None:
        questions = questions.filter(community=community)
    answers = Post.objects.filter(question=OuterRef("pk"), created_at__lt=as_of)
    on_question = Comment.objects.filter(post=OuterRef("pk"), created_at__lt=as_of)
    on_answers = Comment.objects.filter(post__question=OuterRef("pk"), created_at__lt=as_of)
    rows = (
        _within(questions, spans)
        .annotate(
            period_index=_period_of(spans),
            answered=Exists(answers),
            first_answer=_first_reply_by_other(answers),
            first_comment=_first_reply_by_other(on_question),
            first_answer_comment=_first_reply_by_other(on_answers),
        )
        .values_list(
            "period_index",
            "author_id",
            "created_at",
            "answered",
            "accepted_answer_id",
            "first_answer",
            "first_comment",
            "first_answer_comment",
        )
    )
    found: list[list[QuestionFacts]] = [[] for _ in spans]
    for index, asker, asked_at, answered, accepted, *replies in rows:
        known = [moment for moment in replies if moment is not None]
        found[index].append(
            QuestionFacts(
                asker_id=asker,
                asked_at=asked_at,
                answered=bool(answered),
                accepted=accepted is not None,
                first_reply_by_other_at=min(known) if known else None,
            )
        )
    return found


def answers_by_period(community: Community | None, spans: Sequence[Span]) -> list[dict[int, int]]:
    """Answers written in each span per author (answers whose author's account is gone are
    nobody's, so they are left out): one grouped query."""
    answers = Post.objects.filter(kind=PostKind.ANSWER, author__isnull=False)
    if community is not None:
        answers = answers.filter(community=community)
    rows = (
        _within(answers, spans)
        .annotate(period_index=_period_of(spans))
        .values("period_index", "author_id")
        .annotate(written=Count("pk"))
        .values_list("period_index", "author_id", "written")
    )
    found: list[dict[int, int]] = [{} for _ in spans]
    for index, author, written in rows:
        found[index][author] = written
    return found


def health_inputs(
    *,
    community: Community | None,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
) -> HealthInputs:
    """Everything `health.assess` needs for [start, end) against the period before it."""
    as_of = as_of or timezone.now()
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValueError("the period's bounds carry their time zone")
    if as_of <= start:
        raise ValueError("the period has not started yet")
    zone = start.tzinfo
    assert zone is not None  # aware, checked above
    periods = health.periods_ending(start, end)
    spans = [(first, min(stop, as_of)) for first, stop in periods]
    contributors = contributors_by_period(community, spans)
    candidates = _candidates(contributors)
    earlier = contributed_before(community, candidates, spans[0][0])
    recent = spans[-2:]
    return _inputs(
        periods,
        contributors,
        earlier,
        active=active_by_period(community, recent, zone),
        questions=questions_by_period(community, recent, as_of),
        answers=answers_by_period(community, recent),
        as_of=as_of,
    )


def _candidates(contributors: Sequence[frozenset[int]]) -> frozenset[int]:
    """Who might be new or reactivated (the window's last two periods): whether they
    contributed before the window decides."""
    seen_before_previous = frozenset().union(*contributors[:-2])
    seen_before_current = seen_before_previous | contributors[-2]
    return (contributors[-1] - seen_before_current) | (contributors[-2] - seen_before_previous)


def _inputs(
    periods: Sequence[Span],
    contributors: Sequence[frozenset[int]],
    earlier: frozenset[int],
    *,
    active: Sequence[tuple[int, int]],
    questions: Sequence[list[QuestionFacts]],
    answers: Sequence[dict[int, int]],
    as_of: datetime,
) -> HealthInputs:
    """One window's inputs: `periods` and `contributors` its 5 periods, the rest its last 2."""
    previous, current = (
        PeriodFacts(
            start=first,
            end=stop,
            active_people=people,
            active_person_days=days,
            questions=tuple(asked),
            answers_by_author=written,
        )
        for (first, stop), (people, days), asked, written in zip(
            periods[-2:], active, questions, answers, strict=True
        )
    )
    return HealthInputs(
        current=current,
        previous=previous,
        contributors=tuple(contributors),
        contributed_earlier=earlier,
        as_of=as_of,
    )


def first_contributions(community: Community | None, people: Iterable[int]) -> dict[int, datetime]:
    """Each person's first contribution in the scope (people with none are left out): one
    grouped query per source and `CHUNK` people."""
    ids = sorted(set(people))
    found: dict[int, datetime] = {}
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        for rows, person in _sources(community, contributions_only=True):
            earliest = (
                rows.filter(**{f"{person}__in": chunk})
                .order_by()
                .values(person)
                .annotate(first=Min("created_at"))
                .values_list(person, "first")
            )
            for person_id, moment in earliest:
                if person_id not in found or moment < found[person_id]:
                    found[person_id] = moment
    return found


def health_inputs_for_months(
    *, community: Community | None, months: Sequence[date], as_of: datetime | None = None
) -> dict[date, HealthInputs]:
    """`health_inputs` for several calendar months with one set of reads: their windows are
    read as one run of consecutive months (a year's chart: 7 queries instead of 84)."""
    as_of = as_of or timezone.now()
    wanted = sorted({month.replace(day=1) for month in months})
    if not wanted:
        return {}
    last_start, last_end = counts.month_bounds(wanted[-1])
    if as_of <= counts.month_bounds(wanted[0])[0] or as_of <= last_start:
        raise ValueError("a month has not started yet")
    span_count = _months_between(wanted[0], wanted[-1]) + health.PERIODS_NEEDED
    periods = health.periods_ending(last_start, last_end, count=span_count)
    spans = [(first, min(stop, as_of)) for first, stop in periods]
    contributors = contributors_by_period(community, spans)
    windows = {
        month: span_count - 1 - _months_between(month, wanted[-1]) for month in wanted
    }  # each month's index in `periods`
    candidates = {
        month: _candidates(contributors[at - health.PERIODS_NEEDED + 1 : at + 1])
        for month, at in windows.items()
    }
    first = first_contributions(community, frozenset().union(*candidates.values()))
    recent_from = windows[wanted[0]] - 1  # the earliest month's previous period
    recent = spans[recent_from:]
    zone = last_start.tzinfo
    assert zone is not None
    active = active_by_period(community, recent, zone)
    questions = questions_by_period(community, recent, as_of)
    answers = answers_by_period(community, recent)
    found = {}
    for month, at in windows.items():
        window_start = spans[at - health.PERIODS_NEEDED + 1][0]
        pair = slice(at - 1 - recent_from, at + 1 - recent_from)
        found[month] = _inputs(
            periods[at - health.PERIODS_NEEDED + 1 : at + 1],
            contributors[at - health.PERIODS_NEEDED + 1 : at + 1],
            frozenset(p for p in candidates[month] if first.get(p, window_start) < window_start),
            active=active[pair],
            questions=questions[pair],
            answers=answers[pair],
            as_of=as_of,
        )
    return found


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def health_for_months(
    *, community: Community | None, months: Sequence[date], as_of: datetime | None = None
) -> dict[date, health.Health]:
    """The health figures of several calendar months of a community (or the organisation)."""
    inputs = health_inputs_for_months(community=community, months=months, as_of=as_of)
    return {month: health.assess(values) for month, values in inputs.items()}


def health_for(
    *,
    community: Community | None,
    start: datetime,
    end: datetime,
    as_of: datetime | None = None,
) -> health.Health:
    """The health figures for a community (or the organisation) and a period."""
    return health.assess(health_inputs(community=community, start=start, end=end, as_of=as_of))
