"""Reciprocal rank fusion (Cormack, Clarke & Büttcher, 2009): each retriever votes 1/(k+rank)
for its results. Rank-based, so BM25's unbounded scores and cosine similarities need no
calibration against each other."""

from collections import defaultdict

RRF_K = 60


def reciprocal_rank(
    rankings: list[list[tuple[int, float]]], weights: list[float] | None = None, k: int = RRF_K
) -> list[tuple[int, float]]:
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = defaultdict(float)
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (doc_id, _) in enumerate(ranking, start=1):
            fused[doc_id] += weight / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
