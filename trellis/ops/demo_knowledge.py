"""The demo organisation's knowledge, from the written corpus (`demo_corpus/`).

Each entry of the corpus names the department and job title of the person who would write
it; here it gets a real author among the community's people, and a date from the community's
life (`LIVES`): thriving communities answer within hours, a stagnating one asked most of its
questions long ago and leaves the recent ones waiting, a new one has all its history in the
last months, one leader answers most of a community's questions. Votes, comments, follows,
revisions, links between questions and page views (most of them by people who never post)
complete each thread. Communities the corpus does not cover (the extra ones of organisations
over 2,000 people) are filled from templates (`demo_filler`).

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

from trellis.communities.models import Community, Membership, Role, Visibility
from trellis.core.models import Activity, Tag
from trellis.core.text import render_markdown
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

HISTORY_DAYS = 540  # eighteen months


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


LIVES: dict[str, Life] = {
    "data-analytics": Life("thriving", 0.6, (0.3, 8), 14),
    "python": Life("thriving", 0.6, (0.3, 8), 14),
    "kubernetes": Life("thriving", 0.6, (0.2, 6), 12),
    "security-council": Life("thriving, behind closed doors", 1.0, (0.2, 5), 6),
    "frontend": Life("growing steadily", 0.8, (1, 24), 9),
    "ml-reading-group": Life("growing", 0.6, (2, 48), 7),
    "customer-voice": Life("busy, while its sponsor has gone quiet", 0.9, (1, 30), 8),
    "product-management": Life("growing", 0.8, (2, 36), 8),
    "ux-design": Life("its leader carries everything", 1.0, (1, 24), 7, leader_carries=True),
    "ways-of-working": Life("stagnating", 2.2, (12, 120), 3, unanswered_linger=True),
    "docs-writing": Life("new and growing", 0.5, (1, 20), 8),
    "accessibility": Life("new and growing", 0.5, (1, 20), 8),
}
DEFAULT_LIFE = Life("steady", 1.0, (2, 48), 6)
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
    """Who may write in one community, and how to pick the one who fits an entry."""

    def __init__(self, community: Community, everyone: Staff, rand: random.Random) -> None:
        self.rand = rand
        roles = dict(
            Membership.objects.filter(community=community, left_at__isnull=True).values_list(
                "person_id", "role"
            )
        )
        private = community.visibility == Visibility.PRIVATE
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
    return KnowledgeResult(questions, answers, resources)


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
    resources = _resources(community, corpus, people, thread.by_key, rand, start, now)
    return KnowledgeResult(len(thread.questions), len(thread.answers), resources)


class Thread:
    """The community's questions and everything around them, collected then written in bulk."""

    def __init__(
        self, community: Community, people: People, rand: random.Random, now: datetime
    ) -> None:
        self.community, self.people, self.rand, self.now = community, people, rand, now
        self.questions: list[Post] = []
        self.answers: list[Post] = []
        self.by_key: dict[str, Post] = {}
        self.entries: list[demo_corpus.Question] = []
        self.answer_entries: list[tuple[Post, demo_corpus.Answer]] = []
        self.accepted: dict[int, int] = {}  # question index -> answer index

    def add(self, entry: demo_corpus.Question, asked_at: datetime, life: Life) -> None:
        rand = self.rand
        asker = self.people.pick(entry.writer)
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
        for answer_entry in entry.answers:
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
        life = LIVES.get(self.community.slug, DEFAULT_LIFE)
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
) -> int:
    """The library: each resource written once, verified since; about a third now overdue
    for verification (the review queue has work), promoted guides crediting their thread."""
    if not corpus.resources:
        return 0
    interval = community.verification_interval_days
    made: list[Resource] = []
    owners: list[ResourceOwner] = []
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
