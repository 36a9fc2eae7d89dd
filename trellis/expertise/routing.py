"""Who should be asked: candidate helpers for a question, best first, each with the why.

Evidence per person, all of it limited to what the viewer's scope (and the question's
community) allows:
- text: search's retrieval over past answers, aggregated per author (Balog's document model:
  each retrieved answer votes for its author by rank; an accepted answer counts double);
- topic: decayed per-tag evidence for the question's tags;
- activity: answers lately (a one-month half-life): people who answer now answer again;
- acceptance: the share of their answers that were accepted, smoothed.
Each feature is scaled to the best candidate's value, then weighted. Candidates are the people
any feature names, plus the most active helpers of the scope. The weights were chosen on the
earlier part of the routing benchmark's history (`benchmarks/bench_routing.py`), never on its
test questions.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, Sum

from trellis.core import access
from trellis.core.models import Tag
from trellis.expertise.answers import answer_votes
from trellis.expertise.models import HelperStats, TopicEvidence
from trellis.search.lexical import Filters

MOST_ACTIVE = 20  # of the scope's helpers, always considered
WEIGHTS = {"text": 1.0, "topic": 0.5, "activity": 0.5, "acceptance": 0.1}


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
    features: dict[str, float] = field(default_factory=dict)
    similar_answers: int = 0
    similar_accepted: int = 0
    topics: list[tuple[str, int, int]] = field(default_factory=list)  # tag, answers, accepted


def _scope_q(scope: access.SearchScope, community_id: int | None) -> Q:
    if community_id is not None:
        return Q(community_id=community_id)
    if scope.everything:
        return Q()
    return Q(community_id__isnull=True) | Q(community_id__in=scope.community_ids)


def rank(
    draft: Draft,
    scope: access.SearchScope,
    *,
    until: datetime | None = None,
    limit: int = 10,
    weights: dict[str, float] | None = None,
) -> list[Candidate]:
    """Candidate helpers, best first. `until` replays history: only answers before it count
    as text evidence (topic and activity come from evidence rebuilt as of that time)."""
    weights = weights or WEIGHTS
    raw: dict[str, dict[int, float]] = {name: defaultdict(float) for name in WEIGHTS}
    text = f"{draft.title}\n{draft.body[:1000]}"
    votes = answer_votes(text, scope, Filters(community_id=draft.community_id, until=until))
    raw["text"].update(votes.scores)
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

    named = set(raw["text"]) | set(raw["topic"])
    stats = HelperStats.objects.filter(where)
    active = stats.order_by("-recent").values_list("person_id", flat=True)[:MOST_ACTIVE]
    people = named | set(active)
    for row in (
        stats.filter(person_id__in=people)
        .values("person_id")
        .annotate(recent=Sum("recent"), answers=Sum("answers"), accepted=Sum("accepted"))
    ):
        raw["activity"][row["person_id"]] = float(row["recent"])
        raw["acceptance"][row["person_id"]] = (row["accepted"] + 1) / (row["answers"] + 3)
    people.discard(draft.asker_id or 0)

    top = {name: max(values.values(), default=0.0) or 1.0 for name, values in raw.items()}
    candidates = []
    for person in people:
        features = {name: raw[name].get(person, 0.0) / top[name] for name in WEIGHTS}
        answered = similar.get(person, [])
        candidates.append(
            Candidate(
                person_id=person,
                score=sum(weights[name] * value for name, value in features.items()),
                features=features,
                similar_answers=len(answered),
                similar_accepted=sum(answered),
                topics=sorted(topics.get(person, []), key=lambda t: (-t[1], t[0])),
            )
        )
    candidates.sort(key=lambda c: (-c.score, c.person_id))
    return candidates[:limit]
