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
- the floor is the highest cosine that keeps KEEP (97.5%) of the calibration links: a
  query whose linked question scores below it would lose that hit.

Then, as checks (none of them used to choose the floor): the held-out links kept; unrelated
pairs above the floor (each question against questions of a different site: different
subjects by construction); and nonsense queries (`NONSENSE`) with any question of any dump
above it. bench_search_quality.py then measures the ranking with the floor on.

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
SEED = 11
NONSENSE = (
    "purple elephant teleport banana",
    "asdf qwer zxcv uiop",
    "my grandmother's sourdough starter smells of nail polish",
    "how many goals did the home team score on saturday",
    "best beaches for a holiday in the algarve",
    "lorem ipsum dolor sit amet consectetur",
    "recipe for vegan chocolate cake without eggs",
    "xyzzy plugh frobnicate the wibble",
    "which horse won the grand national",
    "knitting pattern for a wool scarf",
)


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
    floor = float(np.quantile(np.array(calibrate), 1 - KEEP)) if calibrate else 0.0

    unrelated_above = unrelated = 0
    for i, info in enumerate(per_dump):
        queries = info.pop("queries")
        others = [v for j, v in enumerate(site_vectors) if j != i]
        if not others:
            continue
        pool = np.concatenate(others)
        for row in rand.sample(range(len(queries)), k=min(300, len(queries))):
            sims = pool @ queries[row]
            unrelated += len(sims)
            unrelated_above += int((sims >= floor).sum())
    everything = np.concatenate(site_vectors)
    nonsense = model.embed(list(NONSENSE))
    best = (everything @ nonsense.T).max(axis=0)
    kept = float(np.mean(np.array(held_out) >= floor)) if held_out else None
    result = {
        "benchmark": "relevance-floor",
        "model": model.name,
        "dumps": per_dump,
        "keep": KEEP,
        "floor": round(floor, 3),
        "calibration_links": len(calibrate),
        "held_out_links": len(held_out),
        "held_out_kept": None if kept is None else round(kept, 4),
        "linked_cosine_median": round(float(np.median(calibrate + held_out)), 3),
        "unrelated_pairs": unrelated,
        "unrelated_above_floor": round(unrelated_above / max(unrelated, 1), 4),
        "nonsense_best_cosine": {
            q: round(float(b), 3) for q, b in zip(NONSENSE, best, strict=True)
        },
        "nonsense_with_a_hit": int((best >= floor).sum()),
        "seconds": round(time.perf_counter() - started, 1),
    }
    result["meets_targets"] = bool(
        result["held_out_kept"] is not None
        and result["held_out_kept"] >= KEEP - 0.05
        and result["nonsense_with_a_hit"] == 0
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
