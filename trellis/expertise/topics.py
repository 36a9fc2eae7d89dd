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
TOPICS_PER_ROOT = (1.0, 1.5, 2.0)
MIN_TOPIC_QUESTIONS = 3  # smaller clusters are noise, not topics
LABEL_WORDS = 3
MIN_LABEL_SHARE = 0.2  # a label word is in at least this share of the topic's questions (and 2)
MIN_TAG_SHARE = 0.3  # the topic's most common tag leads its label when this many carry it
MIN_COHERENCE = 0.3  # a topic whose first label word is in fewer of its questions is not kept
TERMS_KEPT = 10
KMEANS_ITERATIONS = 25
KMEANS_RESTARTS = 5  # one start lands in a poor local optimum for ~1 in 10 orders of the rows
SEED = 1234
_WORD = re.compile(r"[^\W\d_][\w+#.-]*[\w+#]|[^\W\d_]")
# Words that say how people ask, not what about: common in question titles whatever the
# subject, so a cluster's most distinctive words can still be these (seen: "data · grows ·
# million", "wants", "belongs", "gives"). Search keeps them; topic labels do not.
FILLER_WORDS = frozenset(
    """
    able across actually add added adding advice almost already also always another anyone
    anything around ask asked asking away back bad best better big bit break breaks broke
    broken call called calls case cases change changed changes check come comes correct
    current day days different does done each easy else end enough even every everyone
    everything example fail failed failing fails feel fine find finds first fix fixed fixes
    get gets getting give given gives go goes going good got great grows guess hard help
    helps here however idea instead issue issues just keep keeps kind know last later least
    let like likely live long look looking looks lot lots make makes making many may maybe
    mean means might million more most much must need needed needs never new next nice
    nothing now number numbers old once one ones only other others out over part people per
    place point possible pretty probably problem problems put question questions quite
    rather real really reason right run running runs same say says see seem seems set sets
    setting should show shows since small some someone something sometimes still stuff sure
    take takes team teams tell than thanks thing things think though thought time times
    today tried tries try trying turn two under until up use used useful uses using usual
    usually want wanted wants way ways week weeks well went whole why will without work
    worked working works would wrong year years yet belongs three four five six seven eight
    nine ten half twice
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Learned:
    """One topic before it is written."""

    community_id: int | None
    label: str
    terms: list[str]
    question_ids: list[int]


def topic_counts(questions: int) -> list[int]:
    """The numbers of topics tried: from the square root of the questions to twice it, at
    most MAX_TOPICS. The square root alone mixed subjects on the demo's 324 questions in twelve
    communities ("kubernetes · prometheus · django"); twice it split a community with three
    subjects into scraps. `learn_scope` keeps the one that puts most questions in a topic
    worth naming."""
    root = math.sqrt(questions)
    return sorted({max(2, min(MAX_TOPICS, round(f * root))) for f in TOPICS_PER_ROOT})


def words_of(text: str) -> list[str]:
    """The label vocabulary: words of two letters or more that are not stop words, tag-shaped
    ones ("c++", "ci-cd") kept whole."""
    found = [w.lower() for w in _WORD.findall(text)]
    return [w for w in found if len(w) > 1 and w not in STOPWORDS and w not in FILLER_WORDS]


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
    (`selectors.topic_documents`): none when there are too few to learn from. Of the numbers
    of topics tried (`topic_counts`), the one that leaves the most questions in a coherent,
    nameable topic (see `label_terms`); the fewer topics on a tie."""
    if len(rows) < MIN_QUESTIONS:
        return []
    vectors = np.stack([embeddings.from_blob(bytes(r[3] or b"")) for r in rows]).astype(np.float32)
    tried = [_topics(community_id, rows, vectors, k) for k in topic_counts(len(rows))]
    return max(tried, key=lambda learned: sum(len(t.question_ids) for t in learned))


def _topics(
    community_id: int | None, rows: list[tuple[Any, ...]], vectors: np.ndarray, k: int
) -> list[Learned]:
    members: dict[int, list[int]] = defaultdict(list)
    for row_index, cluster in enumerate(_cluster(vectors, k).tolist()):
        members[cluster].append(row_index)
    kept = sorted(c for c, m in members.items() if len(m) >= MIN_TOPIC_QUESTIONS)
    _join_the_nearest(members, kept, vectors)
    words = [[w for i in members[c] for w in words_of(f"{rows[i][1]} {rows[i][2]}")] for c in kept]
    learned = []
    for cluster, ranked in zip(kept, distinctive_terms(words), strict=True):
        questions = [
            (set(words_of(f"{rows[i][1]} {rows[i][2]}")), rows[i][2]) for i in members[cluster]
        ]
        terms = label_terms(ranked, questions)
        if not terms:
            continue
        learned.append(
            Learned(
                community_id=community_id,
                label=" · ".join(terms[:LABEL_WORDS])[:200],
                terms=terms,
                question_ids=[int(rows[i][0]) for i in sorted(members[cluster])],
            )
        )
    return learned


def _join_the_nearest(members: dict[int, list[int]], kept: list[int], vectors: np.ndarray) -> None:
    """The questions of clusters too small to be topics join the nearest kept cluster when
    they lie within it (no farther from its centre than its own farthest question), so that
    splitting a subject in two does not leave part of it without a topic; the rest stay out."""
    if not kept:
        return
    centres = np.stack([vectors[members[c]].mean(axis=0) for c in kept])
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-9)
    radius = [float((vectors[members[c]] @ centres[k]).min()) for k, c in enumerate(kept)]
    for cluster in [c for c in members if c not in kept]:
        for row in members.pop(cluster):
            closeness = centres @ vectors[row]
            nearest = int(np.argmax(closeness))
            if closeness[nearest] >= radius[nearest]:
                members[kept[nearest]].append(row)


def label_terms(ranked: list[str], questions: list[tuple[set[str], str]]) -> list[str]:
    """A topic's words, most telling first, from its distinctive words (`ranked`) and its
    questions' (words, tags) — or none when the topic is incoherent.

    A word names the topic only when at least MIN_LABEL_SHARE of its questions (and two) use
    it: one long question repeating a word does not name a topic. The most common tag comes
    first when enough questions carry it, since people chose it. The topic is incoherent
    when its first word is in fewer than MIN_COHERENCE of its questions."""
    size = len(questions)
    share = Counter(w for words, _ in questions for w in words)
    needed = max(2, math.ceil(MIN_LABEL_SHARE * size))
    terms = [w for w in ranked if share[w] >= needed]
    tags = Counter(t for _, tagged in questions for t in set(str(tagged).split()))
    if tags:
        tag, carried = max(tags.items(), key=lambda item: (item[1], -len(item[0]), item[0]))
        if carried >= max(2, MIN_TAG_SHARE * size) and tag in share:
            terms = [tag, *(w for w in terms if w != tag)]
    if not terms or share[terms[0]] < MIN_COHERENCE * size:
        return []
    return terms
