"""Community health read for every community at once (`health_reads.health_for_communities`,
each query grouped by community) gives each community exactly what reading it alone gives.

The history is generated (seeded) over eleven months in five communities with different
lives, plus content outside any community that no community may count:

- Alpha: everything written through the services (activity rows), all eleven months;
- Beta: mostly imported (posts and comments with a `source`, no activity rows) from March,
  some reads and votes;
- Gamma: from July only, its people partly Alpha's (someone who contributed in Alpha before
  is still new in Gamma);
- Delta: a few months, questions whose asker's account is gone and answers with no author;
- Quiet: nothing at all.

Each community asks for different months (a year, two months, two months apart, none), as the
nightly job's due months differ when a community is new or its months have settled.
"""

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.communities.models import Community
from trellis.core.models import Activity
from trellis.insights import counts, health_reads, health_selectors
from trellis.insights.health import HealthInputs, PeriodFacts
from trellis.insights.models import InsightSnapshot
from trellis.insights.services.health import health_refresh
from trellis.people.models import Person
from trellis.qa.models import Comment, Post, PostKind

FIRST_MONTH = date(2024, 11, 1)
MONTHS = [counts.add_months(FIRST_MONTH, k) for k in range(11)]  # November 2024 to September
AS_OF = counts.month_bounds(MONTHS[-1])[0] + timedelta(days=19, hours=12)  # 20 September
SOURCE = "stackexchange:batched"
VIEWS = ("post.view", "question.view", "community.view")
NEITHER = ("community.join", "event.rsvp")  # neither a read nor a contribution


@dataclass
class Histories:
    communities: dict[str, Community]
    people: list[Person]


class _Writer:
    """Writes the generated history: posts and comments one by one (their ids link them),
    activity rows in bulk."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.numbers = count(1)
        self.activity: list[Activity] = []

    def moment(self, month: date) -> datetime:
        start, end = counts.month_bounds(month)
        stop = min(end, AS_OF + timedelta(days=12))  # a little after the read, left out
        return start + timedelta(seconds=self.rng.randrange(int((stop - start).total_seconds())))

    def log(
        self, person: Person | None, verb: str, community: Community | None, when: datetime
    ) -> None:
        self.activity.append(
            Activity(
                actor=person, verb=verb, object_type="post", community=community, created_at=when
            )
        )

    def imported(self, imported: bool) -> dict[str, str]:
        return {"source": SOURCE, "source_id": str(next(self.numbers))} if imported else {}

    def ask(
        self, person: Person | None, community: Community | None, when: datetime, imported: bool
    ) -> Post:
        question = Post.objects.create(
            kind=PostKind.QUESTION,
            community=community,
            author=person,
            title=f"Question {next(self.numbers)}",
            body="How?",
            created_at=when,
            **self.imported(imported),
        )
        if not imported:
            self.log(person, "question.ask", community, when)
        return question

    def answer(self, person: Person | None, question: Post, when: datetime, imported: bool) -> Post:
        answer = Post.objects.create(
            kind=PostKind.ANSWER,
            community=question.community,
            question=question,
            author=person,
            body="Like this.",
            created_at=when,
            **self.imported(imported),
        )
        if not imported:
            self.log(person, "answer.post", question.community, when)
        return answer

    def comment(self, person: Person, post: Post, when: datetime, imported: bool) -> None:
        Comment.objects.create(
            post=post,
            author=person,
            body="Thanks",
            body_html="<p>Thanks</p>",
            created_at=when,
            **self.imported(imported),
        )
        if not imported:
            self.log(person, "comment.add", post.community, when)

    def month(
        self,
        community: Community | None,
        month: date,
        people: list[Person],
        *,
        events: int,
        imported_share: float,
        authorless_share: float = 0.0,
    ) -> None:
        """A month of random questions, answers, comments, acceptances, votes and reads."""
        rng = self.rng
        asked: list[Post] = []
        answers: list[Post] = []
        for _ in range(events):
            person, when = rng.choice(people), self.moment(month)
            imported = rng.random() < imported_share
            roll = rng.random()
            if roll < 0.2 or not asked:
                author = None if rng.random() < authorless_share else person
                asked.append(self.ask(author, community, when, imported))
            elif roll < 0.45:
                question = rng.choice(asked)
                author = None if rng.random() < authorless_share else person
                later = max(when, question.created_at + timedelta(hours=rng.randrange(1, 300)))
                answers.append(self.answer(author, question, later, imported))
            elif roll < 0.6:
                post = rng.choice(asked + answers)
                later = max(when, post.created_at + timedelta(hours=rng.randrange(1, 200)))
                self.comment(person, post, later, imported)
            elif roll < 0.65 and answers:
                answer = rng.choice(answers)
                Post.objects.filter(pk=answer.thread_id).update(accepted_answer=answer)
                self.log(person, "answer.accept", community, when)
            elif roll < 0.75:
                self.log(person, "post.vote", community, when)
            elif roll < 0.95:
                self.log(person, rng.choice(VIEWS), community, when)
            else:
                self.log(rng.choice([person, None]), rng.choice(NEITHER), community, when)

    def save(self) -> None:
        Activity.objects.bulk_create(self.activity)


@pytest.fixture
def histories(db: None) -> Histories:
    people = [
        Person.objects.create_user(f"p{i}@example.com", None, name=f"Person {i}") for i in range(40)
    ]
    names = ("Alpha", "Beta", "Gamma", "Delta", "Quiet")
    communities = {
        name: Community.objects.create(name=name, slug=name.lower(), domain=name) for name in names
    }
    alpha, beta, gamma, delta = (communities[name] for name in names[:4])
    writer = _Writer(seed=17)
    for k, month in enumerate(MONTHS):
        # Alpha's regulars come and go (a different ten each month), and a pair of occasional
        # people come back every six months (contributed before the window).
        regulars = people[k : k + 10] + people[30 + k % 6 : 32 + k % 6]
        writer.month(alpha, month, regulars, events=25, imported_share=0.0)
        if month >= date(2025, 3, 1):
            writer.month(beta, month, people[10:30], events=20, imported_share=0.7)
        if month >= date(2025, 7, 1):
            writer.month(gamma, month, people[::3], events=15, imported_share=0.2)
        if month in (date(2025, 1, 1), date(2025, 6, 1), date(2025, 9, 1)):
            writer.month(
                delta, month, people[20:], events=12, imported_share=0.3, authorless_share=0.3
            )
        # Outside any community: counted organisation-wide only.
        writer.month(None, month, people[25:], events=10, imported_share=0.5)
    writer.save()
    return Histories(communities=communities, people=people)


def _months_by_community(h: Histories) -> dict[int, list[date]]:
    c = h.communities
    return {
        c["Alpha"].pk: MONTHS[1:],  # a year's chart (as a rebuild asks)
        c["Beta"].pk: MONTHS[-2:],  # the current month and the one before (a daily run)
        c["Gamma"].pk: [date(2025, 5, 1), date(2025, 7, 1)],  # not consecutive, before it began
        c["Delta"].pk: [MONTHS[-1]],
        c["Quiet"].pk: [],
    }


def _normalised(inputs: Mapping[date, HealthInputs]) -> dict[date, HealthInputs]:
    """The same facts with each period's questions in the order they were asked."""

    def period(facts: PeriodFacts) -> PeriodFacts:
        ordered = sorted(facts.questions, key=lambda q: (q.asked_at, q.asker_id or 0))
        return replace(facts, questions=tuple(ordered))

    return {
        month: replace(values, current=period(values.current), previous=period(values.previous))
        for month, values in inputs.items()
    }


def _alone(
    h: Histories, months_by_community: Mapping[int, list[date]]
) -> dict[int, dict[date, HealthInputs]]:
    by_pk = {community.pk: community for community in h.communities.values()}
    return {
        pk: health_reads.health_inputs_for_months(community=by_pk[pk], months=months, as_of=AS_OF)
        for pk, months in months_by_community.items()
    }


def test_the_history_is_not_trivial(histories: Histories) -> None:
    """Each community's months have what the equality below must get right."""
    alone = _alone(histories, _months_by_community(histories))
    c = histories.communities
    alpha, beta = alone[c["Alpha"].pk], alone[c["Beta"].pk]
    assert all(values.current.questions for values in alpha.values())
    assert any(values.contributed_earlier for values in alpha.values())
    assert sum(values.current.active_people for values in beta.values()) > 0
    assert alone[c["Gamma"].pk][date(2025, 7, 1)].current.active_people > 0
    assert alone[c["Gamma"].pk][date(2025, 5, 1)].current.active_people == 0
    assert any(q.asker_id is None for q in alone[c["Delta"].pk][MONTHS[-1]].current.questions)
    assert alone[c["Quiet"].pk] == {}
    # Content outside any community is read organisation-wide only.
    organisation = health_reads.health_inputs_for_months(
        community=None, months=[MONTHS[-1]], as_of=AS_OF
    )[MONTHS[-1]]
    in_communities = sum(
        values[MONTHS[-1]].current.active_people
        for values in alone.values()
        if MONTHS[-1] in values
    )
    assert organisation.current.active_people > 0
    assert len(organisation.current.questions) > sum(
        len(values[MONTHS[-1]].current.questions)
        for values in alone.values()
        if MONTHS[-1] in values
    )
    assert in_communities > 0


@pytest.mark.parametrize("indexed_scopes", [8, 1], ids=["by-community-index", "by-time"])
def test_grouped_inputs_equal_each_community_read_alone(
    histories: Histories, indexed_scopes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether the communities' rows are found by their index (a few) or by time (many)."""
    wanted = _months_by_community(histories)
    alone = _alone(histories, wanted)
    monkeypatch.setattr(health_reads, "INDEXED_SCOPES", indexed_scopes)
    grouped = health_reads.health_inputs_for_communities(months_by_community=wanted, as_of=AS_OF)
    assert set(grouped) == set(wanted)
    for pk, months in alone.items():
        assert set(grouped[pk]) == set(months), pk
        assert _normalised(grouped[pk]) == _normalised(months), pk


def test_grouped_figures_equal_each_community_read_alone(histories: Histories) -> None:
    wanted = _months_by_community(histories)
    grouped = health_reads.health_for_communities(months_by_community=wanted, as_of=AS_OF)
    by_pk = {community.pk: community for community in histories.communities.values()}
    for pk, months in wanted.items():
        alone = health_reads.health_for_months(community=by_pk[pk], months=months, as_of=AS_OF)
        assert grouped[pk] == alone, by_pk[pk].name


def test_every_month_of_every_community_equals_its_own_read(histories: Histories) -> None:
    """The same months for all (a rebuild's year), each month also read on its own."""
    wanted = {community.pk: MONTHS[4:] for community in histories.communities.values()}
    grouped = health_reads.health_for_communities(months_by_community=wanted, as_of=AS_OF)
    for community in histories.communities.values():
        for month in MONTHS[4:]:
            start, end = counts.month_bounds(month)
            alone = health_reads.health_for(community=community, start=start, end=end, as_of=AS_OF)
            assert grouped[community.pk][month] == alone, (community.name, month)


def test_communities_read_in_several_groups_give_the_same(
    histories: Histories, monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted = _months_by_community(histories)
    together = health_reads.health_for_communities(months_by_community=wanted, as_of=AS_OF)
    monkeypatch.setattr(health_reads, "COMMUNITIES_PER_READ", 2)
    in_pairs = health_reads.health_for_communities(months_by_community=wanted, as_of=AS_OF)
    assert in_pairs == together


def test_one_set_of_queries_however_many_communities(histories: Histories) -> None:
    wanted = _months_by_community(histories)
    with CaptureQueriesContext(connection) as queries:
        health_reads.health_for_communities(months_by_community=wanted, as_of=AS_OF)
    # Contributors (one per source), first contributions (one per source), active people,
    # questions, answers.
    assert len(queries) == 9


def test_a_month_not_started_is_refused(histories: Histories) -> None:
    alpha = histories.communities["Alpha"].pk
    with pytest.raises(ValueError, match="not started"):
        health_reads.health_for_communities(
            months_by_community={alpha: [counts.add_months(MONTHS[-1], 1)]}, as_of=AS_OF
        )


def test_the_refresh_stores_each_communitys_own_figures(histories: Histories) -> None:
    stored = health_refresh(now=AS_OF)
    rows = InsightSnapshot.objects.filter(kind=InsightSnapshot.HEALTH)
    assert stored == rows.count()
    by_scope: dict[int | None, list[date]] = {}
    for row in rows:
        by_scope.setdefault(row.community_id, []).append(row.month)
    c = histories.communities
    assert sorted(by_scope[c["Gamma"].pk]) == MONTHS[-3:]  # from the month it began
    assert by_scope[c["Quiet"].pk] == [MONTHS[-1]]
    expected = {
        scope: health_reads.health_for_months(
            community=None if scope is None else Community.objects.get(pk=scope),
            months=months,
            as_of=AS_OF,
        )
        for scope, months in by_scope.items()
    }
    for row in rows:
        health = expected[row.community_id][row.month]
        assert row.figures == health_selectors.figures_of(health, as_of=AS_OF), row
