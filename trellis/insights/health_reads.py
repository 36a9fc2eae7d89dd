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

Each query reads a scope: several communities at once, grouped by community (the nightly job
reads its 51 communities with one set of queries, not 51), or the organisation as one. A
single community is the grouped read of one.

Which communities the viewer may see is the caller's decision: this module reads what it is
given. Figures are as the data stands at `as_of` (now, unless told): activity, answers and
comments after it are left out; whether a question has an accepted answer is as it stands.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    Expression,
    ExpressionWrapper,
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
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core.models import Activity
from trellis.insights import counts, health
from trellis.insights.health import HealthInputs, PeriodFacts, QuestionFacts, Span
from trellis.insights.levels import CONTRIBUTION_VERBS, READ_SUFFIX
from trellis.people.models import Person
from trellis.qa.models import Comment, Post, PostKind

CHUNK = 5000  # ids per IN list (SQLite allows 32,766 parameters a statement)
COMMUNITIES_PER_READ = 500  # communities grouped in one set of queries (their ids are parameters)
INDEXED_SCOPES = 8  # up to this many communities read together, their index finds their rows

# A scope's key in the grouped results: its community's id, or None for the organisation.
ScopeKey = int | None
# What one set of queries reads: these communities, each its own group, or (None) the
# organisation as one group keyed None.
Scopes = Sequence[int] | None


def _scopes_of(community: Community | None) -> Scopes:
    return None if community is None else [community.pk]


def _key_of(community: Community | None) -> ScopeKey:
    return None if community is None else community.pk


def _keys(scopes: Scopes) -> list[ScopeKey]:
    return [None] if scopes is None else list(scopes)


def _unindexed(column: str) -> Expression:
    """`column` + 0: the same value, which keeps the database from reading by the column's
    index (as a filter, or as an order that would help a DISTINCT or a GROUP BY)."""
    return ExpressionWrapper(F(column) + 0, output_field=IntegerField())


@dataclass(frozen=True)
class _Source:
    """Rows of one source of activity in the scopes, and the columns naming who and where."""

    rows: "QuerySet[Any]"
    person: str
    community: str

    def scope_key(self, scopes: Scopes) -> Expression:
        """The group a row belongs to: its community, or one group (NULL) organisation-wide."""
        if scopes is None:
            return Cast(Value(None), IntegerField())
        return _unindexed(self.community)


def _in_scopes(rows: "QuerySet[Any]", community: str, scopes: Scopes) -> "QuerySet[Any]":
    """The rows of the scopes. More than `INDEXED_SCOPES` communities are found by the other
    conditions (the period's time, the people), not by the community index: read by it, a
    range per community out of the order they were written, the 50 communities' rows took 5
    times as long on SQLite as the whole period's."""
    if scopes is None:
        return rows
    if len(scopes) <= INDEXED_SCOPES:
        return rows.filter(**{f"{community}__in": scopes})
    found: QuerySet[Any] = rows.alias(unindexed_community=_unindexed(community))
    return found.filter(unindexed_community__in=scopes)


def _sources(scopes: Scopes, *, contributions_only: bool) -> list[_Source]:
    """Each source of activity in the scopes."""
    logged = Activity.objects.filter(actor__isnull=False)
    if contributions_only:
        logged = logged.filter(verb__in=CONTRIBUTION_VERBS)
    else:  # reads and contributions: joining, RSVPs and administration are neither
        logged = logged.filter(Q(verb__in=CONTRIBUTION_VERBS) | Q(verb__endswith=READ_SUFFIX))
    posts = Post.objects.filter(author__isnull=False).exclude(source="")
    comments = Comment.objects.filter(author__isnull=False).exclude(source="")
    return [
        _Source(_in_scopes(rows, community, scopes), person, community)
        for rows, person, community in (
            (logged, "actor_id", "community_id"),
            (posts, "author_id", "community_id"),
            (comments, "author_id", "post__community_id"),
        )
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


def contributors_by_scope(
    scopes: Scopes, spans: Sequence[Span]
) -> dict[ScopeKey, tuple[frozenset[int], ...]]:
    """Who contributed in each span (consecutive, oldest first) in each scope: one query per
    source."""
    found: dict[ScopeKey, list[set[int]]] = {key: [set() for _ in spans] for key in _keys(scopes)}
    for source in _sources(scopes, contributions_only=True):
        triples = (
            _within(source.rows, spans)
            .annotate(scope_key=source.scope_key(scopes), period_index=_period_of(spans))
            .values_list("scope_key", "period_index", source.person)
            .distinct()
        )
        for key, index, person_id in triples:
            found[key][index].add(person_id)
    return {key: tuple(frozenset(people) for people in periods) for key, periods in found.items()}


def contributors_by_period(
    community: Community | None, spans: Sequence[Span]
) -> tuple[frozenset[int], ...]:
    """Who contributed in each span (consecutive, oldest first): one query per source."""
    return contributors_by_scope(_scopes_of(community), spans)[_key_of(community)]


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
            Exists(source.rows.filter(created_at__lt=moment, **{source.person: OuterRef("pk")}))
            for source in _sources(_scopes_of(community), contributions_only=True)
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


def active_by_scope(
    scopes: Scopes, spans: Sequence[Span], zone: tzinfo
) -> dict[ScopeKey, list[tuple[int, int]]]:
    """(active people, active person-days) per span in each scope, reading included: one
    statement over the UNION of the sources' distinct (scope, span, person, day) rows, days
    taken in `zone`."""
    day_starts = _day_starts(spans, zone)
    # Organisation-wide, no scope column at all: a constant one made PostgreSQL's sorts for
    # the DISTINCT and the GROUP BY 15% slower.
    grouping = [] if scopes is None else ["scope_key"]
    parts: list[str] = []
    params: list[Any] = []
    quote = connection.ops.quote_name
    for i, source in enumerate(_sources(scopes, contributions_only=False)):
        column = f"{quote(source.rows.model._meta.db_table)}.{quote('created_at')}"
        day_sql, day_params = _day_of(day_starts, column)
        rows = (
            _within(source.rows, spans)
            .annotate(
                scope_key=source.scope_key(scopes),
                period_index=_period_of(spans),
                person_key=F(source.person),
                # Our own CASE text; every value a parameter.
                active_day=RawSQL(day_sql, day_params, output_field=IntegerField()),  # noqa: S611
            )
            .values_list(*grouping, "period_index", "person_key", "active_day")
            .distinct()
        )
        sql, part_params = rows.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS source{i}")  # noqa: S608
        params += list(part_params)
    groups = ", ".join([*grouping, "period_index"])
    statement = (
        f"SELECT {groups}, COUNT(DISTINCT person_key), COUNT(*) "  # noqa: S608
        f"FROM ({' UNION '.join(parts)}) AS person_days GROUP BY {groups}"
    )
    found = {key: [(0, 0)] * len(spans) for key in _keys(scopes)}
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for *key, index, people, days in cursor:
            found[key[0] if key else None][int(index)] = (int(people), int(days))
    return found


def active_by_period(
    community: Community | None, spans: Sequence[Span], zone: tzinfo
) -> list[tuple[int, int]]:
    """(active people, active person-days) per span, reading included, days taken in `zone`."""
    return active_by_scope(_scopes_of(community), spans, zone)[_key_of(community)]


def _first_reply_by_other(rows: "QuerySet[Any]") -> Subquery:
    """The first of `rows` (answers or comments of the outer question) not by its asker; a
    question whose asker's account is gone has every reply by someone else."""
    by_others = rows.exclude(author_id=Coalesce(OuterRef("author_id"), Value(0)))
    return Subquery(by_others.order_by("created_at").values("created_at")[:1])


def questions_by_scope(
    scopes: Scopes, spans: Sequence[Span], as_of: datetime
) -> dict[ScopeKey, list[list[QuestionFacts]]]:
    """The questions asked in each span in each scope with what they got by `as_of`: one
    query."""
    source = _Source(
        _in_scopes(Post.objects.filter(kind=PostKind.QUESTION), "community_id", scopes),
        "author_id",
        "community_id",
    )
    answers = Post.objects.filter(question=OuterRef("pk"), created_at__lt=as_of)
    on_question = Comment.objects.filter(post=OuterRef("pk"), created_at__lt=as_of)
    on_answers = Comment.objects.filter(post__question=OuterRef("pk"), created_at__lt=as_of)
    rows = (
        _within(source.rows, spans)
        .annotate(
            scope_key=source.scope_key(scopes),
            period_index=_period_of(spans),
            answered=Exists(answers),
            first_answer=_first_reply_by_other(answers),
            first_comment=_first_reply_by_other(on_question),
            first_answer_comment=_first_reply_by_other(on_answers),
        )
        .values_list(
            "scope_key",
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
    found: dict[ScopeKey, list[list[QuestionFacts]]] = {
        key: [[] for _ in spans] for key in _keys(scopes)
    }
    for key, index, asker, asked_at, answered, accepted, *replies in rows:
        known = [moment for moment in replies if moment is not None]
        found[key][index].append(
            QuestionFacts(
                asker_id=asker,
                asked_at=asked_at,
                answered=bool(answered),
                accepted=accepted is not None,
                first_reply_by_other_at=min(known) if known else None,
            )
        )
    return found


def questions_by_period(
    community: Community | None, spans: Sequence[Span], as_of: datetime
) -> list[list[QuestionFacts]]:
    """The questions asked in each span with what they got by `as_of`: one query."""
    return questions_by_scope(_scopes_of(community), spans, as_of)[_key_of(community)]


def answers_by_scope(scopes: Scopes, spans: Sequence[Span]) -> dict[ScopeKey, list[dict[int, int]]]:
    """Answers written in each span per author in each scope (answers whose author's account
    is gone are nobody's, so they are left out): one grouped query."""
    answers = Post.objects.filter(kind=PostKind.ANSWER, author__isnull=False)
    source = _Source(_in_scopes(answers, "community_id", scopes), "author_id", "community_id")
    rows = (
        _within(source.rows, spans)
        .annotate(scope_key=source.scope_key(scopes), period_index=_period_of(spans))
        .values("scope_key", "period_index", "author_id")
        .annotate(written=Count("pk"))
        .values_list("scope_key", "period_index", "author_id", "written")
    )
    found: dict[ScopeKey, list[dict[int, int]]] = {
        key: [{} for _ in spans] for key in _keys(scopes)
    }
    for key, index, author, written in rows:
        found[key][index][author] = written
    return found


def answers_by_period(community: Community | None, spans: Sequence[Span]) -> list[dict[int, int]]:
    """Answers written in each span per author (authors whose account is gone left out)."""
    return answers_by_scope(_scopes_of(community), spans)[_key_of(community)]


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


def first_contributions_by_scope(
    scopes: Scopes, people: Iterable[int]
) -> dict[ScopeKey, dict[int, datetime]]:
    """Each person's first contribution in each scope (people with none there are left out):
    one grouped query per source and `CHUNK` people."""
    ids = sorted(set(people))
    found: dict[ScopeKey, dict[int, datetime]] = {key: {} for key in _keys(scopes)}
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        for source in _sources(scopes, contributions_only=True):
            earliest = (
                source.rows.filter(**{f"{source.person}__in": chunk})
                .order_by()
                .annotate(scope_key=source.scope_key(scopes))
                .values("scope_key", source.person)
                .annotate(first=Min("created_at"))
                .values_list("scope_key", source.person, "first")
            )
            for key, person_id, moment in earliest:
                known = found[key]
                if person_id not in known or moment < known[person_id]:
                    known[person_id] = moment
    return found


def first_contributions(community: Community | None, people: Iterable[int]) -> dict[int, datetime]:
    """Each person's first contribution in the scope (people with none are left out)."""
    return first_contributions_by_scope(_scopes_of(community), people)[_key_of(community)]


def _inputs_for_months(
    months_by_scope: Mapping[ScopeKey, Sequence[date]], as_of: datetime
) -> dict[ScopeKey, dict[date, HealthInputs]]:
    """Each scope's `health_inputs` for its calendar months, with one set of reads for them
    all: every window is read as part of one run of consecutive months (the union of the
    scopes' months and the periods before them), each query grouped by scope. A month's
    spans depend only on the month and `as_of`, so each scope gets what reading it alone
    would."""
    wanted = {
        key: sorted({month.replace(day=1) for month in months})
        for key, months in months_by_scope.items()
    }
    found: dict[ScopeKey, dict[date, HealthInputs]] = {key: {} for key in wanted}
    every = sorted(set().union(*wanted.values()))
    if not every:
        return found
    keys = [key for key, months in wanted.items() if months]
    if None in keys and len(keys) > 1:
        raise ValueError("the organisation is read on its own")
    scopes: Scopes = None if None in keys else sorted(key for key in keys if key is not None)
    last_start, last_end = counts.month_bounds(every[-1])
    if as_of <= counts.month_bounds(every[0])[0] or as_of <= last_start:
        raise ValueError("a month has not started yet")
    span_count = _months_between(every[0], every[-1]) + health.PERIODS_NEEDED
    periods = health.periods_ending(last_start, last_end, count=span_count)
    spans = [(first, min(stop, as_of)) for first, stop in periods]
    windows = {  # each month's window in `periods`: its own period and the 4 before
        month: slice(at - health.PERIODS_NEEDED + 1, at + 1)
        for month in every
        for at in [span_count - 1 - _months_between(month, every[-1])]
    }
    contributors = contributors_by_scope(scopes, spans)
    candidates = {
        (key, month): _candidates(contributors[key][windows[month]])
        for key in keys
        for month in wanted[key]
    }
    first = first_contributions_by_scope(scopes, frozenset().union(*candidates.values()))
    recent_from = windows[every[0]].stop - 2  # the earliest month's previous period
    recent = spans[recent_from:]
    zone = last_start.tzinfo
    assert zone is not None
    active = active_by_scope(scopes, recent, zone)
    questions = questions_by_scope(scopes, recent, as_of)
    answers = answers_by_scope(scopes, recent)
    for (key, month), people in candidates.items():
        window = windows[month]
        window_start = spans[window.start][0]
        pair = slice(window.stop - 2 - recent_from, window.stop - recent_from)
        found[key][month] = _inputs(
            periods[window],
            contributors[key][window],
            frozenset(p for p in people if first[key].get(p, window_start) < window_start),
            active=active[key][pair],
            questions=questions[key][pair],
            answers=answers[key][pair],
            as_of=as_of,
        )
    return found


def health_inputs_for_months(
    *, community: Community | None, months: Sequence[date], as_of: datetime | None = None
) -> dict[date, HealthInputs]:
    """`health_inputs` for several calendar months with one set of reads: their windows are
    read as one run of consecutive months (a year's chart: 7 queries instead of 84)."""
    key = _key_of(community)
    return _inputs_for_months({key: months}, as_of or timezone.now())[key]


def health_inputs_for_communities(
    *, months_by_community: Mapping[int, Sequence[date]], as_of: datetime | None = None
) -> dict[int, dict[date, HealthInputs]]:
    """`health_inputs_for_months` for many communities (by id) with one set of reads per
    `COMMUNITIES_PER_READ` of them, each query grouped by community: the same inputs as
    reading each alone. The organisation (everything, content outside any community too) is
    not their sum: read it with `health_inputs_for_months(community=None)`."""
    as_of = as_of or timezone.now()
    ids = sorted(months_by_community)
    found: dict[int, dict[date, HealthInputs]] = {}
    for first in range(0, len(ids), COMMUNITIES_PER_READ):
        chunk = ids[first : first + COMMUNITIES_PER_READ]
        read = _inputs_for_months({pk: months_by_community[pk] for pk in chunk}, as_of)
        found.update({pk: read[pk] for pk in chunk})
    return found


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def health_for_months(
    *, community: Community | None, months: Sequence[date], as_of: datetime | None = None
) -> dict[date, health.Health]:
    """The health figures of several calendar months of a community (or the organisation)."""
    inputs = health_inputs_for_months(community=community, months=months, as_of=as_of)
    return _assessed(inputs)


def health_for_communities(
    *, months_by_community: Mapping[int, Sequence[date]], as_of: datetime | None = None
) -> dict[int, dict[date, health.Health]]:
    """The health figures of each community's (by id) calendar months, read together."""
    inputs = health_inputs_for_communities(months_by_community=months_by_community, as_of=as_of)
    return {pk: _assessed(months) for pk, months in inputs.items()}


def _assessed(inputs: Mapping[date, HealthInputs]) -> dict[date, health.Health]:
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
