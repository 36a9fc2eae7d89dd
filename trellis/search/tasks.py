"""Background work of the search index."""

from django.db import transaction
from django.tasks import task

from trellis.search.indexing import index_missing, index_objects


@task()
def index_documents(kind: str, object_ids: list[int]) -> int:
    written = index_objects(kind, object_ids)
    from trellis.search.embedding import embed_pending

    embed_pending(limit=len(object_ids))
    return written


@task()
def index_new_objects() -> int:
    """After an import or the demo: index what has no document, then embed everything that
    has no vector (resumable: each batch commits)."""
    written = sum(index_missing().values())
    from trellis.search.embedding import embed_pending

    embed_pending()
    return written


@task()
def reindex_everything() -> int:
    """Rebuild every document (and drop those of objects that are gone), then embed."""
    from trellis.search.embedding import embed_pending
    from trellis.search.indexing import reindex_all

    written = sum(reindex_all().values())
    embed_pending()
    return written


def reindex_after_commit() -> None:
    transaction.on_commit(lambda: reindex_everything.enqueue())


def index_after_commit() -> None:
    """For bulk writers that bypass the ORM's signals (imports, the demo)."""
    transaction.on_commit(lambda: index_new_objects.enqueue())
