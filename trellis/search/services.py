"""Curating duplicates: merge a cluster into one canonical item, or dismiss it."""

from django.db import transaction
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.people.models import Person
from trellis.search.models import DocKind, Document, DuplicatePair, PairStatus


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
    from trellis.library.models import Resource
    from trellis.library.services import resource_merge
    from trellis.qa.models import Post
    from trellis.qa.services import question_close_duplicate

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
