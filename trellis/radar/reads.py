"""The radar's facts (`facts.MonthFacts`), read from the database for many communities and
months at once.

A fixed set of grouped queries (33, fewer when there are no leaders, events or sponsors) for
every community and month asked, never one per community, month or person: each reads the run
of months from the first asked to the last (months between them included, so a row's month is
found by comparing it with the months' ends) and groups by community and month. Only the
contributors' first contributions are read in chunks of `health_reads.CHUNK` people (three
queries a chunk), as the health figures read them. Months are calendar months in the site's
time zone (`counts.month_bounds`); a month still running ends at `now`, and "at the end of the
month" then means now.

Where each field comes from:

- **members**, **new_members**: memberships open at the month's end (joined before it, not
  left before it) / opened during the month, of people counted as members
  (`community_recount_members`'s rule: an account, not deactivated by then);
- **active**, **contributors**, **new_contributors**, **answers_by_person**: as the health
  figures count them (`health_reads`): contributors from the activity log's contributions and
  imported posts and comments, active people the contributors and anyone who read something
  (a `.view` row); new: first contribution in the community that month; answers per author.
  Attending a session is not activity there, as on the health page;
- **questions**, **unanswered**: questions asked that month, and of those the ones with no
  answer at all by `now`;
- **leaders**: members (as counted above) at the month's end whose role then was leader. A
  role change writes `membership.role.<role>` to the activity log: the role at a moment is the
  one the last change before it set; before a membership's first recorded change it is
  estimated (`_role_at`), and with none recorded it is the role it has now. (A leader left
  alone in a community becomes a member with no such record: `handover`'s "leaderless".)
- **actions_by_leader**: a leader's writes in the community that month: activity-log rows that
  are not reads (`.view`), plus their imported posts and comments (which have no rows);
- **moderation_by_person**: `MODERATION_VERBS` in the activity log, and edits and closes of
  somebody else's post (`OWN_CONTENT_VERBS`; one's own are not moderation). Q&A has no
  deletions to count;
- **leaders_at_cap**: leaders routed at least their weekly cap (`Availability.weekly_cap`, the
  default 3 when never set; a cap of 0 is opting out, never "at cap") of questions in some
  seven days ending within the month (`RoutingDecision`, every community: the cap is the
  person's). The cap is as set now: its history is not recorded;
- **events**, **attendance**, **facilitations_by_person**: events of the community started in
  the month, not cancelled and over by `now`; attendances marked on them; their facilitator;
- **event_outputs**: what came out of those events: their agendas' notes published to the
  library (`notes_resource`), plus the library resources (other than such notes) and the
  questions and answers that an attendee of an event created in the community from the
  event's start to seven days after its end. Each output counts once, for the latest event it
  follows;
- **agenda_items**, **agenda_items_from_members**: items (not removed) of those events'
  agendas / of them, the ones from a proposal by someone not leading the community that month;
- **core**, **moved_inward**: the stored participation levels (`MonthlyLevel` at "core") and
  transitions (`MonthlyFlow`: people counted both months whose level rose);
- **guides**, **stale_guides**: the community's library resources (not duplicates of another,
  not obsolete) at the month's end / of those, overdue for verification then: the deadline,
  the last verification before the month's end (creation, an edit, a verification) plus the
  interval, had passed (the library calls it "due" from two weeks before and "stale" a month
  after). Obsolescence and being a duplicate are as they stand now;
- **sponsors**: one `SponsorMonth` per sponsorship begun before the month's end of a person
  not deactivated before the month: `opened_report` (a `ReportOpen` for the community that
  month), `attended` (attendances at the community's events that month), `stories_told` (value
  stories of the community told that month and featured, not hidden: the ones the sponsor's
  impact report shows), `left` (deactivated that month). A sponsorship ended is deleted
  without a record of whose it was, and a job title or department change is not recorded
  either: `changed_role` stays False;
- **charter_fit**: the share of the month's questions at least as close to the community's
  own words as its typical question (`charter_fit.py`; None without an embedder or with too
  few questions). One query over the run, plus embedding the communities' texts.
"""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from trellis.agendas.models import Agenda, AgendaItem, ItemSource
from trellis.communities.models import Community, Membership, Role, Sponsorship
from trellis.core.models import Activity
from trellis.events.models import Event, Rsvp
from trellis.expertise.load import DEFAULT_WEEKLY_CAP, WEEK_DAYS
from trellis.expertise.models import Availability, RoutingDecision
from trellis.insights import counts, health_reads
from trellis.insights.levels import CORE, RANK, READ_SUFFIX
from trellis.insights.models import NOT_COUNTED, MonthlyFlow, MonthlyLevel
from trellis.library.models import Resource, ResourceVersion
from trellis.qa.models import Comment, Post, PostKind
from trellis.radar.charter_fit import monthly_fit
from trellis.radar.facts import MonthFacts, SponsorMonth
from trellis.reports.models import ReportOpen
from trellis.stories.models import Story

# Always moderation: curating the Q&A, the library, the duplicates queue, stories, members.
MODERATION_VERBS = frozenset(
    {
        "question.reopen",
        "duplicates.merge",
        "duplicates.unmerge",
        "duplicates.dismiss",
        "resource.duplicate",
        "resource.unmerge",
        "story.hide",
        "membership.remove",
    }
)
# Moderation when the post is somebody else's (an asker closing their own question as a
# duplicate, or anyone editing their own post, is not).
OWN_CONTENT_VERBS = frozenset({"post.edit", "question.close"})
ROLE_CHANGE_PREFIX = "membership.role."
VERIFY_VERB = "resource.verify"
OUTPUT_WINDOW = timedelta(days=7)  # after an event, what its attendees make counts as output
INDEXED_COMMUNITIES = 8  # as health_reads.INDEXED_SCOPES: beyond, rows are found by time


@dataclass(frozen=True)
class _Months:
    """The run of consecutive months read: each one's start and end (`now` for one still
    running)."""

    months: list[date]
    starts: list[datetime]
    ends: list[datetime]

    @property
    def first(self) -> datetime:
        return self.starts[0]

    @property
    def last(self) -> datetime:
        return self.ends[-1]

    def spans(self) -> list[tuple[datetime, datetime]]:
        return list(zip(self.starts, self.ends, strict=True))

    def index_of(self, moment: datetime) -> int | None:
        """The month a moment falls in, None outside the run."""
        if moment < self.first or moment >= self.last:
            return None
        return bisect_right(self.ends, moment)

    def case(self, column: str) -> Case:
        """The index of the month `column` falls in (rows are filtered to the run)."""
        return Case(
            *(When(**{f"{column}__lt": end}, then=Value(i)) for i, end in enumerate(self.ends)),
            default=Value(len(self.ends) - 1),
            output_field=IntegerField(),
        )


def _run(months: Sequence[date], now: datetime) -> _Months:
    first, last = min(months).replace(day=1), max(months).replace(day=1)
    run = [first]
    while run[-1] < last:
        run.append(counts.add_months(run[-1], 1))
    bounds = [counts.month_bounds(month) for month in run]
    if now <= bounds[-1][0]:
        raise ValueError("a month has not started yet")
    return _Months(
        months=run,
        starts=[start for start, _ in bounds],
        ends=[min(end, now) for _, end in bounds],
    )


def _unindexed(column: str) -> Expression:
    return ExpressionWrapper(F(column) + 0, output_field=IntegerField())


def _in_communities(rows: "QuerySet[Any]", column: str, ids: Sequence[int]) -> "QuerySet[Any]":
    """The rows of these communities. Beyond a few, found by the other conditions (the time),
    not by the community index, as `health_reads` reads them: a range per community, out of
    the order rows were written, took 5 times as long on SQLite for 50 communities."""
    if len(ids) <= INDEXED_COMMUNITIES:
        found: QuerySet[Any] = rows.filter(**{f"{column}__in": ids})
        return found
    return _found_otherwise(rows, column, ids)


def _found_otherwise(rows: "QuerySet[Any]", column: str, ids: Sequence[int]) -> "QuerySet[Any]":
    """The rows of these communities, found by another index the other conditions use (a
    person's, an object type's), never by the community's."""
    unindexed: QuerySet[Any] = rows.alias(unindexed_community=_unindexed(column))
    return unindexed.filter(unindexed_community__in=list(ids))


@dataclass
class _Month:
    """One community-month being filled (MonthFacts is frozen)."""

    members: int = 0
    new_members: int = 0
    active: int = 0
    contributors: int = 0
    new_contributors: int = 0
    questions: int = 0
    unanswered: int = 0
    answers_by_person: dict[int, int] = field(default_factory=dict)
    moderation_by_person: dict[int, int] = field(default_factory=dict)
    actions_by_leader: dict[int, int] = field(default_factory=dict)
    leaders: set[int] = field(default_factory=set)
    leaders_at_cap: set[int] = field(default_factory=set)
    events: int = 0
    attendance: int = 0
    facilitations_by_person: dict[int, int] = field(default_factory=dict)
    event_outputs: int = 0
    agenda_items: int = 0
    agenda_items_from_members: int = 0
    core: set[int] = field(default_factory=set)
    moved_inward: int = 0
    guides: int = 0
    stale_guides: int = 0
    sponsors: list[SponsorMonth] = field(default_factory=list)
    charter_fit: float | None = None

    def facts(self, month: date) -> MonthFacts:
        return MonthFacts(
            month=month,
            members=self.members,
            new_members=self.new_members,
            active=self.active,
            contributors=self.contributors,
            new_contributors=self.new_contributors,
            questions=self.questions,
            unanswered=self.unanswered,
            answers_by_person=dict(self.answers_by_person),
            moderation_by_person=dict(self.moderation_by_person),
            actions_by_leader=dict(self.actions_by_leader),
            leaders=frozenset(self.leaders),
            leaders_at_cap=frozenset(self.leaders_at_cap),
            events=self.events,
            attendance=self.attendance,
            facilitations_by_person=dict(self.facilitations_by_person),
            event_outputs=self.event_outputs,
            agenda_items=self.agenda_items,
            agenda_items_from_members=self.agenda_items_from_members,
            core=frozenset(self.core),
            moved_inward=self.moved_inward,
            guides=self.guides,
            stale_guides=self.stale_guides,
            sponsors=tuple(sorted(self.sponsors, key=lambda s: s.person_id)),
            charter_fit=self.charter_fit,
        )


Table = dict[int, list[_Month]]


def radar_facts(
    *, months: Sequence[date], now: datetime, communities: Sequence[int] | None = None
) -> dict[int, list[MonthFacts]]:
    """community id -> one MonthFacts per month given (1st-of-month dates, oldest first);
    `communities` None: every community, private ones included."""
    if timezone.is_naive(now):
        raise ValueError("now carries its time zone")
    if not months:
        return {}
    run = _run(months, now)
    chosen = (
        Community.objects.all()
        if communities is None
        else Community.objects.filter(pk__in=list(communities))
    )
    intervals = dict(chosen.values_list("pk", "verification_interval_days"))
    ids = sorted(intervals)
    if not ids:
        return {}
    table: Table = {pk: [_Month() for _ in run.months] for pk in ids}
    _members(table, ids, run)
    leaders = _leaders(table, ids, run)
    _health(table, ids, run, now)
    _moderation(table, ids, run)
    _leader_actions(table, ids, run, leaders)
    _leaders_at_cap(table, run, leaders)
    attended = _events(table, ids, run, now)
    _levels(table, ids, run)
    _library(table, ids, run, intervals)
    _sponsors(table, ids, run, attended)
    for pk, shares in monthly_fit(ids, run.ends, run.first).items():
        for row, share in zip(table[pk], shares, strict=True):
            row.charter_fit = share
    position = {month: i for i, month in enumerate(run.months)}
    return {
        pk: [rows[position[month.replace(day=1)]].facts(month.replace(day=1)) for month in months]
        for pk, rows in table.items()
    }


def _members(table: Table, ids: Sequence[int], run: _Months) -> None:
    """Members at each month's end and newcomers of each month: one grouped query."""
    aggregates: dict[str, Any] = {}
    for i, (start, end) in enumerate(run.spans()):
        counted = Q(person__is_active=True, person__deactivated_at__isnull=True) | Q(
            person__deactivated_at__gte=end
        )
        still_there = Q(left_at__isnull=True) | Q(left_at__gte=end)
        aggregates[f"members_{i}"] = Count(
            "pk", filter=Q(joined_at__lt=end) & still_there & counted
        )
        aggregates[f"new_{i}"] = Count(
            "pk", filter=Q(joined_at__gte=start, joined_at__lt=end) & counted
        )
    rows = (
        Membership.objects.filter(community_id__in=ids, joined_at__lt=run.last)
        .exclude(left_at__lt=run.first)
        .order_by()
        .values("community_id")
        .annotate(**aggregates)
        .values_list("community_id", *aggregates)
    )
    for community_id, *figures in rows:
        for i, month in enumerate(table[community_id]):
            month.members, month.new_members = figures[2 * i], figures[2 * i + 1]


def _role_at(changes: Sequence[tuple[datetime, str]], current: str, moment: datetime) -> str:
    """A membership's role at a moment from its recorded changes (oldest first). Before the
    first change the role is not recorded: a change to plain member is taken as a leader
    stepping down (as `handover` and leaders handing over do), any other as a member moving
    up; with no change recorded, the role is the one it has now."""
    before = [role for when, role in changes if when < moment]
    if before:
        return before[-1]
    if not changes:
        return current
    return Role.LEADER if changes[0][1] == Role.MEMBER else Role.MEMBER


def _leaders(table: Table, ids: Sequence[int], run: _Months) -> set[int]:
    """Each month's leaders at its end (two queries); every leader of any month returned."""
    # Any time back, so found by the object-type index (few rows name a membership), not by
    # the communities' whole logs.
    role_changes = _found_otherwise(
        Activity.objects.filter(object_type="membership", verb__startswith=ROLE_CHANGE_PREFIX),
        "community_id",
        ids,
    )
    changes: defaultdict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for membership_id, verb, when, _order in sorted(  # sorted here: ordered, SQLite reads by time
        role_changes.order_by().values_list("object_id", "verb", "created_at", "pk"),
        key=lambda row: (row[2], row[3]),
    ):
        changes[int(membership_id or 0)].append((when, verb.removeprefix(ROLE_CHANGE_PREFIX)))
    memberships = (
        Membership.objects.filter(community_id__in=ids, joined_at__lt=run.last)
        .filter(Q(role=Role.LEADER) | Q(pk__in=role_changes.values("object_id")))
        .exclude(left_at__lt=run.first)
        .values_list(
            "pk",
            "community_id",
            "person_id",
            "role",
            "joined_at",
            "left_at",
            "person__is_active",
            "person__deactivated_at",
        )
    )
    everyone: set[int] = set()
    for pk, community_id, person_id, role, joined_at, left_at, active, gone in memberships:
        for i, end in enumerate(run.ends):
            counted = (active and gone is None) or (gone is not None and gone >= end)
            open_then = counted and joined_at < end and (left_at is None or left_at >= end)
            if open_then and _role_at(changes[pk], role, end) == Role.LEADER:
                table[community_id][i].leaders.add(person_id)
                everyone.add(person_id)
    return everyone


def _community(key: health_reads.ScopeKey) -> int:
    assert key is not None  # communities were read, never the organisation
    return key


def _health(table: Table, ids: Sequence[int], run: _Months, now: datetime) -> None:
    """Active people, contributors (new ones too), questions and answers: the health reads of
    contributors, first contributions and answers, one of readers and one of the questions
    left unanswered."""
    spans = run.spans()
    contributors = health_reads.contributors_by_scope(ids, spans)
    # Active people are the contributors and the readers, as `health_reads.active_by_scope`
    # counts them; it counts their days too, which took a minute of SQLite's two over 12
    # months of 10M activity rows.
    readers: defaultdict[tuple[int, int], set[int]] = defaultdict(set)
    viewed = (
        _in_communities(Activity.objects.filter(actor__isnull=False), "community_id", ids)
        .filter(verb__endswith=READ_SUFFIX, created_at__gte=run.first, created_at__lt=run.last)
        .order_by()
        .annotate(month_index=run.case("created_at"))
        .values_list("community_id", "month_index", "actor_id")
        .distinct()
    )
    for community_id, index, person_id in viewed:
        readers[(community_id, index)].add(person_id)
    candidates: set[int] = set()  # who contributed in a month and in no earlier one read
    for by_month in contributors.values():
        seen: set[int] = set()
        for people in by_month:
            candidates |= people - seen
            seen |= people
    first = health_reads.first_contributions_by_scope(ids, candidates)
    for key, by_month in contributors.items():
        community_id, firsts = _community(key), first[key]
        for i, (month, people) in enumerate(zip(table[community_id], by_month, strict=True)):
            month.active = len(people | readers[(community_id, i)])
            month.contributors = len(people)
            month.new_contributors = sum(
                1 for p in people if p in firsts and firsts[p] >= run.starts[i]
            )
    for key, periods_answers in health_reads.answers_by_scope(ids, spans).items():
        for month, written in zip(table[_community(key)], periods_answers, strict=True):
            month.answers_by_person = dict(written)
    answered = Post.objects.filter(question=OuterRef("pk"), created_at__lt=now)
    questions = (
        _in_communities(Post.objects.filter(kind=PostKind.QUESTION), "community_id", ids)
        .filter(created_at__gte=run.first, created_at__lt=run.last)
        .order_by()
        .annotate(month_index=run.case("created_at"))
        .values("community_id", "month_index")
        .annotate(asked=Count("pk"), unanswered=Count("pk", filter=~Exists(answered)))
        .values_list("community_id", "month_index", "asked", "unanswered")
    )
    for community_id, index, asked, unanswered in questions:
        table[community_id][index].questions = asked
        table[community_id][index].unanswered = unanswered


def _moderation(table: Table, ids: Sequence[int], run: _Months) -> None:
    """Closes, merges, edits and the like per person: one grouped query."""
    own_post = Post.objects.filter(pk=OuterRef("object_id"), author_id=OuterRef("actor_id"))
    moderated = Q(verb__in=MODERATION_VERBS) | (
        Q(verb__in=OWN_CONTENT_VERBS, object_type="post") & ~Exists(own_post)
    )
    rows = (
        _in_communities(Activity.objects.filter(actor__isnull=False), "community_id", ids)
        .filter(created_at__gte=run.first, created_at__lt=run.last)
        .filter(moderated)
        .order_by()
        .annotate(month_index=run.case("created_at"))
        .values("community_id", "month_index", "actor_id")
        .annotate(n=Count("pk"))
        .values_list("community_id", "month_index", "actor_id", "n")
    )
    for community_id, index, person_id, n in rows:
        table[community_id][index].moderation_by_person[person_id] = n


def _leader_actions(table: Table, ids: Sequence[int], run: _Months, leaders: set[int]) -> None:
    """Every write of the leaders in the community: activity rows that are not reads, and
    imported posts and comments (three queries, by the leaders' own indexes)."""
    if not leaders:
        return
    people = sorted(leaders)
    within = Q(created_at__gte=run.first, created_at__lt=run.last)
    activity = Activity.objects.filter(within, actor_id__in=people).exclude(
        verb__endswith=READ_SUFFIX
    )
    posts = Post.objects.filter(within, author_id__in=people).exclude(source="")
    comments = Comment.objects.filter(within, author_id__in=people).exclude(source="")
    sources = [  # (rows, who, where): found by the people's indexes
        (_found_otherwise(activity, "community_id", ids), "actor_id", "community_id"),
        (_found_otherwise(posts, "community_id", ids), "author_id", "community_id"),
        (_found_otherwise(comments, "post__community_id", ids), "author_id", "post__community_id"),
    ]
    for rows, person, community in sources:
        grouped = (
            rows.order_by()
            .annotate(month_index=run.case("created_at"))
            .values(community, "month_index", person)
            .annotate(n=Count("pk"))
            .values_list(community, "month_index", person, "n")
        )
        for community_id, index, person_id, n in grouped:
            month = table[community_id][index]
            if person_id in month.leaders:
                month.actions_by_leader[person_id] = month.actions_by_leader.get(person_id, 0) + n


def _at_cap_months(routed: Sequence[datetime], cap: int, run: _Months) -> set[int]:
    """The months (indexes) in which some seven days ending within them held `cap` routed
    questions: the count over (s - 7 days, s] peaks at a month's start or at a routing."""
    window = timedelta(days=WEEK_DAYS)
    found: set[int] = set()
    for i, (start, end) in enumerate(run.spans()):
        moments = [start, *routed[bisect_left(routed, start) : bisect_left(routed, end)]]
        for moment in moments:
            inside = bisect_right(routed, moment) - bisect_right(routed, moment - window)
            if inside >= cap:
                found.add(i)
                break
    return found


def _leaders_at_cap(table: Table, run: _Months, leaders: set[int]) -> None:
    """Leaders at their routing cap in each month (two queries)."""
    if not leaders:
        return
    people = sorted(leaders)
    caps = dict(
        Availability.objects.filter(person_id__in=people).values_list("person_id", "weekly_cap")
    )
    routed: defaultdict[int, list[datetime]] = defaultdict(list)
    for person_id, when in (
        RoutingDecision.objects.filter(
            person_id__in=people,
            created_at__gt=run.first - timedelta(days=WEEK_DAYS),
            created_at__lt=run.last,
        )
        .order_by("created_at")
        .values_list("person_id", "created_at")
    ):
        routed[person_id].append(when)
    for person_id, moments in routed.items():
        cap = caps.get(person_id, DEFAULT_WEEKLY_CAP)
        if cap <= 0:
            continue
        for index in _at_cap_months(moments, cap, run):
            for months in table.values():
                if person_id in months[index].leaders:
                    months[index].leaders_at_cap.add(person_id)


@dataclass(frozen=True)
class _Attended:
    community_id: int
    person_id: int
    starts_at: datetime
    ends_at: datetime


def _events(table: Table, ids: Sequence[int], run: _Months, now: datetime) -> list[_Attended]:
    """Events held, attendance, facilitation, agenda items and the events' outputs (six
    queries); the attendances returned for the sponsors."""
    held = Q(
        community_id__in=ids,
        starts_at__gte=run.first,
        starts_at__lt=run.last,
        cancelled_at__isnull=True,
        ends_at__lte=now,
    )
    events = (
        Event.objects.filter(held)
        .order_by()
        .annotate(month_index=run.case("starts_at"))
        .values("community_id", "month_index", "facilitator_id")
        .annotate(n=Count("pk"))
        .values_list("community_id", "month_index", "facilitator_id", "n")
    )
    for community_id, index, facilitator_id, n in events:
        month = table[community_id][index]
        month.events += n
        if facilitator_id is not None:
            month.facilitations_by_person[facilitator_id] = n
    attended = [
        _Attended(*row)
        for row in Rsvp.objects.filter(attended=True, event__in=Event.objects.filter(held))
        .order_by()
        .values_list("event__community_id", "person_id", "event__starts_at", "event__ends_at")
    ]
    for row in attended:
        index = run.index_of(row.starts_at)
        assert index is not None  # held in the run
        table[row.community_id][index].attendance += 1
    items = (
        AgendaItem.objects.filter(agenda__event__in=Event.objects.filter(held), removed_at=None)
        .order_by()
        .values_list(
            "agenda__event__community_id",
            "agenda__event__starts_at",
            "source",
            "proposal__proposed_by_id",
        )
    )
    for community_id, starts_at, source, proposer in items:
        index = run.index_of(starts_at)
        assert index is not None
        month = table[community_id][index]
        month.agenda_items += 1
        if source == ItemSource.PROPOSAL and proposer is not None and proposer not in month.leaders:
            month.agenda_items_from_members += 1
    _outputs(table, held, run, attended)
    return attended


def _outputs(table: Table, held: Q, run: _Months, attended: Sequence[_Attended]) -> None:
    """What came out of the events held (three queries): notes, resources and posts."""
    notes = list(
        Agenda.objects.filter(event__in=Event.objects.filter(held), notes_resource__isnull=False)
        .order_by()
        .values_list("event__community_id", "event__starts_at", "notes_resource_id")
    )
    for community_id, starts_at, _resource in notes:
        index = run.index_of(starts_at)
        assert index is not None
        table[community_id][index].event_outputs += 1
    # Posts: from each attendance to its attendee's posts in the community during the event
    # and the seven days after (the posts-by-author index); the latest such event wins.
    after = ExpressionWrapper(F("event__ends_at") + OUTPUT_WINDOW, output_field=DateTimeField())
    posts = (
        Rsvp.objects.filter(attended=True, event__in=Event.objects.filter(held))
        .alias(window_end=after)
        .filter(
            person__posts__community_id=F("event__community_id"),
            person__posts__created_at__gte=F("event__starts_at"),
            person__posts__created_at__lt=F("window_end"),
        )
        .order_by()
        .values("event__community_id", "person__posts__id")
        .annotate(latest=Max("event__starts_at"))
        .values_list("event__community_id", "latest")
    )
    for community_id, latest in posts:
        index = run.index_of(latest)
        assert index is not None
        table[community_id][index].event_outputs += 1
    # Resources: few, matched here against the attendances.
    by_person: defaultdict[tuple[int, int], list[_Attended]] = defaultdict(list)
    for row in attended:
        by_person[(row.community_id, row.person_id)].append(row)
    if not by_person:
        return
    notes_ids = {resource for _, _, resource in notes}
    communities = sorted({community for community, _ in by_person})
    people = sorted({person for _, person in by_person})
    resources = Resource.objects.filter(
        community_id__in=communities,
        created_by_id__in=people,
        created_at__gte=run.first,
        created_at__lt=run.last + OUTPUT_WINDOW,
    ).values_list("pk", "community_id", "created_by_id", "created_at")
    for pk, community_id, person_id, created_at in resources:
        if pk in notes_ids:
            continue
        followed = [
            row.starts_at
            for row in by_person.get((community_id, person_id), [])
            if row.starts_at <= created_at < row.ends_at + OUTPUT_WINDOW
        ]
        if followed:
            index = run.index_of(max(followed))
            assert index is not None
            table[community_id][index].event_outputs += 1


def _levels(table: Table, ids: Sequence[int], run: _Months) -> None:
    """The core and who moved inward, from the stored levels and flows (two queries)."""
    index_of_month = {month: i for i, month in enumerate(run.months)}
    core = MonthlyLevel.objects.filter(
        community_id__in=ids, month__in=run.months, level=CORE
    ).values_list("community_id", "month", "person_id")
    for community_id, month, person_id in core:
        table[community_id][index_of_month[month]].core.add(person_id)
    flows = (
        MonthlyFlow.objects.filter(community_id__in=ids, month__in=run.months)
        .exclude(before=NOT_COUNTED)
        .exclude(after=NOT_COUNTED)
        .values_list("community_id", "month", "before", "after", "people")
    )
    for community_id, month, before, after, people in flows:
        if RANK[after] > RANK[before]:
            table[community_id][index_of_month[month]].moved_inward += people


def _library(table: Table, ids: Sequence[int], run: _Months, intervals: Mapping[int, int]) -> None:
    """Resources at each month's end and the ones overdue for verification then: the
    resources, and their last edit and verification before each month's end (three
    queries)."""
    resources = list(
        Resource.objects.filter(
            community_id__in=ids, canonical__isnull=True, created_at__lt=run.last
        )
        .exclude(obsolete_at__lt=run.first)
        .values_list(
            "pk",
            "community_id",
            "created_at",
            "obsolete_at",
            "verified_at",
            "verify_by",
            "verification_interval_days",
        )
    )
    if not resources:
        return
    last_per_month = {
        f"last_{i}": Max("created_at", filter=Q(created_at__lt=end))
        for i, end in enumerate(run.ends)
    }
    # A check longer ago than the longest interval before the first month leaves the resource
    # overdue all the same (as its creation does): no need to read further back.
    longest = max(
        interval or intervals[community_id] for _, community_id, *_, interval in resources
    )
    since = run.first - timedelta(days=longest)
    edits = (
        ResourceVersion.objects.filter(
            resource__community_id__in=ids, created_at__gte=since, created_at__lt=run.last
        )
        .order_by()
        .values("resource_id")
        .annotate(**last_per_month)
        .values_list("resource_id", *last_per_month)
    )
    verified = (
        _in_communities(Activity.objects.all(), "community_id", ids)
        .filter(
            verb=VERIFY_VERB, object_type="resource", created_at__gte=since, created_at__lt=run.last
        )
        .order_by()
        .values("object_id")
        .annotate(**last_per_month)
        .values_list("object_id", *last_per_month)
    )
    checked: defaultdict[int, list[datetime | None]] = defaultdict(lambda: [None] * len(run.ends))
    for rows in (edits, verified):
        for resource_id, *lasts in rows:
            moments = checked[int(resource_id or 0)]
            for i, moment in enumerate(lasts):
                if moment is not None and (moments[i] is None or moment > moments[i]):
                    moments[i] = moment
    for pk, community_id, created_at, obsolete_at, verified_at, verify_by, interval in resources:
        days = timedelta(days=interval or intervals[community_id])
        for i, end in enumerate(run.ends):
            if created_at >= end or (obsolete_at is not None and obsolete_at < end):
                continue
            month = table[community_id][i]
            month.guides += 1
            if verified_at < end:
                deadline = verify_by  # the last verification: its deadline as stored
            else:
                last = max(m for m in (created_at, checked[pk][i]) if m is not None)
                deadline = last + days
            if deadline < end:
                month.stale_guides += 1


def _sponsors(
    table: Table, ids: Sequence[int], run: _Months, attended: Iterable[_Attended]
) -> None:
    """Each month's sponsors with what reached them (three queries)."""
    sponsorships = list(
        Sponsorship.objects.filter(community_id__in=ids, since__lt=run.last)
        .exclude(person__deactivated_at__lt=run.first)
        .values_list("community_id", "person_id", "since", "person__deactivated_at")
    )
    if not sponsorships:
        return
    opened = {
        (community_id, index, person_id)
        for community_id, index, person_id in ReportOpen.objects.filter(
            community_id__in=ids,
            person_id__in=Sponsorship.objects.filter(community_id__in=ids).values("person_id"),
            opened_at__gte=run.first,
            opened_at__lt=run.last,
        )
        .order_by()
        .annotate(month_index=run.case("opened_at"))
        .values_list("community_id", "month_index", "person_id")
        .distinct()
    }
    stories: dict[tuple[int, int], int] = {
        (community_id, index): n
        for community_id, index, n in Story.objects.filter(
            community_id__in=ids,
            told_at__gte=run.first,
            told_at__lt=run.last,
            featured_at__isnull=False,
            hidden_at__isnull=True,
        )
        .order_by()
        .annotate(month_index=run.case("told_at"))
        .values("community_id", "month_index")
        .annotate(n=Count("pk"))
        .values_list("community_id", "month_index", "n")
    }
    sponsors = {(community_id, person_id) for community_id, person_id, _, _ in sponsorships}
    attendances: defaultdict[tuple[int, int, int], int] = defaultdict(int)
    for row in attended:
        if (row.community_id, row.person_id) in sponsors:
            index = run.index_of(row.starts_at)
            assert index is not None
            attendances[(row.community_id, index, row.person_id)] += 1
    for community_id, person_id, since, deactivated_at in sponsorships:
        for i, (start, end) in enumerate(run.spans()):
            if since >= end or (deactivated_at is not None and deactivated_at < start):
                continue
            table[community_id][i].sponsors.append(
                SponsorMonth(
                    person_id=person_id,
                    opened_report=(community_id, i, person_id) in opened,
                    attended=attendances[(community_id, i, person_id)],
                    stories_told=stories.get((community_id, i), 0),
                    left=deactivated_at is not None and deactivated_at < end,
                )
            )
