"""Keeping the search index current: (re)build the documents of given objects, in bulk.

Called by the on-commit task for what a request changed (see
services.documents_index_after_commit), by `trellis search reindex` for everything, and after
imports (which write with raw SQL). Vectors are left to `embeddings.embed_pending`, so that
indexing never waits for the model.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import batched
from typing import Any

from django.db import transaction

from trellis.communities.models import Community
from trellis.library.models import Resource, ResourceTag
from trellis.people.models import Person
from trellis.qa.models import Post, PostKind, PostTag
from trellis.search import documents
from trellis.search.duplicates import CURATED_KINDS, signature
from trellis.search.models import DocKind, Document

BATCH = 500
UPDATED_FIELDS = [
    "community",
    "parent_id",
    "title",
    "body",
    "tags",
    "created_at",
    "updated_at",
    "quality",
    "content_hash",
]


def _hash(fields: dict[str, Any]) -> str:
    text = "\x1f".join((fields["title"], fields["tags"], fields["body"]))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _post_tags(post_ids: Iterable[int]) -> dict[int, list[str]]:

    tags: dict[int, list[str]] = defaultdict(list)
    for post_id, name in PostTag.objects.filter(post_id__in=list(post_ids)).values_list(
        "post_id", "tag__name"
    ):
        tags[post_id].append(name)
    return tags


def _questions(ids: list[int]) -> dict[int, dict[str, Any] | None]:

    posts = Post.objects.filter(pk__in=ids, kind=PostKind.QUESTION)
    tags = _post_tags(ids)
    return {p.pk: documents.question_fields(p, tags.get(p.pk, [])) for p in posts}


def _answers(ids: list[int]) -> dict[int, dict[str, Any] | None]:

    answers = list(Post.objects.filter(pk__in=ids, kind=PostKind.ANSWER))
    question_ids = {a.question_id for a in answers if a.question_id}
    questions = Post.objects.in_bulk(question_ids)
    tags = _post_tags(question_ids)
    built: dict[int, dict[str, Any] | None] = {}
    for answer in answers:
        question = questions.get(answer.question_id) if answer.question_id else None
        built[answer.pk] = (
            documents.answer_fields(answer, question, tags.get(question.pk, []))
            if question
            else None
        )
    return built


def _resources(ids: list[int]) -> dict[int, dict[str, Any] | None]:

    tags: dict[int, list[str]] = defaultdict(list)
    for resource_id, name in ResourceTag.objects.filter(resource_id__in=ids).values_list(
        "resource_id", "tag__name"
    ):
        tags[resource_id].append(name)
    return {
        r.pk: documents.resource_fields(r, tags.get(r.pk, []))
        for r in Resource.objects.filter(pk__in=ids)
    }


def _people(ids: list[int]) -> dict[int, dict[str, Any] | None]:

    people = Person.objects.filter(pk__in=ids).select_related("department")
    return {
        p.pk: documents.person_fields(p, p.department.name if p.department else "") for p in people
    }


def _communities(ids: list[int]) -> dict[int, dict[str, Any] | None]:

    return {c.pk: documents.community_fields(c) for c in Community.objects.filter(pk__in=ids)}


BUILDERS: dict[str, Callable[[list[int]], dict[int, dict[str, Any] | None]]] = {
    DocKind.QUESTION: _questions,
    DocKind.ANSWER: _answers,
    DocKind.RESOURCE: _resources,
    DocKind.PERSON: _people,
    DocKind.COMMUNITY: _communities,
}


def index_objects(kind: str, object_ids: Iterable[int], changed: list[int] | None = None) -> int:
    """Bring the documents of these objects up to date; returns how many were written or
    removed. Objects that are gone or no longer searchable lose their document. The ids of
    documents whose text changed are appended to `changed`."""
    touched = 0
    for chunk in batched(sorted(set(object_ids)), BATCH):
        with transaction.atomic():
            touched += _index_chunk(kind, list(chunk), changed if changed is not None else [])
    return touched


def _index_chunk(kind: str, ids: list[int], changed: list[int]) -> int:
    built = BUILDERS[kind](ids)
    keep = {pk: fields for pk, fields in built.items() if fields is not None}
    gone = [pk for pk in ids if pk not in keep]
    removed = 0
    if gone:
        removed, _ = Document.objects.filter(kind=kind, object_id__in=gone).delete()
    before = dict(
        Document.objects.filter(kind=kind, object_id__in=list(keep)).values_list(
            "object_id", "content_hash"
        )
    )
    rows, changed_text = [], []
    for pk, fields in keep.items():
        digest = _hash(fields)
        if before.get(pk) != digest:
            changed_text.append(pk)
        rows.append(Document(kind=kind, object_id=pk, content_hash=digest, **fields))
    Document.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["kind", "object_id"],
        update_fields=UPDATED_FIELDS,
    )
    if changed_text:  # its vector describes the old text
        Document.objects.filter(kind=kind, object_id__in=changed_text).update(
            embedding=None, embedding_model=""
        )
        docs = list(Document.objects.filter(kind=kind, object_id__in=changed_text))
        if kind in CURATED_KINDS:
            for doc in docs:
                doc.minhash = signature(f"{doc.title}\n{doc.body}")
            Document.objects.bulk_update(docs, ["minhash"])
        changed += [doc.pk for doc in docs]
    return len(rows) + removed


def answers_of(question_ids: Iterable[int]) -> list[int]:
    """The answers whose documents show these questions, including those of a question that
    is gone (their documents are found by their parent)."""

    ids = list(question_ids)
    live = Post.objects.filter(question_id__in=ids, kind=PostKind.ANSWER).values_list(
        "pk", flat=True
    )
    shown = Document.objects.filter(kind=DocKind.ANSWER, parent_id__in=ids).values_list(
        "object_id", flat=True
    )
    return sorted({*live, *shown})


def reindex_all(kinds: Iterable[str] = tuple(DocKind.values)) -> dict[str, int]:
    """Every object of these kinds (and drops documents of objects that are gone)."""
    counts = {}
    for kind in kinds:
        model = _model_for(kind)
        ids = list(_all_ids(kind, model))
        stale = set(Document.objects.filter(kind=kind).values_list("object_id", flat=True))
        counts[kind] = index_objects(kind, [*ids, *(stale - set(ids))])
    return counts


def _model_for(kind: str) -> Any:

    return {
        DocKind.QUESTION: Post,
        DocKind.ANSWER: Post,
        DocKind.RESOURCE: Resource,
        DocKind.PERSON: Person,
        DocKind.COMMUNITY: Community,
    }[DocKind(kind)]


def _all_ids(kind: str, model: Any) -> Iterable[int]:
    rows = model._default_manager.all()
    if kind in (DocKind.QUESTION, DocKind.ANSWER):
        rows = rows.filter(kind=kind)
    ids: Iterable[int] = rows.values_list("pk", flat=True).iterator(chunk_size=5_000)
    return ids


def index_missing(kinds: Iterable[str] = tuple(DocKind.values)) -> dict[str, int]:
    """Index objects that have no document yet (after an import, which cannot list them)."""
    counts = {}
    for kind in kinds:
        model = _model_for(kind)
        rows = model._default_manager.all()
        if kind in (DocKind.QUESTION, DocKind.ANSWER):
            rows = rows.filter(kind=kind)
        have = Document.objects.filter(kind=kind).values("object_id")
        missing = rows.exclude(pk__in=have).values_list("pk", flat=True)
        counts[kind] = index_objects(kind, list(missing.iterator(chunk_size=5_000)))
    return counts
