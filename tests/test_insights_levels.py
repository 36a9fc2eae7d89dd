"""Participation levels stored per person, community and month, checked against a small story
computed by hand: one community over four months (January to April 2025) with a steady
answerer, a facilitator, a reader who never posts, a one-off asker, a member who goes quiet, a
non-member who answers, someone known only from an import, a newcomer and a member who leaves.

Default thresholds: a window of 3 months, core 15 contributions in every month of it, active 4,
transactional at most 3 actions with nothing before, a facilitated session worth 3.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from trellis.communities.models import Community, Membership
from trellis.core.models import Activity
from trellis.events.models import Event, Rsvp
from trellis.insights import selectors
from trellis.insights.levels import (
    ACTIVE,
    CORE,
    INACTIVE,
    LEVELS,
    OCCASIONAL,
    PERIPHERAL,
    TRANSACTIONAL,
    MonthCounts,
    Thresholds,
    level_for,
)
from trellis.insights.models import MonthlyFlow, MonthlyLevel
from trellis.insights.services.levels import levels_compute, levels_rebuild, levels_refresh
from trellis.people.models import Person
from trellis.qa import services as qa_services
from trellis.qa.models import Comment, Post, PostKind

JAN, FEB, MAR, APR = (date(2025, m, 1) for m in (1, 2, 3, 4))
MONTHS = (JAN, FEB, MAR, APR)
NOW = datetime(2025, 4, 20, 12, 0, tzinfo=UTC)  # every session of the story is over
HIRED = datetime(2024, 12, 1, tzinfo=UTC)
SOURCE = "stackexchange:story"


def _on(month: date, day: int = 15) -> datetime:
    return datetime(month.year, month.month, day, 10, 0, tzinfo=UTC)


@dataclass
class Story:
    guild: Community  # the community the story happens in
    other: Community  # where the quiet member answers once, in April
    cora: Person  # answers every month: active, then core
    fay: Person  # one comment, then facilitates sessions
    rita: Person  # reads and comes to a session, never writes
    otto: Person  # asks one question in January, nothing after
    quinn: Person  # four contributions in January, then quiet (one answer elsewhere in April)
    nina: Person  # not a member: answers in January, again in April
    ivan: Person  # known only from an import: a question, an answer and a comment in February
    newt: Person  # joins in March, does nothing
    lea: Person  # a member who does nothing and leaves in February


def _log(
    person: Person, verb: str, community: Community | None, when: datetime, times: int = 1
) -> None:
    Activity.objects.bulk_create(
        Activity(actor=person, verb=verb, object_type="post", community=community, created_at=when)
        for _ in range(times)
    )


def _person(name: str, *, hired: datetime = HIRED, active: bool = True) -> Person:
    person = Person.objects.create_user(f"{name.lower()}@example.com", None, name=name)
    Person.objects.filter(pk=person.pk).update(created_at=hired, is_active=active)
    person.refresh_from_db()
    return person


def _session(guild: Community, facilitator: Person, on: datetime, **extra: object) -> Event:
    return Event.objects.create(
        community=guild,
        kind="circle",
        title=f"Circle of {on:%B}",
        starts_at=on,
        ends_at=on + timedelta(hours=1),
        time_zone="UTC",
        facilitator=facilitator,
        **extra,
    )


@pytest.fixture
def story(db: None) -> Story:
    guild = Community.objects.create(name="Platform guild", slug="platform", domain="Platforms")
    other = Community.objects.create(name="Data guild", slug="data", domain="Data")
    s = Story(
        guild=guild,
        other=other,
        cora=_person("Cora"),
        fay=_person("Fay"),
        rita=_person("Rita"),
        otto=_person("Otto"),
        quinn=_person("Quinn"),
        nina=_person("Nina"),
        ivan=_person("Ivan", active=False),
        newt=_person("Newt", hired=datetime(2025, 3, 5, tzinfo=UTC)),
        lea=_person("Lea"),
    )
    for member in (s.cora, s.fay, s.rita, s.otto, s.quinn):
        Membership.objects.create(community=guild, person=member, joined_at=HIRED)
    Membership.objects.create(community=guild, person=s.newt, joined_at=_on(MAR, 5))
    Membership.objects.create(community=guild, person=s.lea, joined_at=HIRED, left_at=_on(FEB, 10))

    # Cora: January 6 contributions (a question written through the service: a post and its
    # activity row, counted once), 3 of them answers, 4 reads here and a profile read outside
    # any community; then 5 contributions a month.
    question = qa_services.question_ask(
        actor=s.cora, community=guild, title="How do we roll out the mesh?", body="Step by step."
    )
    Post.objects.filter(pk=question.pk).update(created_at=_on(JAN))
    Activity.objects.filter(actor=s.cora).update(created_at=_on(JAN))
    _log(s.cora, "answer.post", guild, _on(JAN), 3)
    _log(s.cora, "comment.add", guild, _on(JAN), 2)
    _log(s.cora, "post.view", guild, _on(JAN), 4)
    _log(s.cora, "person.view", None, _on(JAN))
    _log(s.cora, "answer.post", guild, _on(FEB), 5)
    _log(s.cora, "answer.post", guild, _on(MAR), 2)
    _log(s.cora, "post.vote", guild, _on(MAR), 3)
    _log(s.cora, "answer.post", guild, _on(APR), 5)

    # Fay: one comment in January, facilitates in February and March; April's is cancelled.
    _log(s.fay, "comment.add", guild, _on(JAN))
    february = _session(guild, s.fay, _on(FEB, 13))
    march = _session(guild, s.fay, _on(MAR, 13))
    _session(guild, s.fay, _on(APR, 10), cancelled_at=_on(APR, 1))

    # Rita: reads, comes to March's session (marked absent from February's).
    _log(s.rita, "post.view", guild, _on(JAN), 5)
    _log(s.rita, "post.view", guild, _on(FEB))
    Rsvp.objects.create(event=february, person=s.rita, reply="going", attended=False)
    Rsvp.objects.create(event=march, person=s.rita, reply="going", attended=True)
    _log(s.rita, "post.view", guild, _on(APR))
    _log(s.rita, "community.view", guild, _on(APR))

    # Otto: one question and one read in January.
    _log(s.otto, "question.ask", guild, _on(JAN))
    _log(s.otto, "post.view", guild, _on(JAN))

    # Quinn: 2 answers and 2 comments in January; one answer in another community in April.
    _log(s.quinn, "answer.post", guild, _on(JAN), 2)
    _log(s.quinn, "comment.add", guild, _on(JAN), 2)
    _log(s.quinn, "answer.post", other, _on(APR))

    # Nina, not a member: an answer and a read in January, an answer in April.
    _log(s.nina, "answer.post", guild, _on(JAN))
    _log(s.nina, "post.view", guild, _on(JAN))
    _log(s.nina, "answer.post", guild, _on(APR))

    # Ivan, from an import (no activity rows): a question, an answer, a comment in February.
    imported_question = Post.objects.create(
        kind=PostKind.QUESTION, community=guild, author=s.ivan, title="Imported question",
        body="?", source=SOURCE, source_id="1", created_at=_on(FEB),
    )  # fmt: skip
    imported_answer = Post.objects.create(
        kind=PostKind.ANSWER, community=guild, question=imported_question, author=s.ivan,
        body="!", source=SOURCE, source_id="2", created_at=_on(FEB),
    )  # fmt: skip
    Comment.objects.create(
        post=imported_answer, author=s.ivan, body="thanks", body_html="thanks",
        source=SOURCE, source_id="3", created_at=_on(FEB),
    )  # fmt: skip
    return s


def _compute_story() -> None:
    for month in MONTHS:
        levels_compute(month=month, now=NOW)


def _levels(community: Community | None, month: date) -> dict[str, str]:
    rows = MonthlyLevel.objects.filter(month=month).select_related("person")
    rows = (
        rows.filter(community__isnull=True)
        if community is None
        else rows.filter(community=community)
    )
    return {row.person.name: row.level for row in rows}


SNAPSHOT = (
    "person_id", "community_id", "month", "level", "contributions", "answers", "reads",
    "attended", "facilitated", "actions_to_date",
)  # fmt: skip


def _snapshot() -> list[tuple[object, ...]]:
    """Every stored level and flow."""
    levels = MonthlyLevel.objects.values_list(*SNAPSHOT)
    flows = MonthlyFlow.objects.values_list("community_id", "month", "before", "after", "people")
    return sorted([*levels, *flows], key=repr)


GUILD_LEVELS = {
    JAN: {
        "Cora": ACTIVE,  # 6 contributions, in one month of the window: not core yet
        "Fay": TRANSACTIONAL,  # 1 action, nothing before
        "Rita": PERIPHERAL,  # 5 reads: more than a one-off visit
        "Otto": TRANSACTIONAL,  # a question and a read
        "Quinn": ACTIVE,  # 4 contributions
        "Nina": TRANSACTIONAL,  # not a member: counted for her answer
        "Lea": INACTIVE,  # a member with nothing recorded
    },
    FEB: {
        "Cora": ACTIVE,
        "Fay": ACTIVE,  # 1 comment + a session facilitated (3) = 4
        "Rita": PERIPHERAL,  # the session she was marked absent from is not counted
        "Otto": TRANSACTIONAL,
        "Quinn": ACTIVE,  # January is still in the window
        "Nina": TRANSACTIONAL,
        "Ivan": TRANSACTIONAL,  # 3 imported contributions, each counted once
        "Lea": INACTIVE,  # left on the 10th: still a member for part of the month
    },
    MAR: {
        "Cora": CORE,  # 6 + 5 + 5 = 16, every month
        "Fay": ACTIVE,  # 1 + 3 + 3 = 7
        "Rita": PERIPHERAL,  # came to a session: taking part without writing
        "Otto": TRANSACTIONAL,
        "Quinn": ACTIVE,
        "Nina": TRANSACTIONAL,
        "Ivan": TRANSACTIONAL,
        "Newt": INACTIVE,  # joined on the 5th
    },
    APR: {
        "Cora": CORE,  # 5 + 5 + 5 = 15
        "Fay": ACTIVE,  # 3 + 3, April's session was cancelled
        "Rita": PERIPHERAL,
        "Otto": INACTIVE,  # nothing since January: out of the window
        "Quinn": INACTIVE,  # his April answer was in another community
        "Nina": OCCASIONAL,  # an answer, and January came before the window
        "Ivan": TRANSACTIONAL,  # February still in the window
        "Newt": INACTIVE,
    },
}


def test_each_persons_level_each_month_in_the_community(story: Story) -> None:
    _compute_story()
    for month, expected in GUILD_LEVELS.items():
        assert _levels(story.guild, month) == expected, month


def test_the_months_counts_are_kept_as_the_evidence(story: Story) -> None:
    _compute_story()

    def counts(person: Person, month: date, community: Community | None) -> tuple[int, ...]:
        scope = {"community__isnull": True} if community is None else {"community": community}
        return MonthlyLevel.objects.filter(person=person, month=month, **scope).values_list(
            "contributions", "answers", "reads", "attended", "facilitated"
        )[0]

    # (contributions, answers, reads, attended, facilitated)
    assert counts(story.cora, JAN, story.guild) == (6, 3, 4, 0, 0)
    assert counts(story.cora, JAN, None) == (6, 3, 5, 0, 0)  # plus the profile read
    assert counts(story.fay, FEB, story.guild) == (0, 0, 0, 0, 1)
    assert counts(story.fay, APR, story.guild) == (0, 0, 0, 0, 0)  # cancelled: not held
    assert counts(story.rita, FEB, story.guild) == (0, 0, 1, 0, 0)  # absent: not attended
    assert counts(story.rita, MAR, story.guild) == (0, 0, 0, 1, 0)
    assert counts(story.rita, APR, story.guild) == (0, 0, 2, 0, 0)


def test_imported_posts_and_comments_count_once_and_a_service_post_once(story: Story) -> None:
    """Ivan's rows come from the import (no activity rows): a question, an answer and a
    comment are 3 contributions, 1 an answer. Cora's question written through the service is a
    post without a source and an activity row: counted once, by the row."""
    levels_compute(month=FEB, now=NOW)
    ivan = MonthlyLevel.objects.get(person=story.ivan, community=story.guild, month=FEB)
    assert (ivan.contributions, ivan.answers, ivan.actions_to_date) == (3, 1, 3)
    levels_compute(month=JAN, now=NOW)
    cora = MonthlyLevel.objects.get(person=story.cora, community=story.guild, month=JAN)
    assert cora.contributions == 6


def test_counts_per_level(story: Story) -> None:
    _compute_story()
    assert selectors.level_counts(community=story.guild, month=JAN) == {
        CORE: 0, ACTIVE: 2, OCCASIONAL: 0, PERIPHERAL: 1, TRANSACTIONAL: 3, INACTIVE: 1,
    }  # fmt: skip
    assert selectors.level_counts(community=story.guild, month=APR) == {
        CORE: 1, ACTIVE: 1, OCCASIONAL: 1, PERIPHERAL: 1, TRANSACTIONAL: 1, INACTIVE: 3,
    }  # fmt: skip
    nobody_yet = selectors.level_counts(community=story.guild, month=date(2024, 12, 1))
    assert nobody_yet == dict.fromkeys(LEVELS, 0)


def _moves(transitions: selectors.Transitions) -> dict[str, tuple[int, int, int, int, int]]:
    """Per level of the month before: (before, up, held, down, left), levels with nobody left
    out."""
    return {
        m.level: (m.before, m.up, m.held, m.down, m.left) for m in transitions.moves if m.before
    }


def test_transitions_match_the_hand_counts_and_add_up(story: Story) -> None:
    _compute_story()
    january = selectors.transitions(community=story.guild, month=JAN)
    assert _moves(january) == {}
    assert january.new == {
        CORE: 0, ACTIVE: 2, OCCASIONAL: 0, PERIPHERAL: 1, TRANSACTIONAL: 3, INACTIVE: 1,
    }  # fmt: skip

    february = selectors.transitions(community=story.guild, month=FEB)
    assert _moves(february) == {
        ACTIVE: (2, 0, 2, 0, 0),  # Cora, Quinn
        PERIPHERAL: (1, 0, 1, 0, 0),  # Rita
        TRANSACTIONAL: (3, 1, 2, 0, 0),  # Fay up to active; Otto, Nina
        INACTIVE: (1, 0, 1, 0, 0),  # Lea
    }
    assert {k: v for k, v in february.new.items() if v} == {TRANSACTIONAL: 1}  # Ivan

    march = selectors.transitions(community=story.guild, month=MAR)
    assert _moves(march) == {
        ACTIVE: (3, 1, 2, 0, 0),  # Cora up to core; Fay, Quinn
        PERIPHERAL: (1, 0, 1, 0, 0),
        TRANSACTIONAL: (3, 0, 3, 0, 0),
        INACTIVE: (1, 0, 0, 0, 1),  # Lea left
    }
    assert {k: v for k, v in march.new.items() if v} == {INACTIVE: 1}  # Newt

    april = selectors.transitions(community=story.guild, month=APR)
    assert _moves(april) == {
        CORE: (1, 0, 1, 0, 0),
        ACTIVE: (2, 0, 1, 1, 0),  # Fay held, Quinn down
        PERIPHERAL: (1, 0, 1, 0, 0),
        TRANSACTIONAL: (3, 1, 1, 1, 0),  # Nina up, Ivan held, Otto down
        INACTIVE: (1, 0, 1, 0, 0),  # Newt
    }
    assert april.flows[(TRANSACTIONAL, OCCASIONAL)] == 1
    assert april.flows[(ACTIVE, INACTIVE)] == 1

    for month, moved in zip(MONTHS, (january, february, march, april), strict=True):
        before = sum(selectors.level_counts(community=story.guild, month=moved.previous).values())
        after = sum(selectors.level_counts(community=story.guild, month=month).values())
        assert moved.before_total == sum(m.before for m in moved.moves) == before
        assert moved.after_total == after
        assert sum(m.up + m.held + m.down for m in moved.moves) + sum(moved.new.values()) == after
        assert sum(m.up + m.held + m.down + m.left for m in moved.moves) == before
    assert (february.before_total, february.after_total) == (7, 8)
    assert (march.before_total, march.after_total) == (8, 8)


def test_organisation_wide_levels_sum_everything_everyone_did(story: Story) -> None:
    _compute_story()
    assert _levels(None, JAN) == GUILD_LEVELS[JAN]  # Newt not hired yet, Ivan did nothing yet
    assert _levels(None, APR) == {
        **GUILD_LEVELS[APR],
        "Quinn": OCCASIONAL,  # his April answer elsewhere, after January's four
        "Lea": INACTIVE,  # left the community, still in the organisation
    }
    assert selectors.level_counts(community=None, month=APR) == {
        CORE: 1, ACTIVE: 1, OCCASIONAL: 2, PERIPHERAL: 1, TRANSACTIONAL: 1, INACTIVE: 3,
    }  # fmt: skip
    # In the other community Quinn is new: nothing before the window there.
    assert _levels(story.other, APR) == {"Quinn": TRANSACTIONAL}
    assert _levels(story.other, MAR) == {}


def test_someone_back_after_a_gap_longer_than_the_window_is_not_a_newcomer(
    story: Story, settings: Settings
) -> None:
    """With a one-month window Nina has no row in February and March; April reads what she
    did before from her January row."""
    settings.TRELLIS_PARTICIPATION_WINDOW_MONTHS = 1
    _compute_story()
    history = selectors.level_history(person=story.nina, community=story.guild, months=4)
    assert [level for _, level in history] == [TRANSACTIONAL, None, None, OCCASIONAL]
    april = MonthlyLevel.objects.get(person=story.nina, community=story.guild, month=APR)
    assert april.actions_to_date == 3


def test_a_persons_standing_with_its_reasons(story: Story) -> None:
    _compute_story()
    rita = selectors.standing_of(person=story.rita, community=story.guild)
    assert rita is not None
    assert (rita.month, rita.level, rita.label) == (APR, PERIPHERAL, "Peripheral")
    assert rita.reasons == (
        "In the last 3 months: came to 1 session, read 3 pages.",
        "Read without writing: that counts too.",
    )
    cora = selectors.standing_of(person=story.cora, community=story.guild)
    assert cora is not None and cora.level == CORE
    assert cora.reasons == (
        "In the last 3 months: 15 contributions (12 answers).",
        "Contributed every month.",
    )
    otto = selectors.standing_of(person=story.otto, community=story.guild)
    assert otto is not None
    assert (otto.level, otto.reasons) == (INACTIVE, ("Nothing recorded in the last 3 months.",))
    assert selectors.standing_of(person=story.lea, community=story.guild) is None  # left
    quinn = selectors.standing_of(person=story.quinn, community=None)
    assert quinn is not None and quinn.level == OCCASIONAL


def test_level_history(story: Story) -> None:
    _compute_story()
    assert selectors.level_history(person=story.otto, community=story.guild, months=4) == [
        (JAN, TRANSACTIONAL), (FEB, TRANSACTIONAL), (MAR, TRANSACTIONAL), (APR, INACTIVE),
    ]  # fmt: skip
    assert selectors.level_history(person=story.lea, community=story.guild, months=5) == [
        (date(2024, 12, 1), None), (JAN, INACTIVE), (FEB, INACTIVE), (MAR, None), (APR, None),
    ]  # fmt: skip
    assert selectors.level_history(
        person=story.cora, community=story.guild, months=2, until=FEB
    ) == [(JAN, ACTIVE), (FEB, ACTIVE)]


def test_rebuild_equals_computing_month_by_month(story: Story) -> None:
    _compute_story()
    month_by_month = _snapshot()
    MonthlyLevel.objects.all().delete()
    MonthlyFlow.objects.all().delete()
    stale = date(2024, 6, 1)  # before anything was recorded: a rebuild removes it
    MonthlyLevel.objects.create(person=story.cora, month=stale, level=CORE)
    MonthlyFlow.objects.create(month=stale, before="", after=CORE, people=1)
    written = levels_rebuild(now=NOW)
    assert _snapshot() == month_by_month
    assert written == MonthlyLevel.objects.count() == 7 + 8 + 8 + 8 + (7 + 8 + 9 + 9) + 1


def _row_ids(**which: object) -> set[int]:
    return set(MonthlyLevel.objects.filter(**which).values_list("pk", flat=True))


def test_recomputing_a_month_changes_nothing_and_rewrites_only_what_changed(
    story: Story,
) -> None:
    """A rewritten row gets a new id: ids that stay say the row was not touched."""
    _compute_story()
    before, ids = _snapshot(), _row_ids()
    assert levels_compute(month=MAR, now=NOW) == 8 + 9
    assert levels_compute(month=date(2025, 3, 31), now=NOW) == 8 + 9  # any day of the month
    assert _snapshot() == before
    assert _row_ids() == ids  # nothing changed: no row rewritten
    others = ids - _row_ids(person=story.rita, month=MAR)
    _log(story.rita, "post.view", story.guild, _on(MAR, 20))
    levels_compute(month=MAR, now=NOW)
    rita = MonthlyLevel.objects.filter(person=story.rita, month=MAR)
    assert sorted(rita.values_list("reads", "attended")) == [(1, 1), (1, 1)]
    assert not _row_ids(person=story.rita, month=MAR) & ids  # her two rows, rewritten
    assert _row_ids() - _row_ids(person=story.rita, month=MAR) == others  # no other row


def test_refresh_recomputes_the_previous_month_in_its_first_days(story: Story) -> None:
    for month in (JAN, FEB, MAR):
        levels_compute(month=month, now=NOW)
    MonthlyLevel.objects.filter(person=story.otto, month=MAR).update(level=CORE)
    levels_refresh(now=datetime(2025, 4, 10, tzinfo=UTC))  # too late for March
    assert _levels(story.guild, MAR)["Otto"] == CORE
    assert _levels(story.guild, APR)["Otto"] == INACTIVE  # the month missed so far
    levels_refresh(now=datetime(2025, 4, 2, tzinfo=UTC))
    assert _levels(story.guild, MAR)["Otto"] == TRANSACTIONAL


def test_refresh_with_nothing_stored_rebuilds_everything(story: Story) -> None:
    levels_refresh(now=NOW)
    for month, expected in GUILD_LEVELS.items():
        assert _levels(story.guild, month) == expected


def test_the_queries_do_not_grow_with_the_number_of_people(story: Story) -> None:
    levels_compute(month=JAN, now=NOW)

    def queries_for_february() -> int:
        with CaptureQueriesContext(connection) as captured:
            levels_compute(month=FEB, now=NOW)
        return len(captured)

    few = queries_for_february()
    for k in range(30):
        newcomer = _person(f"Member{k}")
        Membership.objects.create(community=story.guild, person=newcomer, joined_at=HIRED)
        _log(newcomer, "answer.post", story.guild, _on(FEB), k % 5)
        _log(newcomer, "post.view", story.other, _on(FEB), k % 3)
    assert queries_for_february() == few
    assert sum(selectors.level_counts(community=story.guild, month=FEB).values()) == 8 + 30


def test_the_database_keeps_one_row_per_person_scope_and_month(story: Story) -> None:
    MonthlyLevel.objects.create(person=story.cora, month=JAN, level=CORE)
    MonthlyLevel.objects.create(person=story.cora, community=story.guild, month=JAN, level=CORE)
    for scope in (None, story.guild):
        with pytest.raises(IntegrityError), transaction.atomic():
            MonthlyLevel.objects.create(person=story.cora, community=scope, month=JAN, level=ACTIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyLevel.objects.create(person=story.rita, month=JAN, level="lurker")


def test_the_rules_ask_only_whether_anything_came_before_the_window() -> None:
    """levels_compute memoises the levels by the window and whether anything came before it:
    right only while level_for reads no more of `actions_before` than that."""
    thresholds = Thresholds()
    shapes = [
        MonthCounts(),
        MonthCounts(reads=1),
        MonthCounts(reads=3),
        MonthCounts(contributions=1, answers=1),
        MonthCounts(contributions=2, reads=2),
        MonthCounts(attended=1),
        MonthCounts(facilitated=1),
        MonthCounts(contributions=5, answers=5),
    ]
    for first, second, third in product(shapes, repeat=3):
        window = (first, second, third)
        levels = {
            level_for(window, actions_before=before, thresholds=thresholds).level
            for before in (1, 2, 3, 4, 10, 1000)
        }
        assert len(levels) == 1, window
