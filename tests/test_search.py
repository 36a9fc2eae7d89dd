"""Search: the index follows the content, retrieval respects who may see what, and nothing a
person types breaks it."""

import re
import zlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import PRIVATE_QUESTION, PRIVATE_RESOURCE, Org, build_content
from tests.typing_helpers import ClientFor
from trellis.qa import services as qa_services
from trellis.search import embeddings, selectors
from trellis.search.lexical import Filters
from trellis.search.models import DocKind, Document
from trellis.search.semantic import CACHE
from trellis.search.services import documents_index_after_commit

HOSTILE_QUERIES = [
    '"',
    '""',
    "'",
    'helm"',
    "*",
    "helm*",
    "NEAR(helm rollback)",
    "helm AND OR NOT",
    "title:helm",
    "-helm",
    "^helm",
    "(helm",
    "helm)",
    "{helm}",
    "helm:*",
    "helm & | ! <-> rollback",
    "%",
    "_",
    "\\",
    "a" * 10_000,
    " ".join(["helm"] * 2_000),
    "SELECT * FROM search_document; --",
    "🙂🙃 ünïcødé 日本語 العربية",
    "\u202e\u200b",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]


class WordHashEmbedder:
    """A deterministic stand-in for the model: a bag of hashed words. Texts sharing words
    are similar, as they would be for the model; fast enough to embed every test's posts.
    With few dimensions unrelated words share one (crc32 % 64 puts "tiller" with "settings"
    and "9"): a test that needs subjects kept apart asks for more."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.name = "test-word-hash" if dim == 64 else f"test-word-hash-{dim}"

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, zlib.crc32(word.encode()) % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


@pytest.fixture
def content(org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Org:
    with django_capture_on_commit_callbacks(execute=True):
        build_content(org)
    return org


@pytest.fixture
def semantic(content: Org) -> Iterator[WordHashEmbedder]:
    """Semantic search on, with the word-hash embedder, over the content's vectors."""
    model = WordHashEmbedder()
    with embeddings.using(model):
        embeddings.embed_pending()
        CACHE.refresh(model.name, force=True)
        yield model
    CACHE.__init__()  # type: ignore[misc]  # mypy refuses calls to __init__: this empties the cache


def titles(hits: list[selectors.Hit]) -> list[str]:
    return [hit.document.title for hit in hits]


@pytest.mark.django_db
def test_documents_follow_the_content(
    content: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    question = content.c.public_question
    question_id = question.pk
    assert Document.objects.filter(kind=DocKind.QUESTION, object_id=question.pk).exists()
    answer = content.c.public_answer
    answer_doc = Document.objects.get(kind=DocKind.ANSWER, object_id=answer.pk)
    assert answer_doc.title == question.title and answer_doc.parent_id == question.pk
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.post_edit(
            actor=content.member,
            post=question,
            title="How do I undo a Helm upgrade?",
            body=question.body,
            tags="helm",
        )
    assert Document.objects.get(kind=DocKind.QUESTION, object_id=question.pk).title == (
        "How do I undo a Helm upgrade?"
    )
    # Answers carry their question's title: they follow it.
    answer_doc.refresh_from_db()
    assert answer_doc.title == "How do I undo a Helm upgrade?"
    # No service deletes a question yet; whatever does tells search, and the answers that went
    # with it (found by their documents' parent) lose theirs too.
    with django_capture_on_commit_callbacks(execute=True):
        question.delete()
        documents_index_after_commit(kind=DocKind.QUESTION, ids=[question_id])
    assert not Document.objects.filter(
        object_id__in=[question_id, answer_doc.object_id],
        kind__in=[DocKind.QUESTION, DocKind.ANSWER],
    ).exists()


@pytest.mark.django_db
def test_a_rolled_back_change_is_not_indexed_and_the_next_one_is(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                qa_services.question_ask(
                    actor=org.member,
                    community=org.public,
                    title="Rolled back question",
                    body="",
                    tags="",
                )
                raise RuntimeError("abort")
        except RuntimeError:
            pass
        with transaction.atomic():
            qa_services.question_ask(
                actor=org.member, community=org.public, title="Committed question", body="", tags=""
            )
    assert list(Document.objects.filter(kind=DocKind.QUESTION).values_list("title", flat=True)) == [
        "Committed question"
    ]


@pytest.mark.django_db
def test_words_find_their_other_forms(content: Org) -> None:
    results = selectors.search(viewer=content.member, text="rolling back helm releases")
    assert results.hits, "stemming: 'rolling' and 'releases' match 'roll' and 'release'"
    assert {hit.document.title for hit in results.hits[:3]} >= {
        "How do I roll back a Helm release safely?",
        "Helm release checklist",
    }
    assert "<mark>" in "".join(hit.snippet for hit in results.hits)


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["lexical", "hybrid", "semantic"])
def test_outsider_never_finds_or_counts_private_content(
    content: Org, semantic: WordHashEmbedder, mode: str
) -> None:
    words = "breach drill vault keys runbook rotate"
    leader = selectors.search(viewer=content.leader, text=words, mode=mode)
    assert {PRIVATE_QUESTION, PRIVATE_RESOURCE} <= set(titles(leader.hits))
    for viewer in (content.outsider, content.newcomer):
        found = selectors.search(viewer=viewer, text=words, mode=mode)
        assert PRIVATE_QUESTION not in titles(found.hits)
        assert PRIVATE_RESOURCE not in titles(found.hits)
        assert all(hit.document.community_id != content.private.pk for hit in found.hits)
        if mode == "lexical":
            assert found.total == 0  # the count says nothing either
    similar = selectors.similar(viewer=content.outsider, text="Which vault holds the breach keys")
    assert PRIVATE_QUESTION not in titles(similar)


@pytest.mark.django_db
def test_search_page_and_panel_for_the_outsider(
    content: Org, client_for: ClientFor, semantic: WordHashEmbedder
) -> None:
    outsider = client_for(content.outsider)
    page = outsider.get(reverse("search"), {"q": "breach drill vault"})
    body = page.content.decode()
    assert page.status_code == 200
    assert PRIVATE_QUESTION not in body and PRIVATE_RESOURCE not in body
    assert content.private.name not in body and content.private.slug not in body
    # Filtering by the private community is answered as if it did not exist.
    page = outsider.get(reverse("search"), {"q": "keys", "community": content.private.slug})
    assert PRIVATE_QUESTION not in page.content.decode()
    panel = outsider.get(reverse("search-similar"), {"title": PRIVATE_QUESTION})
    assert PRIVATE_QUESTION not in panel.content.decode()
    member = client_for(content.leader)
    panel = member.get(reverse("search-similar"), {"title": PRIVATE_QUESTION})
    assert PRIVATE_QUESTION in panel.content.decode()


@pytest.mark.django_db
def test_anonymous_search_is_sent_to_sign_in(client: Client, content: Org) -> None:
    response = client.get(reverse("search"), {"q": "helm"})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert selectors.search(viewer=_anonymous(), text="helm").hits == []


def _anonymous() -> AnonymousUser:
    return AnonymousUser()


@pytest.mark.django_db
@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_get_results_or_a_message_never_an_error(
    content: Org, client_for: ClientFor, query: str
) -> None:
    response = client_for(content.member).get(reverse("search"), {"q": query, "tag": query[:50]})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    panel = client_for(content.member).get(reverse("search-similar"), {"title": query[:300]})
    assert panel.status_code == 200


@pytest.mark.django_db
def test_malformed_filters_are_named(content: Org, client_for: ClientFor) -> None:
    response = client_for(content.member).get(
        reverse("search"), {"q": "helm", "since": "2024-99-01", "kind": "secrets", "q2": "x"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "From: Enter a valid date." in body
    assert "Type: Select a valid choice." in body
    assert "Helm" in body  # the rest of the search still runs
    response = client_for(content.member).get(reverse("search"), {"q": "a\x00b"})
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()


@pytest.mark.django_db
def test_filters_by_type_community_tag_and_date(content: Org) -> None:
    member = content.member
    resources = Filters(kinds=("resource",))
    only_resources = selectors.search(viewer=member, text="helm", filters=resources)
    assert titles(only_resources.hits) == ["Helm release checklist"]
    tagged = selectors.search(viewer=member, text="helm", filters=Filters(tag="kubernetes"))
    assert {h.document.kind for h in tagged.hits} <= {"question", "answer"} and tagged.hits
    elsewhere = selectors.search(viewer=member, text="helm", filters=Filters(community_id=-1))
    assert elsewhere.hits == []
    from datetime import UTC, datetime

    future = selectors.search(
        viewer=member, text="helm", filters=Filters(since=datetime(2999, 1, 1, tzinfo=UTC))
    )
    assert future.hits == []


@pytest.mark.django_db
def test_snippets_are_escaped_and_highlighted(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.question_ask(
            actor=org.member,
            community=org.public,
            title="Escaping in snippets",
            body="Why does `<img src=x onerror=alert(1)>` appear in the deploy log?",
            tags="",
        )
    hits = selectors.search(viewer=org.member, text="deploy onerror").hits
    assert hits
    snippet = hits[0].snippet
    assert "<img" not in snippet and "&lt;img" in snippet
    assert "<mark>" in snippet


@pytest.mark.django_db
def test_semantic_search_finds_by_meaning_when_words_differ(
    content: Org, semantic: WordHashEmbedder
) -> None:
    # No stemmed word in common with the answer's text but shared vocabulary in the vector.
    hybrid = selectors.search(viewer=content.member, text="helm history revision", mode="semantic")
    assert hybrid.hits and hybrid.semantic_on


@pytest.mark.django_db
def test_the_page_says_when_semantic_search_is_off(content: Org, client_for: ClientFor) -> None:
    body = client_for(content.member).get(reverse("search"), {"q": "helm"}).content.decode()
    assert 'data-testid="semantic-off"' in body and "Helm release checklist" in body


@pytest.mark.django_db
def test_ask_form_suggests_what_exists(content: Org, client_for: ClientFor) -> None:
    panel = client_for(content.newcomer).get(
        reverse("search-similar"), {"title": "roll back a helm release", "body": ""}
    )
    text = panel.content.decode()
    assert "How do I roll back a Helm release safely?" in text
    assert text.count("How do I roll back a Helm release safely?") == 1  # its answer folds in


@pytest.mark.django_db
def test_related_items_for_a_question_and_a_resource(
    content: Org, client_for: ClientFor, semantic: WordHashEmbedder
) -> None:
    question = content.c.public_question
    member = client_for(content.member)
    panel = member.get(reverse("search-related", args=["question", question.pk]))
    text = panel.content.decode()
    assert "Helm release checklist" in text
    assert question.title not in text  # not itself, nor its own answers
    resource = content.c.public_resource
    panel = member.get(reverse("search-related", args=["resource", resource.pk]))
    assert question.title in panel.content.decode()
    # The private resource's panel is empty for the outsider, and says nothing.
    private = content.c.private_resource
    outsider = client_for(content.outsider)
    panel = outsider.get(reverse("search-related", args=["resource", private.pk]))
    assert panel.status_code == 200 and panel.content.decode().strip() == ""
    assert member.get(reverse("search-related", args=["person", 1])).status_code == 404


@pytest.mark.django_db
def test_date_bounds_are_exact(content: Org) -> None:
    """`until` excludes the instant itself and `since` includes it (SQLite compares the stored
    text: a parameter with "+00:00" once let a question find itself as its own duplicate)."""
    question = content.c.public_question
    document = Document.objects.get(kind=DocKind.QUESTION, object_id=question.pk)
    before = Filters(kinds=("question",), until=document.created_at)
    assert question.title not in titles(
        selectors.search(viewer=content.member, text="helm rollback", filters=before).hits
    )
    since = Filters(kinds=("question",), since=document.created_at)
    assert question.title in titles(
        selectors.search(viewer=content.member, text="helm rollback", filters=since).hits
    )


def test_the_approximate_index_agrees_with_the_exact_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    from trellis.search import semantic

    # Clustered, as embeddings of texts on a few dozen topics are.
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((30, 32))
    vectors = (centres[rng.integers(0, 30, 3000)] + 0.4 * rng.standard_normal((3000, 32))).astype(
        np.float32
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    kinds = [i % 2 for i in range(3000)]
    exact = semantic.Partition()
    exact.put_many(list(range(1, 3001)), kinds, vectors)
    monkeypatch.setattr(semantic, "ANN_FROM", 1000)
    monkeypatch.setattr(semantic, "MIN_SIMILARITY", -1.0)
    approximate = semantic.Partition()
    approximate.put_many(list(range(1, 3001)), kinds, vectors)
    assert exact.ann is None and approximate.ann is not None
    recall = []
    for probe in vectors[:20]:
        want = {pk for pk, _ in exact.top(probe, {1}, 10)}
        got = approximate.top(probe, {1}, 10)
        assert all(kinds[pk - 1] == 1 for pk, _ in got)  # the kind filter holds
        recall.append(len(want & {pk for pk, _ in got}) / 10)
    assert np.mean(recall) >= 0.9
    # An updated vector moves; a dropped document is never returned.
    approximate.put(2, 1, vectors[100])
    assert approximate.top(vectors[100], {1}, 2)[0][0] in (2, 101)
    approximate.drop(2)
    assert 2 not in {pk for pk, _ in approximate.top(vectors[100], {1}, 5)}
    # Re-reading unchanged vectors (the cache's look-back) never touches the index.
    removed: list[int] = []
    real_remove = approximate.ann.remove_ids

    def counting_remove(ids: Any) -> Any:
        removed.append(len(ids))
        return real_remove(ids)

    monkeypatch.setattr(approximate.ann, "remove_ids", counting_remove)
    approximate.put_many(list(range(3, 1003)), kinds[2:1002], vectors[2:1002])
    assert removed == []
    approximate.put(3, 0, vectors[500])
    assert removed == [1]
    # In exact mode, re-reading unchanged vectors keeps the stacked matrix (restacking it on
    # every refresh was most of a query's time under 50,000 vectors).
    exact.top(vectors[0], {1}, 1)
    stacked = exact._matrix
    assert stacked is not None
    exact.put_many(list(range(3, 1003)), kinds[2:1002], vectors[2:1002])
    assert exact._matrix is stacked
    exact.put(3, 0, vectors[500])
    assert exact._matrix is None  # a changed vector does restack


@pytest.mark.django_db
def test_the_vector_cache_picks_up_what_was_embedded_since(content: Org) -> None:
    """Vectors written in one instant (a bulk load) are all read once, and later ones too."""
    from django.utils import timezone

    from trellis.search.semantic import VectorCache

    model = WordHashEmbedder()
    cache = VectorCache()
    stamp = timezone.now()
    documents = list(Document.objects.order_by("pk"))
    vectors = model.embed([d.title for d in documents])
    for document, vector in zip(documents, vectors, strict=True):
        Document.objects.filter(pk=document.pk).update(
            embedding=embeddings.to_blob(vector), embedding_model=model.name, embedded_at=stamp
        )
    cache.refresh(model.name, force=True)
    assert len(cache.where) == len(documents)
    first = documents[0]
    Document.objects.filter(pk=first.pk).update(embedded_at=stamp)  # same stamp, nothing new
    cache.refresh(model.name, force=True)
    assert len(cache.where) == len(documents)
    later = stamp + timedelta(seconds=5)
    moved = documents[-1]
    Document.objects.filter(pk=moved.pk).update(community=content.private, embedded_at=later)
    cache.refresh(model.name, force=True)
    assert cache.where[moved.pk] == content.private.pk  # moved to the private partition


@pytest.mark.django_db
def test_bulk_loads_are_indexed_then_embedded_in_slices(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an import (raw SQL, no signals) the index catches up, and embedding goes in small
    tasks so that the worker's other jobs are not held back for hours."""
    from trellis.search import tasks

    build_content(org)
    Document.objects.all().delete()
    monkeypatch.setattr(tasks, "EMBED_SLICE", 3)
    model = WordHashEmbedder()
    with embeddings.using(model):
        tasks.index_new_objects.enqueue()
    assert Document.objects.filter(kind=DocKind.QUESTION).count() == 3
    assert not Document.objects.exclude(embedding_model=model.name).exists()


@pytest.mark.django_db
def test_an_embedding_chain_whose_embedder_went_away_is_retried_not_dropped(org: Org) -> None:
    """An embeddings endpoint that stops answering mid-chain: the slice asks the worker to try
    again later instead of ending the chain with documents left without a vector; the hourly
    safety net starts a chain when vectors are missing and none is queued."""
    from trellis.core.transient import RetryLater
    from trellis.search import tasks
    from trellis.search.embeddings.base import EmbeddingUnavailable

    build_content(org)
    working = WordHashEmbedder()

    class Away(WordHashEmbedder):
        def embed(self, texts: list[str], batch_size: int = 64) -> Any:
            raise EmbeddingUnavailable("connection refused")

    away = Away()
    away.name = working.name
    with embeddings.using(None):
        tasks.index_new_objects.call()
    assert Document.objects.filter(embedding_model="").count() > 3
    with embeddings.using(away), pytest.raises(RetryLater, match="documents wait for a vector"):
        tasks.embed_in_slices.call()
    with embeddings.using(working):
        assert tasks.embed_missing.call() is True  # nothing queued (tasks run at once here)
    assert not Document.objects.exclude(embedding_model=working.name).exists()
    with embeddings.using(working):
        assert tasks.embed_missing.call() is False


@pytest.mark.django_db
def test_words_no_result_contains_are_named(content: Org, client_for: ClientFor) -> None:
    """A query half made of words nobody wrote matches on the other half, and says so; a word
    only a private community wrote is missing for an outsider, and not for a member."""
    found = selectors.search(viewer=content.member, text="helm zorblax quuxifying")
    assert titles(found.hits) and found.missing == ("zorblax", "quuxifying")
    page = client_for(content.member).get(reverse("search"), {"q": "helm zorblax quuxifying"})
    assert "No result contains <strong>zorblax</strong> or <strong>quuxifying</strong>" in (
        page.content.decode()
    )
    assert selectors.search(viewer=content.member, text="helm rollback").missing == ()
    assert selectors.search(viewer=content.outsider, text="helm tabletop").missing == ("tabletop",)
    assert selectors.search(viewer=content.member, text="helm tabletop").missing == ()
    # nothing found at all: the page says so instead
    assert selectors.search(viewer=content.member, text="zorblax quuxifying").missing == ()
