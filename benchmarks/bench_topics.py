"""Do learned topics group questions the way their askers' tags do? On Stack Exchange dumps,
learned from the questions' real search vectors. Prints ONE JSON line.

Per dump (the real ones in ../shared/data/stackexchange, or the folders given), in a scratch
database: import it with `trellis import stackexchange`'s code, index and embed it with the
configured model (the local MiniLM by default), then
`trellis.expertise.services.topics.topics_learn()`.
Reported against the questions' tags, which the learning never reads except for labels (the
vectors do read them: `document_text` puts the tags in what the model embeds, as search does):

- nmi: normalised mutual information (arithmetic mean) between each question's learned topic
  and its most common tag (the tag of the question that most questions carry);
- purity: the share of questions whose topic's most common tag is also one of theirs;
- label_hit: the share of topics whose label has one of the topic's three most common tags
  among its words, or a word of them;
- the same for a baseline in the same run: the questions shuffled into topics of the same
  sizes (seeded), which is what the figures would be with no learning at all.

Also the topics learned, their sizes, the share of questions in one, the time to learn, and
whether learning again on the same vectors gives the same topics (the NMI between the two
assignments: 1.0 when they are the same up to the topics' ids).

    .venv/bin/python benchmarks/bench_topics.py
    .venv/bin/python benchmarks/bench_topics.py /path/to/dump-dir --databases sqlite,postgres
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scratch import DEFAULT_POSTGRES, ROOT, in_scratch_database, setup_django_child

REAL_DUMPS = ROOT.parent / "shared" / "data" / "stackexchange"
SEED = 7


def nmi(a: list[int], b: list[int]) -> float:
    """Normalised mutual information, arithmetic normalisation (as scikit-learn's default)."""
    n = len(a)
    if n == 0:
        return 0.0
    joint = Counter(zip(a, b, strict=True))
    pa, pb = Counter(a), Counter(b)
    mutual = sum(c / n * math.log(c * n / (pa[x] * pb[y])) for (x, y), c in joint.items())
    ha = -sum(c / n * math.log(c / n) for c in pa.values())
    hb = -sum(c / n * math.log(c / n) for c in pb.values())
    return 0.0 if ha + hb == 0 else 2 * mutual / (ha + hb)


def agreement(
    topic_of: dict[int, int], tags_of: dict[int, list[str]], labels: dict[int, str]
) -> dict[str, float]:
    questions = sorted(q for q in topic_of if tags_of.get(q))
    everywhere = Counter(t for q in questions for t in tags_of[q])
    main_tag = {q: max(tags_of[q], key=lambda t: (everywhere[t], t)) for q in questions}
    tag_ids = {t: i for i, t in enumerate(sorted(set(main_tag.values())))}
    per_topic: dict[int, Counter[str]] = {}
    for q in questions:
        per_topic.setdefault(topic_of[q], Counter()).update(tags_of[q])
    pure = sum(1 for q in questions if per_topic[topic_of[q]].most_common(1)[0][0] in tags_of[q])
    hits = 0
    for topic, tags in per_topic.items():
        words = set(labels.get(topic, "").replace("·", " ").split())
        common = [t for t, _ in tags.most_common(3)]
        if any(t in words or set(t.split("-")) & words for t in common):
            hits += 1
    return {
        "questions": len(questions),
        "nmi": round(
            nmi([topic_of[q] for q in questions], [tag_ids[main_tag[q]] for q in questions]), 4
        ),
        "purity": round(pure / max(len(questions), 1), 4),
        "label_hit": round(hits / max(len(per_topic), 1), 4),
    }


def evaluate_dump(dump_dir: Path) -> dict[str, Any]:
    from trellis.expertise.models import LearnedTopic, QuestionTopic
    from trellis.expertise.services import topics
    from trellis.imports.stackexchange import import_stackexchange
    from trellis.imports.stackexchange_reader import StackExchangeDump
    from trellis.qa.models import Post, PostKind, PostTag
    from trellis.search import embeddings
    from trellis.search.indexing import reindex_all
    from trellis.search.models import DocKind

    began = time.perf_counter()
    source = f"stackexchange:{StackExchangeDump(dump_dir).site_name()}"
    import_stackexchange(dump_dir)
    with embeddings.using(None):
        reindex_all([DocKind.QUESTION])
    model = embeddings.embedder()
    if model is None:
        return {"dump": dump_dir.name, "error": embeddings.semantic_off_reason()}
    embeddings.embed_pending()
    prepared = time.perf_counter() - began
    began = time.perf_counter()
    learned = topics.topics_learn()
    learn_s = time.perf_counter() - began
    questions = set(
        Post.objects.filter(source=source, kind=PostKind.QUESTION).values_list("pk", flat=True)
    )
    topic_of = {
        q: t
        for q, t in QuestionTopic.objects.values_list("question_id", "topic_id")
        if q in questions
    }
    tags_of: dict[int, list[str]] = {}
    for post, tag in PostTag.objects.filter(post_id__in=questions).values_list(
        "post_id", "tag__name"
    ):
        tags_of.setdefault(post, []).append(tag)
    labels = dict(LearnedTopic.objects.values_list("pk", "label"))
    topics.topics_learn()  # again, on the same vectors: the same topics?
    again = {
        q: t
        for q, t in QuestionTopic.objects.values_list("question_id", "topic_id")
        if q in topic_of
    }
    repeat = [q for q in sorted(topic_of) if q in again]
    repeat_nmi = nmi([topic_of[q] for q in repeat], [again[q] for q in repeat])
    sizes = sorted(Counter(topic_of.values()).values())
    shuffled_questions = sorted(topic_of)
    rng = np.random.default_rng(SEED)
    permuted = [shuffled_questions[i] for i in rng.permutation(len(shuffled_questions))]
    shuffled = dict(zip(permuted, (topic_of[q] for q in shuffled_questions), strict=True))
    return {
        "dump": dump_dir.name,
        "model": model.name,
        "questions": len(questions),
        "in_a_topic": round(len(topic_of) / max(len(questions), 1), 4),
        "topics": learned,
        "topic_size": {"min": sizes[0], "median": statistics.median(sizes), "max": sizes[-1]}
        if sizes
        else None,
        "learned": agreement(topic_of, tags_of, labels),
        "shuffled_baseline": agreement(shuffled, tags_of, labels),
        "relearned_same_topics_nmi": round(repeat_nmi, 4),
        "largest_topics": [labels[t] for t, _ in Counter(topic_of.values()).most_common(8)],
        "prepare_s": round(prepared, 1),
        "learn_s": round(learn_s, 2),
    }


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    server = setup_django_child()
    return {"server": server, "dumps": [evaluate_dump(Path(d)) for d in args.dumps]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dumps", nargs="*", help="Stack Exchange dump folders")
    parser.add_argument("--databases", default="sqlite")
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
    results = {
        db: in_scratch_database(
            db,
            "topics",
            [sys.executable, __file__, "--database", db, *args.dumps],
            args.postgres_url,
        )
        for db in filter(None, args.databases.split(","))
    }
    print(
        json.dumps(
            {
                "benchmark": "learned-topics",
                "python": platform.python_version(),
                "databases": results,
                "wall_s": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
