"""Near-duplicate questions and resources: the "five versions of the same guide" problem.

Two signals, because duplicates come in two shapes. An edited copy shares most of its
wording: MinHash over 5-word shingles estimates the Jaccard similarity of two texts from
64-value signatures (datasketch), stored with each document. A rewrite says the same thing
in other words: the cosine of the two embeddings. Pairs above either threshold, within the
same community, become `DuplicatePair` rows for the curation queue.
"""

import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash
from django.db.models import Q, QuerySet

from trellis.core.access import SearchScope
from trellis.search import embeddings
from trellis.search.models import DocKind, Document, DuplicatePair, PairStatus

SHINGLE_WORDS = 5
NUM_PERM = 64
SEED = 20241125
WORDING_THRESHOLD = 0.5  # estimated Jaccard of shingles
MEANING_THRESHOLD = 0.92  # cosine of all-MiniLM-L6-v2 vectors: a rewrite, not a neighbour
CURATED_KINDS = (DocKind.QUESTION, DocKind.RESOURCE)
_WORD = re.compile(r"\w+")


def signature(text: str) -> bytes:
    words = _WORD.findall(text.lower())
    shingles = {
        " ".join(words[i : i + SHINGLE_WORDS])
        for i in range(max(1, len(words) - SHINGLE_WORDS + 1))
    }
    sketch = MinHash(num_perm=NUM_PERM, seed=SEED)
    sketch.update_batch([s.encode() for s in shingles])
    packed: bytes = sketch.hashvalues.astype(np.uint32).tobytes()
    return packed


def _signatures(blobs: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(blobs), NUM_PERM)


FULL_SCAN_LIMIT = 20_000  # beyond this a scope is only checked document by document
CANDIDATES = 30  # per changed document, from search itself


@dataclass
class _Docs:
    ids: list[int]
    minhashes: np.ndarray
    vectors: np.ndarray | None


def _load(documents: QuerySet[Document]) -> _Docs:
    model = embeddings.embedder()
    rows = list(
        documents.exclude(minhash=None).values_list("pk", "minhash", "embedding", "embedding_model")
    )
    vectors = None
    if model is not None and rows and all(r[3] == model.name and r[2] for r in rows):
        vectors = np.vstack([embeddings.from_blob(bytes(r[2] or b"")) for r in rows])
    return _Docs(
        ids=[r[0] for r in rows],
        minhashes=_signatures([bytes(r[1] or b"") for r in rows]),
        vectors=None if vectors is None else vectors.astype(np.float32),
    )


def _compare(probes: _Docs, scope: _Docs, found: dict[tuple[int, int], dict[str, float]]) -> None:
    """Pairs of (probe, scope document) over either threshold, into `found`."""
    if not probes.ids or not scope.ids:
        return
    # Blocks of probes keep the probes x scope x 64 comparison within ~16 M cells.
    step = max(1, min(256, 16_000_000 // (len(scope.ids) * NUM_PERM)))
    with_meaning = probes.vectors is not None and scope.vectors is not None
    for start in range(0, len(probes.ids), step):
        block = slice(start, start + step)
        wording = (probes.minhashes[block][:, None, :] == scope.minhashes[None, :, :]).mean(axis=2)
        meaning = probes.vectors[block] @ scope.vectors.T if with_meaning else None  # type: ignore[index, union-attr]
        for row, probe in enumerate(probes.ids[block]):
            close = set(np.flatnonzero(wording[row] >= WORDING_THRESHOLD).tolist())
            if meaning is not None:
                close |= set(np.flatnonzero(meaning[row] >= MEANING_THRESHOLD).tolist())
            for j in close:
                other = scope.ids[j]
                if other == probe:
                    continue
                figures = found[(min(probe, other), max(probe, other))]
                figures["wording"] = round(float(wording[row, j]), 3)
                if meaning is not None:
                    figures["meaning"] = round(float(meaning[row, j]), 3)


def _in(community_id: int | None) -> Q:
    """Rows of one scope: a community, or org-wide (no community)."""
    return Q(community__isnull=True) if community_id is None else Q(community_id=community_id)


def _scope(community_id: int | None) -> QuerySet[Document]:
    return Document.objects.filter(_in(community_id), kind__in=CURATED_KINDS)


def detect(community_id: int | None) -> int:
    """Every pair of a scope (a community, or org-wide): for scopes up to FULL_SCAN_LIMIT
    documents; bigger ones are checked as documents change (`detect_for_documents`)."""
    scope = _scope(community_id)
    if scope.count() > FULL_SCAN_LIMIT:
        return 0
    docs = _load(scope)
    found: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    _compare(docs, docs, found)
    return _record(community_id, found)


def detect_for_documents(document_ids: list[int]) -> int:
    """After (re)indexing: each changed question or resource against the documents search
    itself finds closest to it in its scope (words and meaning), so the cost does not grow
    with the scope."""
    from trellis.search.lexical import Filters
    from trellis.search.selectors import ranked_ids

    everything = SearchScope(True, True, frozenset())
    new = 0
    for document in Document.objects.filter(pk__in=document_ids, kind__in=CURATED_KINDS):
        filters = Filters(kinds=CURATED_KINDS, community_id=document.community_id)
        ranked, _ = ranked_ids(
            f"{document.title}\n{document.body[:1000]}", everything, filters, CANDIDATES
        )
        candidates = [pk for pk, _ in ranked if pk != document.pk]
        scope = _scope(document.community_id).filter(pk__in=candidates)
        found: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
        _compare(_load(Document.objects.filter(pk=document.pk)), _load(scope), found)
        new += _record(document.community_id, found)
    return new


def _record(community_id: int | None, found: dict[tuple[int, int], dict[str, float]]) -> int:
    if not found:
        return 0
    known = set(
        DuplicatePair.objects.filter(first_id__in={a for a, _ in found}).values_list(
            "first_id", "second_id"
        )
    )
    new = [
        DuplicatePair(
            community_id=community_id,
            first_id=a,
            second_id=b,
            wording=figures.get("wording"),
            meaning=figures.get("meaning"),
        )
        for (a, b), figures in found.items()
        if (a, b) not in known
    ]
    DuplicatePair.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@dataclass
class Cluster:
    documents: list[Document]
    pairs: list[DuplicatePair]

    @property
    def key(self) -> str:
        return "-".join(str(d.pk) for d in self.documents)


def open_clusters(community_id: int | None) -> list[Cluster]:
    """Connected groups of open pairs, biggest first."""
    pairs = list(
        DuplicatePair.objects.filter(_in(community_id), status=PairStatus.OPEN).order_by("pk")
    )
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        parent[root(pair.first_id)] = root(pair.second_id)
    groups: dict[int, list[int]] = defaultdict(list)
    for pk in list(parent):
        groups[root(pk)].append(pk)
    documents = Document.objects.in_bulk(list(parent))
    clusters = []
    for members in groups.values():
        docs = sorted((documents[m] for m in members if m in documents), key=lambda d: d.pk)
        if len(docs) < 2:
            continue
        inside = set(members)
        clusters.append(Cluster(docs, [p for p in pairs if p.first_id in inside]))
    clusters.sort(key=lambda c: (-len(c.documents), c.documents[0].pk))
    return clusters
