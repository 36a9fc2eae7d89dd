"""Background work of the search index."""

from django.tasks import task

from trellis.core import hooks
from trellis.core.transient import RetryLater
from trellis.core.worker import is_queued_or_running
from trellis.search import vocabulary
from trellis.search.indexing import answers_of, index_missing, index_objects
from trellis.search.models import DocKind


@task()
def index_documents(kind: str, object_ids: list[int]) -> int:
    """What a request changed: its documents (a question's with its answers'), their
    vectors, then whether they duplicate something already there."""
    from trellis.search.duplicates import detect_for_documents
    from trellis.search.embeddings import embed_pending

    changed: list[int] = []
    written = index_objects(kind, object_ids, changed)
    answer_ids = answers_of(object_ids) if kind == DocKind.QUESTION else []
    if answer_ids:  # answers carry their question's title, tags and acceptance
        written += index_objects(DocKind.ANSWER, answer_ids, changed)
    embed_pending(limit=len(object_ids) + len(answer_ids))
    if changed:
        detect_for_documents(changed)
    return written


EMBED_SLICE = 2_000  # documents per embedding task: other tasks (emails) run in between


@task()
def embed_in_slices() -> int:
    """Embed a slice of what has no vector, then queue the next slice: a million imported
    posts take hours with the model, and the worker must not hold back emails meanwhile."""
    from trellis.search.embeddings import embed_pending, pending_count

    done = embed_pending(limit=EMBED_SLICE)
    if done == EMBED_SLICE:
        embed_in_slices.enqueue()
    elif waiting := pending_count():  # the embedder stopped answering: the chain goes on later
        raise RetryLater(f"the embedder is unavailable; {waiting:,} documents wait for a vector")
    elif done:  # the last slice: rewrites are found by meaning, topics learnt from the vectors
        detect_everywhere()
        hooks.vectors_refreshed()
    return done


@task()
def embed_missing() -> bool:
    """Hourly safety net: documents without a vector and no embedding chain queued or running
    (a chain given up while the embedder was away for hours) start a new chain."""
    from trellis.search.embeddings import pending_count

    if pending_count() and not is_queued_or_running(embed_in_slices.module_path):
        embed_in_slices.enqueue()
        return True
    return False


@task()
def index_new_objects() -> int:
    """After an import or the demo: index what has no document and look for duplicates by
    wording, then embed in slices (whose last one looks again, by meaning)."""
    written = sum(index_missing().values())
    vocabulary.refresh()
    detect_everywhere()
    embed_in_slices.enqueue()
    return written


@task()
def reindex_everything() -> int:
    """Rebuild every document (and drop those of objects that are gone), then embed."""
    from trellis.search.indexing import reindex_all

    written = sum(reindex_all().values())
    vocabulary.refresh()
    detect_everywhere()
    embed_in_slices.enqueue()
    return written


@task()
def refresh_vocabulary() -> int:
    """Daily: recount the common words, which the lexical search leaves out at scale."""
    return vocabulary.refresh()


def detect_everywhere() -> int:
    from trellis.search.duplicates import detect
    from trellis.search.models import Document

    scopes = set(Document.objects.values_list("community_id", flat=True).distinct())
    return sum(detect(scope) for scope in scopes)
