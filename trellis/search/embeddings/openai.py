"""An OpenAI-compatible embeddings endpoint that the organisation runs (vLLM, Ollama, TEI,
LiteLLM, or OpenAI itself): POST {base}/embeddings with {"model", "input"}."""

import json
import urllib.error
import urllib.request

import numpy as np

from trellis.search.embeddings.base import EmbeddingUnavailable


class OpenAICompatible:
    def __init__(
        self,
        base_url: str,
        model: str,
        dim: int,
        api_key: str = "",
        timeout: float = 30,
        relevance_floor: float = 0.0,
    ):
        if not base_url or not model:
            raise EmbeddingUnavailable(
                "Set TRELLIS_EMBEDDING_URL and TRELLIS_EMBEDDING_MODEL for the embeddings endpoint."
            )
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.dim = dim
        self.name = f"api:{model}"[:60]
        self.api_key = api_key
        self.timeout = timeout
        self.relevance_floor = relevance_floor

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            vectors = self._post(chunk)
            if vectors.shape != (len(chunk), self.dim):
                raise EmbeddingUnavailable(
                    f"The embeddings endpoint returned vectors of shape {vectors.shape}; "
                    f"expected {(len(chunk), self.dim)} (check TRELLIS_EMBEDDING_DIM)."
                )
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out[start : start + len(chunk)] = vectors / np.clip(norms, 1e-12, None)
        return out

    def _post(self, texts: list[str]) -> np.ndarray:
        body = json.dumps({"model": self.model, "input": texts}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise EmbeddingUnavailable(f"The embeddings endpoint failed: {error}") from error
        rows = sorted(payload.get("data", []), key=lambda row: row.get("index", 0))
        return np.asarray([row["embedding"] for row in rows], dtype=np.float32)
