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

import heapq
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from trellis.core import access
from trellis.core.models import Tag
from trellis.expertise.answers import answer_votes
from trellis.expertise.models import HelperStats, TopicEvidence
from trellis.qa.models import Post, PostKind
from trellis.search.lexical import Filters

MOST_ACTIVE = 50  # of the scope's helpers (by decayed recent answers), always considered
TOPIC_PER_TAG = 200  # strongest evidence rows read per tag of the question
# Past answers are found by words alone: on the routing benchmark (quantumcomputing, SQLite)
# words alone rank as well as words and meaning (1.074x/1.127x BM25 against 1.074x/1.129x)
# at a fifth of the time (21 against 94 ms a question: no model call, no vector probes).
RETRIEVAL = "lexical"
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


def reason_for(candidate: Candidate) -> str:
    """The why a routed person reads: evidence from the question's own scope only."""
    said = []
    if candidate.similar_answers:
        plural = "s" if candidate.similar_answers != 1 else ""
        accepted = f", {candidate.similar_accepted} accepted" if candidate.similar_accepted else ""
        said.append(f"you answered {candidate.similar_answers} similar question{plural}{accepted}")
    for name, answers, accepted_count in candidate.topics[:2]:
        if answers:
            taken = f", {accepted_count} accepted" if accepted_count else ""
            said.append(f"{answers} answer{'s' if answers != 1 else ''} on {name}{taken}")
    if not said and candidate.features.get("activity"):
        said.append("you have been answering questions here lately")
    if not said and candidate.features.get("topic"):
        said.append("your answers and guides here are on this question's tags")
    if not said:
        said.append("you are among the next best placed to help")
    text = "; ".join(said)
    return (text[0].upper() + text[1:])[:300]


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
    return scope.covers


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

    weights = weights or WEIGHTS
    now = until or timezone.now()
    raw: dict[str, dict[int, float]] = {name: defaultdict(float) for name in WEIGHTS}
    text = f"{draft.title}\n{draft.body[:1000]}"
    filters = Filters(community_id=draft.community_id, until=until)
    votes = answer_votes(text, scope, filters, mode=RETRIEVAL)
    for author, found in votes.found.items():
        raw["text"][author] = sum(f.vote * _decay(now - f.created_at) for f in found)
    similar = votes.accepted

    where = _scope_q(scope, draft.community_id)
    visible = _in_scope(scope, draft.community_id)
    topics: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    tag_names = dict(Tag.objects.filter(name__in=draft.tags).values_list("pk", "name"))
    # Each tag's strongest evidence rows only (the (tag, score) index), summed per person
    # here: at a million answers a common tag has tens of thousands of people behind it.
    per_pair: dict[tuple[int, int], list[float]] = {}
    strongest = [
        TopicEvidence.objects.filter(where, tag_id=tag_id)
        .order_by("-score")
        .values_list("person_id", "tag_id", "score", "answers", "accepted")[:TOPIC_PER_TAG]
        for tag_id in tag_names
    ]
    for person, tag_id, score, answered, accepted in _walks(strongest):
        tally = per_pair.setdefault((person, tag_id), [0.0, 0.0, 0.0])
        tally[0] += score
        tally[1] += answered
        tally[2] += accepted
    for (person, tag_id), (score_sum, answers_sum, accepted_sum) in per_pair.items():
        raw["topic"][person] += score_sum
        topics[person].append((tag_names[tag_id], int(answers_sum), int(accepted_sum)))

    # Counted per (author, community) without the scope in SQL, which is applied after: with
    # a community condition SQLite walks the community's every post instead of the author index.
    answers = Post.objects.filter(kind=PostKind.ANSWER, created_at__lt=now, author__isnull=False)
    if draft.asker_id is not None:
        for author, community, n in _per_author(answers.filter(question__author_id=draft.asker_id)):
            if visible(community):
                raw["asker_answers"][author] += n

    named = set(raw["text"]) | set(raw["topic"]) | set(raw["asker_answers"])
    people = named | set(_most_active(scope, draft.community_id))
    people.discard(draft.asker_id or 0)
    # Summed per person in the database by the person index; the scope only filters what is
    # summed (as a WHERE condition, an OR of communities made SQLite read every visible row
    # and probe the list).
    for chunk in _chunks(sorted(people), 1000):
        for person, recent_sum, answers_sum, accepted_sum in (
            HelperStats.objects.filter(person_id__in=chunk)
            .values("person_id")
            .annotate(
                recent_sum=Sum("recent", filter=where),
                answers_sum=Sum("answers", filter=where),
                accepted_sum=Sum("accepted", filter=where),
            )
            .values_list("person_id", "recent_sum", "answers_sum", "accepted_sum")
        ):
            if answers_sum:
                raw["activity"][person] = recent_sum
                raw["answers"][person] = answers_sum
                raw["acceptance"][person] = (accepted_sum + 1) / (answers_sum + 3)

    def features_of(person: int) -> dict[str, float]:
        return {name: raw[name].get(person, 0.0) for name in WEIGHTS}

    best = heapq.nsmallest(
        limit, ((-score_of(features_of(p), weights), p) for p in people)
    )  # Candidates are built for the few returned only
    candidates = []
    for negative, person in best:
        answered_here = similar.get(person, [])
        candidates.append(
            Candidate(
                person_id=person,
                score=-negative,
                features=features_of(person),
                similar_answers=len(answered_here),
                similar_accepted=sum(answered_here),
                topics=sorted(topics.get(person, []), key=lambda t: (-t[1], t[0])),
            )
        )
    return candidates


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _walks(querysets: list[QuerySet[Any]]) -> list[tuple[Any, ...]]:
    """The rows of several ordered, limited index walks, in one statement (a round trip each
    was most of their cost on PostgreSQL). Only for values_list querysets of plain numbers:
    the rows are the database's, without Django's conversions."""
    if not querysets:
        return []
    parts, params = [], []
    for i, queryset in enumerate(querysets):
        sql, walk_params = queryset.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS walk{i}")  # noqa: S608
        params += list(walk_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return list(cursor.fetchall())


def _most_active(scope: access.SearchScope, community_id: int | None) -> list[int]:
    """The scope's most active helpers: a walk of the (community, recent) index per community
    in scope, merged (an OR of communities made the database sort them all)."""
    if community_id is not None:
        places: list[int | None] | None = [community_id]
    elif scope.everything:
        places = None
    else:
        places = [None, *sorted(scope.community_ids)]
    if places is None:
        ordered = HelperStats.objects.order_by("-recent")
        return list(ordered.values_list("person_id", flat=True)[:MOST_ACTIVE])
    walks = [
        HelperStats.objects.filter(
            Q(community_id=place) if place is not None else Q(community_id__isnull=True)
        )
        .order_by("-recent")
        .values_list("recent", "person_id")[:MOST_ACTIVE]
        for place in places
    ]
    found = _walks(walks)
    found.sort(key=lambda row: -row[0])
    return list(dict.fromkeys(person for _, person in found))[:MOST_ACTIVE]
