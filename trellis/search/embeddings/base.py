"""What every embedding provider offers: a name (stored with each vector, so that vectors of
different models are never compared), a dimension and `embed`."""

from typing import Protocol

import numpy as np


class EmbeddingUnavailable(RuntimeError):
    """No model or endpoint is configured or reachable: semantic search is off."""


class Embedder(Protocol):
    """A text embedder. It may also declare `relevance_floor`, the cosine below which its
    neighbours are unrelated, and `standalone_floor`, above which meaning alone vouches for
    one (see `embeddings.relevance_floor` and `embeddings.standalone_floor`)."""

    name: str
    dim: int

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...
