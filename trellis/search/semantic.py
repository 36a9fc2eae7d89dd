"""Semantic retrieval: cosine similarity against the stored vectors, one partition per scope.

Vectors live in the database (`Document.embedding`); each process keeps them in memory as one
float32 matrix per community (and one for org-wide documents), refreshed from what was
embedded since its last look. A query scores only the partitions the viewer may see: private
vectors are never compared with an outsider's query, so neither results nor their order can
reflect them.
"""

import threading
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from trellis.core.access import SearchScope
from trellis.search.models import DocKind, Document

MIN_SIMILARITY = 0.2  # below this cosine a "nearest" document is noise, not a match
REFRESH_SECONDS = 2.0  # at most one look for new vectors per process per interval
ANN_FROM = 50_000  # vectors in a partition before it gets an approximate index
ANN_PROBES = 48  # inverted lists visited per query (of 2·√n: 2.4% of a million vectors)
KIND_CODES = {kind: code for code, kind in enumerate(DocKind.values)}
ORG_WIDE = 0  # the partition of documents without a community


class Partition:
    """One scope's vectors. Up to ANN_FROM vectors, an exact scan of a float32 matrix; from
    there an inverted-file index with 8-bit scalar quantisation (faiss IVF-SQ8), which answers
    in milliseconds at a million vectors where the scan takes a tenth of a second."""

    def __init__(self) -> None:
        self.position: dict[int, int] = {}
        self.ids: list[int] = []
        self.kinds = bytearray()  # kind code + 1; 0 marks a dropped document
        self.hashes: list[int] = []  # of each vector's stored bytes: unchanged ones are skipped
        self.rows: list[np.ndarray] = []  # exact mode only
        self._matrix: np.ndarray | None = None
        self.ann: Any = None

    def __len__(self) -> int:
        return len(self.ids)

    def put_many(
        self,
        doc_ids: list[int],
        kinds: list[int],
        vectors: np.ndarray,
        hashes: list[int] | None = None,
    ) -> None:
        """Add or replace vectors. One whose bytes are unchanged is left alone: the cache's
        look-back re-reads recent rows every refresh, and replacing a vector in the
        approximate index scans all of its lists."""
        hashes = hashes if hashes is not None else [hash(v.tobytes()) for v in vectors]
        fresh_ids, fresh_rows, updated = [], [], []
        for doc_id, kind, vector, digest in zip(doc_ids, kinds, vectors, hashes, strict=True):
            at = self.position.get(doc_id)
            if at is None:
                self.position[doc_id] = len(self.ids)
                self.ids.append(doc_id)
                self.kinds.append(kind + 1)
                self.hashes.append(digest)
                fresh_ids.append(doc_id)
                fresh_rows.append(vector)
            elif self.hashes[at] == digest:
                self.kinds[at] = kind + 1  # (a dropped document may come back unchanged)
            else:
                self.kinds[at] = kind + 1
                self.hashes[at] = digest
                updated.append((at, doc_id, vector))
        if self.ann is not None:
            changed = [doc_id for _, doc_id, _ in updated]
            if changed:
                self.ann.remove_ids(np.asarray(changed, dtype=np.int64))
            every = fresh_rows + [v for _, _, v in updated]
            if every:
                self.ann.add_with_ids(
                    np.vstack(every).astype(np.float32),
                    np.asarray(fresh_ids + changed, dtype=np.int64),
                )
            return
        if not fresh_rows and not updated:
            return  # only unchanged vectors re-read: the stacked matrix still holds
        self.rows.extend(fresh_rows)
        for at, _, vector in updated:
            self.rows[at] = vector
        self._matrix = None
        if len(self.ids) >= ANN_FROM:
            self._build_ann()

    def put(self, doc_id: int, kind: int, vector: np.ndarray) -> None:
        self.put_many([doc_id], [kind], vector[None, :])

    def drop(self, doc_id: int) -> None:
        at = self.position.get(doc_id)
        if at is not None:
            self.kinds[at] = 0

    def _build_ann(self) -> None:
        import faiss

        matrix = np.vstack(self.rows).astype(np.float32)
        lists = int(2 * np.sqrt(len(matrix)))
        quantiser = faiss.IndexFlatIP(matrix.shape[1])
        index = faiss.IndexIVFScalarQuantizer(
            quantiser, matrix.shape[1], lists, faiss.ScalarQuantizer.QT_8bit,
            faiss.METRIC_INNER_PRODUCT,
        )  # fmt: skip
        sample = matrix[np.random.default_rng(0).permutation(len(matrix))[: lists * 40]]
        index.train(sample)
        index.add_with_ids(matrix, np.asarray(self.ids, dtype=np.int64))
        index.nprobe = ANN_PROBES
        self.ann, self.rows, self._matrix = index, [], None

    def top(self, query: np.ndarray, kinds: set[int] | None, k: int) -> list[tuple[int, float]]:
        if not self.ids:
            return []
        wanted = {c + 1 for c in kinds} if kinds is not None else None
        if self.ann is not None:
            # Over-fetch: hits of unwanted kinds, or dropped, are filtered afterwards.
            scores, found = self.ann.search(query[None, :].astype(np.float32), k * 4)
            hits = []
            for score, doc_id in zip(scores[0], found[0], strict=True):
                at = self.position.get(int(doc_id)) if doc_id >= 0 else None
                code = self.kinds[at] if at is not None else 0
                if code and (wanted is None or code in wanted) and score >= MIN_SIMILARITY:
                    hits.append((int(doc_id), float(score)))
            return hits[:k]
        if self._matrix is None:
            self._matrix = np.vstack(self.rows).astype(np.float32, copy=False)
        codes = np.frombuffer(bytes(self.kinds), dtype=np.uint8)
        allowed = np.isin(codes, list(wanted)) if wanted is not None else codes > 0
        scores = self._matrix @ query
        scores = np.where(allowed & (scores >= MIN_SIMILARITY), scores, -np.inf)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        return [(self.ids[i], float(scores[i])) for i in best if np.isfinite(scores[i])]


class VectorCache:
    def __init__(self) -> None:
        self.model = ""
        self.partitions: dict[int, Partition] = {}
        self.where: dict[int, int] = {}  # document id → partition
        self.seen_until: datetime | None = None  # (embedded_at, pk) of the last vector read
        self.seen_pk = 0
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
                # Also a bounded look back: a vector stamped just before the last one seen
                # may have committed after it was read.
                recent = rows.filter(
                    embedded_at__gt=self.seen_until - timedelta(seconds=2),
                    embedded_at__lte=self.seen_until,
                ).order_by("-embedded_at")[:1000]
                self._load(recent)
                # The keyset (embedded_at, id) > (t, n) as two ranges of the (embedded_at, id)
                # index: a bulk load stamps a million rows alike, and both the OR and a row
                # value made the engines walk all of them.
                stamp, last = self.seen_until, self.seen_pk
                self._load(rows.filter(embedded_at=stamp, pk__gt=last).order_by("pk"), True)
                rows = rows.filter(embedded_at__gt=stamp)
            self._load(rows.order_by("embedded_at", "pk"), advance=True)

    def _load(self, rows: Any, advance: bool = False) -> None:
        batch: list[tuple[int, int, int, Any]] = []
        for pk, community_id, kind, blob, embedded_at in rows.values_list(
            "pk", "community_id", "kind", "embedding", "embedded_at"
        ).iterator(chunk_size=5000):
            batch.append((pk, community_id or ORG_WIDE, KIND_CODES[kind], blob))
            if advance and embedded_at is not None:
                self.seen_until, self.seen_pk = embedded_at, pk
            if len(batch) == 50_000:
                self._put_batch(batch)
                batch = []
        self._put_batch(batch)

    def _put_batch(self, batch: list[tuple[int, int, int, Any]]) -> None:
        by_partition: dict[int, list[tuple[int, int, Any]]] = {}
        for pk, partition, kind, blob in batch:
            before = self.where.get(pk)
            if before is not None and before != partition:
                self.partitions[before].drop(pk)  # the document moved to another community
            self.where[pk] = partition
            by_partition.setdefault(partition, []).append((pk, kind, blob))
        for partition, rows in by_partition.items():
            blobs = [bytes(r[2]) for r in rows]
            vectors = np.frombuffer(b"".join(blobs), dtype=np.float16)
            self.partitions.setdefault(partition, Partition()).put_many(
                [r[0] for r in rows],
                [r[1] for r in rows],
                vectors.reshape(len(rows), -1).astype(np.float32),
                [hash(blob) for blob in blobs],
            )

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
