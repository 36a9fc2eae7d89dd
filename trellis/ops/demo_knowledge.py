"""The demo organisation's knowledge, from the written corpus (`demo_corpus/`).

Each entry of the corpus names the department and job title of the person who would write
it; here it gets a real author among the community's people, and a date from the community's
life (`LIVES`): thriving communities answer within hours, a stagnating one asked most of its
questions long ago and leaves the recent ones waiting, a new one has all its history in the
last months, one leader answers most of a community's questions. Each life's recent turn
happens in the last whole calendar months (`lately_since`), the months the pitfall radar
reads as "now", so the demo's radar raises what each story was written to show. Votes,
comments, follows, revisions, links between questions and page views (most of them by people
who never post) complete each thread. Communities the corpus does not cover (the extra ones
of organisations over 2,000 people) are filled from templates (`demo_filler`). The
organisation-wide questions (asked in no community) come last: anyone may ask them, and the
same few people who know the topic answer them, over the last nine months
(`ORGANISATION_LIFE`), the sustained demand with no home that domain discovery proposes as a
community.

Deterministic: the same seed and `now` give the same knowledge.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache

from django.db.models import Q

from trellis.communities.models import Community, Membership, Role, Visibility
from trellis.core.models import Activity, Tag
from trellis.core.text import render_markdown
from trellis.expertise.models import Availability, RoutedQuestion, RoutingDecision, RoutingStage
from trellis.insights import counts
from trellis.library.models import (
    Resource,
    ResourceKind,
    ResourceOwner,
    ResourceTag,
    ResourceVersion,
)
from trellis.library.services import thread_attribution
from trellis.ops import demo_corpus
from trellis.ops.demo_filler import KnowledgeResult, filler_community
from trellis.people.models import Person
from trellis.qa.models import (
    Comment,
    Follow,
    LinkKind,
    Post,
    PostKind,
    PostLink,
    PostTag,
    Revision,
    Vote,
)
from trellis.radar.signals import BASELINE

HISTORY_DAYS = 540  # eighteen months
LATELY_MONTHS = 3  # "lately" in the lives' stories: the last three whole months (the radar's)
OLD_DAYS = 270  # a stagnating community asked most of its questions longer ago than this


def lately_since(now: datetime, months: int = LATELY_MONTHS) -> datetime:
    """The first instant of the last `months` whole calendar months before `now`'s month (in
    the site's time zone): where a life's recent turn begins, so the months the pitfall radar
    reads as "now" hold all of it whatever day of the month the demo is built."""
    return counts.month_bounds(counts.add_months(counts.month_of(now), -months))[0]


@dataclass(frozen=True)
class Life:
    """How a community's eighteen months went."""

    story: str
    pace: float  # question dates: u ** pace over the window (<1 recent-heavy, >1 early-heavy)
    first_answer_hours: tuple[float, float]  # the first answer's delay, log-uniform
    readers: float  # mean page views per question, before its answers add more
    leader_carries: bool = False  # the corpus's most frequent answerer is the leader
    # Unanswered questions linger for months (a stagnating community); elsewhere they are
    # the newest, asked within the community's usual wait for a first answer.
    unanswered_linger: bool = False
    # Lately (`LATELY_MONTHS`) nothing new: the questions still asked come from people who
    # wrote before and wait unanswered, and nobody checks the guides any more.
    stalled: bool = False
    # Its circles go on, but lately the leads set their agendas and nothing comes out of
    # them (no notes, no questions after): meetings without practice (`demo_agendas`).
    circles_hollow: bool = False
    # Its sponsors opened the monthly impact report (and came to sessions) until this many
    # whole months ago, then nothing: a sponsor drifting away (`demo_reports`, `demo_events`).
    sponsor_quiet_months: int = 0


LIVES: dict[str, Life] = {
    "data-analytics": Life("thriving", 0.6, (0.3, 8), 14),
    "python": Life("thriving", 0.6, (0.3, 8), 14),
    "kubernetes": Life("thriving", 0.6, (0.2, 6), 12),
    "security-council": Life("thriving, behind closed doors", 1.0, (0.2, 5), 6),
    "frontend": Life("growing steadily", 0.8, (1, 24), 9),
    "ml-reading-group": Life("growing", 0.6, (2, 48), 7),
    "customer-voice": Life(
        "busy, while its sponsor has gone quiet: the executive who opened the impact report "
        "almost every month has not opened it for four months, and nobody has featured a "
        "value story for them",
        0.9,
        (1, 30),
        8,
        sponsor_quiet_months=4,
    ),
    "product-management": Life(
        "growing, though its fortnightly discovery circles have become status meetings: for "
        "the last three months the leads set the agenda, nobody writes notes and nothing is "
        "asked or answered after them",
        0.8,
        (2, 36),
        8,
        circles_hollow=True,
    ),
    "ux-design": Life(
        "its leader carries everything: for the last three months the leader has written every "
        "answer and run every design critique (the volunteers stopped taking turns), and is "
        "routed questions up to their weekly cap",
        1.0,
        (1, 24),
        7,
        leader_carries=True,
    ),
    "ways-of-working": Life(
        "stagnating: nobody has joined or contributed for the first time in three months, the "
        "few questions still asked wait unanswered and nobody checks the guides",
        2.2,
        (12, 120),
        3,
        unanswered_linger=True,
        stalled=True,
    ),
    "docs-writing": Life("new and growing", 0.5, (1, 20), 8),
    "accessibility": Life("new and growing", 0.5, (1, 20), 8),
}
DEFAULT_LIFE = Life("steady", 1.0, (2, 48), 6)
ORGANISATION_DAYS = 270  # organisation-wide questions: the last nine months
ORGANISATION_LIFE = Life(
    "asked all over the organisation, in no community: month after month people of many "
    "departments ask, and the same few who know the topic answer",
    1.0,
    (2, 40),
    6,
)
ROLE_WEIGHT = {Role.LEADER: 4.0, Role.FACILITATOR: 3.0, Role.CORE: 3.0, Role.MEMBER: 1.0}


@cache
def _render(text: str) -> str:
    return render_markdown(text)


@dataclass(frozen=True)
class Candidate:
    pk: int
    department: str
    title: str
    role: str  # "" for someone outside the community
    weight: float


Staff = list[tuple[int, str | None, str]]
"""Every active person's (id, department slug, title), in id order: read once per demo."""


class People:
    """Who may write in one community (none: the whole organisation, everyone a member), and
    how to pick the one who fits an entry."""

    def __init__(self, community: Community | None, everyone: Staff, rand: random.Random) -> None:
        self.rand = rand
        roles = (
            dict(
                Membership.objects.filter(community=community, left_at__isnull=True).values_list(
                    "person_id", "role"
                )
            )
            if community is not None
            else {pk: Role.MEMBER for pk, _, _ in everyone}
        )
        private = community is not None and community.visibility == Visibility.PRIVATE
        rows = [row for row in everyone if row[0] in roles] if private else everyone
        order = list(range(len(rows)))
        rand.shuffle(order)  # a few people write much, most a little: Zipf over a shuffle
        rank = {rows[i][0]: r for r, i in enumerate(order)}
        self.members = [
            Candidate(
                pk, dept or "", title, roles[pk],
                ROLE_WEIGHT[Role(roles[pk])] / math.sqrt(1 + rank[pk] % 40),
            )
            for pk, dept, title in rows
            if pk in roles
        ]  # fmt: skip
        self.outsiders = [
            Candidate(pk, dept or "", title, "", 0.3 / math.sqrt(1 + rank[pk] % 40))
            for pk, dept, title in rows
            if pk not in roles
        ]
        leaders = [c.pk for c in self.members if c.role == Role.LEADER]
        self.leader = leaders[0] if leaders else None
        self.pinned: dict[demo_corpus.Writer, int] = {}
        self.reader_pool = [c.pk for c in self.members] + [c.pk for c in self.outsiders][:200]

    def pick(self, writer: demo_corpus.Writer, avoid: Sequence[int | None] = ()) -> int:
        """A member of the writer's department with their title if there is one, else of the
        department, else someone outside the community who fits (public communities), else
        any member: the entry then reads as theirs. A pinned writer is always the same
        person."""
        if writer in self.pinned:
            return self.pinned[writer]
        return self._fitting(writer, avoid)

    def _fitting(self, writer: demo_corpus.Writer, avoid: Sequence[int | None]) -> int:
        for pool in (self.members, self.outsiders):
            fits = [c for c in pool if c.department == writer.department and c.pk not in avoid]
            titled = [c for c in fits if writer.title and writer.title.lower() in c.title.lower()]
            if titled or fits:
                return self._weighted(titled or fits)
        anyone = [c for c in self.members if c.pk not in avoid] or self.members
        return self._weighted(anyone)

    def _weighted(self, candidates: list[Candidate]) -> int:
        return self.rand.choices(candidates, weights=[c.weight for c in candidates])[0].pk

    def voters(self, n: int, avoid: int | None) -> list[int]:
        pool = [c.pk for c in self.members if c.pk != avoid]
        return self.rand.sample(pool, k=min(n, len(pool)))

    def readers(self, n: int) -> list[int]:
        return self.rand.sample(self.reader_pool, k=min(n, len(self.reader_pool)))


def demo_knowledge_generate(
    *,
    seed: int,
    now: datetime,
    skills_by_slug: dict[str, tuple[str, ...]],
    share: float = 1.0,
) -> KnowledgeResult:
    """`share` < 1 writes that share of each community's corpus, evenly spread over its
    history (small organisations, and the tests' quick demos)."""
    corpus = {slug: _sample(c, share) for slug, c in demo_corpus.load_corpus().items()}
    everyone: Staff = list(
        Person.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "department__slug", "title")
    )
    rand = random.Random(seed)
    questions = answers = resources = 0
    for community in Community.objects.order_by("pk"):
        written = corpus.get(community.slug)
        if written is None:
            made = filler_community(
                community, rand, list(skills_by_slug.get(community.slug, ())), now
            )
        else:
            made = _write_community(community, written, everyone, rand, now)
        questions += made.questions
        answers += made.answers
        resources += made.resources
    for community in Community.objects.filter(slug__in=CARRIED).order_by("pk"):
        _routed_to_the_carrier(community, now, rand)
    # Last, so the communities' stories draw the same random numbers with or without them.
    for written in demo_corpus.load_organisation_wide():
        made = _write_organisation(_sample(written, share), everyone, rand, now)
        questions += made.questions
        answers += made.answers
    return KnowledgeResult(questions, answers, resources)


CARRIED = frozenset(slug for slug, life in LIVES.items() if life.leader_carries)
CARRIER_CAP = 2  # questions routed a week at most, as the carrying leader set it


def _routed_to_the_carrier(community: Community, now: datetime, rand: random.Random) -> int:
    """Lately, the leader who carries everything was routed every answered question of their
    communities, and their own department's questions in the public ones: week after week at
    their cap. (Questions still open are left to the routing run after the demo.)"""
    leader = (
        Membership.objects.filter(community=community, role=Role.LEADER, left_at__isnull=True)
        .order_by("pk")
        .values_list("person_id", flat=True)
        .first()
    )
    if leader is None:
        return 0
    theirs = Membership.objects.filter(person_id=leader, left_at__isnull=True).values(
        "community_id"
    )
    department = Person.objects.filter(pk=leader).values("department_id")
    colleagues = Q(community__visibility=Visibility.PUBLIC, author__department_id__in=department)
    questions = list(
        Post.objects.filter(
            Q(community_id__in=theirs) | colleagues,
            kind=PostKind.QUESTION,
            created_at__gte=lately_since(now),
            answer_count__gt=0,
        )
        .exclude(author_id=leader)
        .order_by("created_at", "pk")
    )
    # They lowered their cap after a heavy quarter, and are at it all the same.
    Availability.objects.update_or_create(person_id=leader, defaults={"weekly_cap": CARRIER_CAP})
    answered = dict(
        Post.objects.filter(question__in=questions, author_id=leader).values_list(
            "question_id", "created_at"
        )
    )
    decisions = [
        RoutingDecision(
            question=q, person_id=leader, community_id=q.community_id,
            stage=RoutingStage.LEADER if q.community_id == community.pk else RoutingStage.EXPERT,
            reason="the community's leader" if q.community_id == community.pk
            else "answered similar questions",
            created_at=q.created_at + timedelta(minutes=rand.uniform(5, 90)),
            answered_at=answered.get(q.pk),
        )
        for q in questions
    ]  # fmt: skip
    RoutingDecision.objects.bulk_create(decisions, ignore_conflicts=True)
    RoutedQuestion.objects.bulk_create(
        [RoutedQuestion(question=d.question, routed_at=d.created_at) for d in decisions],
        ignore_conflicts=True,
    )  # answered: no next round due
    return len(decisions)


def _sample(corpus: demo_corpus.CommunityCorpus, share: float) -> demo_corpus.CommunityCorpus:
    """Every 1/share-th question, with its answers, and the resources; links to questions left
    out are dropped with them."""
    if share >= 1.0:
        return corpus
    n = len(corpus.questions)
    picked = [q for i, q in enumerate(corpus.questions) if int((i + 1) * share) > int(i * share)]
    keys = {q.key for q in picked} if n else set()
    questions = tuple(
        replace(
            q,
            related=tuple(k for k in q.related if k in keys),
            duplicate_of=q.duplicate_of if q.duplicate_of in keys else "",
        )
        for q in picked
    )
    resources = tuple(
        replace(r, from_question=r.from_question if r.from_question in keys else "")
        for r in corpus.resources
    )
    return replace(corpus, questions=questions, resources=resources)


def _log_uniform(rand: random.Random, low: float, high: float) -> float:
    return math.exp(rand.uniform(math.log(low), math.log(high)))


def _question_dates(
    n: int, life: Life, start: datetime, now: datetime, rand: random.Random
) -> list[datetime]:
    """Sorted dates over the window, spread by the community's pace; the last lands in the
    last week, so every community has something recent."""
    span = (now - start).total_seconds()
    points = sorted(((i + rand.random()) / n) ** life.pace for i in range(n))
    dates = [start + timedelta(seconds=span * p) for p in points]
    if dates and dates[-1] < now - timedelta(days=7):
        dates[-1] = now - timedelta(days=rand.uniform(1, 7))
    return sorted(min(d, now - timedelta(hours=3)) for d in dates)


def _asking_order(
    questions: Sequence[demo_corpus.Question],
    life: Life,
    start: datetime,
    now: datetime,
    rand: random.Random,
) -> tuple[list[demo_corpus.Question], list[datetime]]:
    """The questions with the dates they were asked. Those the corpus leaves unanswered are
    the newest (asked within the community's usual wait for a first answer), unless the
    community lets questions linger: a thriving community has answered everything older."""
    if life.stalled:
        stalled = _stalled_order(questions, life, start, now, rand)
        if stalled is not None:
            return stalled
    if life.unanswered_linger:
        return list(questions), _question_dates(len(questions), life, start, now, rand)
    answered = [q for q in questions if q.answers]
    waiting = [q for q in questions if not q.answers]
    longest_wait = max(6.0, life.first_answer_hours[1])
    waiting_dates = sorted(
        now - timedelta(hours=_log_uniform(rand, 1, longest_wait)) for _ in waiting
    )
    answered_dates = _question_dates(len(answered), life, start, now, rand)
    return answered + waiting, answered_dates + waiting_dates


def _stalled_order(
    questions: Sequence[demo_corpus.Question],
    life: Life,
    start: datetime,
    now: datetime,
    rand: random.Random,
) -> tuple[list[demo_corpus.Question], list[datetime]] | None:
    """A stagnating community's dates: most questions long ago (before `OLD_DAYS`), a few in
    the half year before its stall (three of them at its very start, still long ago), and
    the ones nobody answered in the stalled months, the whole calendar months the radar reads
    as "now". None when the history is too short for that shape."""
    answered = [q for q in questions if q.answers]
    waiting = [q for q in questions if not q.answers]
    lately = lately_since(now)
    this_month = counts.month_bounds(counts.month_of(now))[0]
    before = counts.month_bounds(counts.add_months(counts.month_of(lately), -BASELINE))[0]
    old = now - timedelta(days=OLD_DAYS)
    if start >= before or old <= before:
        return None
    at_start = min(3, len(answered) // 4)
    in_half_year = min(3, (len(answered) - at_start) // 3)
    early = len(answered) - at_start - in_half_year
    band = (old - before).total_seconds()
    half_year = (lately - old).total_seconds()
    stalled = (this_month - lately).total_seconds()
    dates = [
        *_question_dates(early, life, start, before - timedelta(days=7), rand),
        *sorted(before + timedelta(seconds=band * rand.uniform(0.1, 0.9)) for _ in range(at_start)),
        *sorted(
            old + timedelta(seconds=half_year * rand.uniform(0.1, 0.8)) for _ in range(in_half_year)
        ),
        *sorted(lately + timedelta(seconds=stalled * rand.uniform(0.05, 0.95)) for _ in waiting),
    ]
    return answered + waiting, dates


def _tag_ids(names: set[str]) -> dict[str, int]:
    Tag.objects.bulk_create([Tag(name=n) for n in sorted(names)], ignore_conflicts=True)
    return dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))


def _write_community(
    community: Community,
    corpus: demo_corpus.CommunityCorpus,
    everyone: Staff,
    rand: random.Random,
    now: datetime,
) -> KnowledgeResult:
    life = LIVES.get(community.slug, DEFAULT_LIFE)
    people = People(community, everyone, rand)
    if not people.members:
        return KnowledgeResult(0, 0, 0)
    if life.leader_carries and people.leader is not None:
        # The corpus writes the carrier as its most frequent answerer: that is the leader.
        writers = Counter(a.writer for q in corpus.questions for a in q.answers)
        if writers:
            people.pinned[writers.most_common(1)[0][0]] = people.leader
    start = max(community.created_at + timedelta(days=2), now - timedelta(days=HISTORY_DAYS))
    entries, dates = _asking_order(corpus.questions, life, start, now, rand)
    thread = Thread(community, people, rand, now)
    for entry, asked_at in zip(entries, dates, strict=True):
        thread.add(entry, asked_at, life)
    thread.save()
    resources = _resources(community, corpus, people, thread.by_key, rand, start, now, life)
    return KnowledgeResult(len(thread.questions), len(thread.answers), resources)


class OrganisationPeople(People):
    """Everyone active, for the organisation-wide questions. The topic's answerers are pinned,
    so the same few people answer them all; one of them asking gets another colleague's answer."""

    def __init__(self, everyone: Staff, rand: random.Random) -> None:
        super().__init__(None, everyone, rand)

    def pick(self, writer: demo_corpus.Writer, avoid: Sequence[int | None] = ()) -> int:
        pinned = self.pinned.get(writer)
        if pinned is not None and pinned not in avoid:
            return pinned
        return self._fitting(writer, avoid)


def _write_organisation(
    corpus: demo_corpus.CommunityCorpus, everyone: Staff, rand: random.Random, now: datetime
) -> KnowledgeResult:
    """Organisation-wide questions (community none): asked by whoever fits, over the last
    `ORGANISATION_DAYS`; each answer writer answering more than once is one person throughout
    (the topic's core), chosen among those who fit and are not yet pinned."""
    people = OrganisationPeople(everyone, rand)
    if not people.members:
        return KnowledgeResult(0, 0, 0)
    writers = Counter(a.writer for q in corpus.questions for a in q.answers)
    for writer, n in writers.items():  # in order of first appearance
        if n > 1:
            people.pinned[writer] = people.pick(writer, avoid=list(people.pinned.values()))
    start = now - timedelta(days=ORGANISATION_DAYS)
    entries, dates = _asking_order(corpus.questions, ORGANISATION_LIFE, start, now, rand)
    thread = Thread(None, people, rand, now, ORGANISATION_LIFE)
    for entry, asked_at in zip(entries, dates, strict=True):
        thread.add(entry, asked_at, ORGANISATION_LIFE)
    thread.save()
    return KnowledgeResult(len(thread.questions), len(thread.answers), 0)


class Thread:
    """The community's questions (none: organisation-wide ones) and everything around them,
    collected then written in bulk."""

    def __init__(
        self,
        community: Community | None,
        people: People,
        rand: random.Random,
        now: datetime,
        life: Life | None = None,
    ) -> None:
        self.community, self.people, self.rand, self.now = community, people, rand, now
        if life is None:
            life = LIVES.get(community.slug, DEFAULT_LIFE) if community else DEFAULT_LIFE
        self.life = life
        self.questions: list[Post] = []
        self.answers: list[Post] = []
        self.by_key: dict[str, Post] = {}
        self.entries: list[demo_corpus.Question] = []
        self.answer_entries: list[tuple[Post, demo_corpus.Answer]] = []
        self.accepted: dict[int, int] = {}  # question index -> answer index
        self.lately = lately_since(now)
        self.authors: list[int] = []  # who has written here, in order

    def add(self, entry: demo_corpus.Question, asked_at: datetime, life: Life) -> None:
        rand = self.rand
        recent = asked_at >= self.lately
        if life.stalled and recent and self.authors:
            asker = rand.choice(self.authors)  # the same few people, nobody new
        else:
            asker = self.people.pick(entry.writer)
        leader = self.people.leader
        answers = entry.answers
        carried = life.leader_carries and recent and leader is not None and asker != leader
        if carried and answers:
            # Lately the leader answers first, and nobody else answers after them.
            answers = (next((a for a in answers if a.accepted), answers[0]),)
        question = Post(
            kind=PostKind.QUESTION, community=self.community, author_id=asker,
            title=entry.title[:300], body=entry.body, body_html=_render(entry.body),
            created_at=asked_at, last_activity_at=asked_at,
        )  # fmt: skip
        index = len(self.questions)
        self.questions.append(question)
        self.entries.append(entry)
        self.by_key[entry.key] = question
        when = asked_at + timedelta(hours=_log_uniform(rand, *life.first_answer_hours))
        answered: list[int | None] = [asker]
        for answer_entry in answers:
            if carried and leader is not None:
                author = leader
            else:
                author = self.people.pick(answer_entry.writer, avoid=answered)
            answered.append(author)
            at = min(when, self.now - timedelta(minutes=rand.randint(10, 120)))
            answer = Post(
                kind=PostKind.ANSWER, community=self.community, question=question,
                author_id=author, body=answer_entry.body,
                body_html=_render(answer_entry.body), created_at=at, last_activity_at=at,
            )  # fmt: skip
            if answer_entry.accepted:
                self.accepted[index] = len(self.answers)
            self.answers.append(answer)
            self.answer_entries.append((answer, answer_entry))
            question.last_activity_at = max(question.last_activity_at, at)
            when = at + timedelta(hours=_log_uniform(rand, 1, 96))
        for writer in answered:
            if writer is not None and writer not in self.authors:
                self.authors.append(writer)

    def save(self) -> None:
        Post.objects.bulk_create(self.questions)
        for answer in self.answers:
            answer.question_id = answer.question.pk if answer.question else None
        Post.objects.bulk_create(self.answers)
        rand = self.rand
        by_question: dict[int, list[Post]] = {}
        for answer in self.answers:
            by_question.setdefault(answer.question_id or 0, []).append(answer)
        votes: list[Vote] = []
        for answer, entry in self.answer_entries:
            n = rand.randint(2, 7) if entry.accepted else rand.choice((0, 0, 1, 1, 2, 3, 4))
            cast = self._votes(answer, n)
            answer.score = len(cast)
            votes += cast
        for question in self.questions:
            replies = by_question.get(question.pk, [])
            question.answer_count = len(replies)
            cast = self._votes(question, rand.choice((0, 0, 1, 1, 2, 3)))
            question.score = len(cast)
            votes += cast
        for index, answer_index in self.accepted.items():
            self.questions[index].accepted_answer = self.answers[answer_index]
        self._views()
        Post.objects.bulk_update(
            self.questions,
            ["answer_count", "last_activity_at", "accepted_answer", "score", "view_count"],
        )
        Post.objects.bulk_update(self.answers, ["score"])
        Vote.objects.bulk_create(votes, ignore_conflicts=True)
        self._links_and_tags()
        self._comments()
        self._history()

    def _votes(self, post: Post, n: int) -> list[Vote]:
        later = post.created_at + timedelta(hours=self.rand.uniform(1, 240))
        return [
            Vote(post=post, voter_id=v, value=1, created_at=min(later, self.now))
            for v in self.people.voters(n, post.author_id)
        ]

    def _views(self) -> None:
        """Page views: askers and answerers read, and many more people read without writing."""
        life = self.life
        views: list[Activity] = []
        for question in self.questions:
            age_days = max(1.0, (self.now - question.created_at).total_seconds() / 86400)
            mean = life.readers * (1 + question.answer_count) * min(1.0, 0.3 + age_days / 60)
            readers = self.people.readers(max(1, int(self.rand.expovariate(1 / mean))))
            for reader in readers:
                seconds = (self.now - question.created_at).total_seconds()
                at = question.created_at + timedelta(seconds=seconds * self.rand.random() ** 2)
                views.append(
                    Activity(
                        actor_id=reader, verb="post.view", object_type="post",
                        object_id=question.pk, community=self.community, created_at=at,
                    )
                )  # fmt: skip
            question.view_count = len(readers) + self.rand.randint(0, 2 * len(readers) + 3)
        Activity.objects.bulk_create(views)

    def _links_and_tags(self) -> None:
        tag_ids = _tag_ids({t for e in self.entries for t in e.tags})
        PostTag.objects.bulk_create(
            [
                PostTag(post=q, tag_id=tag_ids[t])
                for q, e in zip(self.questions, self.entries, strict=True)
                for t in e.tags
            ],
            ignore_conflicts=True,
        )
        links, closed = [], []
        curators = [c.pk for c in self.people.members if c.role != Role.MEMBER]
        for number, (question, entry) in enumerate(zip(self.questions, self.entries, strict=True)):
            for key in entry.related:
                links.append(
                    PostLink(
                        from_post=question, to_post=self.by_key[key], kind=LinkKind.RELATED,
                        created_by_id=question.author_id, created_at=question.created_at,
                    )
                )  # fmt: skip
            if entry.duplicate_of and number % 2 == 0 and curators:
                # Half the repeats were closed as duplicates by the core team; the rest wait
                # for the duplicates queue.
                at = min(question.created_at + timedelta(hours=self.rand.uniform(2, 48)), self.now)
                question.duplicate_of = self.by_key[entry.duplicate_of]
                question.closed_at = at
                closed.append(question)
                links.append(
                    PostLink(
                        from_post=question, to_post=self.by_key[entry.duplicate_of],
                        kind=LinkKind.DUPLICATE, created_by_id=self.rand.choice(curators),
                        created_at=at,
                    )
                )  # fmt: skip
        PostLink.objects.bulk_create(links, ignore_conflicts=True)
        Post.objects.bulk_update(closed, ["duplicate_of", "closed_at"])

    def _comments(self) -> None:
        """Comments on a question come from another member; on an answer, from the asker
        ("thanks, that fixed it") unless they wrote the answer."""
        comments = []
        for question, entry in zip(self.questions, self.entries, strict=True):
            for text in entry.comments:
                comments.append(self._comment(question, self._other(question.author_id), text))
        for answer, answer_entry in self.answer_entries:
            asker = answer.question.author_id if answer.question else None
            for text in answer_entry.comments:
                author = asker if asker not in (None, answer.author_id) else None
                comments.append(
                    self._comment(answer, author or self._other(answer.author_id), text)
                )
        Comment.objects.bulk_create(comments)

    def _other(self, author: int | None) -> int | None:
        """A member who is not the author (the author when nobody else is there)."""
        others = self.people.voters(1, author)
        return others[0] if others else author

    def _comment(self, post: Post, author: int | None, text: str) -> Comment:
        at = min(post.created_at + timedelta(hours=self.rand.uniform(0.5, 30)), self.now)
        return Comment(
            post=post, author_id=author, body=text, body_html=_render(text), created_at=at
        )

    def _history(self) -> None:
        follows, revisions, activities = [], [], []
        for post in (*self.questions, *self.answers):
            is_question = post.kind == PostKind.QUESTION
            if is_question and post.author_id is not None:
                follows.append(Follow(person_id=post.author_id, question=post))
            revisions.append(
                Revision(
                    post=post, number=1, editor_id=post.author_id,
                    title=post.title if is_question else "", body=post.body,
                    created_at=post.created_at,
                )
            )  # fmt: skip
            activities.append(
                Activity(
                    actor_id=post.author_id,
                    verb="question.ask" if is_question else "answer.post",
                    object_type="post", object_id=post.pk, community=self.community,
                    created_at=post.created_at,
                )
            )  # fmt: skip
        Follow.objects.bulk_create(follows, ignore_conflicts=True)
        Revision.objects.bulk_create(revisions)
        Activity.objects.bulk_create(activities)


def _resources(
    community: Community,
    corpus: demo_corpus.CommunityCorpus,
    people: People,
    questions: dict[str, Post],
    rand: random.Random,
    start: datetime,
    now: datetime,
    life: Life = DEFAULT_LIFE,
) -> int:
    """The library: each resource written once, verified since; about a third now overdue
    for verification (the review queue has work), promoted guides crediting their thread. In
    a stalled community the guides were checked in turn until the stall, and never since."""
    if not corpus.resources:
        return 0
    interval = community.verification_interval_days
    made: list[Resource] = []
    owners: list[ResourceOwner] = []
    checks: list[tuple[int, datetime]] = []  # (index into made, when) of the earlier checks
    lately = lately_since(now)
    last_month_end = counts.month_bounds(counts.month_of(now))[0]
    span = (now - start).total_seconds()
    for entry in corpus.resources:
        source = questions.get(entry.from_question) if entry.from_question else None
        created = (
            max(source.last_activity_at, source.created_at) + timedelta(days=rand.uniform(1, 10))
            if source
            else start + timedelta(seconds=span * rand.random() ** 0.8)
        )
        created = min(created, now - timedelta(days=1))
        overdue = rand.random() < 0.35
        verified = (
            created if overdue else max(created, now - timedelta(days=rand.uniform(0, interval)))
        )
        if overdue:
            verified = min(verified, now - timedelta(days=interval + rand.uniform(5, 120)))
        if life.stalled:
            created = min(created, lately - timedelta(days=rand.uniform(300, 420)))
            verified = min(
                lately - timedelta(days=10), last_month_end - timedelta(days=interval + 3)
            ) - timedelta(days=rand.uniform(0, 20))
            check = verified - timedelta(days=interval * 0.8)
            while check > created:
                checks.append((len(made), check))
                check -= timedelta(days=interval * rand.uniform(0.6, 0.9))
        author = people.pick(entry.writer)
        made.append(
            Resource(
                community=community, kind=ResourceKind(entry.kind), title=entry.title[:300],
                body=entry.body, body_html=_render(entry.body), url=entry.url,
                verified_at=verified, verified_by_id=author,
                verify_by=verified + timedelta(days=interval), created_by_id=author,
                created_at=min(created, verified), updated_at=verified, source_post=source,
                attribution=_attribution(source),
            )
        )  # fmt: skip
    Resource.objects.bulk_create(made)
    for resource in made:
        if resource.created_by_id is not None:
            owners.append(ResourceOwner(resource=resource, person_id=resource.created_by_id))
    ResourceOwner.objects.bulk_create(owners, ignore_conflicts=True)
    tag_ids = _tag_ids({t for e in corpus.resources for t in e.tags})
    ResourceTag.objects.bulk_create(
        [
            ResourceTag(resource=r, tag_id=tag_ids[t])
            for r, e in zip(made, corpus.resources, strict=True)
            for t in e.tags
        ],
        ignore_conflicts=True,
    )
    ResourceVersion.objects.bulk_create(
        [
            ResourceVersion(
                resource=r, number=1, kind=r.kind, title=r.title, body=r.body, url=r.url,
                editor_id=r.created_by_id, created_at=r.created_at,
            )
            for r in made
        ]
    )  # fmt: skip
    Activity.objects.bulk_create(
        [
            Activity(
                actor_id=r.created_by_id, verb="resource.create", object_type="resource",
                object_id=r.pk, community=community, created_at=r.created_at,
            )
            for r in made
        ]
        + [
            Activity(
                actor_id=made[i].created_by_id, verb="resource.verify", object_type="resource",
                object_id=made[i].pk, community=community, created_at=when,
            )
            for i, when in checks
        ]
    )  # fmt: skip
    return len(made)


def _attribution(source: Post | None) -> list[dict[str, object]]:
    """Whom a promoted guide credits, as promoting the thread does: the asker and its three
    best answers."""
    if source is None:
        return []
    answers = list(
        Post.objects.filter(question=source).select_related("author").order_by("-score", "pk")[:3]
    )
    return thread_attribution(question=source, answers=answers)
