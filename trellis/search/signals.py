"""Changes to searchable things reach the index after their transaction commits.

Saves and deletes are collected per transaction and handed to one task per kind on commit,
so a request that edits a question and its tags enqueues one small job, and a rolled-back
change is never indexed.
"""

import threading
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from trellis.search.models import DocKind

_pending = threading.local()


def _queue() -> dict[str, set[int]] | None:
    return getattr(_pending, "queue", None)


def schedule(kind: str, object_id: int) -> None:
    """Index this object once the current transaction commits (at once outside one).

    Every call registers a flush, and the first flush after a commit takes everything queued:
    the rest find the queue empty. (One flush per transaction would be lost if that
    transaction rolled back; ids queued by a rolled-back transaction are harmless, as
    indexing reads what is in the database.)
    """
    queue = _queue()
    if queue is None:
        queue = defaultdict(set)
        _pending.queue = queue
    queue[kind].add(object_id)
    transaction.on_commit(_flush)


def _flush() -> None:
    queue = _queue()
    _pending.queue = None
    if not queue:
        return
    from trellis.search.tasks import index_documents

    for kind, ids in queue.items():
        index_documents.enqueue(kind, sorted(ids))


def _post_kind(instance: Any) -> str:
    return DocKind.QUESTION if instance.kind == "question" else DocKind.ANSWER


@receiver([post_save, post_delete], sender="qa.Post")
def _post_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    schedule(_post_kind(instance), instance.pk)
    if instance.kind == "question" and not kwargs.get("created", False):
        # Answers carry their question's title, tags and acceptance.
        for answer_id in sender.objects.filter(question_id=instance.pk).values_list(
            "pk", flat=True
        ):
            schedule(DocKind.ANSWER, answer_id)


@receiver([post_save, post_delete], sender="library.Resource")
def _resource_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    schedule(DocKind.RESOURCE, instance.pk)


@receiver([post_save, post_delete], sender="people.Person")
def _person_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    schedule(DocKind.PERSON, instance.pk)


@receiver([post_save, post_delete], sender="communities.Community")
def _community_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    schedule(DocKind.COMMUNITY, instance.pk)
