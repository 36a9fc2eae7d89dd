"""Learning topics from the questions themselves: tags name only what askers thought to tag.

Per scope (see `LearnedTopic`), the questions' search vectors are clustered with spherical
k-means (faiss), and each cluster is labelled by its most distinctive words: class-based
TF-IDF over the questions' titles and tags, as BERTopic labels its clusters (Grootendorst,
2022). Each question is assigned to its cluster; a person's learned-topic evidence comes from
their answers to those questions (`tallies.learned_tallies`), rebuilt whole with the rest of
their evidence after every answer.

Learning needs semantic search's vectors: with no embedder configured there are no learned
topics (profiles and "who knows" keep tags and text). Relearning replaces every topic, its
assignments and its evidence in one transaction, so a failure leaves the previous topics.

This module is the maths, pure: the questions are read by `selectors.topic_documents` and the
topics written by `services.topics`.
"""

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from trellis.search import embeddings
from trellis.search.query import STOPWORDS

MIN_QUESTIONS = 20  # a scope with fewer has too little to learn from: its tags say enough
MAX_TOPICS = 100
MIN_TOPIC_QUESTIONS = 3  # smaller clusters are noise, not topics
LABEL_WORDS = 3
TERMS_KEPT = 10
KMEANS_ITERATIONS = 25
KMEANS_RESTARTS = 5  # one start lands in a poor local optimum for ~1 in 10 orders of the rows
SEED = 1234
_WORD = re.compile(r"[^\W\d_][\w+#.-]*[\w+#]|[^\W\d_]")


@dataclass(frozen=True)
class Learned:
    """One topic before it is written."""

    community_id: int | None
    label: str
    terms: list[str]
    question_ids: list[int]


def topic_count(questions: int) -> int:
    """About the square root of the questions: a few topics for a small community, at most
    MAX_TOPICS for a large one, each big enough to say something about a person."""
    return max(2, min(MAX_TOPICS, round(math.sqrt(questions))))


def words_of(text: str) -> list[str]:
    """The label vocabulary: words of two letters or more that are not stop words, tag-shaped
    ones ("c++", "ci-cd") kept whole."""
    found = [w.lower() for w in _WORD.findall(text)]
    return [w for w in found if len(w) > 1 and w not in STOPWORDS]


def distinctive_terms(clusters: list[list[str]], keep: int = TERMS_KEPT) -> list[list[str]]:
    """Class-based TF-IDF: per cluster (its questions' words joined as one document), each
    word's share of the cluster's words times log(1 + A / its count over all clusters), A the
    average number of words per cluster. Ties go to the alphabetically first word."""
    counts = [Counter(words) for words in clusters]
    overall: Counter[str] = Counter()
    for count in counts:
        overall.update(count)
    average = sum(overall.values()) / max(len(clusters), 1)
    terms = []
    for count in counts:
        total = sum(count.values()) or 1
        weighted = {
            word: (n / total) * math.log(1 + average / overall[word]) for word, n in count.items()
        }
        terms.append(sorted(weighted, key=lambda w: (-weighted[w], w))[:keep])
    return terms


def _cluster(vectors: np.ndarray, k: int) -> np.ndarray:
    """Each vector's cluster: spherical k-means with a fixed seed, so relearning on the same
    vectors gives the same topics (bench_topics.py checks), and the best of KMEANS_RESTARTS
    starts, so the topics do not hinge on the order the questions come in."""
    import faiss

    kmeans = faiss.Kmeans(
        vectors.shape[1], k, niter=KMEANS_ITERATIONS, nredo=KMEANS_RESTARTS, seed=SEED,
        spherical=True, verbose=False, min_points_per_centroid=1,
    )  # fmt: skip
    kmeans.train(vectors)
    _, nearest = kmeans.index.search(vectors, 1)
    return np.asarray(nearest[:, 0])


def learn_scope(community_id: int | None, rows: list[tuple[Any, ...]]) -> list[Learned]:
    """The topics of one scope from its questions' (id, title, tags, vector) rows, in id order
    (`selectors.topic_documents`): none when there are too few to learn from."""
    if len(rows) < MIN_QUESTIONS:
        return []
    vectors = np.stack([embeddings.from_blob(bytes(r[3] or b"")) for r in rows]).astype(np.float32)
    nearest = _cluster(vectors, topic_count(len(rows)))
    members: dict[int, list[int]] = defaultdict(list)
    for row_index, cluster in enumerate(nearest.tolist()):
        members[cluster].append(row_index)
    kept = sorted(c for c, m in members.items() if len(m) >= MIN_TOPIC_QUESTIONS)
    words = [[w for i in members[c] for w in words_of(f"{rows[i][1]} {rows[i][2]}")] for c in kept]
    learned = []
    for cluster, terms in zip(kept, distinctive_terms(words), strict=True):
        if not terms:
            continue
        learned.append(
            Learned(
                community_id=community_id,
                label=" · ".join(terms[:LABEL_WORDS])[:200],
                terms=terms,
                question_ids=[int(rows[i][0]) for i in members[cluster]],
            )
        )
    return learned
