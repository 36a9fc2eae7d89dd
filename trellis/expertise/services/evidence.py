"""Keeping per-topic evidence current: answers, accepted answers, votes and owned guides.

A person's rows are always rebuilt whole from their own posts and resources, so an update
after one accepted answer costs that person's history, not the organisation's. Rows are read
and written as plain tuples (`fast_insert`): building a model instance per row cost a full
rebuild most of its time, and the busiest answerer's refresh two thirds of its. The history
is read by `selectors.evidence_history`, weighed by `tallies`, and written here.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from trellis.core.bulk import datetime_adapter, fast_insert
from trellis.expertise import selectors, tallies
from trellis.expertise.models import HelperStats, LearnedTopicEvidence, TopicEvidence
from trellis.people.models import Person

CHUNK = 1_000  # people per transaction: bounded statements, locks held briefly


def evidence_rebuild(
    *, person_ids: Iterable[int] | None = None, now: datetime | None = None
) -> int:
    """Recompute the evidence of these people (everyone when None) as it stood at `now`
    (nothing posted later counts: the routing benchmark replays history); returns the topic
    rows written. People are rebuilt a chunk per transaction."""
    now = now or timezone.now()
    ids = selectors.evidence_people_ids() if person_ids is None else set(person_ids)
    ordered = sorted(ids)
    return sum(
        _rebuild_people(ordered[at : at + CHUNK], now) for at in range(0, len(ordered), CHUNK)
    )


def _rebuild_people(ids: list[int], now: datetime) -> int:
    with transaction.atomic():
        # Two rebuilds of one person (an answer, then an accept) take turns: each reads and
        # replaces that person's rows whole. (SQLite's immediate transactions already do.)
        list(Person.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
        history = selectors.evidence_history(ids, now)
        # In id order: the same sums in the same order whether one person is rebuilt or a
        # chunk of them, so an update after an answer equals the daily rebuild to the bit.
        topic_tallies, helpers = tallies.answer_tallies(
            history.answers, history.tags_of_question, now
        )
        tallies.add_guides(topic_tallies, history.owned, history.tags_of_resource, now)
        learned = tallies.learned_tallies(history.answers, history.topic_of, now)
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
                for (person, community, tag), t in topic_tallies.items()
            ],
        )  # fmt: skip
        insert_learned(learned=learned, now=now)
    return len(topic_tallies)


def insert_learned(*, learned: tallies.TopicTallies, now: datetime) -> None:
    """Write learned-topic evidence rows (the caller has deleted the ones they replace)."""
    when = datetime_adapter()
    fast_insert(
        LearnedTopicEvidence,
        ("person_id", "community_id", "topic_id", "answers", "accepted", "score", "last_at"),
        [
            (person, community, topic, t.answers, t.accepted, t.score, when(t.last_at or now))
            for (person, community, topic), t in learned.items()
        ],
    )


def evidence_refresh_after_commit(*, person_ids: list[int]) -> None:
    """On `hooks.contributions_changed`: these people's evidence changed (an answer, an accept)."""
    from trellis.expertise.tasks import refresh_evidence

    ids = sorted({pk for pk in person_ids if pk})
    if ids:
        transaction.on_commit(lambda: refresh_evidence.enqueue(ids))


def evidence_rebuild_after_commit() -> None:
    """For bulk writers (imports, the demo): everyone's evidence once the load is in."""
    from trellis.expertise.tasks import rebuild_all_evidence

    transaction.on_commit(lambda: rebuild_all_evidence.enqueue())
