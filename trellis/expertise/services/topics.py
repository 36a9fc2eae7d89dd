"""Learning topics from the questions (the maths in `expertise/topics.py`) and writing them,
with their assignments and everyone's evidence on them; forgetting the ones a community that
turned private helped learn."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from trellis.core.bulk import fast_insert
from trellis.expertise import selectors, tallies, topics
from trellis.expertise.models import LearnedTopic, QuestionTopic
from trellis.expertise.services.evidence import insert_learned
from trellis.search import embeddings


def topics_learn(*, now: datetime | None = None) -> int:
    """Relearn every scope's topics and everyone's evidence on them; returns the topics
    written (none without an embedder: the previous topics then stay)."""
    model = embeddings.embedder()
    if model is None:
        return 0
    now = now or timezone.now()
    learned = [
        t
        for community, where in selectors.topic_scopes()
        for t in topics.learn_scope(community, selectors.topic_documents(where, model.name))
    ]
    with transaction.atomic():
        LearnedTopic.objects.all().delete()  # their assignments and evidence go with them
        created = LearnedTopic.objects.bulk_create(
            LearnedTopic(
                community_id=t.community_id,
                label=t.label,
                terms=t.terms,
                embedding_model=model.name,
                questions=len(t.question_ids),
                learned_at=now,
            )
            for t in learned
        )
        topic_of = {
            q: row.pk for row, t in zip(created, learned, strict=True) for q in t.question_ids
        }
        fast_insert(QuestionTopic, ("question_id", "topic_id"), list(topic_of.items()))
        rows = selectors.learned_answer_rows(now)
        insert_learned(learned=tallies.learned_tallies(rows, topic_of, now), now=now)
    return len(created)


def topics_forget_community(*, community_id: int) -> int:
    """Delete the topics of the model everyone sees that this community's questions are in
    (with their assignments and evidence); returns how many went."""
    shared = QuestionTopic.objects.filter(
        topic__community__isnull=True, question__community_id=community_id
    ).values("topic_id")
    _, per_model = LearnedTopic.objects.filter(community__isnull=True, pk__in=shared).delete()
    return per_model.get(LearnedTopic._meta.label, 0)


def topics_learn_after_commit() -> None:
    """On `hooks.vectors_refreshed`: topics relearned from the new vectors."""
    from trellis.expertise.tasks import learn_topics

    transaction.on_commit(lambda: learn_topics.enqueue())


def topics_after_visibility_change(*, community_id: int) -> None:
    """On `hooks.community_visibility_changed` (a community turned private or public): the
    topics everyone sees that its questions helped learn go at once, in the same transaction
    (their words may be its words), and every topic is relearned on commit."""
    topics_forget_community(community_id=community_id)
    topics_learn_after_commit()
