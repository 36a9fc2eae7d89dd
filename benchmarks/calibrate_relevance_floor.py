"""Where semantic search stops: the cosine below which a hit is not worth showing, calibrated
on Stack Exchange dumps' links. Prints ONE JSON line.

Semantic search always finds a nearest neighbour, however far: without a floor a nonsense
query gets results, and the ask form offers an unrelated question as "already asked". The
floor is calibrated per model, on what people themselves linked:

- linked: every pair of questions linked as related (LinkTypeId 1) or duplicate (3) in the
  dumps, the later one's title and body as the query (as the ask form does), the earlier one
  as the stored document (`embeddings.document_text`: title, tags, body);
- the links are split by the query question's id: the even ids calibrate, the odd ones are
  held out to check the floor;
Two floors, for the two ways a hit is used:

- the relevance floor keeps KEEP (97.5%) of the calibration links: a query whose linked
  question scores below it would lose that hit. Search ranks with it where the words count
  too: a hit between the two floors is kept when the words found it as well;
- the standalone floor is for a hit that meaning alone must justify (search by meaning, a
  hit the words did not find, the ask form's "already asked?" panel). A query about
  something the corpus does not hold still has a nearest neighbour: for each calibration
  query, its best hit among the other dumps' questions (different sites, so different
  subjects; meta sites share some, which only makes this side stricter) is what it would be
  shown if nothing relevant existed. The standalone floor separates the two best (Youden's
  J): the share of calibration links kept minus the share of calibration queries whose best
  unrelated hit passes, at its largest.

Then, as checks (none of them used to choose a floor): the held-out links kept and the
held-out queries whose best unrelated hit passes, at each floor; unrelated pairs above them;
and the nonsense queries (tests/nonsense_queries.py) with any question of any dump above.
bench_search_quality.py then measures the ranking with the floors on.

    .venv/bin/python benchmarks/calibrate_relevance_floor.py
    .venv/bin/python benchmarks/calibrate_relevance_floor.py DUMP_DIR... --variant int8-128
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REAL_DUMPS = ROOT.parent / "shared" / "data" / "stackexchange"
KEEP = 0.975
CANDIDATE_FLOORS = np.round(np.arange(0.0, 1.0, 0.005), 3)
SEED = 11


def _setup() -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.settings")
    os.environ.setdefault("TRELLIS_DATA_DIR", tempfile.mkdtemp(prefix="trellis-floor-"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _questions(dump_dir: Path) -> dict[int, tuple[str, str]]:
    """source id -> (query text, document text) of every question."""
    from trellis.core.text import html_to_text
    from trellis.imports.stackexchange_reader import StackExchangeDump
    from trellis.search.embeddings import document_text

    out = {}
    for post in StackExchangeDump(dump_dir).posts():
        if post.kind == "question":
            body = html_to_text(post.body_html)
            out[post.source_id] = (
                f"{post.title}\n{body[:1000]}",
                document_text(post.title, " ".join(sorted(post.tags)), body),
            )
    return out


def _separating_floor(linked: np.ndarray, nearest_unrelated: np.ndarray) -> float:
    """The candidate cosine with the largest Youden's J (the lowest one on a tie)."""
    if not len(linked) or not len(nearest_unrelated):
        return 0.0
    scores = [
        float(np.mean(linked >= t) - np.mean(nearest_unrelated >= t)) for t in CANDIDATE_FLOORS
    ]
    return float(CANDIDATE_FLOORS[int(np.argmax(scores))])


def _links(dump_dir: Path, questions: dict[int, Any]) -> list[tuple[int, int]]:
    """(query, earlier linked question) pairs: the later of the two asks."""
    from trellis.imports.stackexchange_reader import StackExchangeDump

    pairs = set()
    for link in StackExchangeDump(dump_dir).post_links():
        a, b = link.post_source_id, link.related_post_source_id
        if link.link_type_id in (1, 3) and a in questions and b in questions and a != b:
            pairs.add((max(a, b), min(a, b)))  # ids grow with time on Stack Exchange
    return sorted(pairs)


def _embedder(variant: str, cache: Path) -> Any:
    from trellis.search.embeddings.local import LocalMiniLM
    from trellis.search.embeddings.static import StaticMiniLM

    if variant == "static":
        return StaticMiniLM(cache_dir=cache)

    precision, tokens = variant.split("-")
    return LocalMiniLM(cache_dir=cache, quantized=precision == "int8", max_tokens=int(tokens))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dumps", nargs="*", help="Stack Exchange dump folders")
    parser.add_argument(
        "--variant", default="int8-128", help="precision-tokens (int8-128, fp32-256) or static"
    )
    parser.add_argument("--cache", default=str(ROOT / ".venv" / ".cache" / "trellis-models"))
    args = parser.parse_args()
    _setup()
    started = time.perf_counter()
    dumps = [Path(d) for d in args.dumps] or sorted(p for p in REAL_DUMPS.iterdir() if p.is_dir())
    model = _embedder(args.variant, Path(args.cache))
    rand = random.Random(SEED)
    calibrate: list[float] = []
    held_out: list[float] = []
    site_vectors: list[np.ndarray] = []
    per_dump = []
    for dump in dumps:
        questions = _questions(dump)
        ids = sorted(questions)
        index = {q: i for i, q in enumerate(ids)}
        queries = model.embed([questions[q][0] for q in ids])
        documents = model.embed([questions[q][1] for q in ids])
        links = _links(dump, questions)
        for later, earlier in links:
            cosine = float(queries[index[later]] @ documents[index[earlier]])
            (calibrate if later % 2 == 0 else held_out).append(cosine)
        site_vectors.append(documents)
        per_dump.append({"dump": dump.name, "questions": len(ids), "links": len(links)})
        per_dump[-1]["queries"] = queries  # kept for the unrelated pairs, dropped below
        per_dump[-1]["ids"] = ids
    nearest_unrelated: dict[bool, list[float]] = {True: [], False: []}  # by calibration half
    pairs: list[np.ndarray] = []
    for i, info in enumerate(per_dump):
        queries = info.pop("queries")
        query_ids = info.pop("ids")
        others = [v for j, v in enumerate(site_vectors) if j != i]
        if not others:
            continue
        pool = np.concatenate(others)
        sims = queries @ pool.T
        for row, best_unrelated in enumerate(sims.max(axis=1)):
            nearest_unrelated[query_ids[row] % 2 == 0].append(float(best_unrelated))
        for row in rand.sample(range(len(queries)), k=min(300, len(queries))):
            pairs.append(sims[row])
    floors = {
        "relevance": float(np.quantile(np.array(calibrate), 1 - KEEP)) if calibrate else 0.0,
        "standalone": _separating_floor(np.array(calibrate), np.array(nearest_unrelated[True])),
    }
    every_pair = np.concatenate(pairs) if pairs else np.zeros(0)
    held_out_unrelated = np.array(nearest_unrelated[False])
    everything = np.concatenate(site_vectors)
    from tests.nonsense_queries import NONSENSE_QUERIES

    best_nonsense = (everything @ model.embed(list(NONSENSE_QUERIES)).T).max(axis=0)
    held_out_links = np.array(held_out)

    def share(values: np.ndarray, floor: float) -> float | None:
        return round(float(np.mean(values >= floor)), 4) if len(values) else None

    result: dict[str, Any] = {
        "benchmark": "relevance-floor",
        "model": model.name,
        "dumps": per_dump,
        "calibration_links": len(calibrate),
        "held_out_links": len(held_out),
        "linked_cosine_median": round(float(np.median(calibrate + held_out)), 3),
        "unrelated_pairs": len(every_pair),
        "nonsense_best_cosine": {
            q: round(float(b), 3) for q, b in zip(NONSENSE_QUERIES, best_nonsense, strict=True)
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    for name, floor in floors.items():
        result[name] = {
            "floor": round(floor, 3),
            "held_out_links_kept": share(held_out_links, floor),
            "held_out_queries_whose_nearest_unrelated_passes": share(held_out_unrelated, floor),
            "unrelated_pairs_above": share(every_pair, floor),
            "nonsense_with_a_hit": int((best_nonsense >= floor).sum()),
        }
    result["meets_targets"] = bool(
        (result["standalone"]["held_out_links_kept"] or 0) >= 0.8
        and result["standalone"]["nonsense_with_a_hit"] == 0
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
