"""Who should be asked: candidate helpers for a question, best first, each with the why.

Evidence per person, all of it limited to what the viewer's scope (and the question's
community) allows, and to what was written before `until` (or now):
- text: search's retrieval over past answers, aggregated per author (Balog's document model:
  each retrieved answer votes for its author by rank, an accepted answer double), each vote
  halved for every month of the answer's age: who answered this kind of question lately;
- activity: answers lately (HelperStats.recent, a one-month half-life);
- asker_answers: answers to the asker's earlier questions (social proximity);
- answers, topic (decayed per-tag evidence) and acceptance (smoothed share accepted) are kept
  for the reasons shown, at weight 0: none improved the validation below.

The score is log-linear (Balog's P(q|p)·P(p) in log space): w·log(TEXT_FLOOR + text) plus
w·log1p(x) for the other features. Candidates are the people any feature names, plus the
scope's most active helpers.

How the weights were chosen: on the quantumcomputing Stack Exchange dump with the routing
benchmark's protocol, but only on its history before the benchmark's cut-off (evidence rebuilt
as of cut-offs at 30, 35 and 40% of the questions, each validated on the next 30%, the
questions accepted before the real cut-off: P@1 1.54x, MRR 1.20x BM25's there), a grid over
half-life, floor and weights, restricted to half-lives of a month or more and no negative
weight on answer volume. A first pick without that restriction (two-week windows, volume
against) looked better on validation (2.05x / 1.35x) and was far worse on the benchmark's test
questions and the small dumps: the site's pace changes, and when short-lived evidence has
decayed, a negative volume weight prefers the least experienced.
"""

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from trellis.core import access
from trellis.core.models import Tag
from trellis.expertise.answers import answer_votes
from trellis.expertise.models import HelperStats, TopicEvidence
from trellis.search.lexical import Filters

MOST_ACTIVE = 50  # of the scope's helpers (by decayed recent answers), always considered
DAY = 86400.0
TEXT_HALF_LIFE_DAYS = 30.0
TEXT_FLOOR = 0.003  # about a fifth of one retrieved answer's vote: not found is not ruled out
WEIGHTS = {
    "text": 1.0,
    "activity": 0.5,
    "asker_answers": 0.5,
    "answers": 0.0,
    "topic": 0.0,
    "acceptance": 0.0,
}


@dataclass(frozen=True)
class Draft:
    """A question as routing sees it (posted, or being written)."""

    title: str
    body: str = ""
    tags: tuple[str, ...] = ()
    community_id: int | None = None
    asker_id: int | None = None


@dataclass
class Candidate:
    person_id: int
    score: float = 0.0
    features: dict[str, float] = field(default_factory=dict)  # raw values, before log
    similar_answers: int = 0
    similar_accepted: int = 0
    topics: list[tuple[str, int, int]] = field(default_factory=list)  # tag, answers, accepted


def _scope_q(scope: access.SearchScope, community_id: int | None) -> Q:
    if community_id is not None:
        return Q(community_id=community_id)
    if scope.everything:
        return Q()
    return Q(community_id__isnull=True) | Q(community_id__in=scope.community_ids)


def _in_scope(scope: access.SearchScope, community_id: int | None) -> Callable[[int | None], bool]:
    """`_scope_q` as a test of one row's community."""
    if community_id is not None:
        return lambda community: community == community_id
    if scope.everything:
        return lambda community: True
    return lambda community: community is None or community in scope.community_ids


def _per_author(answers: QuerySet[Any]) -> list[tuple[int, int | None, float]]:
    rows = answers.values("author_id", "community_id").annotate(n=Count("pk"))
    return [(r["author_id"], r["community_id"], float(r["n"])) for r in rows]


def _decay(age: timedelta) -> float:
    return float(0.5 ** (max(age.total_seconds(), 0.0) / DAY / TEXT_HALF_LIFE_DAYS))


def score_of(features: dict[str, float], weights: dict[str, float]) -> float:
    """The log-linear score of one candidate's raw features."""
    total = 0.0
    for name, weight in weights.items():
        if not weight:
            continue
        value = features.get(name, 0.0)
        if name == "text":
            total += weight * math.log(TEXT_FLOOR + value)
        elif name == "acceptance":
            total += weight * value
        else:
            total += weight * math.log1p(value)
    return total


def rank(
    draft: Draft,
    scope: access.SearchScope,
    *,
    until: datetime | None = None,
    limit: int = 10,
    weights: dict[str, float] | None = None,
) -> list[Candidate]:
    """Candidate helpers, best first. `until` replays history: only posts before it count (topic
    evidence and helper stats come from evidence rebuilt as of that time)."""
    from trellis.qa.models import Post, PostKind

    weights = weights or WEIGHTS
    now = until or timezone.now()
    raw: dict[str, dict[int, float]] = {name: defaultdict(float) for name in WEIGHTS}
    text = f"{draft.title}\n{draft.body[:1000]}"
    votes = answer_votes(text, scope, Filters(community_id=draft.community_id, until=until))
    for author, found in votes.found.items():
        raw["text"][author] = sum(f.vote * _decay(now - f.created_at) for f in found)
    similar = votes.accepted

    where = _scope_q(scope, draft.community_id)
    topics: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    tag_names = dict(Tag.objects.filter(name__in=draft.tags).values_list("pk", "name"))
    if tag_names:
        summed = (
            TopicEvidence.objects.filter(where, tag_id__in=tag_names)
            .values("person_id", "tag_id")
            .annotate(s=Sum("score"), a=Sum("answers"), c=Sum("accepted"))
        )
        for evidence in summed:
            person = evidence["person_id"]
            raw["topic"][person] += float(evidence["s"])
            topics[person].append((tag_names[evidence["tag_id"]], evidence["a"], evidence["c"]))

    # Counted per (author, community) without the scope in SQL, which is applied after: with
    # a community condition SQLite walks the community's every post instead of the author index.
    answers = Post.objects.filter(kind=PostKind.ANSWER, created_at__lt=now, author__isnull=False)
    visible = _in_scope(scope, draft.community_id)
    if draft.asker_id is not None:
        for author, community, n in _per_author(answers.filter(question__author_id=draft.asker_id)):
            if visible(community):
                raw["asker_answers"][author] += n

    named = set(raw["text"]) | set(raw["topic"]) | set(raw["asker_answers"])
    stats = HelperStats.objects.filter(where)
    active = stats.order_by("-recent").values_list("person_id", flat=True)[:MOST_ACTIVE]
    people = named | set(active)
    people.discard(draft.asker_id or 0)
    for row in (
        stats.filter(person_id__in=people)
        .values("person_id")
        .annotate(recent=Sum("recent"), answers=Sum("answers"), accepted=Sum("accepted"))
    ):
        raw["activity"][row["person_id"]] = float(row["recent"])
        raw["answers"][row["person_id"]] = float(row["answers"])
        raw["acceptance"][row["person_id"]] = (row["accepted"] + 1) / (row["answers"] + 3)

    candidates = []
    for person in people:
        features = {name: raw[name].get(person, 0.0) for name in WEIGHTS}
        answered = similar.get(person, [])
        candidates.append(
            Candidate(
                person_id=person,
                score=score_of(features, weights),
                features=features,
                similar_answers=len(answered),
                similar_accepted=sum(answered),
                topics=sorted(topics.get(person, []), key=lambda t: (-t[1], t[0])),
            )
        )
    candidates.sort(key=lambda c: (-c.score, c.person_id))
    return candidates[:limit]
