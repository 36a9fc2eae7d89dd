"""Embeddings: which embedder this installation uses, and keeping stored vectors current.

The providers are the modules beside this one. settings.TRELLIS_EMBEDDINGS chooses: "local" (the
default: all-MiniLM-L6-v2 in process, see local.py), "static" (token vectors distilled from it:
thousands of documents a second for very large installations, at a measured quality cost),
"api" (an OpenAI-compatible endpoint: TRELLIS_EMBEDDING_URL, TRELLIS_EMBEDDING_MODEL,
TRELLIS_EMBEDDING_DIM, TRELLIS_EMBEDDING_API_KEY) or "off". When the provider cannot be loaded,
search is lexical only and the search page says so.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import numpy as np
from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from trellis.search.embeddings.base import Embedder, EmbeddingUnavailable
from trellis.search.models import Document

log = logging.getLogger(__name__)
EMBED_BATCH = 64
QUERY_CACHE_SIZE = 2048  # popular queries and as-you-type repeats skip the model
_query_vectors: dict[tuple[str, str], np.ndarray] = {}


@cache
def _configured() -> tuple[Embedder | None, str]:
    """The embedder the settings choose, made once (loading a model takes a while)."""
    choice = settings.TRELLIS_EMBEDDINGS.strip().lower()
    try:
        if choice == "off":
            return None, "Semantic search is turned off (TRELLIS_EMBEDDINGS=off)."
        if choice == "static":
            from trellis.search.embeddings.static import StaticMiniLM

            return StaticMiniLM(), ""
        if choice == "api":
            from trellis.search.embeddings.openai import OpenAICompatible

            return OpenAICompatible(
                settings.TRELLIS_EMBEDDING_URL,
                settings.TRELLIS_EMBEDDING_MODEL,
                settings.TRELLIS_EMBEDDING_DIM,
                settings.TRELLIS_EMBEDDING_API_KEY,
                relevance_floor=settings.TRELLIS_EMBEDDING_FLOOR,
            ), ""
        from trellis.search.embeddings.local import LocalMiniLM

        return LocalMiniLM(), ""
    except (EmbeddingUnavailable, ImportError) as error:
        return None, f"Semantic search is off: {error}"


@receiver(setting_changed)
def _forget_the_choice(*, setting: str, **kwargs: Any) -> None:
    """A changed TRELLIS_EMBEDDING* setting (override_settings, in tests) chooses again."""
    if setting.startswith("TRELLIS_EMBEDDING"):
        _configured.cache_clear()


_override: list[tuple[Embedder | None, str]] = []


@contextmanager
def using(model: Embedder | None, reason: str = "Semantic search is off.") -> Iterator[None]:
    """Use this embedder (or none) instead of the configured one: benchmarks compare models
    and tests run with semantic search off or on a small fake."""
    _override.append((model, "" if model is not None else reason))
    try:
        yield
    finally:
        _override.pop()


def embedder() -> Embedder | None:
    return (_override[-1] if _override else _configured())[0]


def relevance_floor(model: Embedder) -> float:
    """The cosine below which this model's nearest neighbours are not about the same thing
    (calibrated per model by benchmarks/calibrate_relevance_floor.py; 0 for a model nobody
    calibrated, which then shows its nearest neighbours however far)."""
    return float(getattr(model, "relevance_floor", 0.0))


def standalone_floor(model: Embedder) -> float:
    """The cosine above which meaning alone vouches for a hit, with no word in common (the
    relevance floor for a model that declares no other)."""
    return max(relevance_floor(model), float(getattr(model, "standalone_floor", 0.0)))


def semantic_off_reason() -> str:
    return (_override[-1] if _override else _configured())[1]


def to_blob(vector: np.ndarray) -> bytes:
    return vector.astype(np.float16).tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float16)


def document_text(title: str, tags: str, body: str) -> str:
    """What the model reads: the title first (it carries most of the meaning and survives
    truncation), then the tags, then as much of the body as the token limit lets through."""
    return f"{title}\n{tags}\n{body[:2000]}".strip()


def embed_query(text: str) -> np.ndarray | None:
    model = embedder()
    if model is None or not text.strip():
        return None
    try:
        key = (model.name, text[:1000])
        vector = _query_vectors.get(key)
        if vector is None:
            vector = model.embed([key[1]])[0]
            if len(_query_vectors) >= QUERY_CACHE_SIZE:
                _query_vectors.pop(next(iter(_query_vectors)))  # the oldest
            _query_vectors[key] = vector
        return vector
    except EmbeddingUnavailable as error:
        log.warning("query embedding failed: %s", error)
        return None


def pending_count() -> int:
    """Documents still without a vector from the current model (0 when embeddings are off)."""
    model = embedder()
    if model is None:
        return 0
    return Document.objects.exclude(embedding_model=model.name).count()


def embed_pending(limit: int | None = None) -> int:
    """Embed documents without a vector from the current model, a batch per transaction, so
    an interrupted run resumes where it stopped. Returns how many were embedded."""
    model = embedder()
    if model is None:
        return 0
    done = 0
    while limit is None or done < limit:
        size = EMBED_BATCH if limit is None else min(EMBED_BATCH, limit - done)
        rows = list(
            Document.objects.exclude(embedding_model=model.name)
            .order_by("pk")
            .values_list("pk", "title", "tags", "body", "content_hash")[:size]
        )
        if not rows:
            break
        try:
            vectors = model.embed([document_text(t, g, b) for _, t, g, b, _ in rows])
        except EmbeddingUnavailable as error:
            log.warning("embedding stopped: %s", error)
            break
        now = timezone.now()
        with transaction.atomic():
            for row, vector in zip(rows, vectors, strict=True):
                # Only if the text is still the one embedded (an edit may have come since).
                Document.objects.filter(pk=row[0], content_hash=row[4]).update(
                    embedding=to_blob(vector), embedding_model=model.name, embedded_at=now
                )
        done += len(rows)
    return done
