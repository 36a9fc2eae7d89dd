"""Does a question reach the person who answers it? Expert routing on Stack Exchange dumps,
with the published baselines in the same run. Prints ONE JSON line.

Per dump (the real ones in ../shared/data/stackexchange, or the folders given), in a scratch
database: import it with `trellis import stackexchange`'s code, index and embed it. Time-ordered
split: the cut-off is the creation time of the question at `--test-share` from the end; the
test questions are the later ones with an accepted answer, the accepted answerer being the one
relevant person. Candidates are the people who answered before the cut-off (a test question
whose accepted answerer is not one of them can be found by no method: it is counted, not
scored). Everything the methods learn comes from before the cut-off (Trellis rebuilds its
evidence as of then and retrieves only earlier answers). Reported: P@1, MRR, NDCG@3 and R@10
for

- bm25: plain Okapi BM25 (rank_bm25) over the earlier answers (each with its question's title
  and body), the scores of each answerer's retrieved answers summed (Balog's model 2);
- answers: how many answers each candidate gave before the cut-off; zscore: Zhang et al.'s
  z-score of answers against questions asked;
- trellis: `trellis.expertise.routing.rank` as the product runs it (its weights were tuned on
  the quantumcomputing dump's history before this cut-off only: see routing.py).

Target on every dump with at least 50 test questions: trellis P@1 >= 1.5x and MRR >= 1.3x
bm25's. (One known leak, the same for every method that uses it: the dumps do not say when an
answer was accepted, so an earlier answer accepted after the cut-off counts as accepted.)

Ceilings ("ceilings" per dump), fitted on the test answers themselves, so bounds rather than
methods: the best fixed order of people (the same for every question) and, per question, the
best of the four methods' rankings; with their ratios over bm25. When they fall short of the
targets, no method of those two families can meet them on that dump.

Load fairness, on the same replay ("fairness" per dump): the test questions in time order are
each routed to the first k = 3 of Trellis's ranking, once without a cap and once through
`trellis.expertise.load.pick`, the product's weekly cap (default 3; the people routed fewer
than their cap in the trailing seven days of replay time). Reported for both: the Gini
coefficient of routed questions per person over all candidates (people never routed count as
zero), the share of all routings that went to the top 1% of candidates (at least one person),
how many people were routed at all, the most one person got in seven days, hit@3 (the accepted
answerer was among the three routed) and P@1 of the first routed person; `cap_cost` is the
accuracy lost to the cap (uncapped minus capped).

    .venv/bin/python benchmarks/bench_routing.py
    .venv/bin/python benchmarks/bench_routing.py /path/to/dump-dir --databases sqlite
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
from collections import Counter, defaultdict, deque
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import DEFAULT_POSTGRES, ROOT, in_scratch_database, setup_django_child

REAL_DUMPS = ROOT.parent / "shared" / "data" / "stackexchange"
TARGET_P1, TARGET_MRR, MIN_TEST = 1.5, 1.3, 50
DEPTH = 100
ROUTE_K = 3  # people notified per question, as the product's default
_WORDS = re.compile(r"\w+")


def metrics(ranking: list[int], relevant: int) -> dict[str, float]:
    ranking = ranking[:DEPTH]
    position = ranking.index(relevant) + 1 if relevant in ranking else 0
    return {
        "p@1": float(position == 1),
        "mrr": 1 / position if position else 0.0,
        "ndcg@3": 1 / math.log2(position + 1) if 0 < position <= 3 else 0.0,
        "r@10": float(0 < position <= 10),
    }


def mean(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {k: round(sum(r[k] for r in rows) / len(rows), 4) for k in rows[0]}


def gini(counts: list[int]) -> float:
    """Gini coefficient of routed questions over people (zeros included): 0 when everyone is
    routed as often, (n - 1) / n when one person gets every routing."""
    total = sum(counts)
    if not counts or not total:
        return 0.0
    ordered = sorted(counts)
    n = len(ordered)
    return 2 * sum(i * c for i, c in enumerate(ordered, start=1)) / (n * total) - (n + 1) / n


def top_share(counts: list[int], share: float) -> float:
    """The share of all routings that went to the top `share` of people (at least one)."""
    total = sum(counts)
    if not total:
        return 0.0
    top = max(1, math.ceil(len(counts) * share))
    return sum(sorted(counts, reverse=True)[:top]) / total


def _tokens(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


class Replay:
    """One imported dump, split in time."""

    def __init__(self, dump_dir: Path, test_share: float) -> None:
        from trellis.core.text import html_to_text
        from trellis.imports.stackexchange import import_stackexchange
        from trellis.imports.stackexchange_reader import StackExchangeDump
        from trellis.qa.models import Post, PostKind

        dump = StackExchangeDump(dump_dir)
        source = f"stackexchange:{dump.site_name()}"
        if not Post.objects.filter(source=source).exists():
            import_stackexchange(dump_dir)
        posts = Post.objects.filter(source=source)
        self.questions = {
            pk: (created, title, html_to_text(html), author, accepted, community)
            for pk, created, title, html, author, accepted, community in posts.filter(
                kind=PostKind.QUESTION
            )
            .order_by("created_at", "pk")
            .values_list(
                "pk",
                "created_at",
                "title",
                "body_html",
                "author_id",
                "accepted_answer__author_id",
                "community_id",
            )
        }
        self.answers = list(
            posts.filter(kind=PostKind.ANSWER).values_list(
                "pk", "created_at", "author_id", "question_id", "body_html"
            )
        )
        self.tags = defaultdict(list)
        from trellis.qa.models import PostTag

        for post_id, name in PostTag.objects.filter(post__in=posts).values_list(
            "post_id", "tag__name"
        ):
            self.tags[post_id].append(name)
        times = [q[0] for q in self.questions.values()]
        self.cutoff = times[min(len(times) - 1, int(len(times) * (1 - test_share)))]
        earlier = [a for a in self.answers if a[1] < self.cutoff and a[2]]
        self.candidates = {a[2] for a in earlier}
        self.test: list[int] = []
        self.unreachable = 0
        for pk, (created, _, _, asker, accepted_by, _) in self.questions.items():
            if created < self.cutoff or accepted_by is None or accepted_by == asker:
                continue
            if accepted_by in self.candidates:
                self.test.append(pk)
            else:
                self.unreachable += 1
        self.answer_counts = Counter(a[2] for a in earlier)
        asked = Counter(
            q[3] for q in self.questions.values() if q[0] < self.cutoff and q[3] is not None
        )
        self.zscores = {
            person: (n - asked[person]) / math.sqrt(n + asked[person])
            for person, n in self.answer_counts.items()
        }
        from rank_bm25 import BM25Okapi

        self.bm25_authors = [a[2] for a in earlier]
        self.bm25 = BM25Okapi(
            [
                _tokens(f"{self.questions[a[3]][1]} {self.questions[a[3]][2]} {html_to_text(a[4])}")
                for a in earlier
            ]
        )

    def text_of(self, pk: int) -> tuple[str, str]:
        _, title, body, *_ = self.questions[pk]
        return title, body[:1000]

    def bm25_ranking(self, pk: int) -> list[int]:
        title, body = self.text_of(pk)
        scores = self.bm25.get_scores(_tokens(f"{title} {body}"))
        top = sorted(range(len(scores)), key=lambda i: -scores[i])[:DEPTH]
        per_person: dict[int, float] = defaultdict(float)
        for i in top:
            if scores[i] > 0:
                per_person[self.bm25_authors[i]] += float(scores[i])
        return sorted(per_person, key=lambda p: (-per_person[p], p))

    def count_ranking(self, pk: int, table: dict[int, float]) -> list[int]:
        asker = self.questions[pk][3]
        return [p for p in sorted(table, key=lambda p: (-table[p], p)) if p != asker]

    def trellis_ranking(self, pk: int, weights: dict[str, float] | None = None) -> list[int]:
        from trellis.core.access import SearchScope
        from trellis.expertise import routing

        _created, title, body, asker, _, community = self.questions[pk]
        draft = routing.Draft(title=title, body=body, tags=tuple(self.tags.get(pk, ())),
                              community_id=community, asker_id=asker)  # fmt: skip
        everything = SearchScope(True, True, frozenset())
        found = routing.rank(draft, everything, until=self.cutoff, limit=DEPTH, weights=weights)
        return [c.person_id for c in found if c.person_id in self.candidates]

    def run(self, method: Any, keep: dict[int, list[int]] | None = None) -> dict[str, Any]:
        """Mean metrics of `method` over the test questions; `keep` receives the rankings."""
        started = time.perf_counter()
        rows = []
        for pk in self.test:
            ranking = method(pk)
            if keep is not None:
                keep[pk] = ranking
            rows.append(metrics(ranking, self.questions[pk][4]))
        per_query = (time.perf_counter() - started) / max(len(rows), 1)
        return {**mean(rows), "ms_per_query": round(1000 * per_query, 1)}

    def ceilings(self, rankings: dict[str, dict[int, list[int]]]) -> dict[str, Any]:
        """What no method of two whole families could beat on these test questions, fitted on
        their answers (so: bounds, not methods), with the ratios they would give over bm25:
        - any_fixed_order: the best ranking of people that is the same for every question
          (most accepted test answers first): its P@1 is the exact maximum of any fixed
          order; its MRR nearly so (only swaps of people with equal counts could change it);
        - best_of_methods: per question, whichever of the methods' rankings puts the accepted
          answerer highest (the exact maximum of any rule that picks one of them per question,
          not of blends of their scores)."""
        accepted = {pk: self.questions[pk][4] for pk in self.test}
        counts = Counter(accepted.values())
        fixed = sorted(self.candidates, key=lambda p: (-counts[p], p))
        orders = {"any_fixed_order": {pk: fixed for pk in self.test}}
        best: dict[int, list[int]] = {}
        for pk in self.test:
            found = [r for r in (m[pk] for m in rankings.values()) if accepted[pk] in r[:DEPTH]]
            best[pk] = min(found, key=lambda r: r.index(accepted[pk])) if found else []
        orders["best_of_methods"] = best
        result: dict[str, Any] = {}
        base = mean([metrics(rankings["bm25"][pk], accepted[pk]) for pk in self.test])
        for name, order in orders.items():
            figures = mean([metrics(order[pk], accepted[pk]) for pk in self.test])
            result[name] = {
                **figures,
                "ratios": {
                    k: round(figures[k] / base[k], 3) if base.get(k) else None
                    for k in ("p@1", "mrr")
                },
            }
        result["most_accepted_by_one_person"] = max(counts.values(), default=0)
        return result

    def fairness(self, rankings: dict[int, list[int]]) -> dict[str, Any]:
        """Route the test questions in time order to `ROUTE_K` people of each ranking, without
        and with the product's weekly cap (`load.pick`, counting each person's routings in
        the trailing seven days of replay time), and see how the load spreads and what the
        cap costs in accuracy."""
        from trellis.expertise import load

        result: dict[str, Any] = {
            "k": ROUTE_K,
            "weekly_cap": load.DEFAULT_WEEKLY_CAP,
            "people": len(self.candidates),
        }
        for label, capped in (("uncapped", False), ("capped", True)):
            window: deque[tuple[datetime, int]] = deque()
            week: Counter[int] = Counter()
            counts: Counter[int] = Counter()
            busiest_week = hits = firsts = 0
            for pk in self.test:  # in time order
                at, *_, accepted_by, _ = self.questions[pk]
                while window and window[0][0] <= at - timedelta(days=load.WEEK_DAYS):
                    week[window.popleft()[1]] -= 1
                ranked = rankings[pk]
                if capped:
                    chosen = load.pick(ranked, k=ROUTE_K, routed_this_week=week)
                else:
                    chosen = ranked[:ROUTE_K]
                for person in chosen:
                    window.append((at, person))
                    week[person] += 1
                    counts[person] += 1
                    busiest_week = max(busiest_week, week[person])
                hits += accepted_by in chosen
                firsts += bool(chosen) and chosen[0] == accepted_by
            n = max(len(self.test), 1)
            per_person = [counts.get(p, 0) for p in self.candidates]
            result[label] = {
                "gini": round(gini(per_person), 4),
                "top1pct_share": round(top_share(per_person, 0.01), 4),
                "people_routed": sum(1 for c in per_person if c),
                "most_in_a_week": busiest_week,
                f"hit@{ROUTE_K}": round(hits / n, 4),
                "p@1": round(firsts / n, 4),
            }
        result["cap_cost"] = {
            name: round(result["uncapped"][name] - result["capped"][name], 4)
            for name in (f"hit@{ROUTE_K}", "p@1")
        }
        return result


def evaluate_dump(dump_dir: Path, test_share: float, with_model: bool) -> dict[str, Any]:
    from trellis.expertise.services import evidence
    from trellis.search import embeddings, vocabulary
    from trellis.search.indexing import reindex_all
    from trellis.search.models import DocKind
    from trellis.search.semantic import CACHE

    began = time.perf_counter()
    replay = Replay(dump_dir, test_share)
    with embeddings.using(None):
        reindex_all([DocKind.QUESTION, DocKind.ANSWER])
    vocabulary.refresh()
    model = embeddings.embedder() if with_model else None
    if model is not None:
        embeddings.embed_pending()
        CACHE.refresh(model.name, force=True)
    evidence.evidence_rebuild(now=replay.cutoff)
    result: dict[str, Any] = {
        "dump": dump_dir.name,
        "cutoff": replay.cutoff.isoformat(),
        "candidates": len(replay.candidates),
        "test_questions": len(replay.test),
        "unreachable": replay.unreachable,
        "semantic": model is not None,
        "prepare_s": round(time.perf_counter() - began, 1),
    }
    kept: dict[str, dict[int, list[int]]] = {m: {} for m in ("bm25", "answers", "zscore")}
    result["bm25"] = replay.run(replay.bm25_ranking, keep=kept["bm25"])
    result["answers"] = replay.run(
        lambda pk: replay.count_ranking(pk, replay.answer_counts), keep=kept["answers"]
    )
    result["zscore"] = replay.run(
        lambda pk: replay.count_ranking(pk, replay.zscores), keep=kept["zscore"]
    )
    rankings: dict[int, list[int]] = {}
    with embeddings.using(model):
        result["trellis"] = replay.run(replay.trellis_ranking, keep=rankings)
    kept["trellis"] = rankings
    result["ceilings"] = replay.ceilings(kept) if replay.test else {}
    base, ours = result["bm25"], result["trellis"]
    result["ratios"] = {
        "p@1": round(ours["p@1"] / base["p@1"], 3) if base.get("p@1") else None,
        "mrr": round(ours["mrr"] / base["mrr"], 3) if base.get("mrr") else None,
    }
    result["fairness"] = replay.fairness(rankings)
    return result


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    server = setup_django_child()
    dumps = [evaluate_dump(Path(d), args.test_share, not args.no_model) for d in args.dumps]
    return {"server": server, "dumps": dumps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dumps", nargs="*", help="Stack Exchange dump folders")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--test-share", type=float, default=0.3,
                        help="the latest share of questions that are tested")  # fmt: skip
    parser.add_argument("--no-model", action="store_true", help="lexical retrieval only")
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
        command = [sys.executable, __file__, "--database", db,
                   "--test-share", str(args.test_share), *args.dumps]  # fmt: skip
        if args.no_model:
            command.append("--no-model")
        results[db] = in_scratch_database(db, "routing", command, args.postgres_url)
    checks: dict[str, Any] = {}
    meets = all("error" not in r for r in results.values())
    for db, result in results.items():
        for dump in result.get("dumps", []):
            if dump["test_questions"] < MIN_TEST:
                continue
            ratios = dump["ratios"]
            ok = (ratios["p@1"] or 0) >= TARGET_P1 and (ratios["mrr"] or 0) >= TARGET_MRR
            checks[f"{db} {dump['dump']}"] = {**ratios, "ok": ok}
            meets = meets and ok
    print(json.dumps({
        "benchmark": "routing",
        "checks": checks,
        "meets_targets": meets and bool(checks),
        "targets": {"p@1_ratio": TARGET_P1, "mrr_ratio": TARGET_MRR, "min_test": MIN_TEST},
        "python": platform.python_version(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "databases": results,
        "wall_s": round(time.perf_counter() - started, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
