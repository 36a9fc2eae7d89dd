"""How well each month's questions fit their community's domain: the drift half of
"stagnation and drift".

A question fits as well as the community's typical question when its vector is at least as
close to the community's own words (name, domain and charter, embedded by the configured
embedder) as the median of its questions over the months read. A month's fit is the share of
its questions that do: about half in a steady community, falling when the questions move away
from what the community says it is about. Cosine similarities themselves mean little to a
reader; "fewer of the recent questions are about what the community is for" does. None where
nothing can be said: no embedder, fewer than MIN_QUESTIONS questions with a vector over the
months read, or no question in the month.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from trellis.communities.models import Community
from trellis.search import embeddings
from trellis.search.embeddings import from_blob
from trellis.search.embeddings.base import EmbeddingUnavailable
from trellis.search.models import DocKind, Document

MIN_QUESTIONS = 12
READ_CHUNK = 5000


def monthly_fit(
    ids: Sequence[int], ends: Sequence[datetime], first: datetime
) -> dict[int, list[float | None]]:
    """community id -> one share per month (the months ending at `ends`, from `first`)."""
    model = embeddings.embedder()
    if model is None or not ids:
        return {}
    communities = list(
        Community.objects.filter(pk__in=list(ids)).values_list("pk", "name", "domain", "charter")
    )
    texts = [
        embeddings.document_text(name, "", f"{domain}\n{charter}".strip())
        for _, name, domain, charter in communities
    ]
    try:
        vectors = model.embed(texts)
    except EmbeddingUnavailable:
        return {}
    own = {
        pk: np.asarray(v, dtype=np.float32)
        for (pk, *_), v in zip(communities, vectors, strict=True)
    }
    fits: dict[int, list[tuple[int, float]]] = defaultdict(list)
    rows = Document.objects.filter(
        kind=DocKind.QUESTION,
        community_id__in=list(own),
        embedding_model=model.name,
        embedding__isnull=False,
        created_at__gte=first,
        created_at__lt=ends[-1],
    ).values_list("community_id", "created_at", "embedding")
    for community_id, created_at, blob in rows.iterator(chunk_size=READ_CHUNK):
        month = _month_of(created_at, ends)
        if blob and month is not None:
            vector = from_blob(bytes(blob))
            fits[community_id].append((month, float(np.dot(vector, own[community_id]))))
    return {pk: _shares(found, len(ends)) for pk, found in fits.items()}


def _month_of(moment: datetime, ends: Sequence[datetime]) -> int | None:
    index = bisect_right(ends, moment)
    return index if index < len(ends) else None


def _shares(found: list[tuple[int, float]], months: int) -> list[float | None]:
    if len(found) < MIN_QUESTIONS:
        return [None] * months
    typical = float(np.median([fit for _, fit in found]))
    fitting, asked = [0] * months, [0] * months
    for month, fit in found:
        asked[month] += 1
        fitting[month] += fit >= typical
    return [fitting[m] / asked[m] if asked[m] else None for m in range(months)]
