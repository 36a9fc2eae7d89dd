"""Where the duplicate queue stops proposing: the meaning (cosine) and wording (MinHash
Jaccard) thresholds of `trellis/search/duplicates.py`, calibrated on the Stack Exchange dumps'
duplicate links. Prints ONE JSON line.

A curator trusts the queue only if what it proposes is mostly real duplicates. People marked
those themselves on Stack Exchange: a question closed as a duplicate of another (PostLinks
LinkTypeId 3). The pairs that must NOT be proposed are the hard ones, questions people linked
as merely related (LinkTypeId 1: same subject, different question), and random pairs of
questions of the same site.

- Every question becomes what the app stores: its document text for the embedding
  (`embeddings.document_text`: title, tags, body) and its title and body for the MinHash
  signature (`duplicates.signature`), with the app's default embedding model.
- A pair is proposed when its cosine >= MEANING or its wording >= WORDING, as the app does.
- Pairs are split by the later question's id: even ids calibrate, odd ids are held out.
- WORDING: people on Stack Exchange rewrite rather than copy, so their duplicates share no
  wording (the median estimate is 0) and cannot say how low it may go. It is set just above
  what non-duplicates share: the lowest grid value above every calibration related or random
  pair's wording. As a check, held-out questions are edited (a run of EDITED_SHARE of their
  words replaced, as a copied guide is adapted) and the share of these copies kept reported.
- MEANING, on the calibration pairs, with that WORDING: the rule, fixed before looking at any
  result, is the most duplicates kept among the thresholds proposing at most RELATED_TARGET of
  the related links; ties go to fewer related links proposed, then the higher threshold.
  (A first version chose both on one grid: wording never separates Stack Exchange pairs, so
  the ties sent it to 1.0, which would have stopped finding edited copies at all.)
- On the held-out pairs: the share of duplicates kept, and the share of related and random pairs
  wrongly proposed. Targets: duplicates kept >= 80%, related links proposed <= 20%.

    .venv/bin/python benchmarks/calibrate_duplicate_floor.py
    .venv/bin/python benchmarks/calibrate_duplicate_floor.py DUMP_DIR...

Nothing of the dumps is written anywhere: the posts are read, embedded in memory and dropped.
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
SEED = 7
RANDOM_PER_QUESTION = 3  # random same-site pairs per question
DUPLICATES_TARGET = 0.80
RELATED_TARGET = 0.20
MEANING_GRID = [round(x, 2) for x in np.arange(0.50, 0.991, 0.01)]
WORDING_GRID = [round(x, 2) for x in np.arange(0.30, 1.001, 0.05)]
EDITED_SHARE = 0.10


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.settings")
    os.environ.setdefault("TRELLIS_DATA_DIR", tempfile.mkdtemp(prefix="trellis-dupes-"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _questions(dump_dir: Path) -> dict[int, tuple[str, str]]:
    """source id -> (embedded text, signed text) of every question, as the app stores them."""
    from trellis.core.text import html_to_text
    from trellis.imports.stackexchange_reader import StackExchangeDump
    from trellis.search.embeddings import document_text

    out = {}
    for post in StackExchangeDump(dump_dir).posts():
        if post.kind == "question":
            body = html_to_text(post.body_html)
            tags = " ".join(sorted(post.tags))
            out[post.source_id] = (document_text(post.title, tags, body), f"{post.title}\n{body}")
    return out


def _links(dump_dir: Path, questions: dict[int, Any]) -> dict[int, set[tuple[int, int]]]:
    """Link type -> (later, earlier) question pairs."""
    from trellis.imports.stackexchange_reader import StackExchangeDump

    pairs: dict[int, set[tuple[int, int]]] = {1: set(), 3: set()}
    for link in StackExchangeDump(dump_dir).post_links():
        a, b = link.post_source_id, link.related_post_source_id
        if link.link_type_id in pairs and a in questions and b in questions and a != b:
            pairs[link.link_type_id].add((max(a, b), min(a, b)))
    pairs[1] -= pairs[3]  # a pair linked both ways counts as the duplicate it is
    return pairs


def _random_pairs(ids: list[int], linked: set[tuple[int, int]], rand: random.Random) -> set:
    out = set()
    for q in ids:
        for other in rand.sample(ids, k=min(RANDOM_PER_QUESTION + 1, len(ids))):
            pair = (max(q, other), min(q, other))
            if q != other and pair not in linked:
                out.add(pair)
    return out


def _proposed(figures: np.ndarray, meaning: float, wording: float) -> np.ndarray:
    """figures: rows of (cosine, jaccard); True where the app would propose the pair."""
    if not len(figures):
        return np.zeros(0, dtype=bool)
    return (figures[:, 0] >= meaning) | (figures[:, 1] >= wording)


def _share(figures: np.ndarray, meaning: float, wording: float) -> float | None:
    return None if not len(figures) else float(_proposed(figures, meaning, wording).mean())


def _choose_wording(calibration: dict[str, np.ndarray]) -> float:
    shared = np.concatenate([calibration["related"][:, 1], calibration["random"][:, 1]])
    highest = float(shared.max()) if len(shared) else 0.0
    return next((w for w in WORDING_GRID if w > highest), WORDING_GRID[-1])


def _choose_meaning(calibration: dict[str, np.ndarray], wording: float) -> tuple[float, bool]:
    best: tuple[Any, ...] | None = None
    for meaning in MEANING_GRID:
        kept = _share(calibration["duplicate"], meaning, wording) or 0.0
        related = _share(calibration["related"], meaning, wording) or 0.0
        if related > RELATED_TARGET:
            continue
        key = (kept, -related, meaning)
        if best is None or key > best[0]:
            best = (key, meaning)
    if best is None:  # nothing meets the related target: the strictest threshold
        return MEANING_GRID[-1], False
    return best[1], True


def _edited(text: str, rand: random.Random) -> str:
    """The text with one run of EDITED_SHARE of its words replaced."""
    words = text.split()
    run = max(1, round(len(words) * EDITED_SHARE))
    start = rand.randrange(0, max(1, len(words) - run + 1))
    return " ".join(words[:start] + [f"edit{i}" for i in range(run)] + words[start + run :])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dumps", nargs="*", help="Stack Exchange dump folders")
    args = parser.parse_args()
    _setup()
    from trellis.search import embeddings
    from trellis.search.duplicates import NUM_PERM, signature

    started = time.perf_counter()
    model = embeddings.embedder()
    if model is None:
        reason = embeddings.semantic_off_reason()
        print(json.dumps({"benchmark": "duplicate-floor", "error": reason}))
        return
    dumps = [Path(d) for d in args.dumps] or sorted(p for p in REAL_DUMPS.iterdir() if p.is_dir())
    rand = random.Random(SEED)
    split: dict[str, dict[str, list[tuple[float, float]]]] = {
        part: {"duplicate": [], "related": [], "random": []} for part in ("calibrate", "held_out")
    }
    per_dump = []
    edited_wording: list[float] = []
    for dump in dumps:
        questions = _questions(dump)
        ids = sorted(questions)
        index = {q: i for i, q in enumerate(ids)}
        vectors = np.asarray(model.embed([questions[q][0] for q in ids]), dtype=np.float32)
        sketches = np.vstack(
            [np.frombuffer(signature(questions[q][1]), dtype=np.uint32) for q in ids]
        ).reshape(len(ids), NUM_PERM)
        for q in ids:
            if q % 2:  # held out
                copy = np.frombuffer(signature(_edited(questions[q][1], rand)), dtype=np.uint32)
                edited_wording.append(float((copy == sketches[index[q]]).mean()))
        links = _links(dump, questions)
        groups = {
            "duplicate": links[3],
            "related": links[1],
            "random": _random_pairs(ids, links[1] | links[3], rand),
        }
        for group, pairs in groups.items():
            for later, earlier in sorted(pairs):
                i, j = index[later], index[earlier]
                cosine = float(vectors[i] @ vectors[j])
                jaccard = float((sketches[i] == sketches[j]).mean())
                part = "calibrate" if later % 2 == 0 else "held_out"
                split[part][group].append((cosine, jaccard))
        per_dump.append(
            {"dump": dump.name, "questions": len(ids)} | {g: len(p) for g, p in groups.items()}
        )
    arrays = {
        part: {g: np.array(v, dtype=np.float64).reshape(-1, 2) for g, v in groups_.items()}
        for part, groups_ in split.items()
    }
    wording = _choose_wording(arrays["calibrate"])
    meaning, met_related_target = _choose_meaning(arrays["calibrate"], wording)
    figures: dict[str, Any] = {}
    for part, groups_ in arrays.items():
        figures[part] = {
            "pairs": {g: len(v) for g, v in groups_.items()},
            "duplicates_kept": _round(_share(groups_["duplicate"], meaning, wording)),
            "related_proposed": _round(_share(groups_["related"], meaning, wording)),
            "random_proposed": _round(_share(groups_["random"], meaning, wording)),
        }
    every = {g: np.concatenate([arrays[p][g] for p in arrays]) for g in arrays["held_out"]}
    # What a single-signal queue would do at the chosen thresholds, over all pairs.
    alone = {
        "meaning_only": {g: _round(_share(v, meaning, 2.0)) for g, v in every.items()},
        "wording_only": {g: _round(_share(v, 2.0, wording)) for g, v in every.items()},
    }
    # The trade-off the held-out pairs show at other meaning thresholds (wording as chosen).
    curve = [
        {
            "meaning": m,
            "duplicates_kept": _round(_share(arrays["held_out"]["duplicate"], m, wording)),
            "related_proposed": _round(_share(arrays["held_out"]["related"], m, wording)),
            "random_proposed": _round(_share(arrays["held_out"]["random"], m, wording)),
        }
        for m in (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.92)
    ]
    held = figures["held_out"]
    result = {
        "benchmark": "duplicate-floor",
        "model": model.name,
        "dumps": per_dump,
        "rule": "wording: just above every calibration non-duplicate; meaning: most calibration "
        f"duplicates kept with related links proposed <= {RELATED_TARGET:.0%}",
        "meaning_threshold": meaning,
        "wording_threshold": wording,
        "met_related_target": met_related_target,
        "held_out_edited_copies": len(edited_wording),
        "held_out_edited_copies_kept": _round(float(np.mean(np.array(edited_wording) >= wording))),
        "highest_wording": {g: round(float(v[:, 1].max()), 3) for g, v in every.items()},
        "calibration": figures["calibrate"],
        "held_out": held,
        "median_cosine": {g: round(float(np.median(v[:, 0])), 3) for g, v in every.items()},
        "median_wording": {g: round(float(np.median(v[:, 1])), 3) for g, v in every.items()},
        "single_signal_all_pairs": alone,
        "held_out_curve": curve,
        "targets": {"duplicates_kept": DUPLICATES_TARGET, "related_proposed": RELATED_TARGET},
        "seconds": round(time.perf_counter() - started, 1),
    }
    result["meets_targets"] = bool(
        held["duplicates_kept"] is not None
        and held["duplicates_kept"] >= DUPLICATES_TARGET
        and held["related_proposed"] is not None
        and held["related_proposed"] <= RELATED_TARGET
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
