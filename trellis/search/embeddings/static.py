"""Static embeddings distilled from all-MiniLM-L6-v2, for bulk jobs.

The transformer embeds 40 to 50 documents a second here (bench_embeddings); a million imported
posts would take six hours. Like model2vec, this embeds every token of the vocabulary once
with the model itself (alone between [CLS] and [SEP]) and then represents a text as the
weighted mean of its tokens' vectors, weighting rare tokens more (smooth inverse frequency,
from the token's rank in the vocabulary, which WordPiece orders roughly by frequency). It
embeds thousands of documents a second, loses word order and context, and costs the quality
measured in bench_search_quality's `static` variant. Queries must use the same embedder: the
two vector spaces are not comparable (each vector is stored with its embedder's name).
"""

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from trellis.search.embeddings.local import LocalMiniLM, default_model_dir

TOKENS_PER_BATCH = 512


class StaticMiniLM:
    dim = 384
    # Calibrated as LocalMiniLM's floors. Its vectors are all alike (linked pairs median .90):
    # the separating rule would stand alone at 0.925 and drop 3 links in 4, so meaning alone
    # has the relevance floor here too; no nonsense query of the benchmark passes it.
    relevance_floor = 0.76
    standalone_floor = 0.76

    def __init__(self, model_dir: Path | None = None, *, cache_dir: Path | None = None) -> None:
        self._teacher = LocalMiniLM(model_dir or default_model_dir(), cache_dir=cache_dir,
                                    quantized=False, max_tokens=8)  # fmt: skip
        self.name = "minilm-l6-v2-static"
        self._table: np.ndarray | None = None
        self._tokenizer: Any = None
        self._cache_dir = cache_dir

    def _table_file(self) -> Path:
        from django.conf import settings

        folder = self._cache_dir or Path(settings.DATA_DIR) / "models"
        folder.mkdir(parents=True, exist_ok=True)
        weights = self._teacher.model_dir / "model.safetensors"
        stamp = hashlib.sha256(f"{weights.resolve()}:{weights.stat().st_size}".encode())
        return folder / f"minilm-static-{stamp.hexdigest()[:12]}.npy"

    def _load(self) -> np.ndarray:
        if self._table is not None:
            return self._table
        path = self._table_file()
        if path.exists():
            self._table = np.load(path)
            return self._table
        table = self._distil()
        partial = path.with_suffix(".partial.npy")
        np.save(partial, table)
        partial.replace(path)
        self._table = table
        return table

    def _distil(self) -> np.ndarray:
        """Each vocabulary token through the model on its own, then weighted by rarity."""
        self._teacher.embed(["warm up"])
        session: Any = self._teacher._session
        tokenizer: Any = self._teacher._tokenizer
        vocabulary = tokenizer.get_vocab_size()
        cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        table = np.zeros((vocabulary, self.dim), dtype=np.float32)
        for start in range(0, vocabulary, TOKENS_PER_BATCH):
            ids = np.arange(start, min(vocabulary, start + TOKENS_PER_BATCH), dtype=np.int64)
            batch = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
            (hidden,) = session.run(
                None, {"input_ids": batch, "attention_mask": np.ones_like(batch)}
            )
            table[start : start + len(ids)] = hidden[:, 1, :]  # the token's own position
        rank = np.arange(1, vocabulary + 1, dtype=np.float32)
        weights = np.log1p(rank / 100.0)[:, None]  # rarer (later) WordPiece tokens weigh more
        return table * weights

    def embed(self, texts: list[str], batch_size: int = 1024) -> np.ndarray:
        table = self._load()
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self._teacher.model_dir / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=512)
            tokenizer.no_padding()
            self._tokenizer = tokenizer
        tokenizer = self._tokenizer
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = tokenizer.encode_batch(texts[start : start + batch_size],
                                           add_special_tokens=False)  # fmt: skip
            for row, encoding in enumerate(chunk):
                ids = encoding.ids[:512]
                if ids:
                    out[start + row] = table[ids].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.clip(norms, 1e-12, None)
