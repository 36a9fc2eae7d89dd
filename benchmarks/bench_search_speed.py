"""Search latency at 10k, 100k and 1M documents, on SQLite and PostgreSQL. Prints ONE JSON line.

Per database, in a child process on a scratch database, a generated corpus grows through the
sizes (`--sizes`). Documents are questions, answers and resources in one community the
signed-in reader belongs to, plus a private community's share the reader never sees; their
words follow a Zipf law over a 20,000-word vocabulary. They are written with their full-text
index (the FTS5 triggers, or PostgreSQL's generated tsvector and GIN index): that time is
reported as the time to index the corpus.

Vectors: embedding a million documents with the model would take hours on two cores (see
bench_embeddings for its throughput), so corpus vectors are static embeddings (the normalised
sum of fixed random word vectors, like model2vec's token averages): neighbours share words, so
the vector index sees realistic structure. Each query still pays for the real model: the
embedder used at query time runs all-MiniLM-L6-v2 on the query (int8, as in production) and
then returns the static vector of the same text, so the latencies include the model call.

After each growth step the common words are recounted (`vocabulary.refresh`), as the task
after a bulk load does; its time is reported. Measured per size, each over distinct queries
(no cache hits): the search page's retrieval
(`selectors.search`: hybrid ranking, count, snippets, rows) and the ask form's suggestion
(`selectors.similar`), p50/p95; the vector cache's load (and index build) time.
Targets: hybrid p95 <= 50 ms at 100k and <= 200 ms at 1M; suggestion p95 <= 150 ms at 100k.

    .venv/bin/python benchmarks/bench_search_speed.py
    .venv/bin/python benchmarks/bench_search_speed.py --sizes 10000,100000 --databases sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import (
    DEFAULT_POSTGRES,
    in_scratch_database,
    percentiles,
    setup_django_child,
)

VOCABULARY = 20_000
DIM = 384
TARGETS = {"hybrid_p95_ms": {100_000: 50.0, 1_000_000: 200.0}, "similar_p95_ms": {100_000: 150.0}}
SYLLABLES = [c + v for c in "bcdfghklmnprstvwz" for v in "aeiou"] + ["qu", "th", "sh", "ch"]


class Corpus:
    """Deterministic generated text and its static vectors."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        words: set[str] = set()
        while len(words) < VOCABULARY:
            n = int(self.rng.integers(2, 5))
            words.add("".join(SYLLABLES[i] for i in self.rng.integers(0, len(SYLLABLES), n)))
        self.words = sorted(words)
        self.index = {w: i for i, w in enumerate(self.words)}
        ranks = np.arange(1, VOCABULARY + 1)
        self.p = (1 / ranks) / (1 / ranks).sum()
        table = self.rng.standard_normal((VOCABULARY, DIM)).astype(np.float32)
        self.table = table / np.linalg.norm(table, axis=1, keepdims=True)

    def text(self, n: int) -> list[str]:
        return [self.words[i] for i in self.rng.choice(VOCABULARY, size=n, p=self.p)]

    def vector(self, words: list[str]) -> np.ndarray:
        ids = [self.index[w] for w in words if w in self.index]
        v = self.table[ids].sum(axis=0) if ids else self.table[0]
        return v / (np.linalg.norm(v) or 1.0)


class QueryTimedStatic:
    """Query embedder for the benchmark: pays for the real model, returns the static vector."""

    name = "static-bench"
    dim = DIM

    def __init__(self, corpus: Corpus, model: Any) -> None:
        self.corpus = corpus
        self.model = model

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if self.model is not None:
            self.model.embed(texts)
        return np.vstack([self.corpus.vector(t.lower().split()) for t in texts])


def grow(corpus: Corpus, start: int, stop: int, community: int, private: int) -> float:
    """Write documents start..stop-1 (one in ten in the private community); returns seconds."""
    from django.db import connection, transaction
    from django.utils import timezone

    from trellis.core.bulk import datetime_adapter, fast_insert
    from trellis.search.embeddings import to_blob
    from trellis.search.models import Document

    when = datetime_adapter()
    now = timezone.now()
    kinds = ("question", "answer", "answer", "resource")
    columns = ("kind", "object_id", "community_id", "parent_id", "title", "body", "tags",
               "created_at", "updated_at", "quality", "content_hash", "embedding",
               "embedding_model", "embedded_at")  # fmt: skip
    began = time.perf_counter()
    for chunk_start in range(start, stop, 5000):
        numbers = range(chunk_start, min(stop, chunk_start + 5000))
        lengths = (
            corpus.rng.integers(5, 12, len(numbers)),
            corpus.rng.integers(40, 160, len(numbers)),
        )
        # One draw per chunk: choosing from a Zipf law word by word costs O(vocabulary) each.
        words = int(lengths[0].sum() + lengths[1].sum() + 3 * len(numbers))
        drawn = corpus.rng.choice(VOCABULARY, size=words, p=corpus.p)
        at = 0
        rows = []
        for n, i in enumerate(numbers):
            t, b = int(lengths[0][n]), int(lengths[1][n])
            title_ids, body_ids = drawn[at : at + t], drawn[at + t : at + t + b]
            tag_ids = drawn[at + t + b : at + t + b + 3]
            at += t + b + 3
            vector = corpus.table[title_ids].sum(axis=0) * 2 + corpus.table[body_ids].sum(axis=0)
            vector /= np.linalg.norm(vector) or 1.0
            created = when(now - timedelta(minutes=stop - i))
            rows.append((
                kinds[i % 4], i + 1, private if i % 10 == 9 else community,
                i - i % 4 + 1 if kinds[i % 4] == "answer" else None,
                " ".join(corpus.words[w] for w in title_ids),
                " ".join(corpus.words[w] for w in body_ids),
                " ".join(corpus.words[w] for w in tag_ids), created, created,
                0.0, "", to_blob(vector), QueryTimedStatic.name, when(now),
            ))  # fmt: skip
        with transaction.atomic():
            fast_insert(Document, columns, rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    assert Document.objects.count() == stop
    return time.perf_counter() - began


def measure(fn: Any, inputs: list[Any]) -> dict[str, float]:
    for value in inputs[:5]:
        fn(value)
    samples = []
    for value in inputs[5:]:
        began = time.perf_counter()
        fn(value)
        samples.append((time.perf_counter() - began) * 1000)
    return percentiles(samples)


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    server = setup_django_child()
    from trellis.communities.models import Community, Membership
    from trellis.people.models import Person
    from trellis.search import embeddings, selectors, semantic, vocabulary
    from trellis.search.embeddings.local import LocalMiniLM

    corpus = Corpus(args.seed)
    reader = Person.objects.create_user("reader@example.com", "x", name="Reader")
    public = Community.objects.create(name="Bench", slug="bench", domain="d")
    private = Community.objects.create(name="Hidden", slug="hidden", domain="d",
                                       visibility="private")  # fmt: skip
    Membership.objects.create(community=public, person=reader, role="member")
    model = LocalMiniLM() if not args.no_model else None
    embedder = QueryTimedStatic(corpus, model)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[str, Any] = {"server": server, "sizes": {}}
    done = 0
    with embeddings.using(embedder):
        for size in sizes:
            seconds = grow(corpus, done, size, public.pk, private.pk)
            step, done = size - done, size
            began = time.perf_counter()
            common_words = vocabulary.refresh()  # as the task after a bulk load does
            vocabulary_s = time.perf_counter() - began
            semantic.CACHE.__init__()  # type: ignore[misc]
            began = time.perf_counter()
            semantic.CACHE.refresh(embedder.name, force=True)
            load_s = time.perf_counter() - began
            queries = [" ".join(corpus.text(int(corpus.rng.integers(2, 5))))
                       for _ in range(args.queries + 5)]  # fmt: skip
            drafts = [" ".join(corpus.text(int(corpus.rng.integers(6, 12))))
                      for _ in range(args.queries + 5)]  # fmt: skip
            hybrid = measure(lambda q: selectors.search(viewer=reader, text=q), queries)
            lexical = measure(
                lambda q: selectors.search(viewer=reader, text=q, mode="lexical"),
                [q + " x" for q in queries],
            )
            similar = measure(lambda t: selectors.similar(viewer=reader, text=t), drafts)
            results["sizes"][str(size)] = {
                "documents": size,
                "index_seconds_for_this_step": round(seconds, 1),
                "index_docs_per_s": round(step / seconds, 1),
                "vector_cache_load_s": round(load_s, 2),
                "vocabulary_refresh_s": round(vocabulary_s, 2),
                "common_words": common_words,
                "approximate_index": any(
                    p.ann is not None for p in semantic.CACHE.partitions.values()
                ),
                "hybrid": hybrid,
                "lexical_only": lexical,
                "similar": similar,
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-model", action="store_true", help="queries skip the model call")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--database", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database:
        print(json.dumps(run_child(args)))
        return
    started = time.perf_counter()
    results = {}
    for db in filter(None, args.databases.split(",")):
        command = [sys.executable, __file__, "--database", db, "--sizes", args.sizes,
                   "--queries", str(args.queries), "--seed", str(args.seed)]  # fmt: skip
        if args.no_model:
            command.append("--no-model")
        results[db] = in_scratch_database(db, "search", command, args.postgres_url)
    checks = {}
    meets = all("error" not in r for r in results.values())
    for db, result in results.items():
        for size, figures in result.get("sizes", {}).items():
            for metric, per_size in TARGETS.items():
                target = per_size.get(int(size))
                if target is None:
                    continue
                measured = figures[metric.split("_")[0]]["p95_ms"]
                checks[f"{db} {metric} @{size}"] = {"p95_ms": measured, "target": target,
                                                    "ok": measured <= target}  # fmt: skip
                meets = meets and measured <= target
    print(json.dumps({
        "benchmark": "search-speed",
        "checks": checks,
        "meets_targets": meets,
        "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "databases": results,
        "wall_s": round(time.perf_counter() - started, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
