"""Writes of the search domain: keeping the index current, and curating duplicates.

The index follows the content through one explicit call, `documents_index_after_commit`, made
by the services that write searchable rows (questions, answers, resources, people,
communities) and by the bulk writers (imports, the demo). No model signal: a save that
changes nothing searchable (a sign-in stamping `last_login`) indexes nothing, and a raw-SQL
import goes through the same door as a single answer.
"""

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.library.models import Resource
from trellis.library.services import resource_merge
from trellis.people.models import Person
from trellis.qa.models import Post
from trellis.qa.services import question_close_duplicate
from trellis.search.models import DocKind, Document, DuplicatePair, PairStatus

# -- keeping the index current -------------------------------------------------------------


@dataclass
class _Batch:
    """What the current thread's transaction asked to index."""

    ids: defaultdict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    new: bool = False  # every object without a document (bulk writers)
    rebuild: bool = False  # every document rebuilt, those of objects that are gone dropped


_pending = threading.local()


def documents_index_after_commit(
    *, kind: str | None = None, ids: Iterable[int] = (), rebuild: bool = False
) -> None:
    """Index once the current transaction commits (at once outside one).

    With `kind` and `ids`: these objects (a request's writes; a question's answers follow it,
    as they carry its title, tags and acceptance). With no kind: every object that has no
    document yet (an import cannot list the million rows it wrote). With `rebuild`: every
    document rebuilt and those of objects that are gone dropped (the demo's reset).

    Calls are collected per transaction and handed to one task per kind on commit, so a
    request that edits a question and its tags enqueues one small job, and a rolled-back
    change is never indexed. Every call registers a flush, and the first flush after a commit
    takes everything queued: the rest find the queue empty. (One flush per transaction would
    be lost if the savepoint that registered it rolled back; ids queued in a rolled-back
    savepoint are harmless, as indexing reads what is in the database.)
    """
    wanted = list(ids)
    if wanted and kind is None:
        raise ValueError("ids need their kind")
    batch = _current_batch()
    if kind is None:
        batch.new = True
    else:
        batch.ids[DocKind(kind).value].update(wanted)
    batch.rebuild |= rebuild
    transaction.on_commit(_flush)


def _current_batch() -> _Batch:
    """This thread's batch, unless none of its flushes is pending any more: its transaction
    rolled back, and it must not ride along with the next commit (a failed import's "index
    everything new" with somebody's answer)."""
    batch: _Batch | None = getattr(_pending, "batch", None)
    pending = transaction.get_connection().run_on_commit
    if batch is None or not any(hook[1] is _flush for hook in pending):
        batch = _pending.batch = _Batch()
    return batch


def documents_changed(*, kind: str, ids: Iterable[int]) -> None:
    """On `hooks.content_changed`, which the services below search call for what they wrote."""
    documents_index_after_commit(kind=kind, ids=ids)


def documents_index_new_after_commit() -> None:
    """For bulk writers (imports): whatever they wrote that has no document yet."""
    documents_index_after_commit()


def documents_reindex_after_commit() -> None:
    """For the demo's reset: every document rebuilt, those of what it removed dropped."""
    documents_index_after_commit(rebuild=True)


def _flush() -> None:
    batch: _Batch | None = getattr(_pending, "batch", None)
    _pending.batch = None
    if batch is None:
        return
    from trellis.search.tasks import index_documents, index_new_objects, reindex_everything

    if batch.rebuild:
        reindex_everything.enqueue()
        return
    if batch.new:
        index_new_objects.enqueue()
    for kind, ids in batch.ids.items():
        if ids:
            index_documents.enqueue(kind, sorted(ids))


# -- curating duplicates -------------------------------------------------------------------


def _cluster(community: Community | None, document_ids: list[int]) -> list[Document]:
    documents = list(
        Document.objects.filter(
            pk__in=document_ids,
            community=community,
            kind__in=(DocKind.QUESTION, DocKind.RESOURCE),
        )
    )
    if len(documents) < 2 or len(documents) != len(set(document_ids)):
        raise Invalid("These items are no longer a cluster here: reload the queue.")
    return documents


def _resolve(actor: Person, documents: list[Document], status: str) -> int:
    ids = [d.pk for d in documents]
    return DuplicatePair.objects.filter(
        first_id__in=ids, second_id__in=ids, status=PairStatus.OPEN
    ).update(status=status, resolved_by=actor, resolved_at=timezone.now())


@transaction.atomic
def cluster_dismiss(*, actor: Person, community: Community, document_ids: list[int]) -> int:
    """ "Not duplicates": these pairs are never proposed again."""
    if not access.can_curate_in(actor, community):
        raise Forbidden("Only the community's core team can curate duplicates.")
    documents = _cluster(community, document_ids)
    activity_record(
        actor=actor, verb="duplicates.dismiss", obj=community, community_id=community.pk
    )
    return _resolve(actor, documents, PairStatus.DISMISSED)


@transaction.atomic
def cluster_merge(
    *, actor: Person, community: Community, document_ids: list[int], canonical_id: int
) -> Document:
    """Merge a cluster into the item chosen as canonical: resources of the cluster redirect to
    it (their history and authors kept and credited); questions are closed as its duplicates
    when it is a question. Items of the other kind stay, their pairs resolved."""

    if not access.can_curate_in(actor, community):
        raise Forbidden("Only the community's core team can curate duplicates.")
    documents = _cluster(community, document_ids)
    canonical = next((d for d in documents if d.pk == canonical_id), None)
    if canonical is None:
        raise Invalid("Choose the canonical item among the cluster's items.",
                      field_errors={"canonical": "Not one of this cluster's items."})  # fmt: skip
    same_kind = [d for d in documents if d.kind == canonical.kind and d.pk != canonical.pk]
    if canonical.kind == DocKind.RESOURCE:
        resource_merge(
            actor=actor,
            canonical=Resource.objects.get(pk=canonical.object_id),
            duplicates=list(Resource.objects.filter(pk__in=[d.object_id for d in same_kind])),
        )
    else:
        original = Post.objects.get(pk=canonical.object_id)
        for duplicate in Post.objects.filter(pk__in=[d.object_id for d in same_kind]):
            question_close_duplicate(actor=actor, question=duplicate, original=original)
    _resolve(actor, documents, PairStatus.MERGED)
    activity_record(actor=actor, verb="duplicates.merge", obj=community, community_id=community.pk)
    return canonical
