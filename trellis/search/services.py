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
from typing import Any

from django.db import transaction
from django.utils import dateformat, timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.library.models import Resource, ResourceKind
from trellis.library.services import (
    MergeTrace,
    question_guide_link,
    question_guide_unlink,
    resource_merge,
    resource_merge_undo,
)
from trellis.people.models import Person
from trellis.qa.models import LinkKind, Post, PostLink
from trellis.qa.services import question_close_duplicate, question_reopen_duplicate
from trellis.search.models import DocKind, Document, DuplicatePair, MergeRecord, PairStatus

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


def _merge_check(actor: Person, community: Community) -> None:
    if not access.can_curate_in(actor, community):
        raise Forbidden("Only the community's core team can curate duplicates.")


def _kept(
    documents: list[Document], canonical_id: int, also_keep_id: int | None
) -> dict[str, Document]:
    """The item kept of each kind: the one chosen, and in a cluster of questions and
    resources, the one chosen of the other kind too."""
    by_pk = {d.pk: d for d in documents}
    canonical = by_pk.get(canonical_id)
    if canonical is None:
        raise Invalid("Choose the item to keep among the cluster's items.",
                      field_errors={"canonical": "Not one of this cluster's items."})  # fmt: skip
    kept = {canonical.kind: canonical}
    if len({d.kind for d in documents}) > 1:
        also = by_pk.get(also_keep_id or 0)
        if also is None or also.kind == canonical.kind:
            raise Invalid(
                "Choose which question and which guide to keep.",
                field_errors={"keep_also": "Choose one item of the other kind."},
            )
        kept[also.kind] = also
    return kept


def _quoted(title: str) -> str:
    return f"“{title[:80]}”"


def _close_questions(
    actor: Person, kept: Post, others: list[Document], summary: list[str]
) -> list[dict[str, object]]:
    closed, titles = [], []
    for question in Post.objects.filter(pk__in=[d.object_id for d in others]).order_by("pk"):
        if question.duplicate_of_id == kept.pk:
            continue  # already closed as its duplicate: nothing to do, nothing to undo
        link_existed = PostLink.objects.filter(
            from_post=question, to_post=kept, kind=LinkKind.DUPLICATE
        ).exists()
        before: dict[str, object] = {
            "question": question.pk,
            "original": kept.pk,
            "duplicate_of_before": question.duplicate_of_id,
            "closed_at_before": question.closed_at.isoformat() if question.closed_at else None,
            "remove_link": not link_existed,
        }
        question_close_duplicate(actor=actor, question=question, original=kept)
        closed.append(before)
        titles.append(question.title)
    if titles:
        one = len(titles) == 1
        what = _quoted(titles[0]) if one else f"{len(titles)} questions"
        summary.append(f"{what} {'is' if one else 'are'} closed as "
                       f"{'a duplicate' if one else 'duplicates'}")  # fmt: skip
    return closed


@transaction.atomic
def cluster_merge(
    *,
    actor: Person,
    community: Community,
    document_ids: list[int],
    canonical_id: int,
    also_keep_id: int | None = None,
) -> MergeRecord:
    """Merge a cluster into the item kept of each kind: the other questions are closed as
    duplicates of the kept question; the other resources are marked as duplicates of the
    kept resource (their addresses redirect, their authors are credited); when both kinds
    are there, the kept question points to the kept resource as its answer in the library.
    Everything it changed is recorded, for `cluster_merge_undo`."""
    _merge_check(actor, community)
    documents = _cluster(community, document_ids)
    kept = _kept(documents, canonical_id, also_keep_id)
    others = {
        kind: [d for d in documents if d.kind == kind and d.pk != keep.pk]
        for kind, keep in kept.items()
    }
    summary: list[str] = []
    changes: dict[str, object] = {"questions": [], "resources": None, "link": None}
    question = kept.get(DocKind.QUESTION)
    kept_post = Post.objects.get(pk=question.object_id) if question else None
    if kept_post is not None:
        changes["questions"] = _close_questions(actor, kept_post, others[DocKind.QUESTION], summary)
    resource = kept.get(DocKind.RESOURCE)
    kept_resource = Resource.objects.get(pk=resource.object_id) if resource else None
    if kept_resource is not None and others[DocKind.RESOURCE]:
        duplicates = list(
            Resource.objects.filter(pk__in=[d.object_id for d in others[DocKind.RESOURCE]])
        )
        trace = resource_merge(actor=actor, canonical=kept_resource, duplicates=duplicates)
        changes["resources"] = trace.as_json()
        one = len(trace.duplicates) == 1
        guides = all(r.kind == ResourceKind.GUIDE for r in duplicates)
        plural = "guides" if guides else "library resources"
        what = _quoted(duplicates[0].title) if one else f"{len(trace.duplicates)} {plural}"
        summary.append(f"{what} {'is' if one else 'are'} marked as "
                       f"{'a duplicate' if one else 'duplicates'}")  # fmt: skip
    if kept_post is not None and kept_resource is not None:
        created = question_guide_link(actor=actor, question=kept_post, resource=kept_resource)
        changes["link"] = {
            "question": kept_post.pk,
            "resource": kept_resource.pk,
            "created": created,
        }
        guide = "guide" if kept_resource.kind == ResourceKind.GUIDE else "library resource"
        summary.append(f"the question now points to the {guide} as its answer in the library")
    pairs = list(
        DuplicatePair.objects.filter(
            first_id__in=[d.pk for d in documents],
            second_id__in=[d.pk for d in documents],
            status=PairStatus.OPEN,
        ).values_list("pk", flat=True)
    )
    _resolve(actor, documents, PairStatus.MERGED)
    kept_titles = " and ".join(_quoted(d.title) for d in kept.values())
    details = "; ".join(summary) or "nothing else needed changing"
    text = f"Merged into {kept_titles}. {details[0].upper()}{details[1:]}"
    record = MergeRecord.objects.create(
        community=community, merged_by=actor, summary=(text + ".")[:500], changes=changes
    )
    record.pairs.set(pairs)
    activity_record(actor=actor, verb="duplicates.merge", obj=community, community_id=community.pk)
    return record


@transaction.atomic
def cluster_merge_undo(*, actor: Person, community: Community, record_id: int) -> MergeRecord:
    """Put everything a merge changed back as it was: the questions reopened (or as they were),
    the resources no longer duplicates, the link removed, the cluster back in the queue.
    Refused, with what stands in the way, after a first undo or a later change of any of them."""
    _merge_check(actor, community)
    record = (
        MergeRecord.objects.select_for_update().filter(pk=record_id, community=community).first()
    )
    if record is None:
        raise Invalid("That merge is not one of this community's: reload the queue.")
    if record.undone_at is not None:
        who = f" by {record.undone_by.name}" if record.undone_by else ""
        when = dateformat.format(timezone.localtime(record.undone_at), "j M Y \\a\\t H:i")
        raise Invalid(f"This merge was already undone{who} on {when}: nothing is left to undo.")
    changes: dict[str, Any] = record.changes
    link = changes.get("link")
    if link and link["created"]:
        question_guide_unlink(
            actor=actor,
            question_id=link["question"],
            resource=Resource.objects.get(pk=link["resource"]),
        )
    if changes.get("resources"):
        resource_merge_undo(actor=actor, trace=MergeTrace.from_json(changes["resources"]))
    for closed in changes.get("questions", []):
        question_reopen_duplicate(
            actor=actor,
            question_id=closed["question"],
            original_id=closed["original"],
            duplicate_of_before=closed["duplicate_of_before"],
            closed_at_before=closed["closed_at_before"],
            remove_link=closed["remove_link"],
        )
    DuplicatePair.objects.filter(pk__in=record.pairs.all(), status=PairStatus.MERGED).update(
        status=PairStatus.OPEN, resolved_by=None, resolved_at=None
    )
    record.undone_at, record.undone_by = timezone.now(), actor
    record.save(update_fields=["undone_at", "undone_by"])
    activity_record(
        actor=actor, verb="duplicates.unmerge", obj=community, community_id=community.pk
    )
    return record
