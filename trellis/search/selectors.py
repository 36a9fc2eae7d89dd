"""Search for people: hybrid retrieval within what the viewer may see, then the page's rows."""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.urls import reverse

from trellis.communities.models import Community
from trellis.core import access
from trellis.qa.models import Post
from trellis.search import embeddings, lexical, semantic, vocabulary
from trellis.search.fusion import reciprocal_rank
from trellis.search.lexical import Filters
from trellis.search.models import DocKind, Document
from trellis.search.query import Terms, parse

MAX_RESULTS = 1000


@dataclass
class Hit:
    document: Document
    url: str
    snippet: str
    score: float
    answers: int | None = None  # a question thread's answers (None: not a question)
    accepted: bool = False  # the thread has an accepted answer


@dataclass
class Results:
    hits: list[Hit]
    total: int
    total_capped: bool
    page: int
    page_size: int
    semantic_on: bool
    semantic_off_reason: str = ""
    terms: tuple[str, ...] = field(default_factory=tuple)
    # Words of the query that no result can contain (no document the viewer may see has
    # them): "lorem ipsum dolor sit amet" matches on "sit" alone, and says so.
    missing: tuple[str, ...] = field(default_factory=tuple)

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, MAX_RESULTS) // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def document_urls(documents: list[Document]) -> dict[int, str]:
    """Each document's address (communities by slug, fetched in one query)."""

    slugs = dict(
        Community.objects.filter(
            pk__in=[d.object_id for d in documents if d.kind == DocKind.COMMUNITY]
        ).values_list("pk", "slug")
    )
    return {d.pk: document_url(d, slugs) for d in documents}


def document_url(document: Document, community_slugs: dict[int, str]) -> str:
    if document.kind == DocKind.QUESTION:
        return reverse("question-detail", args=[document.object_id])
    if document.kind == DocKind.ANSWER:
        question = reverse("question-detail", args=[document.parent_id])
        return f"{question}#answer-{document.object_id}"
    if document.kind == DocKind.RESOURCE:
        return reverse("resource-detail", args=[document.object_id])
    if document.kind == DocKind.PERSON:
        return reverse("person-detail", args=[document.object_id])
    return reverse("community-detail", args=[community_slugs.get(document.object_id, "-")])


def ranked_ids(
    text: str,
    scope: access.SearchScope,
    filters: Filters,
    limit: int,
    *,
    mode: str = "hybrid",
    prefix_last: bool = False,
    vector: np.ndarray | None = None,
    chosen: lexical.Plan | None = None,
    lexical_total: list[int] | None = None,
    close_only: bool = False,
) -> tuple[list[tuple[int, float]], bool]:
    """Document ids best first, and whether semantic retrieval took part. `vector` stands in
    for the text's embedding when it is already known (a stored document's); `chosen`, for
    the lexical plan of the text when the caller made it already.

    Semantic hits below the model's relevance floor are dropped: the nearest neighbour of a
    nonsense query is still nonsense. Between the relevance and the standalone floor a hit is
    kept only when the words found it too; search by meaning alone keeps only what is above
    the standalone floor. With `close_only` (offering what already exists as the answer), a
    hit must be above the standalone floor when the model is on: shared words are not enough."""
    terms = parse(text, prefix_last=prefix_last)
    rankings: list[list[tuple[int, float]]] = []
    if mode in ("hybrid", "lexical"):
        rankings.append(lexical.search(terms, scope, filters, limit, chosen, lexical_total))
    used_semantic = False
    model = embeddings.embedder()
    if mode in ("hybrid", "semantic") and model is not None:
        if vector is None:
            vector = embeddings.embed_query(text)
        if vector is not None:
            # Over-fetch: filters other than kind and scope are applied in the database after.
            extra = (
                4 if (filters.community_id or filters.tag or filters.since or filters.until) else 1
            )
            found = semantic.search(vector, model.name, scope, filters.kinds, limit * extra)
            worded = {pk for pk, _ in rankings[0]} if rankings else set()
            floor = embeddings.relevance_floor(model)
            alone = embeddings.standalone_floor(model)
            close = [
                hit for hit in found if hit[1] >= alone or (hit[1] >= floor and hit[0] in worded)
            ]
            rankings.append(_apply_filters(close, scope, filters)[:limit])
            used_semantic = True
    fused = rankings[0] if len(rankings) == 1 else reciprocal_rank(rankings)[:limit]
    if close_only and used_semantic:
        alone = embeddings.standalone_floor(model) if model is not None else 0.0
        near = {pk for pk, cosine in rankings[-1] if cosine >= alone}
        fused = [hit for hit in fused if hit[0] in near]
    return fused, used_semantic


def _apply_filters(
    found: list[tuple[int, float]], scope: access.SearchScope, filters: Filters
) -> list[tuple[int, float]]:
    """Keep the semantic hits that pass the same SQL conditions as the lexical ones (scope
    included, so a document that moved to a private community since it was cached drops)."""
    if not found:
        return []
    where, params = lexical.scope_sql(scope, filters)
    ids = [pk for pk, _ in found]
    marks = ", ".join(["%s"] * len(ids))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.id FROM search_document d WHERE d.id IN ({marks}) AND {where}",  # noqa: S608
            [*ids, *params],
        )
        allowed = {row[0] for row in cursor.fetchall()}
    return [hit for hit in found if hit[0] in allowed]


def _missing_words(terms: Terms, scope: access.SearchScope, filters: Filters) -> tuple[str, ...]:
    """The query's words that no document in reach contains, when some other word matched.
    A common word (counted by the vocabulary) is there by definition; each rare one is one
    cheap look in the index."""
    if len(terms.words) < 2:
        return ()
    common = vocabulary.frequencies(terms.words)
    missing = tuple(
        word
        for word in terms.words
        if word not in common and not lexical.search(Terms((word,)), scope, filters, 1)
    )
    return missing if len(missing) < len(terms.words) else ()


def search(
    *,
    viewer: access.Viewer,
    text: str,
    filters: Filters | None = None,
    page: int = 1,
    page_size: int = 20,
    mode: str = "hybrid",
) -> Results:
    filters = filters or Filters()
    scope = access.search_scope(viewer)
    page = max(1, min(page, MAX_RESULTS // page_size))
    wanted = page * page_size
    terms = parse(text)
    chosen = lexical.plan(terms) if mode != "semantic" else lexical.Plan(terms)
    counted: list[int] = []
    ranked, _used_semantic = ranked_ids(
        text, scope, filters, wanted, mode=mode, chosen=chosen, lexical_total=counted
    )
    if mode == "semantic":
        lexical_total = 0
    elif counted:
        lexical_total = min(counted[0], lexical.COUNT_CAP + 1)
    else:
        lexical_total = lexical.count(terms, scope, filters, chosen)
    total = max(lexical_total, len(ranked))
    window = ranked[(page - 1) * page_size : wanted]
    documents = Document.objects.in_bulk([pk for pk, _ in window])
    marked = lexical.snippets([pk for pk, _ in window], terms)
    urls = document_urls(list(documents.values()))
    hits = [
        Hit(
            document=documents[pk],
            url=urls[pk],
            snippet=marked.get(pk) or _plain_snippet(documents[pk].body),
            score=score,
        )
        for pk, score in window
        if pk in documents
    ]
    return Results(
        missing=_missing_words(terms, scope, filters) if hits and mode != "semantic" else (),
        hits=hits,
        total=total,
        total_capped=lexical_total > lexical.COUNT_CAP,
        page=page,
        page_size=page_size,
        semantic_on=embeddings.embedder() is not None,
        semantic_off_reason=embeddings.semantic_off_reason(),
        terms=terms.words,
    )


def _plain_snippet(body: str, length: int = 220) -> str:
    from html import escape

    return escape(body[:length] + ("…" if len(body) > length else ""))


def similar(
    *,
    viewer: access.Viewer,
    text: str,
    kinds: tuple[str, ...] = (DocKind.QUESTION, DocKind.ANSWER, DocKind.RESOURCE),
    community_id: int | None = None,
    favour_community_id: int | None = None,
    exclude: tuple[tuple[str, int], ...] = (),
    limit: int = 5,
) -> list[Hit]:
    """What already exists about this text: questions (an answer stands for its question) and
    resources, best first, for the ask form and for related items. Only what is close in
    meaning (see `ranked_ids`); what is in the community the asker chose counts a little
    more (FAVOUR), so its own answer comes before a neighbour's of the same strength."""
    scope = access.search_scope(viewer)
    filters = Filters(kinds=kinds, community_id=community_id)
    ranked, _ = ranked_ids(text, scope, filters, limit * 4, prefix_last=True, close_only=True)
    if favour_community_id is not None and ranked:
        home = set(
            Document.objects.filter(
                pk__in=[pk for pk, _ in ranked], community_id=favour_community_id
            ).values_list("pk", flat=True)
        )
        ranked = sorted(ranked, key=lambda hit: -hit[1] * (FAVOUR if hit[0] in home else 1.0))
    return _distinct_threads(ranked, limit, exclude=set(exclude))


FAVOUR = 1.5  # the chosen community's weight in the ask form's "already asked?" panel


def _thread_key(document: Document) -> tuple[str, Any]:
    if document.kind == DocKind.ANSWER:
        return (DocKind.QUESTION, document.parent_id)
    return (document.kind, document.object_id)


RELATED_KINDS = (DocKind.QUESTION, DocKind.ANSWER, DocKind.RESOURCE)


def related(*, viewer: access.Viewer, kind: str, object_id: int, limit: int = 5) -> list[Hit]:
    """Questions and resources about the same thing as this one, for its page: its own stored
    vector (no model call) and its title and tags as words."""
    document = Document.objects.filter(kind=kind, object_id=object_id).first()
    scope = access.search_scope(viewer)
    if document is None or not _in_scope(document, scope):
        return []
    model = embeddings.embedder()
    vector = None
    if model is not None and document.embedding and document.embedding_model == model.name:
        vector = embeddings.from_blob(bytes(document.embedding)).astype(np.float32)
    ranked, _ = ranked_ids(
        f"{document.title} {document.tags}", scope, Filters(kinds=RELATED_KINDS), limit * 4,
        vector=vector,
    )  # fmt: skip
    return _distinct_threads(ranked, limit, exclude={_thread_key(document)})


def _in_scope(document: Document, scope: access.SearchScope) -> bool:
    if not scope.signed_in:
        return False
    return (
        scope.everything
        or document.community_id is None
        or document.community_id in scope.community_ids
    )


def _distinct_threads(
    ranked: list[tuple[int, float]], limit: int, exclude: set[tuple[str, Any]]
) -> list[Hit]:
    """One hit per question thread (an answer stands for its question) or resource."""
    documents = Document.objects.in_bulk([pk for pk, _ in ranked])
    urls = document_urls(list(documents.values()))
    hits: list[Hit] = []
    seen = set(exclude)
    for pk, score in ranked:
        document = documents.get(pk)
        if document is None or _thread_key(document) in seen:
            continue
        seen.add(_thread_key(document))
        hits.append(Hit(document, urls[pk], _plain_snippet(document.body), score))
        if len(hits) == limit:
            break
    _mark_answered(hits)
    return hits


def _mark_answered(hits: list[Hit]) -> None:
    """Each question thread's answers and whether one is accepted, for the badges that tell
    an asker which existing question already has its answer."""
    threads = {
        _thread_key(h.document)[1]: h
        for h in hits
        if _thread_key(h.document)[0] == DocKind.QUESTION
    }
    if not threads:
        return
    for pk, answers, accepted in Post.objects.filter(pk__in=threads).values_list(
        "pk", "answer_count", "accepted_answer_id"
    ):
        threads[pk].answers = answers
        threads[pk].accepted = accepted is not None
