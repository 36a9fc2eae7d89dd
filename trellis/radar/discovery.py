"""Domain discovery: topics the organisation keeps asking about that no community holds.

Issue 18. Three readings of the same questions, each returning proposals a person can check:

- `propose_communities`: the organisation's questions grouped into domains; a domain with no
  home community (its questions asked in none, or scattered so that no community holds most of
  them) and with sustained demand (several months, several askers, answerers from several
  departments) becomes a proposed community, named from its own words and tags, with its
  likely core (who answers), audience (who asks) and the figures behind it.
- `propose_spin_offs`: inside one community, sub-topics big and distinct enough to stand alone.
- `propose_merges`: two communities whose questions share topics enough for a merge or a joint
  event.

A domain is a community of practice, not only a subject: people who help each other on it. So
domains are found on the questions' text vectors smoothed by their people's (each question
pulled towards the mean of the questions its asker and answerers asked or answered): the cut
of an average-linkage tree with the best silhouette (Rousseeuw, 1987), small clusters joined
to the nearest big one; then each domain is cut in two again and again while its halves are
answered by different people (`SAME_PEOPLE`, the rule `propose_merges` uses the other way).
Sub-topics inside a community are found on text and tags (the askers' own names for their
sub-topics), by spherical k-means with the number chosen by silhouette the same way. Labels
are class-based TF-IDF over the questions' titles and tags, as in `expertise/topics.py` (whose
word helpers need Django's models loaded, hence the small copy here). No threshold here was
set on the sites or tags the evaluation scores against (see the issue's prototype report).

Pure: plain `DiscoveryQuestion`s in (vectors computed by the caller, e.g. with
`search.embeddings.document_text`), dataclasses out; nothing here reads the database.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any, Literal

import numpy as np

from trellis.radar.words import plural
from trellis.search.query import STOPWORDS

PersonId = Hashable
QuestionId = Hashable

# Domains (proposed communities)
PEOPLE_WEIGHT = 0.5  # how far a question is pulled towards its people's questions (0 = text only)
MIN_DOMAIN_QUESTIONS = 10  # a smaller cluster is a handful of questions, not sustained demand
MAX_DOMAINS = 30
MAX_DOMAINS_LARGE = 120  # beyond MAX_TREE_QUESTIONS: an organisation that size has more
SAMPLE_CUTS = 5000  # beyond MAX_TREE_QUESTIONS the tree's cuts are scored on this many
MAX_TREE_QUESTIONS = 4000  # beyond, the tree is built on micro-clusters (see _average_linkage)
MICRO_CLUSTERS = 1000
MIN_MONTHS = 3  # calendar months with at least one of its questions
MIN_ASKERS = 3
MIN_DEPARTMENTS = 2  # of the answerers: a topic one department answers belongs to that department
HOME_SHARE = 0.5  # a community holding this share of a domain's questions is already its home
SAME_PEOPLE = 0.25  # of the smaller side's answerers answering on both sides: one community
# A domain or shared topic must be one: a mean silhouette below 0.25 is "no substantial
# structure" (Kaufman & Rousseeuw, 1990), a grab-bag of questions near nothing else either.
MIN_COHESION = 0.25
# Spin-offs
MIN_SPIN_OFF_QUESTIONS = 15
MIN_SPIN_OFF_SHARE = 0.025  # of the community's questions
MAX_SPIN_OFFS = 40
MIN_SPIN_OFF_MONTHS = 2
MIN_SPIN_OFF_ANSWERERS = 3
TAG_WEIGHT = 1.0  # the tags' part of a question's spin-off vector, against its text's 1
# Merges
MIN_SHARED_QUESTIONS = 5  # of each community, in a topic for it to count as shared
JOINT_EVENT_OVERLAP = 0.15  # of the smaller community's questions in topics shared with the other
MERGE_OVERLAP = 0.5
MERGE_SHARED_PEOPLE = SAME_PEOPLE  # the rule that parts domains is the one that joins communities
MERGE_TOPICS = 2  # a merge rests on more than one shared topic; one is a joint event's reason
# Labels
LABEL_TERMS = 3
MIN_TERM_SHARE = 0.2  # a label word is in at least this share of the cluster's questions
MIN_NAME_SHARE = 0.1  # a name word is in at least this share of the cluster's questions
NAME_SPECIFICITY = 0.8  # and this share of the questions using it are in the cluster
TERMS_KEPT = 10
TOP_PEOPLE = 5
KMEANS_ITERATIONS = 25
KMEANS_RESTARTS = 5
SEED = 1234
# Large inputs (an organisation of 50,000 people): beyond EXACT_UP_TO questions the number of
# sub-topics is chosen on a sample, over a geometric grid of counts, then one full k-means
# is run at the chosen count (domains: beyond MAX_TREE_QUESTIONS, up to MAX_DOMAINS_LARGE,
# the tree's cuts on a grid scored on SAMPLE_CUTS questions); the micro-clusters train on a
# sample too; more than EXACT_TAGS distinct tags are hashed into that many dimensions
# (signed, so collisions cancel on average). Below them every figure is exactly as the
# method defines it.
EXACT_UP_TO = 1000
SAMPLE = 1000
EXACT_TAGS = 1024
MICRO_POINTS_PER_CENTROID = 64
_ONE_DAY = timedelta(days=1)
_WORD = re.compile(r"[^\W\d_][\w+#.-]*[\w+#]|[^\W\d_]")
# Words that say how people ask, not what about (a shorter list than expertise/topics.py's).
FILLER_WORDS = frozenset(
    """
    able actually add added also always another anything ask asked asking back best better
    call called case cases change check come correct current different does done each easy
    else even every example find first fix get gets getting give given go going good got
    help here however idea instead issue issues just keep kind know let like look looking
    lot make makes making many may maybe mean means might more most much must need needed
    needs new next now one ones only other others part people per possible probably problem
    problems put question questions quite rather really reason right same say see seem
    seems should show since some something still sure take tell than thing things think
    though time times tried try trying two use used useful uses using way ways well why
    will without work working works would wrong yet
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True)
class DiscoveryQuestion:
    """One question as discovery reads it; `vector` a unit text vector of its title, tags and
    body, `answerer_departments` in the order of `answerer_ids` (None when unknown)."""

    id: QuestionId
    vector: np.ndarray = field(compare=False)  # arrays neither compare to a bool nor hash
    title: str
    tags: tuple[str, ...]
    asker_id: PersonId | None
    answerer_ids: tuple[PersonId, ...]
    asker_department: str | None
    answerer_departments: tuple[str | None, ...]
    community_id: int | None
    created: date


@dataclass(frozen=True)
class PersonCount:
    person_id: PersonId
    department: str | None
    questions: int  # answered (core) or asked (audience) in the proposal


@dataclass(frozen=True)
class Evidence:
    questions: int
    months: int  # calendar months with at least one question
    first_month: date
    last_month: date
    askers: int
    answerers: int
    answered: int  # questions with at least one answer
    answerer_departments: int
    asker_departments: int
    in_communities: dict[int | None, int]  # where the questions are asked now (None: nowhere)


@dataclass(frozen=True)
class Proposal:
    """A proposed community or spin-off: what to call it, whom to ask, and why."""

    kind: Literal["community", "spin-off"]
    name: str
    domain: str  # one sentence
    terms: tuple[str, ...]  # most distinctive first
    tags: tuple[tuple[str, int], ...]  # its most common tags, with counts
    question_ids: tuple[QuestionId, ...]
    core: tuple[PersonCount, ...]  # who answers most
    audience: tuple[PersonCount, ...]  # who asks most
    evidence: Evidence
    cohesion: float  # mean silhouette of its questions: >0 closer to each other than elsewhere
    parent_community_id: int | None = None  # spin-offs: the community it would leave

    def describe(self) -> str:
        """The proposal as a reader sees it."""
        e = self.evidence
        core = ", ".join(f"{p.person_id} ({p.questions})" for p in self.core)
        audience = ", ".join(f"{p.person_id} ({p.questions})" for p in self.audience)
        where = ", ".join(
            f"{'no community' if c is None else f'community {c}'}: {n}"
            for c, n in sorted(e.in_communities.items(), key=lambda item: -item[1])
        )
        return "\n".join(
            [
                f"{self.kind.capitalize()} proposal: {self.name}",
                f"  {self.domain}",
                f"  tags: {', '.join(f'{t} ({n})' for t, n in self.tags)}",
                f"  likely core (answers): {core or 'nobody yet'}",
                f"  audience (asks): {audience or 'anonymous'}",
                f"  evidence: {e.questions} questions over {e.months} months "
                f"({e.first_month:%Y-%m} to {e.last_month:%Y-%m}), {e.askers} askers from "
                f"{e.asker_departments} departments, {e.answered} answered by {e.answerers} "
                f"people from {e.answerer_departments} departments; cohesion {self.cohesion:.2f}",
                f"  asked in: {where}",
            ]
        )


@dataclass(frozen=True)
class Rejected:
    """A cluster that was not proposed, and why (the reader can check the thresholds)."""

    name: str
    questions: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Discovery:
    """Proposals and the partition they came from: every question's cluster (-1 for none),
    the cluster of each proposal, and the numbers of clusters tried with their silhouettes."""

    proposals: list[Proposal]
    rejected: list[Rejected]
    cluster_of: dict[QuestionId, int]
    proposal_clusters: list[int]
    tried: list[tuple[int, float]] = field(default_factory=list)
    chosen: int = 0

    def proposal_of(self) -> dict[QuestionId, int]:
        """Each question's proposal index, -1 when it is in none."""
        index = {cluster: i for i, cluster in enumerate(self.proposal_clusters)}
        return {q: index.get(c, -1) for q, c in self.cluster_of.items()}


@dataclass(frozen=True)
class MergeProposal:
    community_ids: tuple[int, int]
    suggestion: Literal["merge", "joint event"]
    overlap: float  # share of the smaller community's questions in topics both ask about
    shared_people: float  # share of the smaller community's answerers answering in both
    shared_topics: tuple[tuple[str, int, int], ...]  # (topic, questions in each community)


# Words and labels --------------------------------------------------------------------------------


def words_of(text: str) -> list[str]:
    found = [w.lower() for w in _WORD.findall(text)]
    return [w for w in found if len(w) > 1 and w not in STOPWORDS and w not in FILLER_WORDS]


def _tokens(question: DiscoveryQuestion) -> set[str]:
    """What a label may use: the title's words and the tags (hyphens read as spaces)."""
    return set(words_of(question.title)) | {t.replace("-", " ") for t in question.tags}


@cache
def _stem(word: str) -> str:
    import Stemmer

    return str(Stemmer.Stemmer("porter").stemWord(word))


def _stems(question: DiscoveryQuestion) -> set[str]:
    """The title's words by their stem ("conlang", "conlangs", "conlanging" are one word)."""
    return {_stem(w) for w in words_of(question.title)}


def _class_tf_idf(counts: list[Counter[str]]) -> list[dict[str, float]]:
    """Each token's weight per cluster: its share of the cluster's tokens times log(1 + A /
    its count over all clusters), A the average number of tokens per cluster."""
    overall: Counter[str] = Counter()
    for count in counts:
        overall.update(count)
    average = sum(overall.values()) / max(len(counts), 1)
    weights = []
    for count in counts:
        total = sum(count.values()) or 1
        weights.append(
            {t: (n / total) * math.log(1 + average / overall[t]) for t, n in count.items()}
        )
    return weights


def _distinctive(clusters: list[list[DiscoveryQuestion]]) -> list[tuple[list[str], list[str]]]:
    """Class-based TF-IDF over the clusters (each one document of its questions' tokens): per
    cluster, its tokens in at least MIN_TERM_SHARE of its questions (and 2), most distinctive
    first; and, to name it when its first term names another cluster too, the title words
    specific to it (by stem, NAME_SPECIFICITY of their uses in it) in at least MIN_NAME_SHARE
    of its questions, as its titles most often write them."""
    counts = [Counter(t for q in cluster for t in _tokens(q)) for cluster in clusters]
    stems = [Counter(t for q in cluster for t in _stems(q)) for cluster in clusters]
    overall_stems: Counter[str] = Counter()
    for count in stems:
        overall_stems.update(count)
    ranked = []
    for cluster, count, weight, stem_count, stem_weight in zip(
        clusters, counts, _class_tf_idf(counts), stems, _class_tf_idf(stems), strict=True
    ):
        common = max(2, math.ceil(MIN_TERM_SHARE * len(cluster)))
        terms = [t for t in sorted(weight, key=lambda t: (-weight[t], t)) if count[t] >= common]
        named = max(2, math.ceil(MIN_NAME_SHARE * len(cluster)))
        specific = [
            s
            for s in sorted(stem_weight, key=lambda s: (-stem_weight[s], s))
            if stem_count[s] >= named and stem_count[s] >= NAME_SPECIFICITY * overall_stems[s]
        ]
        forms: dict[str, Counter[str]] = defaultdict(Counter)
        for q in cluster:
            for word in words_of(q.title):
                forms[_stem(word)][word] += 1
        written = [max(forms[s].items(), key=lambda item: (item[1], item[0]))[0] for s in specific]
        ranked.append((terms[:TERMS_KEPT], written[:TERMS_KEPT]))
    return ranked


def _cased(term: str, casing: dict[str, str]) -> str:
    """A term as the titles write it ("hhl algorithm" -> "HHL algorithm")."""
    return " ".join(casing.get(word, word) for word in term.split())


def _casing(questions: Sequence[DiscoveryQuestion]) -> dict[str, str]:
    """Words the titles write in capitals or mixed case ("HHL", "QISKit", "DevOps") as they
    write them; a capital only at the start is the start of a title, not the word's."""
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for q in questions:
        for word in _WORD.findall(q.title):
            forms[word.lower()][word] += 1
    cased = {}
    for lower, counted in forms.items():
        form, _ = counted.most_common(1)[0]
        if form not in (lower, lower.capitalize()):
            cased[lower] = form
    return cased


def _name_and_domain(
    terms: list[str], tags: Counter[str], casing: dict[str, str], specific: list[str] | None
) -> tuple[str, str]:
    """ "Quantum circuits: questions on gates, circuit depth and compilation"-like text: the
    name its most distinctive term (its most specific one when given: the first names another
    cluster too), the subjects its next distinctive terms, then its most common tags."""
    picked = list(dict.fromkeys([*terms, *(t.replace("-", " ") for t, _ in tags.most_common())]))
    picked = [t for t in picked if not any(t != o and t in o.split() for o in picked[:2])]
    if specific:
        picked = [specific[0], *(t for t in picked if t != specific[0])]
    if not picked:
        return "Unnamed topic", "Questions with no common words."
    name = _cased(picked[0], casing)
    name = name[:1].upper() + name[1:]
    rest = [_cased(t, casing) for t in picked[1 : 1 + LABEL_TERMS]]
    if not rest:
        return name, f"{name}: questions on {picked[0]}."
    listed = rest[0] if len(rest) == 1 else f"{', '.join(rest[:-1])} and {rest[-1]}"
    return name, f"{name}: questions on {listed}."


# Clustering --------------------------------------------------------------------------------------


def _unit(matrix: np.ndarray) -> np.ndarray:
    return np.asarray(matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12))


def _precision(questions: int) -> type[np.floating[Any]]:
    """float64 where every figure is exact (up to EXACT_UP_TO questions), float32 beyond:
    150,000 questions' vectors and their copies would hold about 5 GB in float64."""
    return np.float64 if questions <= EXACT_UP_TO else np.float32


def people_smoothed(questions: Sequence[DiscoveryQuestion], weight: float) -> np.ndarray:
    """Each question's vector pulled towards its people's: a person's vector is the mean of
    the questions they asked or answered, a question's people vector the mean of its asker's
    and answerers'. Questions nobody known asked or answered keep their own vector."""
    vectors = _unit(np.stack([q.vector for q in questions]).astype(_precision(len(questions))))
    if weight <= 0:
        return vectors
    involved: dict[PersonId, list[int]] = defaultdict(list)
    people_of: list[list[PersonId]] = []
    for row, q in enumerate(questions):
        people = list(dict.fromkeys([*([q.asker_id] if q.asker_id is not None else []),
                                     *q.answerer_ids]))  # fmt: skip
        people_of.append(people)
        for person in people:
            involved[person].append(row)
    person_vector = {p: vectors[rows].mean(axis=0) for p, rows in involved.items()}
    pulled = np.stack(
        [
            np.mean([person_vector[p] for p in people], axis=0) if people else vectors[row]
            for row, people in enumerate(people_of)
        ]
    )
    return _unit((1 - weight) * vectors + weight * _unit(pulled))


def silhouettes(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's silhouette in cosine distance (0 for a cluster of one); rows labelled -1
    neither count nor are counted. `vectors` are unit rows, so a row's summed distance to a
    cluster is the cluster's size less its dot product with the cluster's summed vector: exact,
    in time and memory linear in the questions (no pairwise matrix)."""
    result = np.zeros(len(labels))
    kept = np.flatnonzero(labels >= 0)
    clusters, own = np.unique(labels[kept], return_inverse=True)
    if len(clusters) < 2:
        return result
    members = vectors if len(kept) == len(labels) else vectors[kept]  # no copy when all count
    sizes = np.bincount(own, minlength=len(clusters)).astype(np.float64)
    summed = np.zeros((len(clusters), vectors.shape[1]))
    np.add.at(summed, own, members)
    sums = sizes[None, :] - members @ summed.T  # summed distance from each row to each cluster
    rows = np.arange(len(kept))
    self_distance = 1.0 - np.einsum("ij,ij->i", members, members)
    within = (sums[rows, own] - self_distance) / np.maximum(sizes[own] - 1, 1)
    others = sums / sizes
    others[rows, own] = np.inf
    nearest = others.min(axis=1)
    score = (nearest - within) / np.maximum(np.maximum(within, nearest), 1e-12)
    score[sizes[own] == 1] = 0.0
    result[kept] = score
    return result


def _dropping_small(labels: np.ndarray, min_size: int) -> np.ndarray:
    sizes = Counter(labels.tolist())
    return np.array([c if sizes[c] >= min_size else -1 for c in labels.tolist()])


def _joining_the_nearest(
    vectors: np.ndarray, labels: np.ndarray, min_size: int, *, within: bool
) -> np.ndarray:
    """The questions of clusters smaller than `min_size` join the nearest big cluster (by
    its centre); with `within`, only when they lie within it (no farther from its centre than
    its own farthest question, as expertise/topics.py does), the rest in none (-1)."""
    big = _dropping_small(labels, min_size)
    clusters = sorted(set(big.tolist()) - {-1})
    if not clusters:
        return big
    centres = _unit(np.stack([vectors[big == c].mean(axis=0) for c in clusters]))
    radius = np.array([(vectors[big == c] @ centres[i]).min() for i, c in enumerate(clusters)])
    joined = big.copy()
    for row in np.flatnonzero(big < 0):
        closeness = centres @ vectors[row]
        nearest = int(np.argmax(closeness))
        if not within or closeness[nearest] >= radius[nearest]:
            joined[row] = clusters[nearest]
    return joined


def _best_cut(
    vectors: np.ndarray, partitions: dict[int, np.ndarray], min_size: int
) -> tuple[int, list[tuple[int, float]]]:
    """The number of clusters whose partition has the best mean silhouette over all the
    questions, those of clusters smaller than `min_size` joined to the nearest big one (so
    that cutting off outliers as noise does not pass for structure); the fewer clusters on a
    tie. Needs two big clusters to count."""
    tried = []
    for k, labels in sorted(partitions.items()):
        joined = _joining_the_nearest(vectors, labels, min_size, within=False)
        if len(set(joined.tolist()) - {-1}) < 2:
            continue
        tried.append((k, round(float(silhouettes(vectors, joined).mean()), 4)))
    if not tried:
        return 0, []
    best = max(tried, key=lambda item: (item[1], -item[0]))
    return best[0], tried


def _grid(most: int, points: int = 10) -> list[int]:
    """About `points` counts from 2 to `most`, evenly spaced on a log scale."""
    if most <= 2:
        return [2]
    return sorted({round(2 * (most / 2) ** (i / (points - 1))) for i in range(points)} | {most})


def _average_linkage(
    vectors: np.ndarray, most: int, counts: Sequence[int] | None = None
) -> dict[int, np.ndarray]:
    """The cuts of the average-linkage tree (cosine) into 2..most clusters (or `counts`). Beyond
    MAX_TREE_QUESTIONS the tree is built on k-means micro-clusters' centres (its memory grows
    with the square of what it is built on), each question taking its micro-cluster's cut."""
    from scipy.cluster.hierarchy import fcluster, linkage  # type: ignore[import-untyped]

    if len(vectors) > MAX_TREE_QUESTIONS:
        micro = _kmeans(
            vectors, MICRO_CLUSTERS, restarts=1, points_per_centroid=MICRO_POINTS_PER_CENTROID
        )
        used, micro = np.unique(micro, return_inverse=True)
        leaves = _unit(np.stack([vectors[micro == m].mean(axis=0) for m in range(len(used))]))
    else:
        micro, leaves = np.arange(len(vectors)), vectors
    tree = linkage(leaves, method="average", metric="cosine")
    return {
        k: (np.asarray(fcluster(tree, k, criterion="maxclust")) - 1)[micro]
        for k in (counts if counts is not None else range(2, most + 1))
    }


def _kmeans(
    vectors: np.ndarray, k: int, *, restarts: int = KMEANS_RESTARTS, points_per_centroid: int = 256
) -> np.ndarray:
    import faiss

    data = np.ascontiguousarray(vectors, dtype=np.float32)
    kmeans = faiss.Kmeans(
        data.shape[1], k, niter=KMEANS_ITERATIONS, nredo=restarts, seed=SEED,
        spherical=True, verbose=False, min_points_per_centroid=1,
        max_points_per_centroid=points_per_centroid,
    )  # fmt: skip
    kmeans.train(data)
    _, nearest = kmeans.index.search(data, 1)
    return np.asarray(nearest[:, 0])


def _kmeans_cuts(
    vectors: np.ndarray, most: int, min_size: int
) -> tuple[int, list[tuple[int, float]], np.ndarray]:
    """The number of sub-topics with the best silhouette (`_best_cut`) and its partition. Every
    count from 2 to `most` on the questions themselves up to EXACT_UP_TO of them; beyond, the
    counts of a geometric grid on a sample of SAMPLE questions (one restart each), and then
    one full k-means at the chosen count."""
    if len(vectors) <= EXACT_UP_TO:
        partitions = {k: _kmeans(vectors, k) for k in range(2, most + 1)}
        chosen, tried = _best_cut(vectors, partitions, min_size)
        return chosen, tried, partitions.get(chosen, np.zeros(len(vectors), dtype=np.int64))
    rows = np.sort(np.random.default_rng(SEED).choice(len(vectors), SAMPLE, replace=False))
    sample = vectors[rows]
    partitions = {k: _kmeans(sample, k, restarts=1) for k in _grid(most)}
    sample_size = max(2, math.ceil(min_size * SAMPLE / len(vectors)))
    chosen, tried = _best_cut(sample, partitions, sample_size)
    if not chosen:
        return 0, tried, np.zeros(len(vectors), dtype=np.int64)
    return chosen, tried, _kmeans(vectors, chosen)


def tag_vectors(
    questions: Sequence[DiscoveryQuestion], dtype: type[np.floating[Any]] = np.float64
) -> np.ndarray:
    """Unit TF-IDF vectors of the questions' tags (zero for untagged questions); beyond
    EXACT_TAGS distinct tags, hashed into EXACT_TAGS signed dimensions."""
    import zlib

    frequency = Counter(t for q in questions for t in set(q.tags))
    if len(frequency) <= EXACT_TAGS:
        index = {t: (i, 1.0) for i, t in enumerate(sorted(frequency))}
        width = max(len(index), 1)
    else:
        hashed = {t: zlib.crc32(t.encode()) for t in frequency}
        index = {t: (h % EXACT_TAGS, 1.0 if h & 1 << 31 else -1.0) for t, h in hashed.items()}
        width = EXACT_TAGS
    matrix = np.zeros((len(questions), width), dtype=dtype)
    for row, q in enumerate(questions):
        for tag in set(q.tags):
            column, sign = index[tag]
            matrix[row, column] += sign * (math.log(len(questions) / frequency[tag]) + 1e-3)
    return _unit(matrix)


# Evidence and proposals --------------------------------------------------------------------------


def _month(day: date) -> date:
    return day.replace(day=1)


def evidence_of(questions: Sequence[DiscoveryQuestion]) -> Evidence:
    months = sorted({_month(q.created) for q in questions})
    answerer_departments = {
        d for q in questions for d in q.answerer_departments if d is not None
    }  # fmt: skip
    return Evidence(
        questions=len(questions),
        months=len(months),
        first_month=months[0],
        last_month=months[-1],
        askers=len({q.asker_id for q in questions if q.asker_id is not None}),
        answerers=len({p for q in questions for p in q.answerer_ids}),
        answered=sum(1 for q in questions if q.answerer_ids),
        answerer_departments=len(answerer_departments),
        asker_departments=len({q.asker_department for q in questions} - {None}),
        in_communities=dict(Counter(q.community_id for q in questions)),
    )


def _people(
    questions: Sequence[DiscoveryQuestion], role: Literal["answers", "asks"]
) -> tuple[PersonCount, ...]:
    """The top people by the number of the questions they answered (or asked)."""
    counted: Counter[PersonId] = Counter()
    department: dict[PersonId, str | None] = {}
    for q in questions:
        if role == "asks":
            if q.asker_id is not None:
                counted[q.asker_id] += 1
                department[q.asker_id] = q.asker_department
            continue
        for person, where in dict(zip(q.answerer_ids, q.answerer_departments, strict=True)).items():
            counted[person] += 1
            department[person] = where
    top = sorted(counted.items(), key=lambda item: (-item[1], str(item[0])))[:TOP_PEOPLE]
    return tuple(PersonCount(p, department[p], n) for p, n in top)


def _proposal(
    kind: Literal["community", "spin-off"],
    questions: list[DiscoveryQuestion],
    terms: list[str],
    cohesion: float,
    specific: list[str] | None,
    parent: int | None = None,
) -> Proposal:
    tags = Counter(t for q in questions for t in q.tags)
    name, domain = _name_and_domain(terms, tags, _casing(questions), specific)
    return Proposal(
        kind=kind,
        name=name,
        domain=domain,
        terms=tuple(terms),
        tags=tuple(tags.most_common(LABEL_TERMS + 2)),
        question_ids=tuple(q.id for q in questions),
        core=_people(questions, "answers"),
        audience=_people(questions, "asks"),
        evidence=evidence_of(questions),
        cohesion=round(cohesion, 4),
        parent_community_id=parent,
    )


def _judge(
    questions: Sequence[DiscoveryQuestion],
    labels: np.ndarray,
    vectors: np.ndarray,
    kind: Literal["community", "spin-off"],
    needs: dict[str, int],
    parent: int | None = None,
) -> Discovery:
    """Proposals from a partition: each cluster named, then kept or rejected with reasons."""
    members: dict[int, list[int]] = defaultdict(list)
    for row, cluster in enumerate(labels.tolist()):
        if cluster >= 0:
            members[cluster].append(row)
    order = sorted(members, key=lambda c: (-len(members[c]), c))
    groups = [[questions[i] for i in members[c]] for c in order]
    scores = silhouettes(vectors, labels)
    proposals, rejected, kept = [], [], []
    ranked = _distinctive(groups)
    first = Counter(terms[0] for terms, _ in ranked if terms)
    for cluster, group, (terms, specific) in zip(order, groups, ranked, strict=True):
        cohesion = float(scores[members[cluster]].mean())
        clash = bool(terms) and first[terms[0]] > 1
        proposal = _proposal(kind, group, terms, cohesion, specific if clash else None, parent)
        reasons = _shortfalls(proposal, needs)
        if reasons:
            rejected.append(Rejected(proposal.name, len(group), tuple(reasons)))
        else:
            proposals.append(proposal)
            kept.append(cluster)
    return Discovery(
        proposals=proposals,
        rejected=rejected,
        cluster_of={q.id: int(c) for q, c in zip(questions, labels.tolist(), strict=True)},
        proposal_clusters=kept,
    )


def _shortfalls(proposal: Proposal, needs: dict[str, int]) -> list[str]:
    e = proposal.evidence
    reasons = []
    if e.questions < needs["questions"]:
        reasons.append(f"{plural(e.questions, 'question')}, fewer than {needs['questions']}")
    if e.months < needs["months"]:
        reasons.append(f"questions in {plural(e.months, 'month')}, fewer than {needs['months']}")
    if e.askers < needs.get("askers", 0):
        reasons.append(f"{plural(e.askers, 'asker')}, fewer than {needs['askers']}")
    if e.answerers < needs.get("answerers", 0):
        reasons.append(f"{plural(e.answerers, 'answerer')}, fewer than {needs['answerers']}")
    if e.answerer_departments < needs.get("departments", 0):
        reasons.append(
            f"answerers from {plural(e.answerer_departments, 'department')}, fewer than "
            f"{needs['departments']}"
        )
    home = max(((c, n) for c, n in e.in_communities.items() if c is not None),
               key=lambda item: item[1], default=None)  # fmt: skip
    if needs.get("homeless") and home and home[1] >= HOME_SHARE * e.questions:
        reasons.append(f"community {home[0]} already holds {home[1]} of its questions")
    if needs.get("cohesive") and proposal.cohesion < MIN_COHESION:
        reasons.append(f"not one topic: cohesion {proposal.cohesion:.2f}, below {MIN_COHESION}")
    return reasons


def shared_answerers(a: Sequence[DiscoveryQuestion], b: Sequence[DiscoveryQuestion]) -> float:
    """The share of the smaller side's answerers who answer on the other side too."""
    left = {p for q in a for p in q.answerer_ids}
    right = {p for q in b for p in q.answerer_ids}
    return len(left & right) / max(min(len(left), len(right)), 1)


def _parted_by_people(
    questions: Sequence[DiscoveryQuestion], vectors: np.ndarray, labels: np.ndarray, min_size: int
) -> np.ndarray:
    """Each domain cut in two (spherical 2-means), again and again, while the two halves
    are big enough and answered (MIN_SPIN_OFF_ANSWERERS each) by different people (fewer than
    SAME_PEOPLE of the smaller half's answerers answer in the other): text alone can hold
    two sites' "how do we run this place" questions together, their people do not mix."""
    labels = labels.copy()
    waiting = sorted(set(labels.tolist()) - {-1})
    fresh = max(waiting, default=-1) + 1
    while waiting:
        cluster = waiting.pop()
        rows = np.flatnonzero(labels == cluster)
        if len(rows) < 2 * min_size:
            continue
        halves = _kmeans(vectors[rows], 2)
        sides = [rows[halves == 0], rows[halves == 1]]
        if min(len(side) for side in sides) < min_size:
            continue
        left, right = ([questions[i] for i in side] for side in sides)
        answered = min(len({p for q in side for p in q.answerer_ids}) for side in (left, right))
        if answered >= MIN_SPIN_OFF_ANSWERERS and shared_answerers(left, right) < SAME_PEOPLE:
            labels[sides[1]] = fresh
            waiting += [cluster, fresh]
            fresh += 1
    return labels


def propose_communities(
    questions: Sequence[DiscoveryQuestion],
    *,
    people_weight: float = PEOPLE_WEIGHT,
    min_questions: int = MIN_DOMAIN_QUESTIONS,
    min_months: int = MIN_MONTHS,
    min_askers: int = MIN_ASKERS,
    min_departments: int = MIN_DEPARTMENTS,
) -> Discovery:
    """Domains of the organisation's questions (all of them, so a domain an existing community
    already holds is recognised as such and not proposed), the proposals those with no home
    and sustained demand. The cut of the tree with the best silhouette gives the domains,
    each then parted while its halves are answered by different people. Questions of
    clusters smaller than `min_questions` join the nearest domain when within it, else are in
    none (-1)."""
    if len(questions) < 2 * min_questions:
        return Discovery([], [], {q.id: -1 for q in questions}, [])
    vectors = people_smoothed(questions, people_weight)
    if len(questions) <= MAX_TREE_QUESTIONS:
        most = max(2, min(MAX_DOMAINS, len(questions) // min_questions))
        partitions = _average_linkage(vectors, most)
        chosen, tried = _best_cut(vectors, partitions, min_questions)
    else:  # a big organisation: more domains, the cuts of a grid scored on a sample
        most = max(2, min(MAX_DOMAINS_LARGE, len(questions) // min_questions))
        partitions = _average_linkage(vectors, most, _grid(most, 20))
        rows = np.sort(np.random.default_rng(SEED).choice(len(vectors), SAMPLE_CUTS, False))
        size = max(2, math.ceil(min_questions * SAMPLE_CUTS / len(questions)))
        chosen, tried = _best_cut(vectors[rows], {k: p[rows] for k, p in partitions.items()}, size)
    if not chosen:
        return Discovery([], [], {q.id: -1 for q in questions}, [], tried)
    labels = _joining_the_nearest(vectors, partitions[chosen], min_questions, within=True)
    labels = _parted_by_people(questions, vectors, labels, min_questions)
    needs = {"questions": min_questions, "months": min_months, "askers": min_askers,
             "departments": min_departments, "homeless": 1, "cohesive": 1}  # fmt: skip
    found = _judge(questions, labels, vectors, "community", needs)
    return Discovery(
        found.proposals, found.rejected, found.cluster_of, found.proposal_clusters, tried, chosen
    )


def propose_spin_offs(
    questions: Sequence[DiscoveryQuestion],
    *,
    community_id: int | None = None,
    tag_weight: float = TAG_WEIGHT,
    min_questions: int = MIN_SPIN_OFF_QUESTIONS,
    min_months: int = MIN_SPIN_OFF_MONTHS,
    min_answerers: int = MIN_SPIN_OFF_ANSWERERS,
) -> Discovery:
    """Sub-topics of one community's questions big enough (at least `min_questions` and
    MIN_SPIN_OFF_SHARE of them) and distinct enough (a positive mean silhouette: its questions
    nearer each other than any other sub-topic's) to stand alone. Text and tags together:
    the tags are the askers' own names for their sub-topics."""
    size = max(min_questions, math.ceil(MIN_SPIN_OFF_SHARE * len(questions)))
    if len(questions) < 2 * size:
        return Discovery([], [], {q.id: -1 for q in questions}, [])
    precision = _precision(len(questions))
    text = _unit(np.stack([q.vector for q in questions]).astype(precision))
    tags = tag_vectors(questions, precision)
    if tag_weight != 1.0:
        tags *= tag_weight
    vectors = _unit(np.hstack([text, tags]))
    del text, tags
    most = max(2, min(MAX_SPIN_OFFS, len(questions) // size))
    chosen, tried, partition = _kmeans_cuts(vectors, most, size)
    if not chosen:
        return Discovery([], [], {q.id: -1 for q in questions}, [], tried)
    labels = _joining_the_nearest(vectors, partition, size, within=True)
    needs = {"questions": size, "months": min_months, "answerers": min_answerers}
    found = _judge(questions, labels, vectors, "spin-off", needs, community_id)
    kept = [
        (p, c) for p, c in zip(found.proposals, found.proposal_clusters, strict=True)
        if p.cohesion > 0
    ]  # fmt: skip
    rejected = found.rejected + [
        Rejected(p.name, p.evidence.questions, (f"not distinct: cohesion {p.cohesion:.2f}",))
        for p in found.proposals
        if p.cohesion <= 0
    ]
    return Discovery(
        [p for p, _ in kept], rejected, found.cluster_of, [c for _, c in kept], tried, chosen
    )


def propose_merges(
    questions: Sequence[DiscoveryQuestion],
    *,
    min_shared: int = MIN_SHARED_QUESTIONS,
) -> list[MergeProposal]:
    """Pairs of communities asking about the same topics: the questions of all communities
    split into topics as a spin-off search would split one community; a topic (one with
    MIN_COHESION) is shared by two communities when each has `min_shared` of its questions in
    it. The overlap is the share of the smaller community's questions in shared topics:
    JOINT_EVENT_OVERLAP and more suggests a joint event, and a merge when it reaches
    MERGE_OVERLAP over MERGE_TOPICS topics and the same people answer in both
    (MERGE_SHARED_PEOPLE of the smaller one's answerers): two communities on the same subject
    answered by different people have something to learn from each other, not one community
    to become.

    Simple on purpose (a first reading): it does not weigh members who answer nothing, nor
    whether the overlap is recent."""
    held = [q for q in questions if q.community_id is not None]
    topics = propose_spin_offs(held, min_months=1, min_answerers=0)
    if not topics.proposals:
        return []
    names = {
        cluster: p.name
        for cluster, p in zip(topics.proposal_clusters, topics.proposals, strict=True)
        if p.cohesion >= MIN_COHESION
    }
    per_topic: dict[int, Counter[int]] = defaultdict(Counter)
    for q in held:
        cluster = topics.cluster_of[q.id]
        if cluster in names and q.community_id is not None:
            per_topic[cluster][q.community_id] += 1
    sizes = Counter(q.community_id for q in held)
    answerers: dict[int, set[PersonId]] = defaultdict(set)
    for q in held:
        if q.community_id is not None:
            answerers[q.community_id].update(q.answerer_ids)
    shared: dict[tuple[int, int], list[tuple[str, int, int]]] = defaultdict(list)
    for cluster, counts in per_topic.items():
        present = sorted(c for c, n in counts.items() if n >= min_shared)
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                shared[(a, b)].append((names[cluster], counts[a], counts[b]))
    merges = []
    for (a, b), topics_shared in shared.items():
        smaller = a if sizes[a] <= sizes[b] else b
        in_shared = sum(na if smaller == a else nb for _, na, nb in topics_shared)
        overlap = in_shared / max(sizes[smaller], 1)
        fewer = min(len(answerers[a]), len(answerers[b]))
        people = len(answerers[a] & answerers[b]) / max(fewer, 1)
        if overlap >= JOINT_EVENT_OVERLAP:
            same = (
                overlap >= MERGE_OVERLAP
                and people >= MERGE_SHARED_PEOPLE
                and len(topics_shared) >= MERGE_TOPICS
            )
            suggestion: Literal["merge", "joint event"] = "merge" if same else "joint event"
            merges.append(
                MergeProposal(
                    (a, b), suggestion, round(overlap, 4), round(people, 4), tuple(topics_shared)
                )
            )
    return sorted(merges, key=lambda m: -m.overlap)


# Emerging edges -----------------------------------------------------------------------------------

RECENT_MONTHS = 4  # a sub-topic's recent share is read over the last this many months
GROWTH = 1.5  # its recent share of the community's questions against its share before
MIN_RECENT_QUESTIONS = 5


@dataclass(frozen=True)
class Emergence:
    recent: int  # the sub-topic's questions in the recent months
    recent_total: int  # the community's questions in the recent months
    before: int
    before_total: int

    @property
    def recent_share(self) -> float:
        return self.recent / max(self.recent_total, 1)

    @property
    def before_share(self) -> float:
        return self.before / max(self.before_total, 1)


def emerging_edges(
    found: Discovery, questions: Sequence[DiscoveryQuestion], today: date
) -> list[tuple[Proposal, Emergence]]:
    """The spin-offs worth proposing: an edge of the practice, not its body (never the biggest
    sub-topic, nor one holding half the questions), and emerging (its share of the community's
    questions of the last RECENT_MONTHS at least GROWTH times its share before, with
    MIN_RECENT_QUESTIONS of them). Splitting every sub-topic off would dissolve the community."""
    if not found.proposals:
        return []
    start = today.replace(day=1)
    for _ in range(RECENT_MONTHS - 1):
        start = (start - _ONE_DAY).replace(day=1)
    recent_total = sum(1 for q in questions if q.created >= start)
    before_total = len(questions) - recent_total
    biggest = max(p.evidence.questions for p in found.proposals)
    when = {q.id: q.created for q in questions}
    edges = []
    for proposal in found.proposals:
        size = proposal.evidence.questions
        if size == biggest or size >= len(questions) / 2:
            continue
        recent = sum(1 for q in proposal.question_ids if when[q] >= start)
        emergence = Emergence(recent, recent_total, size - recent, before_total)
        if recent >= MIN_RECENT_QUESTIONS and emergence.recent_share >= GROWTH * max(
            emergence.before_share, 1e-9
        ):
            edges.append((proposal, emergence))
    return edges
