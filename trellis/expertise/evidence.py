"""Turning answers, accepted answers, votes and owned guides into per-topic evidence.

A person's rows are always rebuilt whole from their own posts and resources, so an update
after one accepted answer costs that person's history, not the organisation's.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.expertise.models import HelperStats, TopicEvidence

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
        age_days = max((now - at).total_seconds() / 86400, 0.0)
        self.score += weight * 0.5 ** (age_days / half_life)
        self.last_at = at if self.last_at is None else max(self.last_at, at)


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
        rows = list(
            answers.values_list(
                "author_id", "community_id", "question_id", "score", "created_at",
                "question__accepted_answer_id", "id",
            )
        )  # fmt: skip
        tags_of_question: dict[int, list[int]] = defaultdict(list)
        for post_id, tag_id in PostTag.objects.filter(
            post_id__in=answers.values("question_id")
        ).values_list("post_id", "tag_id"):
            tags_of_question[post_id].append(tag_id)
        tallies, helpers = _tally_answers(rows, tags_of_question, now)
        owned = list(owners.values_list("person_id", "resource_id", "resource__community_id",
                                        "resource__verified_at"))  # fmt: skip
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
        TopicEvidence.objects.filter(person_id__in=ids).delete()
        HelperStats.objects.filter(person_id__in=ids).delete()
        HelperStats.objects.bulk_create(
            [
                HelperStats(
                    person_id=person, community_id=community, answers=h.answers,
                    accepted=h.accepted, recent=h.score, last_answer_at=h.last_at or now,
                )
                for (person, community), h in helpers.items()
            ],
            batch_size=2000,
        )  # fmt: skip
        TopicEvidence.objects.bulk_create(
            [
                TopicEvidence(
                    person_id=person, community_id=community, tag_id=tag,
                    answers=t.answers, accepted=t.accepted, votes=t.votes, guides=t.guides,
                    score=t.score, last_at=t.last_at or now,
                )
                for (person, community, tag), t in tallies.items()
            ],
            batch_size=2000,
        )  # fmt: skip
    return len(tallies)


def _tally_answers(
    rows: list[Any], tags_of_question: dict[int, list[int]], now: datetime
) -> tuple[dict[tuple[int, int | None, int], _Tally], dict[tuple[int, int | None], _Tally]]:
    """Per (person, scope, tag) topic tallies and per (person, scope) helper tallies."""
    tallies: dict[tuple[int, int | None, int], _Tally] = defaultdict(_Tally)
    helpers: dict[tuple[int, int | None], _Tally] = defaultdict(_Tally)
    for author, community, question, votes, created, accepted_id, answer_id in rows:
        accepted = accepted_id == answer_id
        weight = answer_weight(accepted, votes)
        helper = helpers[(author, community)]
        helper.answers += 1
        helper.accepted += int(accepted)
        helper.add(created, 1.0, now, RECENT_HALF_LIFE_DAYS)
        for tag in tags_of_question.get(question, ()):
            tally = tallies[(author, community, tag)]
            tally.answers += 1
            tally.accepted += int(accepted)
            tally.votes += votes
            tally.add(created, weight, now)
    return tallies, helpers
