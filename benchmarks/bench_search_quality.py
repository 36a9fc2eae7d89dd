"""Does search find what someone already asked? Ranking quality on Stack Exchange dumps, with
a plain BM25 baseline in the same run. Prints ONE JSON line.

For each dump (the real ones in ../shared/data/stackexchange, or the folders given), in a
scratch database per engine: import it with `trellis import stackexchange`'s code, index it,
embed it. Then, for every question with a duplicate link (LinkTypeId 3) and, separately, a
related link (LinkTypeId 1) to a question posted before it, rank the questions posted before
it (an answer stands for its question) with the question's title and body as the query, as
the ask form does. Relevant: the questions it is linked to, either direction. Reported per
link type: MAP@100, MRR, nDCG@10, R@10 and R@100 for

- bm25: plain Okapi BM25 (rank_bm25, lower-cased words, no stemming) over the title and body
  of the earlier questions, rebuilt for each query so that no later text leaks in;
- lexical: Trellis's database retrieval (FTS5 BM25 on SQLite, ts_rank on PostgreSQL), with
  its common-word pruning (`lexical.plan`), and lexical_every_word without it: the quality
  cost of the pruning;
- semantic and hybrid: per embedding variant (`--variants`; model, precision, tokens; a
  "+nofloor" suffix turns the model's relevance floor off, "+floor0.247" one floor for every use,
  for a comparison in one run);
- ask: the ask form's "already asked?" panel (hybrid, close in meaning only, five shown): its
  r@10 is the share of queries whose linked earlier question it still shows.

Targets: hybrid nDCG@10 ≥ 1.2 x bm25 on related links and ≥ bm25 on duplicates.

    .venv/bin/python benchmarks/bench_search_quality.py
    .venv/bin/python benchmarks/bench_search_quality.py /path/to/dump-dir --databases sqlite
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import DEFAULT_POSTGRES, ROOT, in_scratch_database, setup_django_child

REAL_DUMPS = ROOT.parent / "shared" / "data" / "stackexchange"
LINK_TYPES = {3: "duplicate", 1: "related"}
DEPTH = 100
ASK_SHOWN = 5  # the ask form's panel shows five; its r@10 is then the share still shown
TARGET_RELATED = 1.2
TARGET_DUPLICATE = 1.0
_WORDS = re.compile(r"\w+")


# Metrics ---------------------------------------------------------------------------------------


def metrics(ranking: list[int], relevant: set[int]) -> dict[str, float]:
    ranking = ranking[:DEPTH]
    hits, precision_sum, first = 0, 0.0, 0
    dcg = 0.0
    for i, doc in enumerate(ranking, start=1):
        if doc in relevant:
            hits += 1
            precision_sum += hits / i
            first = first or i
            if i <= 10:
                dcg += 1 / math.log2(i + 1)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), 10) + 1))
    return {
        "map": precision_sum / len(relevant),
        "mrr": 1 / first if first else 0.0,
        "ndcg@10": dcg / ideal,
        "r@10": len(set(ranking[:10]) & relevant) / len(relevant),
        "r@100": len(set(ranking[:100]) & relevant) / len(relevant),
    }


def mean(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in rows[0]}


# The child: one engine ---------------------------------------------------------------------------


def variant_embedder(spec: str, cache: Path) -> Any:
    """A variant's model; "+nofloor" after it turns its relevance floor off (the same model
    and vectors, every nearest neighbour shown), for a comparison in the same run."""
    from trellis.search.embeddings.local import LocalMiniLM

    if spec.endswith("+nofloor"):
        model = variant_embedder(spec.removesuffix("+nofloor"), cache)
        model.relevance_floor = model.standalone_floor = 0.0
        return model
    if "+floor" in spec:  # "int8-128+floor0.247": one floor for every use, to compare
        base, floor = spec.split("+floor")
        model = variant_embedder(base, cache)
        model.relevance_floor = model.standalone_floor = float(floor)
        return model

    if spec == "static":
        from trellis.search.embeddings.static import StaticMiniLM

        return StaticMiniLM(cache_dir=cache)
    precision, tokens = spec.split("-")
    return LocalMiniLM(cache_dir=cache, quantized=precision == "int8", max_tokens=int(tokens))


class DumpQueries:
    """One imported dump: its questions, the link-based queries, and how to rank for them."""

    def __init__(self, dump_dir: Path) -> None:
        from trellis.core.text import html_to_text
        from trellis.imports.stackexchange import import_stackexchange
        from trellis.imports.stackexchange_reader import StackExchangeDump
        from trellis.qa.models import Post, PostKind
        from trellis.search import embeddings, vocabulary
        from trellis.search.indexing import reindex_all
        from trellis.search.models import DocKind, Document

        self.dump_dir = dump_dir
        dump = StackExchangeDump(dump_dir)
        began = time.perf_counter()
        if not Post.objects.filter(source=f"stackexchange:{dump.site_name()}").exists():
            import_stackexchange(dump_dir)
        source = f"stackexchange:{dump.site_name()}"
        self.questions = {
            int(sid): (pk, created, title, html_to_text(html), community)
            for pk, sid, created, title, html, community in Post.objects.filter(
                source=source, kind=PostKind.QUESTION
            ).values_list("pk", "source_id", "created_at", "title", "body_html", "community_id")
        }
        self.by_pk = {v[0]: v for v in self.questions.values()}
        with embeddings.using(None):
            reindex_all([DocKind.QUESTION, DocKind.ANSWER])
        vocabulary.refresh()  # as the reindexing task does: common words, for lexical.plan
        self.thread = {
            pk: (parent if kind == DocKind.ANSWER else obj)
            for pk, kind, obj, parent in Document.objects.values_list(
                "pk", "kind", "object_id", "parent_id"
            )
        }
        self.prepare_s = time.perf_counter() - began
        links: dict[str, dict[int, set[int]]] = {n: defaultdict(set) for n in LINK_TYPES.values()}
        for link in dump.post_links():
            name = LINK_TYPES.get(link.link_type_id)
            a = self.questions.get(link.post_source_id)
            b = self.questions.get(link.related_post_source_id)
            if name and a and b and a[0] != b[0]:
                links[name][a[0]].add(b[0])
                links[name][b[0]].add(a[0])
        self.queries: dict[str, list[tuple[int, set[int]]]] = {}
        for name, pairs in links.items():
            items = [
                (q, {r for r in related if self.by_pk[r][1] < self.by_pk[q][1]})
                for q, related in sorted(pairs.items())
            ]
            self.queries[name] = [(q, rel) for q, rel in items if rel]
        self.tokens = {pk: _tokens(f"{v[2]} {v[3]}") for pk, v in self.by_pk.items()}

    def text_of(self, pk: int) -> str:
        _, _, title, body, _ = self.by_pk[pk]
        return f"{title}\n{body[:1000]}"

    def trellis_ranking(self, q: int, mode: str) -> list[int]:
        from trellis.core.access import SearchScope
        from trellis.search.lexical import Filters
        from trellis.search.models import DocKind
        from trellis.search.selectors import ranked_ids

        _, created, _, _, community = self.by_pk[q]
        filters = Filters(
            kinds=(DocKind.QUESTION, DocKind.ANSWER), community_id=community, until=created
        )
        scope = SearchScope(True, True, frozenset())
        if mode == "ask":  # the ask form's panel: close in meaning only, five threads shown
            ranked, _ = ranked_ids(self.text_of(q), scope, filters, 20, close_only=True)
            thread = self.thread
            return list(dict.fromkeys(thread[pk] for pk, _ in ranked if pk in thread))[:ASK_SHOWN]
        ranked, _ = ranked_ids(self.text_of(q), scope, filters, DEPTH * 3, mode=mode)
        thread = self.thread
        return list(dict.fromkeys(thread[pk] for pk, _ in ranked if pk in thread))[:DEPTH]

    def bm25_ranking(self, q: int) -> list[int]:
        from rank_bm25 import BM25Okapi

        created = self.by_pk[q][1]
        earlier = [pk for pk, v in self.by_pk.items() if v[1] < created]
        if not earlier:
            return []
        scores = BM25Okapi([self.tokens[pk] for pk in earlier]).get_scores(_tokens(self.text_of(q)))
        order = sorted(range(len(earlier)), key=lambda i: (-scores[i], earlier[i]))
        return [earlier[i] for i in order[:DEPTH] if scores[i] > 0]

    def run(self, method: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, items in self.queries.items():
            started = time.perf_counter()
            rows = [metrics(method(q), rel) for q, rel in items]
            per_query = (time.perf_counter() - started) / max(len(rows), 1)
            out[name] = {**mean(rows), "ms_per_query": round(1000 * per_query, 1)}
        return out


def _tokens(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def evaluate_dump(dump_dir: Path, variants: list[str], cache: Path) -> dict[str, Any]:
    from trellis.search import embeddings

    dump = DumpQueries(dump_dir)
    results: dict[str, Any] = {
        "dump": dump_dir.name,
        "questions": len(dump.questions),
        "queries": {name: len(items) for name, items in dump.queries.items()},
        "prepare_s": round(dump.prepare_s, 1),
        "bm25": dump.run(dump.bm25_ranking),
    }
    with embeddings.using(None):
        results["lexical"] = dump.run(lambda q: dump.trellis_ranking(q, "lexical"))
        # The cost of leaving common words out (lexical.plan): the same with every word.
        with every_word_matched():
            results["lexical_every_word"] = dump.run(lambda q: dump.trellis_ranking(q, "lexical"))
    for spec in variants:
        model = variant_embedder(spec, cache)
        with embeddings.using(model):
            started = time.perf_counter()
            embedded = embeddings.embed_pending()
            seconds = time.perf_counter() - started
            for mode in ("semantic", "hybrid", "ask"):
                results[f"{mode}[{spec}]"] = dump.run(
                    lambda q, mode=mode: dump.trellis_ranking(q, mode)
                )
            results[f"embedding[{spec}]"] = {
                "documents": embedded,
                "seconds": round(seconds, 1),
                "docs_per_s": round(embedded / seconds, 1) if seconds else None,
            }
    return results


@contextmanager
def every_word_matched() -> Iterator[None]:
    from trellis.search import lexical

    budget = dict(lexical.CANDIDATE_BUDGET)
    lexical.CANDIDATE_BUDGET.update({vendor: 10**12 for vendor in budget})
    try:
        yield
    finally:
        lexical.CANDIDATE_BUDGET.update(budget)


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    server = setup_django_child()
    from django.conf import settings

    cache = Path(settings.DATA_DIR) / "models"
    dumps = [evaluate_dump(Path(d), args.variants.split(","), cache) for d in args.dumps]
    return {"server": server, "dumps": dumps}


# The parent ------------------------------------------------------------------------------------


def pooled(dumps: list[dict[str, Any]], method: str, link: str) -> float | None:
    """nDCG@10 over every query of every dump (weighted by queries)."""
    total = weight = 0.0
    for d in dumps:
        n = d["queries"].get(link, 0)
        figure = d.get(method, {}).get(link, {}).get("ndcg@10")
        if n and figure is not None:
            total += figure * n
            weight += n
    return round(total / weight, 4) if weight else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dumps", nargs="*", help="Stack Exchange dump folders")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--variants", default="int8-128,fp32-256",
                        help="embedding variants: precision-tokens, comma-separated")  # fmt: skip
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--database", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.dumps:
        args.dumps = sorted(str(p) for p in REAL_DUMPS.iterdir() if p.is_dir())
    args.dumps = [str(Path(d).resolve()) for d in args.dumps]
    if args.database:
        print(json.dumps(run_child(args)))
        return

    started = time.perf_counter()
    results = {}
    for db in filter(None, args.databases.split(",")):
        command = [sys.executable, __file__, "--database", db, "--variants", args.variants,
                   *args.dumps]  # fmt: skip
        results[db] = in_scratch_database(db, "quality", command, args.postgres_url)
    summary: dict[str, Any] = {}
    meets = True
    for db, result in results.items():
        if "error" in result:
            meets = False
            continue
        dumps = result["dumps"]
        per_db: dict[str, Any] = {}
        for link, target in (("related", TARGET_RELATED), ("duplicate", TARGET_DUPLICATE)):
            base = pooled(dumps, "bm25", link)
            row: dict[str, Any] = {
                "bm25_ndcg@10": base,
                "lexical": pooled(dumps, "lexical", link),
                "lexical_every_word": pooled(dumps, "lexical_every_word", link),
            }
            for spec in args.variants.split(","):
                hybrid = pooled(dumps, f"hybrid[{spec}]", link)
                row[f"semantic[{spec}]"] = pooled(dumps, f"semantic[{spec}]", link)
                row[f"hybrid[{spec}]"] = hybrid
                ratio = round(hybrid / base, 3) if hybrid is not None and base else None
                row[f"hybrid[{spec}]_ratio_to_bm25"] = ratio
            first = args.variants.split(",")[0]
            ok = (row[f"hybrid[{first}]_ratio_to_bm25"] or 0) >= target
            row["target_ratio"] = target
            row["meets_target"] = ok
            meets = meets and ok
            per_db[link] = row
        summary[db] = per_db
    print(
        json.dumps(
            {
                "benchmark": "search-quality",
                "summary_ndcg@10_pooled": summary,
                "meets_targets": meets,
                "targets": {"related": TARGET_RELATED, "duplicate": TARGET_DUPLICATE},
                "python": platform.python_version(),
                "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                "databases": results,
                "wall_s": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
