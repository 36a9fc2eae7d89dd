"""Near-duplicate questions and resources: the "five versions of the same guide" problem.

Two signals, because duplicates come in two shapes. An edited copy shares most of its
wording: MinHash over 5-word shingles estimates the Jaccard similarity of two texts from
64-value signatures (datasketch), stored with each document. A rewrite says the same thing
in other words: the cosine of the two embeddings. Pairs above either threshold, within the
same community, become `DuplicatePair` rows for the curation queue; never a guide with the
thread it was promoted from, which it is made of. The queue (`queue`) shows, for each item,
what helps a curator choose the one to keep, and preselects the best.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from datasketch import MinHash
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from trellis.core.access import SearchScope
from trellis.core.models import ViewMark
from trellis.library.models import Freshness, Resource, ResourceKind
from trellis.qa.models import Post
from trellis.search import embeddings
from trellis.search.models import DocKind, Document, DuplicatePair, MergeRecord, PairStatus

SHINGLE_WORDS = 5
NUM_PERM = 64
SEED = 20241125
# Calibrated by benchmarks/calibrate_duplicate_floor.py on the Stack Exchange dumps (README
# there): duplicate links (LinkTypeId 3) against related links (1) and random pairs, the
# links of even question ids calibrating, the odd ones held out, with the default model
# (minilm-l6-v2-int8-128). Wording: just above the most that non-duplicates share (0.484, two
# related questions); 99.7% of held-out questions with a run of 10% of their words rewritten
# are still found. Meaning: the cosine that keeps the most calibration duplicates while
# proposing at most 20% of related links. Held out: 3 of 5 duplicates kept (60%), 19.5% of
# 159 related links and none of 1,506 random pairs proposed. That misses the 80% target: on
# these dumps no cosine keeps 80% of held-out duplicates with at most 20% of related links
# (0.65 keeps 80% at 33%), and the 0.92 used before kept none. Only 13 duplicate links to
# learn from: rerun on a bigger dump. The figures: benchmarks/README.md.
WORDING_THRESHOLD = 0.5  # estimated Jaccard of 5-word shingles: an edited copy
MEANING_THRESHOLD = 0.72  # cosine of the default model's vectors: a rewrite, not a neighbour
CURATED_KINDS = (DocKind.QUESTION, DocKind.RESOURCE)
_WORD = re.compile(r"\w+")


def signature(text: str) -> bytes:
    words = _WORD.findall(text.lower())
    shingles = {
        " ".join(words[i : i + SHINGLE_WORDS])
        for i in range(max(1, len(words) - SHINGLE_WORDS + 1))
    }
    sketch = MinHash(num_perm=NUM_PERM, seed=SEED)
    sketch.update_batch([s.encode() for s in shingles])
    packed: bytes = sketch.hashvalues.astype(np.uint32).tobytes()
    return packed


def _signatures(blobs: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(blobs), NUM_PERM)


FULL_SCAN_LIMIT = 20_000  # beyond this a scope is only checked document by document
CANDIDATES = 30  # per changed document, from search itself


@dataclass
class _Docs:
    ids: list[int]
    minhashes: np.ndarray
    vectors: np.ndarray | None


def _load(documents: QuerySet[Document]) -> _Docs:
    model = embeddings.embedder()
    rows = list(
        documents.exclude(minhash=None).values_list("pk", "minhash", "embedding", "embedding_model")
    )
    vectors = None
    if model is not None and rows and all(r[3] == model.name and r[2] for r in rows):
        vectors = np.vstack([embeddings.from_blob(bytes(r[2] or b"")) for r in rows])
    return _Docs(
        ids=[r[0] for r in rows],
        minhashes=_signatures([bytes(r[1] or b"") for r in rows]),
        vectors=None if vectors is None else vectors.astype(np.float32),
    )


def _compare(probes: _Docs, scope: _Docs, found: dict[tuple[int, int], dict[str, float]]) -> None:
    """Pairs of (probe, scope document) over either threshold, into `found`."""
    if not probes.ids or not scope.ids:
        return
    # Blocks of probes keep the probes x scope x 64 comparison within ~16 M cells.
    step = max(1, min(256, 16_000_000 // (len(scope.ids) * NUM_PERM)))
    with_meaning = probes.vectors is not None and scope.vectors is not None
    for start in range(0, len(probes.ids), step):
        block = slice(start, start + step)
        wording = (probes.minhashes[block][:, None, :] == scope.minhashes[None, :, :]).mean(axis=2)
        meaning = probes.vectors[block] @ scope.vectors.T if with_meaning else None  # type: ignore[index, union-attr]
        for row, probe in enumerate(probes.ids[block]):
            close = set(np.flatnonzero(wording[row] >= WORDING_THRESHOLD).tolist())
            if meaning is not None:
                close |= set(np.flatnonzero(meaning[row] >= MEANING_THRESHOLD).tolist())
            for j in close:
                other = scope.ids[j]
                if other == probe:
                    continue
                figures = found[(min(probe, other), max(probe, other))]
                figures["wording"] = round(float(wording[row, j]), 3)
                if meaning is not None:
                    figures["meaning"] = round(float(meaning[row, j]), 3)


def _in(community_id: int | None) -> Q:
    """Rows of one scope: a community, or org-wide (no community)."""
    return Q(community__isnull=True) if community_id is None else Q(community_id=community_id)


def _scope(community_id: int | None) -> QuerySet[Document]:
    return Document.objects.filter(_in(community_id), kind__in=CURATED_KINDS)


def detect(community_id: int | None) -> int:
    """Every pair of a scope (a community, or org-wide): for scopes up to FULL_SCAN_LIMIT
    documents; bigger ones are checked as documents change (`detect_for_documents`)."""
    scope = _scope(community_id)
    if scope.count() > FULL_SCAN_LIMIT:
        return 0
    docs = _load(scope)
    found: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    _compare(docs, docs, found)
    return _record(community_id, found)


def detect_for_documents(document_ids: list[int]) -> int:
    """After (re)indexing: each changed question or resource against the documents search
    itself finds closest to it in its scope (words and meaning), so the cost does not grow
    with the scope."""
    from trellis.search.lexical import Filters
    from trellis.search.selectors import ranked_ids

    everything = SearchScope(True, True, frozenset())
    new = 0
    for document in Document.objects.filter(pk__in=document_ids, kind__in=CURATED_KINDS):
        filters = Filters(kinds=CURATED_KINDS, community_id=document.community_id)
        ranked, _ = ranked_ids(
            f"{document.title}\n{document.body[:1000]}", everything, filters, CANDIDATES
        )
        candidates = [pk for pk, _ in ranked if pk != document.pk]
        scope = _scope(document.community_id).filter(pk__in=candidates)
        found: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
        _compare(_load(Document.objects.filter(pk=document.pk)), _load(scope), found)
        new += _record(document.community_id, found)
    return new


def _record(community_id: int | None, found: dict[tuple[int, int], dict[str, float]]) -> int:
    for settled in _settled_pairs(found, _kinds(i for pair in found for i in pair)):
        del found[settled]
    if not found:
        return 0
    known = set(
        DuplicatePair.objects.filter(first_id__in={a for a, _ in found}).values_list(
            "first_id", "second_id"
        )
    )
    new = [
        DuplicatePair(
            community_id=community_id,
            first_id=a,
            second_id=b,
            wording=figures.get("wording"),
            meaning=figures.get("meaning"),
        )
        for (a, b), figures in found.items()
        if (a, b) not in known
    ]
    DuplicatePair.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@dataclass
class Cluster:
    documents: list[Document]
    pairs: list[DuplicatePair]

    @property
    def key(self) -> str:
        return "-".join(str(d.pk) for d in self.documents)


def _kinds(document_ids: Iterable[int]) -> dict[int, tuple[str, int]]:
    """document id -> (kind, object id)."""
    rows = Document.objects.filter(pk__in=set(document_ids)).values_list("pk", "kind", "object_id")
    return {pk: (kind, object_id) for pk, kind, object_id in rows}


def _settled_pairs(
    pairs: Iterable[tuple[int, int]], kinds: dict[int, tuple[str, int]]
) -> set[tuple[int, int]]:
    """Pairs people have settled already: a guide and the very thread it was promoted from
    (made of the thread's words, it always looks like it, and both are meant to stay); a
    question closed as a duplicate of the other; a resource marked as a duplicate of the
    other."""
    pairs = list(pairs)
    if not pairs:
        return set()
    resource_ids = [oid for kind, oid in kinds.values() if kind == DocKind.RESOURCE]
    question_ids = [oid for kind, oid in kinds.values() if kind == DocKind.QUESTION]
    resources = Resource.objects.filter(pk__in=resource_ids)
    promoted_from = dict(
        resources.filter(source_post__isnull=False).values_list("pk", "source_post_id")
    )
    merged_into = dict(resources.filter(canonical__isnull=False).values_list("pk", "canonical_id"))
    closed_as = dict(
        Post.objects.filter(pk__in=question_ids, duplicate_of__isnull=False).values_list(
            "pk", "duplicate_of_id"
        )
    )
    settled = set()
    for a, b in pairs:
        ends = [kinds.get(a, ("", 0)), kinds.get(b, ("", 0))]
        resources_of = [oid for kind, oid in ends if kind == DocKind.RESOURCE]
        questions_of = [oid for kind, oid in ends if kind == DocKind.QUESTION]
        if len(resources_of) == 1 and len(questions_of) == 1:
            if promoted_from.get(resources_of[0]) == questions_of[0]:
                settled.add((a, b))
        elif len(questions_of) == 2:
            x, y = questions_of
            if closed_as.get(x) == y or closed_as.get(y) == x:
                settled.add((a, b))
        elif len(resources_of) == 2:
            x, y = resources_of
            if merged_into.get(x) == y or merged_into.get(y) == x:
                settled.add((a, b))
    return settled


def above_floor() -> Q:
    """Pairs at or over a calibrated threshold: rows found under older, looser thresholds
    are not proposed any more."""
    return Q(wording__gte=WORDING_THRESHOLD) | Q(meaning__gte=MEANING_THRESHOLD)


def open_clusters(community_id: int | None) -> list[Cluster]:
    """Connected groups of open pairs, biggest first."""
    pairs = list(
        DuplicatePair.objects.filter(
            _in(community_id), above_floor(), status=PairStatus.OPEN
        ).order_by("pk")
    )
    documents = Document.objects.in_bulk({i for p in pairs for i in (p.first_id, p.second_id)})
    kinds = {pk: (d.kind, d.object_id) for pk, d in documents.items()}
    settled = _settled_pairs([(p.first_id, p.second_id) for p in pairs], kinds)
    pairs = [p for p in pairs if (p.first_id, p.second_id) not in settled]
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in pairs:
        parent[root(pair.first_id)] = root(pair.second_id)
    groups: dict[int, list[int]] = defaultdict(list)
    for pk in list(parent):
        groups[root(pk)].append(pk)
    clusters = []
    for members in groups.values():
        docs = sorted((documents[m] for m in members if m in documents), key=lambda d: d.pk)
        if len(docs) < 2:
            continue
        inside = set(members)
        clusters.append(Cluster(docs, [p for p in pairs if p.first_id in inside]))
    clusters.sort(key=lambda c: (-len(c.documents), c.documents[0].pk))
    return clusters


# -- what the curation queue shows ----------------------------------------------------------


@dataclass
class Item:
    """One question or resource of a cluster, with what helps choose the one to keep."""

    document: Document
    url: str = ""
    kind_label: str = ""  # "Question", "Guide", "FAQ", …
    answers: int = 0
    accepted: bool = False
    views: int = 0
    closed: bool = False
    freshness: str = ""  # resources: a Freshness value
    freshness_label: str = ""
    verified_at: datetime | None = None

    @property
    def pk(self) -> int:
        return self.document.pk

    @property
    def is_question(self) -> bool:
        return self.document.kind == DocKind.QUESTION

    @property
    def verified(self) -> bool:
        return self.freshness in (Freshness.FRESH, Freshness.DUE)


@dataclass
class Group:
    """The items of one kind in a cluster, the one preselected to keep, and why."""

    noun: str  # "question" or "guide" (or "library resource": not all guides)
    items: list[Item]
    keep: Item
    reason: str
    field_name: str  # the form field that carries the choice

    @property
    def others(self) -> int:
        return len(self.items) - 1


@dataclass
class QueueCluster:
    cluster: Cluster
    groups: list[Group]
    explanation: list[str] = field(default_factory=list)

    @property
    def likeness(self) -> list[str]:
        """How alike each pair is, in words."""
        said = []
        for pair in self.cluster.pairs:
            if pair.wording is not None and pair.wording >= WORDING_THRESHOLD:
                said.append(f"{round(pair.wording * 100)}% the same wording")
            elif pair.meaning is not None:
                said.append(f"the same meaning in other words (similarity {pair.meaning:.2f})")
        return said

    @property
    def key(self) -> str:
        return self.cluster.key

    @property
    def size(self) -> int:
        return len(self.cluster.documents)

    @property
    def mixed(self) -> bool:
        return len(self.groups) > 1


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# Each criterion: how it ranks items (higher first), and how a kept item's fact reads (None:
# nothing worth saying). The first criterion on which the kept item beats the runner-up is
# the deciding one; the reason names the facts up to it.
Criterion = tuple[Callable[[Item], object], Callable[[Item], str | None]]
QUESTION_CRITERIA: list[Criterion] = [
    (lambda i: i.accepted, lambda i: "has an accepted answer" if i.accepted else None),
    (lambda i: i.answers, lambda i: _plural(i.answers, "answer") if i.answers else None),
    (lambda i: i.views, lambda i: _plural(i.views, "view") if i.views else None),
    (lambda i: -i.document.created_at.timestamp(), lambda i: "asked first"),
]
RESOURCE_CRITERIA: list[Criterion] = [
    (lambda i: i.verified, lambda i: "verified" if i.verified else None),
    (lambda i: i.views, lambda i: _plural(i.views, "view") if i.views else None),
    (lambda i: -i.document.created_at.timestamp(), lambda i: "written first"),
]


def _rank(items: list[Item], criteria: list[Criterion]) -> tuple[list[Item], str]:
    """Best first, and the reason the best is kept ("has an accepted answer and 3 answers")."""
    ranked = sorted(items, key=lambda i: tuple(rank(i) for rank, _ in criteria), reverse=True)
    best = ranked[0]
    if len(ranked) == 1:
        return ranked, ""
    runner_up = ranked[1]
    deciding = next(
        (n for n, (rank, _) in enumerate(criteria) if rank(best) != rank(runner_up)),
        len(criteria) - 1,
    )
    facts = [fact for _, say in criteria[: deciding + 1] if (fact := say(best))]
    if best.is_question and best.accepted and best.answers and deciding == 0:
        facts.append(_plural(best.answers, "answer"))  # an accepted answer, and how many
    return ranked, _and(facts)


def _noun(items: list[Item]) -> str:
    if items[0].is_question:
        return "question"
    if all(i.kind_label == ResourceKind.GUIDE.label for i in items):
        return "guide"
    return "library resource"


def _explain(groups: list[Group]) -> list[str]:
    """What merging does to each kind, in words."""
    lines = []
    for group in groups:
        one = group.others == 1
        others = f"The other {group.noun}" if one else f"The {group.others} other {group.noun}s"
        if group.noun == "question" and group.others:
            lines.append(
                f"{others} will be closed as {'a duplicate' if one else 'duplicates'} of the "
                "question you keep, with a link to it."
            )
        elif group.others:
            lines.append(
                f"{others} will be marked as {'a duplicate' if one else 'duplicates'} of the "
                f"{group.noun} you keep: {'its address' if one else 'their addresses'} will "
                f"lead there, and {'its' if one else 'their'} authors will be credited on it."
            )
    if len(groups) > 1:
        guide = groups[1].noun
        lines.append(
            f"The question you keep stays open and will point to the {guide} you keep as its "
            f"answer in the library; the {guide} stays as it is."
        )
    return lines


def _facts(documents: list[Document]) -> dict[int, Item]:
    """Every document's item, in four queries whatever the number of documents."""
    question_ids = [d.object_id for d in documents if d.kind == DocKind.QUESTION]
    resource_ids = [d.object_id for d in documents if d.kind == DocKind.RESOURCE]
    posts = Post.objects.only(
        "answer_count", "accepted_answer_id", "view_count", "closed_at"
    ).in_bulk(question_ids)
    resources = Resource.objects.only("kind", "verify_by", "verified_at", "obsolete_at").in_bulk(
        resource_ids
    )
    views = (
        dict(
            ViewMark.objects.filter(object_type="resource", object_id__in=resource_ids)
            .values("object_id")
            .annotate(n=Count("pk"))
            .values_list("object_id", "n")
        )
        if resource_ids
        else {}
    )
    now = timezone.now()
    items = {}
    for document in documents:
        item = Item(document, kind_label=document.get_kind_display())
        if document.kind == DocKind.QUESTION and (post := posts.get(document.object_id)):
            item.answers, item.views = post.answer_count, post.view_count
            item.accepted, item.closed = bool(post.accepted_answer_id), bool(post.closed_at)
        elif resource := resources.get(document.object_id):
            item.kind_label = resource.get_kind_display()
            item.freshness = resource.freshness(now)
            item.freshness_label = Freshness(item.freshness).label
            item.verified_at = resource.verified_at
            item.views = views.get(resource.pk, 0)
        items[document.pk] = item
    return items


def queue(
    community_id: int | None, urls: Callable[[list[Document]], dict[int, str]]
) -> list[QueueCluster]:
    """The curation queue: each open cluster, its items grouped by kind (questions first),
    the item of each kind preselected to keep, why, and what merging will do."""
    clusters = open_clusters(community_id)
    documents = [d for c in clusters for d in c.documents]
    items = _facts(documents)
    addresses = urls(documents)
    out = []
    for cluster in clusters:
        groups: list[Group] = []
        for kind, criteria in (
            (DocKind.QUESTION, QUESTION_CRITERIA),
            (DocKind.RESOURCE, RESOURCE_CRITERIA),
        ):
            members = [items[d.pk] for d in cluster.documents if d.kind == kind]
            for item in members:
                item.url = addresses.get(item.pk, "")
            if not members:
                continue
            ranked, reason = _rank(members, criteria)
            noun = _noun(members)
            reason = reason or f"the only {noun} here"
            groups.append(
                Group(noun, ranked, ranked[0], reason, "keep_also" if groups else "canonical")
            )
        out.append(QueueCluster(cluster, groups, _explain(groups)))
    return out


def undoable_merge(community_id: int, record_id: int) -> MergeRecord | None:
    """A merge of this community that can still be undone (the queue's "Undo" after it)."""
    return MergeRecord.objects.filter(
        pk=record_id, community_id=community_id, undone_at=None
    ).first()
