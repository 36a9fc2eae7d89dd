"""Community health, pinned to a small story computed by hand: a guild over five months
(November 2024 to March 2025, with a little earlier history), read on 28 March at noon, March
against February.

The story, in the guild (UTC; every write an activity row unless imported):

- Ann asks most questions; contributes every month.      Ben answers; from December on.
- Cat votes November to January, then only reads (February): a lost regular.
- Dan comments in January, answers and asks in February, nothing in March: a lost regular.
- Eve (September), Fay (October) and Kim (August) contributed long ago and come back: Fay in
  February, Eve and Kim in March (reactivated).
- Gus contributes for the first time in February, Hal (imported, no activity rows) and Ivy in
  March (new contributors).
- Rita reads in February and March and never writes; Ray reads in March.
- February's 5 questions and March's 6, who answered and commented when, are below.

Hand counts (February -> March):
  active people 7 -> 9, person-days 14 (of 28 days) -> 19 (of 28: the 1st to the 28th, read at
  noon), stickiness 14/28/7 = 0.0714 -> 19/28/9 = 0.0754; engaged 5 -> 7; new 1 (Gus) -> 2
  (Hal, Ivy); lost regulars 1 (Cat) -> 2 (Cat, Dan); reactivated 1 (Fay) -> 2 (Eve, Kim);
  questions 5 -> 6; accepted 2/5 -> 3/6; unanswered 1/5 -> 1/6; replied to by someone else
  within 7 days 4/5 -> 2/5 (March's last question is 4 days old); solo 0/5 -> 2/6; top-10 share
  none (3 and 6 answers); headline: active +2 and engaged +2, both beyond the dead band of 1:
  healthy growth.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.communities.models import Community
from trellis.core.models import Activity
from trellis.insights import health_reads
from trellis.insights.health import (
    DOWN,
    ENGAGED_BUT_SHRINKING,
    FLAT,
    GROWING_BUT_QUIET,
    HEALTHY_GROWTH,
    SHRINKING,
    STEADY,
    UP,
    Health,
    HealthInputs,
    PeriodFacts,
    QuestionFacts,
    assess,
    days_in,
    headline_for,
    people_in_period,
    periods_ending,
)
from trellis.people.models import Person
from trellis.qa.models import Comment, Post, PostKind

SOURCE = "stackexchange:health"
AS_OF = datetime(2025, 3, 28, 12, 0, tzinfo=UTC)
FEBRUARY = (datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC))
MARCH = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
NAMES = ("Ann", "Ben", "Cat", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Kim", "Rita", "Ray")
HELPERS = tuple(f"P{i}" for i in range(1, 13))  # the data guild's imported answerers
HELPER_ANSWERS = (5, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1)


def at(month: int, day: int, hour: int = 10) -> datetime:
    """A moment of the story: August to December 2024, January to March 2025."""
    return datetime(2025 if month <= 3 else 2024, month, day, hour, 0, tzinfo=UTC)


# The story as the facts health.py reads ------------------------------------------------------

CONTRIBUTORS = (  # November, December, January, February, March
    {"Ann", "Cat"},
    {"Ann", "Ben", "Cat"},
    {"Ann", "Ben", "Cat", "Dan"},
    {"Ann", "Ben", "Dan", "Fay", "Gus"},
    {"Ann", "Ben", "Eve", "Gus", "Hal", "Ivy", "Kim"},
)
CONTRIBUTED_EARLIER = {"Eve", "Fay", "Kim"}  # before November
# (asker, asked at, answered, accepted, first answer or comment by someone else)
AskedRow = tuple[str, datetime, bool, bool, datetime | None]
FEBRUARY_QUESTIONS: tuple[AskedRow, ...] = (
    ("Ann", at(2, 3), True, True, at(2, 4)),  # Ben answers the next day, accepted
    ("Ann", at(2, 10), True, False, at(2, 11)),  # Dan answers
    ("Gus", at(2, 12), False, False, at(2, 13)),  # only Fay's comment
    ("Dan", at(2, 17), True, True, at(2, 20)),  # Ben answers after 3 days, accepted
    ("Ann", at(2, 24), True, False, at(3, 20)),  # Ben answers after 24 days
)
MARCH_QUESTIONS: tuple[AskedRow, ...] = (
    ("Ann", at(3, 3), True, True, at(3, 4)),  # Ben answers the next day, accepted
    ("Ann", at(3, 5), True, False, at(3, 14)),  # Hal's imported answer, 9 days later
    ("Gus", at(3, 6), True, True, None),  # Gus comments, answers and accepts himself: solo
    ("Ivy", at(3, 10), True, False, at(3, 12, 14)),  # Ivy answers herself, Ann comments on it
    ("Ann", at(3, 12), False, False, None),  # Ben's answer comes on the 30th, after the read
    ("Kim", at(3, 24), True, True, at(3, 25)),  # Eve answers; 4 days old when read
)
FEBRUARY_ANSWERS = {"Ben": 2, "Dan": 1}
MARCH_ANSWERS = {"Ben": 2, "Hal": 1, "Gus": 1, "Ivy": 1, "Eve": 1}

# (value, previous, moved the right way)
EXPECTED: dict[str, tuple[float | None, float | None, bool | None]] = {
    "active_people": (9, 7, True),
    "stickiness": (0.0754, 0.0714, True),
    "engaged_people": (7, 5, True),
    "new_contributors": (2, 1, True),
    "lost_regulars": (2, 1, False),
    "reactivated": (2, 1, True),
    "questions_asked": (6, 5, True),
    "resolution_rate": (0.5, 0.4, True),
    "unanswered_share": (0.1667, 0.2, True),
    "reply_coverage_7d": (0.4, 0.8, False),
    "solo_thread_rate": (0.3333, 0.0, False),
    "top10_share": (None, None, None),
}


def story_inputs(ids: Mapping[str, int]) -> HealthInputs:
    """The hand-made facts, with the people's ids given (plain numbers, or the database's)."""

    def questions(rows: tuple[AskedRow, ...]) -> tuple[QuestionFacts, ...]:
        return tuple(
            QuestionFacts(ids[asker], asked, answered, accepted, reply)
            for asker, asked, answered, accepted, reply in rows
        )

    return HealthInputs(
        current=PeriodFacts(
            start=MARCH[0],
            end=MARCH[1],
            active_people=9,
            active_person_days=19,
            questions=questions(MARCH_QUESTIONS),
            answers_by_author={ids[name]: n for name, n in MARCH_ANSWERS.items()},
        ),
        previous=PeriodFacts(
            start=FEBRUARY[0],
            end=FEBRUARY[1],
            active_people=7,
            active_person_days=14,
            questions=questions(FEBRUARY_QUESTIONS),
            answers_by_author={ids[name]: n for name, n in FEBRUARY_ANSWERS.items()},
        ),
        contributors=tuple(frozenset(ids[name] for name in period) for period in CONTRIBUTORS),
        contributed_earlier=frozenset(ids[name] for name in CONTRIBUTED_EARLIER),
        as_of=AS_OF,
    )


PLAIN_IDS = {name: i for i, name in enumerate(NAMES, start=1)}


def figures(result: Health) -> dict[str, tuple[float | None, float | None, bool | None]]:
    return {m.key: (m.value, m.previous, m.moved_right_way) for m in result.metrics}


# Pure: the metrics ---------------------------------------------------------------------------


def test_every_metric_of_the_story_matches_the_hand_counts() -> None:
    assert figures(assess(story_inputs(PLAIN_IDS))) == EXPECTED


def test_each_metric_says_which_way_is_good() -> None:
    directions = {m.key: m.desirable for m in assess(story_inputs(PLAIN_IDS)).metrics}
    assert {key for key, way in directions.items() if way == DOWN} == {
        "lost_regulars",
        "unanswered_share",
        "solo_thread_rate",
        "top10_share",
    }


def test_the_lines_a_leader_reads_carry_the_figures() -> None:
    result = assess(story_inputs(PLAIN_IDS))
    lines = {m.key: m.explanation for m in result.metrics}
    assert lines["active_people"] == (
        "9 people did something here, reading included (7 the month before)."
    )
    assert lines["stickiness"] == (
        "On an average day 0.7 of the 9 people active in the month came by (8%; 7% the month "
        "before)."
    )
    assert lines["resolution_rate"] == (
        "An accepted answer on 3 of the 6 questions (50%; 40% the month before)."
    )
    assert lines["unanswered_share"] == (
        "No answer yet on 1 of the 6 questions (17%; 20% the month before)."
    )
    assert lines["reply_coverage_7d"] == (
        "An answer or comment from someone else within 7 days on 2 of the 5 questions at least "
        "7 days old (40%; 80% the month before)."
    )
    assert lines["lost_regulars"] == (
        "2 regulars (contributing in at least 2 of the 3 months before) wrote nothing this "
        "month (1 the month before)."
    )
    assert lines["top10_share"] == "Only 5 people answered: the top 10 is everyone, so no share."
    assert result.headline.label == HEALTHY_GROWTH
    assert result.headline.reason == (
        "Healthy growth: active people rose from 7 to 9 (+29%) and engaged people rose from 5 "
        "to 7 (+40%)."
    )


def test_a_reader_who_never_posts_is_active_but_not_engaged() -> None:
    events = [(1, at(3, 3)), (1, at(3, 4)), (1, at(3, 4, 18)), (2, at(3, 4)), (3, at(2, 27))]
    # Person 1 on two days (twice on the 4th), person 2 on one; person 3 read in February.
    assert people_in_period(events, *MARCH) == (2, 3)


def test_a_question_counts_for_reply_coverage_only_once_its_7_days_are_over() -> None:
    inputs = story_inputs(PLAIN_IDS)
    later = HealthInputs(
        current=inputs.current,
        previous=inputs.previous,
        contributors=inputs.contributors,
        contributed_earlier=inputs.contributed_earlier,
        as_of=at(3, 31, 10),  # Kim's question (the 24th, replied to the next day) is 7 days old
    )
    coverage = assess(later).metric("reply_coverage_7d")
    assert (coverage.value, coverage.cases) == (0.5, 6)


# Pure: too few cases -------------------------------------------------------------------------


def _period(
    questions: tuple[QuestionFacts, ...] = (),
    answers: Mapping[int, int] | None = None,
    active: tuple[int, int] = (10, 50),
) -> PeriodFacts:
    return PeriodFacts(
        start=MARCH[0],
        end=MARCH[1],
        active_people=active[0],
        active_person_days=active[1],
        questions=questions,
        answers_by_author=answers or {},
    )


def _inputs(current: PeriodFacts, previous: PeriodFacts | None = None) -> HealthInputs:
    previous = previous or _period()
    return HealthInputs(
        current=current,
        previous=PeriodFacts(
            start=FEBRUARY[0],
            end=FEBRUARY[1],
            active_people=previous.active_people,
            active_person_days=previous.active_person_days,
            questions=previous.questions,
            answers_by_author=previous.answers_by_author,
        ),
        contributors=(frozenset(),) * 5,
        contributed_earlier=frozenset(),
        as_of=datetime(2025, 4, 1, tzinfo=UTC),
    )


def _answered(n: int) -> tuple[QuestionFacts, ...]:
    return tuple(QuestionFacts(1, at(3, 2), True, True, at(3, 3)) for _ in range(n))


def test_four_questions_give_no_rate_and_say_so() -> None:
    result = assess(_inputs(_period(_answered(4))))
    for key in ("resolution_rate", "unanswered_share", "solo_thread_rate", "reply_coverage_7d"):
        assert result.metric(key).value is None, key
    assert result.metric("questions_asked").value == 4  # a count is shown whatever its size
    assert result.metric("resolution_rate").explanation == (
        "Only 4 questions: too few for a rate (no rate the month before)."
    )


def test_five_questions_give_a_rate() -> None:
    result = assess(_inputs(_period(_answered(5))))
    assert result.metric("resolution_rate").value == 1.0
    assert result.metric("unanswered_share").value == 0.0


def test_no_questions_say_so_rather_than_zero_percent() -> None:
    assert assess(_inputs(_period())).metric("unanswered_share").explanation == (
        "No questions (no rate the month before)."
    )


def test_stickiness_needs_five_active_people() -> None:
    four = assess(_inputs(_period(active=(4, 20)))).metric("stickiness")
    five = assess(_inputs(_period(active=(5, 31)))).metric("stickiness")
    assert four.value is None
    assert five.value == 0.2  # 31 person-days over 31 days: 1 a day, of 5


@pytest.mark.parametrize(
    ("answers", "share"),
    [
        ({i: 1 for i in range(1, 20)} | {20: 0}, None),  # 19 answers: too few
        ({i: 2 if i <= 9 else 1 for i in range(1, 12)}, 0.95),  # 20 by 11 people: 19 of 20
        ({i: 3 for i in range(1, 11)}, None),  # 30 answers by 10 people: the top 10 is everyone
    ],
)
def test_the_top_10_share_needs_20_answers_by_more_than_10_people(
    answers: dict[int, int], share: float | None
) -> None:
    assert assess(_inputs(_period(answers=answers))).metric("top10_share").value == share


def _answers_with_top_share(top: int) -> dict[int, int]:
    """100 answers: 10 people write `top` of them between them, and 100 - `top` others one
    each (fewer than any of the ten)."""
    spread = {i: top // 10 + (1 if i <= top % 10 else 0) for i in range(1, 11)}
    rest = 100 - top
    return spread | {100 + i: 1 for i in range(rest)}


@pytest.mark.parametrize(
    ("now", "before", "fragile"),
    [
        (75, 71, True),
        (71, 75, True),
        (70, 90, False),  # 70% is not above 70%
        (90, 70, False),
        (90, 60, False),  # one period above is not sustained
    ],
)
def test_fragile_when_the_top_10_wrote_more_than_70_percent_twice(
    now: int, before: int, fragile: bool
) -> None:
    result = assess(
        _inputs(
            _period(answers=_answers_with_top_share(now)),
            _period(answers=_answers_with_top_share(before)),
        )
    )
    assert result.metric("top10_share").value == now / 100
    assert result.fragile is fragile
    if fragile:
        assert result.fragile_reason == (
            f"Fragile: the top 10 answerers wrote {before}% of the answers the month before and "
            f"{now}% now, above 70% both times: a few people carry the community."
        )


# Pure: the headline --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("active", "engaged", "label"),
    [
        ((120, 100), (60, 50), HEALTHY_GROWTH),
        ((120, 100), (50, 50), GROWING_BUT_QUIET),
        ((120, 100), (40, 50), GROWING_BUT_QUIET),
        ((100, 100), (60, 50), HEALTHY_GROWTH),
        ((100, 100), (50, 50), STEADY),
        ((100, 100), (40, 50), SHRINKING),
        ((80, 100), (60, 50), ENGAGED_BUT_SHRINKING),
        ((80, 100), (50, 50), ENGAGED_BUT_SHRINKING),
        ((80, 100), (40, 50), SHRINKING),
    ],
)
def test_each_pair_of_movements_has_its_label(
    active: tuple[int, int], engaged: tuple[int, int], label: str
) -> None:
    assert headline_for(active=active, engaged=engaged).label == label


@pytest.mark.parametrize(
    ("now", "before", "trend"),
    [
        (105, 100, FLAT),  # 5% is inside the dead band
        (106, 100, UP),
        (95, 100, FLAT),
        (94, 100, DOWN),
        (11, 10, FLAT),  # one person is never a trend
        (12, 10, UP),
        (8, 10, DOWN),
        (2, 0, UP),
    ],
)
def test_the_dead_band_keeps_noise_from_flipping_the_label(
    now: int, before: int, trend: str
) -> None:
    assert headline_for(active=(now, before), engaged=(50, 50)).active_trend == trend


def test_a_steady_label_says_within_the_dead_band() -> None:
    headline = headline_for(active=(104, 100), engaged=(50, 50))
    assert headline.reason == (
        "Steady: active people held steady (100 to 104, within 5%) and engaged people held at 50."
    )


def test_too_few_people_for_a_label() -> None:
    headline = headline_for(active=(4, 2), engaged=(3, 1))
    assert headline.label is None
    assert headline.reason == "Too few people to call a trend (2 active the period before, 4 now)."


# Pure: periods -------------------------------------------------------------------------------


def test_a_month_is_compared_with_calendar_months_before_it() -> None:
    spans = periods_ending(*MARCH)
    assert [start.date().isoformat() for start, _ in spans] == [
        "2024-11-01",
        "2024-12-01",
        "2025-01-01",
        "2025-02-01",
        "2025-03-01",
    ]
    assert spans[-2] == FEBRUARY


def test_a_quarter_and_any_span() -> None:
    quarter = periods_ending(datetime(2025, 4, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC), 2)
    assert quarter[0] == (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
    assert periods_ending(at(3, 11), at(3, 21), 3) == [
        (at(2, 19), at(3, 1)),
        (at(3, 1), at(3, 11)),
        (at(3, 11), at(3, 21)),
    ]


def test_days_are_the_periods_own_calendar_days() -> None:
    paris = ZoneInfo("Europe/Paris")
    # March 2025 in Paris is 743 hours long (summer time from the 30th) and still 31 days.
    assert days_in(datetime(2025, 3, 1, tzinfo=paris), datetime(2025, 4, 1, tzinfo=paris)) == 31
    assert days_in(*MARCH) == 31
    assert days_in(MARCH[0], AS_OF) == 28  # read at noon on the 28th: 28 days begun


# Database: the story -------------------------------------------------------------------------


@dataclass
class Story:
    guild: Community
    data: Community
    people: dict[str, Person]

    def ids(self) -> dict[str, int]:
        return {name: person.pk for name, person in self.people.items()}


_numbers = count(1)


def _log(person: Person | None, verb: str, community: Community, when: datetime) -> None:
    Activity.objects.create(
        actor=person, verb=verb, object_type="post", community=community, created_at=when
    )


def _imported() -> dict[str, str]:
    return {"source": SOURCE, "source_id": str(next(_numbers))}


def _ask(person: Person, community: Community, when: datetime, imported: bool = False) -> Post:
    question = Post.objects.create(
        kind=PostKind.QUESTION,
        community=community,
        author=person,
        title=f"Question of {when:%d %B}",
        body="How?",
        created_at=when,
        **(_imported() if imported else {}),
    )
    if not imported:
        _log(person, "question.ask", community, when)
    return question


def _answer(person: Person, question: Post, when: datetime, imported: bool = False) -> Post:
    answer = Post.objects.create(
        kind=PostKind.ANSWER,
        community=question.community,
        question=question,
        author=person,
        body="Like this.",
        created_at=when,
        **(_imported() if imported else {}),
    )
    if not imported:
        assert question.community is not None
        _log(person, "answer.post", question.community, when)
    return answer


def _comment(person: Person, post: Post, when: datetime, imported: bool = False) -> None:
    Comment.objects.create(
        post=post,
        author=person,
        body="Thanks",
        body_html="<p>Thanks</p>",
        created_at=when,
        **(_imported() if imported else {}),
    )
    if not imported:
        assert post.community is not None
        _log(person, "comment.add", post.community, when)


def _accept(person: Person, answer: Post, when: datetime) -> None:
    Post.objects.filter(pk=answer.thread_id).update(accepted_answer=answer)
    assert answer.community is not None
    _log(person, "answer.accept", answer.community, when)


@pytest.fixture
def story(db: None) -> Story:
    guild = Community.objects.create(name="Platform guild", slug="platform", domain="Platforms")
    data = Community.objects.create(name="Data guild", slug="data", domain="Data")
    people = {
        name: Person.objects.create_user(f"{name.lower()}@example.com", None, name=name)
        for name in NAMES + HELPERS
    }
    ann, ben, cat, dan, eve, fay, gus, hal, ivy, kim, rita, ray = (people[n] for n in NAMES)

    # Before February: votes and comments only.
    for month, day in ((11, 12), (12, 12), (1, 14)):
        _log(ann, "post.vote", guild, at(month, day))
    for month in (11, 12, 1):
        _log(cat, "post.vote", guild, at(month, 20))
    _log(ben, "answer.post", guild, at(12, 5))
    _log(ben, "comment.add", guild, at(1, 9))
    _log(dan, "comment.add", guild, at(1, 22))
    _log(kim, "post.vote", guild, at(8, 5))
    _log(eve, "comment.add", guild, at(9, 10))
    _log(fay, "post.vote", guild, at(10, 8))

    # February.
    first = _ask(ann, guild, at(2, 3))
    _accept(ann, _answer(ben, first, at(2, 4)), at(2, 5))
    _answer(dan, _ask(ann, guild, at(2, 10)), at(2, 11))
    _comment(fay, _ask(gus, guild, at(2, 12)), at(2, 13))
    _accept(dan, _answer(ben, _ask(dan, guild, at(2, 17)), at(2, 20)), at(2, 21))
    _answer(ben, _ask(ann, guild, at(2, 24)), at(3, 20))
    _log(cat, "post.view", guild, at(2, 14))
    _log(rita, "post.view", guild, at(2, 3))
    _log(rita, "post.view", guild, at(2, 4))

    # March.
    _accept(ann, _answer(ben, _ask(ann, guild, at(3, 3)), at(3, 4)), at(3, 4, 15))
    second = _ask(ann, guild, at(3, 5))
    _answer(hal, second, at(3, 14), imported=True)
    _comment(hal, second, at(3, 14, 11), imported=True)
    solo = _ask(gus, guild, at(3, 6))
    _comment(gus, solo, at(3, 7))
    _accept(gus, _answer(gus, solo, at(3, 8)), at(3, 8, 11))
    _comment(ann, _answer(ivy, _ask(ivy, guild, at(3, 10)), at(3, 10, 12)), at(3, 12, 14))
    _answer(ben, _ask(ann, guild, at(3, 12)), at(3, 30))  # after the read
    _accept(kim, _answer(eve, _ask(kim, guild, at(3, 24)), at(3, 25)), at(3, 26))
    for day in (3, 4, 5):
        _log(rita, "post.view", guild, at(3, day))
    _log(rita, "community.view", guild, at(3, 5, 16))
    _log(ray, "post.view", guild, at(3, 20))
    _log(ray, "post.view", guild, at(3, 21))
    _log(ray, "post.view", guild, at(3, 29))  # after the read
    _log(None, "community.view", guild, at(3, 6))  # signed out: nobody

    # The data guild: twelve imported answerers in March, and Ben reading there.
    imported = _ask(people["P12"], data, at(1, 10), imported=True)
    for name, written in zip(HELPERS, HELPER_ANSWERS, strict=True):
        for _ in range(written):
            _answer(people[name], imported, at(3, 18), imported=True)
    _log(ben, "post.view", data, at(3, 4, 16))
    return Story(guild=guild, data=data, people=people)


def _normalised(inputs: HealthInputs) -> HealthInputs:
    """The same facts with the questions in the order they were asked."""

    def period(facts: PeriodFacts) -> PeriodFacts:
        ordered = tuple(sorted(facts.questions, key=lambda q: q.asked_at))
        return PeriodFacts(
            facts.start,
            facts.end,
            facts.active_people,
            facts.active_person_days,
            ordered,
            dict(facts.answers_by_author),
        )

    return HealthInputs(
        period(inputs.current),
        period(inputs.previous),
        inputs.contributors,
        inputs.contributed_earlier,
        inputs.as_of,
    )


def test_the_database_reads_the_storys_facts(story: Story) -> None:
    read = health_reads.health_inputs(
        community=story.guild, start=MARCH[0], end=MARCH[1], as_of=AS_OF
    )
    assert _normalised(read) == story_inputs(story.ids())


def test_the_database_gives_the_hand_counted_figures(story: Story) -> None:
    result = health_reads.health_for(
        community=story.guild, start=MARCH[0], end=MARCH[1], as_of=AS_OF
    )
    assert figures(result) == EXPECTED
    assert result.headline.label == HEALTHY_GROWTH


def test_a_handful_of_queries_whoever_took_part(story: Story) -> None:
    with CaptureQueriesContext(connection) as queries:
        health_reads.health_inputs(community=None, start=MARCH[0], end=MARCH[1], as_of=AS_OF)
    # Contributors (one per source), earlier contributors, active people, questions, answers.
    assert len(queries) == 7


def test_the_organisation_adds_every_community(story: Story) -> None:
    result = health_reads.health_for(community=None, start=MARCH[0], end=MARCH[1], as_of=AS_OF)
    got = figures(result)
    # Twelve imported answerers in the data guild: active and engaged, each on one day (Ben's
    # read there falls on a day he was already active in the guild).
    assert got["active_people"][:2] == (21, 7)
    assert got["engaged_people"][:2] == (19, 5)
    assert got["stickiness"][0] == round(31 / 28 / 21, 4)
    # P12 asked in January; P1 to P11 contribute for the first time, with Hal and Ivy.
    assert got["new_contributors"][:2] == (13, 1)
    # 26 answers by 17 people; the top 10 wrote 5+3+2+2+2 (Ben)+1*5 = 19 of them.
    assert got["top10_share"] == (0.7308, None, None)


def test_a_question_whose_asker_left_counts_every_reply(story: Story) -> None:
    guild, ben = story.guild, story.people["Ben"]
    orphan = _ask(ben, guild, at(3, 2))
    Post.objects.filter(pk=orphan.pk).update(author=None)
    _comment(ben, orphan, at(3, 2, 12))  # the asker's colleague, whoever asked
    found = health_reads.questions_by_period(guild, [MARCH], AS_OF)[0]
    facts = next(q for q in found if q.asked_at == at(3, 2))
    assert (facts.asker_id, facts.first_reply_by_other_at) == (None, at(3, 2, 12))


def test_days_are_counted_in_the_periods_time_zone(db: None) -> None:
    guild = Community.objects.create(name="Guild", slug="guild", domain="Things")
    owl = Person.objects.create_user("owl@example.com", None, name="Owl")
    # 23:30 and 00:30 in Paris: two days there, one in UTC.
    _log(owl, "post.view", guild, datetime(2025, 3, 10, 22, 30, tzinfo=UTC))
    _log(owl, "post.view", guild, datetime(2025, 3, 10, 23, 30, tzinfo=UTC))
    paris = ZoneInfo("Europe/Paris")
    in_paris = (datetime(2025, 3, 1, tzinfo=paris), datetime(2025, 4, 1, tzinfo=paris))
    assert health_reads.active_by_period(guild, [in_paris], paris) == [(1, 2)]
    assert health_reads.active_by_period(guild, [MARCH], UTC) == [(1, 1)]


def test_reads_need_a_period_that_has_begun(story: Story) -> None:
    with pytest.raises(ValueError, match="not started"):
        health_reads.health_inputs(
            community=story.guild, start=MARCH[0], end=MARCH[1], as_of=at(2, 27)
        )


def test_nothing_recorded_reads_as_zeros_and_no_rates(db: None) -> None:
    quiet = Community.objects.create(name="Quiet", slug="quiet", domain="Nothing yet")
    result = health_reads.health_for(community=quiet, start=MARCH[0], end=MARCH[1], as_of=AS_OF)
    assert {m.key: m.value for m in result.metrics} == {
        "active_people": 0,
        "stickiness": None,
        "engaged_people": 0,
        "new_contributors": 0,
        "lost_regulars": 0,
        "reactivated": 0,
        "questions_asked": 0,
        "resolution_rate": None,
        "unanswered_share": None,
        "reply_coverage_7d": None,
        "solo_thread_rate": None,
        "top10_share": None,
    }
    assert result.headline.label is None
