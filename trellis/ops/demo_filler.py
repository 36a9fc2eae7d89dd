"""Knowledge for the communities the written corpus does not cover: the extra communities
of organisations larger than 2,000 people (`demo.EXTRA_COMMUNITIES`).

Filled from templates in the community's vocabulary (never from the Stack Exchange data):
questions, answers, comments, votes and resources spread over the community's life, so that
every page and queue of a large organisation has something to show. The default demo's
communities are written, not templated: see `demo_knowledge` and `demo_corpus/`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from trellis.communities.models import Community, Membership, Role
from trellis.core.models import Activity, Tag
from trellis.core.text import render_markdown
from trellis.library.models import Resource, ResourceKind, ResourceOwner, ResourceVersion
from trellis.qa.models import Comment, Follow, Post, PostKind, PostTag, Revision, Vote

MAX_QUESTIONS_PER_COMMUNITY = 40

QUESTIONS = (
    (
        "How do we {verb} {skill} without {pain}?",
        "Every time we {verb} {skill} we run into {pain}. We tried the obvious fixes and "
        "they did not stick.\n\nWhat has worked for your team?",
    ),
    (
        "What is our recommended setup for {skill}?",
        "I'm starting a new project and want to follow whatever the {community} agreed on "
        "for {skill}, rather than invent my own.\n\nIs there a template or a reference repo?",
    ),
    (
        "Has anyone moved from {skill} to {other}?",
        "We are considering moving from **{skill}** to **{other}**. What did it cost you, and "
        "would you do it again?",
    ),
    (
        "Why does {skill} get slow when {condition}?",
        "Things are fine until {condition}; then {skill} slows to a crawl.\n\n"
        "```\n$ time run-report --all\nreal    4m12.331s\n```\n\nWhere should I start looking?",
    ),
    (
        "Is there a checklist for {topic} reviews?",
        "Before I ask people for a review I'd like to check the basics myself. Does the "
        "community keep a checklist for {topic}?",
    ),
    (
        "Who can help with {skill} in {condition}?",
        "I'm stuck with {skill} and a deadline is coming. Who has done this before?",
    ),
    (
        "How should we record decisions about {topic}?",
        "We keep having the same discussion about {topic} every quarter. How do other "
        "teams write these decisions down so they stay found?",
    ),
    (
        "What's the right way to test {skill} changes?",
        "We broke something last week with a small {skill} change. What do you test before "
        "shipping, and how?",
    ),
)
ANSWERS = (
    "We had the same problem. What worked for us:\n\n1. Start small: one team, one "
    "{skill} setup.\n2. Write down the defaults and keep them in the library.\n3. Review "
    "after a month and adjust.\n\nThe second step is the one people skip.",
    "Short version: don't fight {pain}, design for it. We added a check to our pipeline:\n\n"
    "```\nmake check-{slug}\n```\n\nand it caught most issues before review.",
    "I'd ask in the {community} office hours; there is a guide on {topic} in the library "
    "that covers most of this. The part about {skill} is still accurate.",
    "We moved last year. It took about six weeks, most of it in testing. | Before | After |\n"
    "|---|---|\n| 3 incidents/month | 1 incident/month |\n\nWorth it for us, but plan for "
    "the migration of old data.",
    "It depends on scale. Under a few hundred users the default {skill} configuration is "
    "fine; above that, look at caching and batch sizes first.",
)
COMMENTS = (
    "Thanks, this saved me a day.",
    "Is this still accurate after the last upgrade?",
    "We do the same in our team, with one extra review step.",
    "Could you add an example?",
    "+1, the checklist helps.",
)
VERBS = ("roll out", "upgrade", "monitor", "standardise", "document", "review", "automate")
PAINS = ("breaking other teams", "a week of firefighting", "losing history", "slow reviews")
CONDITIONS = ("the data grows past a million rows", "two teams share it", "it runs nightly")
RESOURCES = (
    (
        ResourceKind.GUIDE,
        "Getting started with {skill}",
        "## Why\n\nThe {community} way to "
        "use {skill}.\n\n## Steps\n\n1. Ask for access.\n2. Use the template.\n3. Share what "
        "you learn in the community.",
    ),
    (
        ResourceKind.HOWTO,
        "How to set up {skill} on your laptop",
        "1. Install it.\n2. Copy "
        "the team configuration.\n3. Run the smoke test:\n\n```\nmake smoke\n```",
    ),
    (
        ResourceKind.DECISION,
        "Decision: we standardise on {skill}",
        "**Status:** accepted\n\n"
        "**Context:** several teams used different tools for {topic}.\n\n**Decision:** "
        "{skill} is the default; exceptions are discussed in the community.",
    ),
    (
        ResourceKind.FAQ,
        "{topic} FAQ",
        "**Where do I start?** With the getting-started "
        "guide.\n\n**Who can help?** Ask in the community's questions.",
    ),
    (
        ResourceKind.LINK,
        "{skill} documentation",
        "The official documentation, which the community keeps coming back to.",
    ),
    (
        ResourceKind.RECORDING,
        "Brown-bag: {topic} lessons learned",
        "Forty minutes on what went right and wrong with {topic} this year.",
    ),
)


@dataclass
class KnowledgeResult:
    questions: int
    answers: int
    resources: int


@cache
def _render(text: str) -> str:
    return render_markdown(text)


def _words(community: Community, rand: random.Random, skills: list[str]) -> dict[str, str]:
    skill = rand.choice(skills)
    others = [s for s in skills if s != skill] or [skill]
    return {
        "skill": skill,
        "other": rand.choice(others),
        "topic": rand.choice(skills).lower(),
        "verb": rand.choice(VERBS),
        "pain": rand.choice(PAINS),
        "condition": rand.choice(CONDITIONS),
        "community": community.name,
        "slug": community.slug,
    }


def _when(rand: random.Random, start: datetime, now: datetime) -> datetime:
    span = max(1.0, (now - start).total_seconds())
    return start + timedelta(seconds=span * (rand.random() ** 0.6))  # more of it recently


def filler_community(
    community: Community, rand: random.Random, skills: list[str], now: datetime
) -> KnowledgeResult:
    """Templated questions, answers and resources for one community with no written corpus."""
    members = list(
        Membership.objects.filter(community=community, left_at__isnull=True)
        .order_by("person_id")
        .values_list("person_id", "role")
    )
    if len(members) < 3:
        return KnowledgeResult(0, 0, 0)
    skills = skills or [community.name]
    people = [pk for pk, _ in members]
    leaders = [pk for pk, role in members if role == Role.LEADER] or people[:1]
    start = max(community.created_at, now - timedelta(days=540))
    count = min(MAX_QUESTIONS_PER_COMMUNITY, 6 + len(members) // 2)
    q, a = _questions(community, rand, skills, people, start, now, count)
    r = _resources(community, rand, skills, people, leaders, start, now)
    return KnowledgeResult(q, a, r)


def _questions(
    community: Community,
    rand: random.Random,
    skills: list[str],
    people: list[int],
    start: datetime,
    now: datetime,
    count: int,
) -> tuple[int, int]:
    asked = []
    for _ in range(count):
        words = _words(community, rand, skills)
        title, body = rand.choice(QUESTIONS)
        created = _when(rand, start, now)
        asked.append(
            Post(
                kind=PostKind.QUESTION,
                community=community,
                author_id=rand.choice(people),
                title=title.format(**words)[:200],
                body=body.format(**words),
                body_html=_render(body.format(**words)),
                created_at=created,
                last_activity_at=created,
                view_count=rand.randint(3, 400),
            )
        )
    Post.objects.bulk_create(asked)
    answers: list[Post] = []
    for question in asked:
        n = rand.choice((0, 1, 1, 2, 2, 3)) if question.created_at < now - timedelta(days=2) else 0
        for _ in range(n):
            words = _words(community, rand, skills)
            body = rand.choice(ANSWERS).format(**words)
            author = rand.choice([p for p in people if p != question.author_id] or people)
            when = question.created_at + timedelta(hours=rand.uniform(0.3, 72))
            answers.append(
                Post(
                    kind=PostKind.ANSWER,
                    community=community,
                    question=question,
                    author_id=author,
                    body=body,
                    body_html=_render(body),
                    created_at=min(when, now),
                    last_activity_at=min(when, now),
                    score=rand.choice((0, 1, 1, 2, 3, 5)),
                )
            )
    Post.objects.bulk_create(answers)
    _thread_details(community, rand, skills, people, asked, answers, now)
    return len(asked), len(answers)


def _tag(skill: str) -> str:
    return "-".join(skill.lower().replace("&", "and").split())[:35]


def _thread_details(
    community: Community,
    rand: random.Random,
    skills: list[str],
    people: list[int],
    asked: list[Post],
    answers: list[Post],
    now: datetime,
) -> None:
    by_question: dict[int, list[Post]] = {}
    for answer in answers:
        by_question.setdefault(answer.question_id or 0, []).append(answer)
    skill_tags = {_tag(skill): skill.lower() for skill in skills}
    Tag.objects.bulk_create([Tag(name=n) for n in skill_tags], ignore_conflicts=True)
    tags = dict(Tag.objects.filter(name__in=list(skill_tags)).values_list("name", "pk"))
    post_tags, votes, comments, follows, revisions, activities = [], [], [], [], [], []
    for question in asked:
        replies = by_question.get(question.pk, [])
        question.answer_count = len(replies)
        if replies:
            question.last_activity_at = max(r.created_at for r in replies)
            if rand.random() < 0.6:
                question.accepted_answer = max(replies, key=lambda r: r.score)
        title = question.title.lower()
        for name in [t for t, skill in skill_tags.items() if skill in title][:3]:
            post_tags.append(PostTag(post=question, tag_id=tags[name]))
        if question.author_id is not None:
            follows.append(Follow(person_id=question.author_id, question=question))
        revisions.append(
            Revision(
                post=question,
                number=1,
                editor_id=question.author_id,
                title=question.title,
                body=question.body,
                created_at=question.created_at,
            )
        )
        activities.append(
            Activity(
                actor_id=question.author_id,
                verb="question.ask",
                object_type="post",
                object_id=question.pk,
                community=community,
                created_at=question.created_at,
            )
        )
        for reply in replies:
            voters = rand.sample(people, k=min(len(people), max(0, reply.score)))
            votes += [
                Vote(post=reply, voter_id=v, value=1, created_at=now)
                for v in voters
                if v != reply.author_id
            ]
            revisions.append(
                Revision(
                    post=reply,
                    number=1,
                    editor_id=reply.author_id,
                    body=reply.body,
                    created_at=reply.created_at,
                )
            )
            activities.append(
                Activity(
                    actor_id=reply.author_id,
                    verb="answer.post",
                    object_type="post",
                    object_id=reply.pk,
                    community=community,
                    created_at=reply.created_at,
                )
            )
            if rand.random() < 0.3:
                text = rand.choice(COMMENTS)
                comments.append(
                    Comment(
                        post=reply,
                        author_id=rand.choice(people),
                        body=text,
                        body_html=_render(text),
                        created_at=reply.created_at,
                    )
                )
    Post.objects.bulk_update(asked, ["answer_count", "last_activity_at", "accepted_answer"])
    for answer in answers:  # scores follow the votes actually cast
        answer.score = sum(1 for v in votes if v.post is answer)
    Post.objects.bulk_update(answers, ["score"])
    PostTag.objects.bulk_create(post_tags, ignore_conflicts=True)
    Vote.objects.bulk_create(votes, ignore_conflicts=True)
    Comment.objects.bulk_create(comments)
    Follow.objects.bulk_create(follows, ignore_conflicts=True)
    Revision.objects.bulk_create(revisions)
    Activity.objects.bulk_create(activities)


TEAM_COPY_NOTE = (
    "\n\nWe keep our own copy of this for the {team} team: the steps are the same, "
    "but ask in our channel first."
)


def _team_copies(made: list[Resource], rand: random.Random, leaders: list[int]) -> list[Resource]:
    """Now and then another team writes the same guide again, lightly edited: the "five
    versions of the same guide" the duplicate queue exists for."""
    guides = [r for r in made if r.kind == ResourceKind.GUIDE]
    if not guides or rand.random() > 0.5:
        return []
    original = guides[0]
    copies = []
    for team in rand.sample(["platform", "payments", "mobile", "data"], k=rand.randint(1, 2)):
        body = original.body + TEAM_COPY_NOTE.format(team=team)
        copies.append(
            Resource(
                community=original.community,
                kind=original.kind,
                title=f"{original.title} ({team} team)"[:200],
                body=body,
                body_html=_render(body),
                verified_at=original.verified_at,
                verify_by=original.verify_by,
                created_by_id=rand.choice(leaders),
                created_at=original.created_at,
                updated_at=original.updated_at,
            )
        )
    return copies


def _resources(
    community: Community,
    rand: random.Random,
    skills: list[str],
    people: list[int],
    leaders: list[int],
    start: datetime,
    now: datetime,
) -> int:
    interval = community.verification_interval_days
    made = []
    for kind, title, body in rand.sample(RESOURCES, k=rand.randint(3, len(RESOURCES))):
        words = _words(community, rand, skills)
        verified = _when(rand, start, now)
        text = body.format(**words)
        made.append(
            Resource(
                community=community,
                kind=kind,
                title=title.format(**words)[:200],
                body=text,
                body_html=_render(text),
                url=f"https://docs.example.com/{community.slug}/{words['skill'].lower()}"
                if kind in (ResourceKind.LINK, ResourceKind.RECORDING)
                else "",
                verified_at=verified,
                verify_by=verified + timedelta(days=interval),
                created_by_id=rand.choice(leaders),
                created_at=verified,
                updated_at=verified,
            )
        )
    made += _team_copies(made, rand, leaders)
    Resource.objects.bulk_create(made)
    ResourceOwner.objects.bulk_create(
        [ResourceOwner(resource=r, person_id=rand.choice(leaders + people[:5])) for r in made],
        ignore_conflicts=True,
    )
    ResourceVersion.objects.bulk_create(
        [
            ResourceVersion(
                resource=r,
                number=1,
                kind=r.kind,
                title=r.title,
                body=r.body,
                url=r.url,
                editor_id=r.created_by_id,
                created_at=r.created_at,
            )
            for r in made
        ]
    )
    return len(made)
