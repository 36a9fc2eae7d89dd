"""Background work of the search index."""

from django.db import transaction
from django.tasks import task

from trellis.search.indexing import index_missing, index_objects


@task()
def index_documents(kind: str, object_ids: list[int]) -> int:
    """What a request changed: its documents, their vectors, then whether they duplicate
    something already there."""
    from trellis.search.duplicates import detect_for_documents
    from trellis.search.embedding import embed_pending

    changed: list[int] = []
    written = index_objects(kind, object_ids, changed)
    embed_pending(limit=len(object_ids))
    if changed:
        detect_for_documents(changed)
    return written


@task()
def index_new_objects() -> int:
    """After an import or the demo: index what has no document, then embed everything that
    has no vector (resumable: each batch commits)."""
    written = sum(index_missing().values())
    from trellis.search.embedding import embed_pending

    embed_pending()
    detect_everywhere()
    return written


@task()
def reindex_everything() -> int:
    """Rebuild every document (and drop those of objects that are gone), then embed."""
    from trellis.search.embedding import embed_pending
    from trellis.search.indexing import reindex_all

    written = sum(reindex_all().values())
    embed_pending()
    detect_everywhere()
    return written


def detect_everywhere() -> int:
    from trellis.search.duplicates import detect
    from trellis.search.models import Document

    scopes = set(Document.objects.values_list("community_id", flat=True).distinct())
    return sum(detect(scope) for scope in scopes)


def reindex_after_commit() -> None:
    transaction.on_commit(lambda: reindex_everything.enqueue())


def index_after_commit() -> None:
    """For bulk writers that bypass the ORM's signals (imports, the demo)."""
    transaction.on_commit(lambda: index_new_objects.enqueue())
