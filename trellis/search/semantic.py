"""Semantic retrieval: cosine similarity against the stored vectors, one partition per scope.

Vectors live in the database (`Document.embedding`); each process keeps them in memory as one
float32 matrix per community (and one for org-wide documents), refreshed from what was
embedded since its last look. A query scores only the partitions the viewer may see: private
vectors are never compared with an outsider's query, so neither results nor their order can
reflect them.
"""

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from trellis.core.access import SearchScope
from trellis.search.models import DocKind, Document

MIN_SIMILARITY = 0.2  # below this cosine a "nearest" document is noise, not a match
REFRESH_SECONDS = 2.0  # at most one look for new vectors per process per interval
KIND_CODES = {kind: code for code, kind in enumerate(DocKind.values)}
ORG_WIDE = 0  # the partition of documents without a community


@dataclass
class Partition:
    """One scope's vectors: appended as they arrive, stacked into a matrix when searched."""

    ids: list[int] = field(default_factory=list)
    kinds: list[int] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    position: dict[int, int] = field(default_factory=dict)
    _matrix: np.ndarray | None = None
    _kind_codes: np.ndarray | None = None

    def put(self, doc_id: int, kind: int, vector: np.ndarray) -> None:
        at = self.position.get(doc_id)
        if at is None:
            self.position[doc_id] = len(self.ids)
            self.ids.append(doc_id)
            self.kinds.append(kind)
            self.rows.append(vector)
            self._matrix = self._kind_codes = None
            return
        self.rows[at], self.kinds[at] = vector, kind
        if self._matrix is not None and self._kind_codes is not None:
            self._matrix[at], self._kind_codes[at] = vector, kind

    def drop(self, doc_id: int) -> None:
        """Leaves a hole that never matches (kind -1), so positions stay valid."""
        at = self.position.get(doc_id)
        if at is not None:
            self.put(doc_id, -1, np.zeros_like(self.rows[at]))

    def top(self, query: np.ndarray, kinds: set[int] | None, k: int) -> list[tuple[int, float]]:
        if not self.ids:
            return []
        if self._matrix is None or self._kind_codes is None:
            self._matrix = np.vstack(self.rows).astype(np.float32, copy=False)
            self._kind_codes = np.asarray(self.kinds, dtype=np.int8)
        scores = self._matrix @ query
        allowed = (
            np.isin(self._kind_codes, list(kinds)) if kinds is not None else self._kind_codes >= 0
        )
        scores = np.where(allowed & (scores >= MIN_SIMILARITY), scores, -np.inf)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        return [(self.ids[i], float(scores[i])) for i in best if np.isfinite(scores[i])]


class VectorCache:
    def __init__(self) -> None:
        self.model = ""
        self.partitions: dict[int, Partition] = {}
        self.where: dict[int, int] = {}  # document id → partition
        self.seen_until: datetime | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()

    def refresh(self, model: str, force: bool = False) -> None:
        now = time.monotonic()
        if model == self.model and not force and now - self.checked_at < REFRESH_SECONDS:
            return
        with self.lock:
            if model != self.model:
                self.__init__()  # type: ignore[misc]
                self.model = model
            self.checked_at = now
            rows = Document.objects.filter(embedding_model=model).exclude(embedding=None)
            if self.seen_until is not None:
                # A second's overlap: a vector written in the same instant is not missed.
                rows = rows.filter(embedded_at__gte=self.seen_until - timedelta(seconds=1))
            latest = self.seen_until
            for pk, community_id, kind, blob, embedded_at in rows.values_list(
                "pk", "community_id", "kind", "embedding", "embedded_at"
            ).iterator(chunk_size=5000):
                self._put(pk, community_id or ORG_WIDE, KIND_CODES[kind], blob)
                if embedded_at is not None and (latest is None or embedded_at > latest):
                    latest = embedded_at
            self.seen_until = latest

    def _put(self, pk: int, partition: int, kind: int, blob: Any) -> None:
        vector = np.frombuffer(bytes(blob), dtype=np.float16).astype(np.float32)
        before = self.where.get(pk)
        if before is not None and before != partition:
            self.partitions[before].drop(pk)  # the document moved to another community
        self.partitions.setdefault(partition, Partition()).put(pk, kind, vector)
        self.where[pk] = partition

    def search(
        self, query: np.ndarray, scope: SearchScope, kinds: tuple[str, ...], k: int
    ) -> list[tuple[int, float]]:
        wanted = {KIND_CODES[x] for x in kinds} if kinds else None
        if not scope.signed_in:
            return []
        names = list(self.partitions) if scope.everything else [ORG_WIDE, *scope.community_ids]
        found: list[tuple[int, float]] = []
        for name in names:
            partition = self.partitions.get(name)
            if partition is not None:
                found += partition.top(query, wanted, k)
        found.sort(key=lambda hit: -hit[1])
        return found[:k]


CACHE = VectorCache()


def search(
    query: np.ndarray, model: str, scope: SearchScope, kinds: tuple[str, ...], k: int
) -> list[tuple[int, float]]:
    CACHE.refresh(model)
    return CACHE.search(query, scope, kinds, k)
