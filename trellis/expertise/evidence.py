"""Turning answers, accepted answers, votes and owned guides into per-topic evidence.

A person's rows are always rebuilt whole from their own posts and resources, so an update
after one accepted answer costs that person's history, not the organisation's. Rows are read
and written as plain tuples (`fast_insert`): building a model instance per row cost a full
rebuild most of its time, and the busiest answerer's refresh two thirds of its.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from trellis.core.bulk import datetime_adapter, fast_insert
from trellis.expertise.models import (
    HelperStats,
    LearnedTopicEvidence,
    QuestionTopic,
    TopicEvidence,
)

HALF_LIFE_DAYS = 365.0  # evidence a year old counts half
RECENT_HALF_LIFE_DAYS = 30.0  # for how active someone is lately
ACCEPTED_BONUS = 3.0  # an accepted answer is worth four answers
GUIDE_WEIGHT = 3.0  # owning a guide on the topic


@dataclass
class _Tally:
    answers: int = 0
    accepted: int = 0
    votes: int = 0
    guides: int = 0
    score: float = 0.0
    last_at: datetime | None = None

    def add(
        self, at: datetime, weight: float, now: datetime, half_life: float = HALF_LIFE_DAYS
    ) -> None:
        self.add_decayed(at, weight * _decay(at, now, half_life))

    def add_decayed(self, at: datetime, value: float) -> None:
        self.score += value
        if self.last_at is None or at > self.last_at:
            self.last_at = at


def _decay(at: datetime, now: datetime, half_life: float) -> float:
    age_days = max((now - at).total_seconds() / 86400, 0.0)
    return float(0.5 ** (age_days / half_life))


def answer_weight(accepted: bool, votes: int) -> float:
    return 1.0 + (ACCEPTED_BONUS if accepted else 0.0) + 0.5 * math.log1p(max(votes, 0))


CHUNK = 1_000  # people per transaction: bounded statements, locks held briefly


def rebuild(person_ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Recompute the evidence of these people (everyone when None) as it stood at `now`
    (nothing posted later counts: the routing benchmark replays history); returns the topic
    rows written. People are rebuilt a chunk per transaction."""
    from trellis.library.models import ResourceOwner
    from trellis.qa.models import Post, PostKind

    now = now or timezone.now()
    if person_ids is None:
        ids = set(
            Post.objects.filter(kind=PostKind.ANSWER, author__isnull=False)
            .values_list("author_id", flat=True)
            .distinct()
        )
        ids |= set(ResourceOwner.objects.values_list("person_id", flat=True).distinct())
        # and whoever has rows now but no evidence any more (their rows go)
        ids |= set(HelperStats.objects.values_list("person_id", flat=True))
        ids |= set(TopicEvidence.objects.values_list("person_id", flat=True).distinct())
    else:
        ids = set(person_ids)
    ordered = sorted(ids)
    return sum(
        _rebuild_people(ordered[at : at + CHUNK], now) for at in range(0, len(ordered), CHUNK)
    )


def _rebuild_people(ids: list[int], now: datetime) -> int:
    from trellis.library.models import ResourceOwner, ResourceTag
    from trellis.people.models import Person
    from trellis.qa.models import Post, PostKind, PostTag

    with transaction.atomic():
        # Two rebuilds of one person (an answer, then an accept) take turns: each reads and
        # replaces that person's rows whole. (SQLite's immediate transactions already do.)
        list(Person.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
        answers = Post.objects.filter(kind=PostKind.ANSWER, author_id__in=ids, created_at__lte=now)
        owners = ResourceOwner.objects.filter(
            person_id__in=ids,
            resource__canonical__isnull=True,
            resource__obsolete_at__isnull=True,
            resource__created_at__lte=now,
        )
        # In id order: the same sums in the same order whether one person is rebuilt or a
        # chunk of them, so an update after an answer equals the daily rebuild to the bit.
        rows = answer_rows(answers)
        tags_of_question: dict[int, list[int]] = defaultdict(list)
        for post_id, tag_id in PostTag.objects.filter(
            post_id__in=answers.values("question_id")
        ).values_list("post_id", "tag_id"):
            tags_of_question[post_id].append(tag_id)
        tallies, helpers = _tally_answers(rows, tags_of_question, now)
        owned = list(
            owners.order_by("resource_id").values_list(
                "person_id", "resource_id", "resource__community_id", "resource__verified_at"
            )
        )
        tags_of_resource: dict[int, list[int]] = defaultdict(list)
        for resource_id, tag_id in ResourceTag.objects.filter(
            resource_id__in=owners.values("resource_id")
        ).values_list("resource_id", "tag_id"):
            tags_of_resource[resource_id].append(tag_id)
        for person, resource, community, verified_at in owned:
            for tag in tags_of_resource.get(resource, ()):
                tally = tallies[(person, community, tag)]
                tally.guides += 1
                tally.add(verified_at, GUIDE_WEIGHT, now)
        topic_of = dict(
            QuestionTopic.objects.filter(question_id__in=answers.values("question_id")).values_list(
                "question_id", "topic_id"
            )
        )
        learned = learned_tallies(rows, topic_of, now)
        TopicEvidence.objects.filter(person_id__in=ids).delete()  # one DELETE: no cascades
        HelperStats.objects.filter(person_id__in=ids).delete()
        LearnedTopicEvidence.objects.filter(person_id__in=ids).delete()
        when = datetime_adapter()
        fast_insert(
            HelperStats,
            ("person_id", "community_id", "answers", "accepted", "recent", "last_answer_at"),
            [
                (person, community, h.answers, h.accepted, h.score, when(h.last_at or now))
                for (person, community), h in helpers.items()
            ],
        )
        fast_insert(
            TopicEvidence,
            ("person_id", "community_id", "tag_id", "answers", "accepted", "votes", "guides",
             "score", "last_at"),
            [
                (person, community, tag, t.answers, t.accepted, t.votes, t.guides, t.score,
                 when(t.last_at or now))
                for (person, community, tag), t in tallies.items()
            ],
        )  # fmt: skip
        insert_learned(learned, now)
    return len(tallies)


def answer_rows(answers: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The answers as the tallies read them, in id order (the same sums in the same order
    whoever is rebuilt): author, community, question, votes, created, accepted answer, id."""
    return list(
        answers.order_by("id").values_list(
            "author_id", "community_id", "question_id", "score", "created_at",
            "question__accepted_answer_id", "id",
        )
    )  # fmt: skip


def insert_learned(tallies: dict[tuple[int, int | None, int], _Tally], now: datetime) -> None:
    when = datetime_adapter()
    fast_insert(
        LearnedTopicEvidence,
        ("person_id", "community_id", "topic_id", "answers", "accepted", "score", "last_at"),
        [
            (person, community, topic, t.answers, t.accepted, t.score, when(t.last_at or now))
            for (person, community, topic), t in tallies.items()
        ],
    )


def learned_tallies(
    rows: list[Any], topic_of: dict[int, int], now: datetime
) -> dict[tuple[int, int | None, int], _Tally]:
    """Per (person, scope, learned topic): answers to the topic's questions, weighted and
    decayed as tag evidence is. `rows` as `_tally_answers` takes them, in id order."""
    tallies: dict[tuple[int, int | None, int], _Tally] = defaultdict(_Tally)
    for author, community, question, votes, created, accepted_id, answer_id in rows:
        topic = topic_of.get(question)
        if topic is None:
            continue
        accepted = accepted_id == answer_id
        tally = tallies[(author, community, topic)]
        tally.answers += 1
        tally.accepted += int(accepted)
        tally.votes += votes
        tally.add(created, answer_weight(accepted, votes), now)
    return tallies


def _tally_answers(
    rows: list[Any], tags_of_question: dict[int, list[int]], now: datetime
) -> tuple[dict[tuple[int, int | None, int], _Tally], dict[tuple[int, int | None], _Tally]]:
    """Per (person, scope, tag) topic tallies and per (person, scope) helper tallies."""
    tallies: dict[tuple[int, int | None, int], _Tally] = defaultdict(_Tally)
    helpers: dict[tuple[int, int | None], _Tally] = defaultdict(_Tally)
    for author, community, question, votes, created, accepted_id, answer_id in rows:
        accepted = accepted_id == answer_id
        helper = helpers[(author, community)]
        helper.answers += 1
        helper.accepted += int(accepted)
        helper.add(created, 1.0, now, RECENT_HALF_LIFE_DAYS)
        tags = tags_of_question.get(question, ())
        if not tags:
            continue
        value = answer_weight(accepted, votes) * _decay(created, now, HALF_LIFE_DAYS)
        for tag in tags:
            tally = tallies[(author, community, tag)]
            tally.answers += 1
            tally.accepted += int(accepted)
            tally.votes += votes
            tally.add_decayed(created, value)
    return tallies, helpers
