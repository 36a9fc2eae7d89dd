"""Who knows about X: people ranked by evidence the viewer may see, each with the why.

Two kinds of evidence, both limited to the viewer's scope:
- answers about the text: search's own retrieval over answers, aggregated per author (the
  document model of Balog et al., 2006: a person is as relevant as the answers they wrote,
  weighted by each answer's rank; an accepted answer counts double);
- topics the text names: the per-tag evidence (answers, accepted answers, guides) of the tags
  whose names are among the text's words.
Nobody who opted out or is away is listed; nor the viewer, nor inactive (imported) accounts.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Sum
from django.utils import timezone

from trellis.core import access
from trellis.core.models import Tag
from trellis.expertise.answers import answer_votes
from trellis.expertise.models import Availability, TopicEvidence
from trellis.people.models import Person
from trellis.search.lexical import Filters
from trellis.search.query import parse

TOPIC_WEIGHT = 0.05  # one unit of decayed topic score against one top-ranked answer (1/61)


@dataclass
class Expert:
    person: Person
    score: float
    similar_answers: int = 0
    similar_accepted: int = 0
    topics: list[tuple[str, int, int, int]] = field(default_factory=list)  # tag, ans, acc, guides

    @property
    def reasons(self) -> list[str]:
        said = []
        if self.similar_answers:
            accepted = f", {self.similar_accepted} accepted" if self.similar_accepted else ""
            plural = "s" if self.similar_answers != 1 else ""
            said.append(f"answered {self.similar_answers} similar question{plural}{accepted}")
        for name, answers, taken, guides in self.topics[:3]:
            parts = []
            if answers:
                parts.append(f"{answers} answer{'s' if answers != 1 else ''}")
            if taken:
                parts.append(f"{taken} accepted")
            if guides:
                parts.append(f"owns {guides} guide{'s' if guides != 1 else ''}")
            said.append(f"on {name}: " + ", ".join(parts))
        return said


TAG_LIKE = re.compile(r"[\w][\w.+#-]*")


def tag_names_in(text: str, limit: int = 50) -> set[str]:
    """Words of the text that could name a tag: plain words, and tag-shaped ones such as
    "incident-response", "c++" or "asp.net"."""
    shaped = [w.strip(".-") or w for w in TAG_LIKE.findall(text.lower()[:4000])]
    return set(list(dict.fromkeys([*parse(text).words, *shaped]))[:limit])


def unavailable_ids(person_ids: set[int], today: date) -> set[int]:
    """Of these people, those who opted out or are away today."""
    return {
        a.person_id
        for a in Availability.objects.filter(person_id__in=person_ids)
        if not a.can_be_asked_on(today)
    }


def who_knows(
    *, viewer: access.Viewer, text: str, community_id: int | None = None, limit: int = 10
) -> list[Expert]:
    scope = access.search_scope(viewer)
    if not scope.signed_in:
        return []
    experts: dict[int, Expert] = {}
    votes = answer_votes(text, scope, Filters(community_id=community_id))
    scores, similar = votes.scores, votes.accepted

    names = tag_names_in(text)
    tags = dict(Tag.objects.filter(name__in=names).values_list("pk", "name")) if names else {}
    topics: dict[int, list[tuple[str, int, int, int]]] = defaultdict(list)
    if tags:
        rows = TopicEvidence.objects.filter(
            access.visible_community_filter(viewer), tag_id__in=tags
        )
        if community_id is not None:
            rows = rows.filter(community_id=community_id)
        summed = rows.values("person_id", "tag_id").annotate(
            s=Sum("score"), a=Sum("answers"), c=Sum("accepted"), g=Sum("guides")
        )
        for row in summed:
            scores[row["person_id"]] += TOPIC_WEIGHT * float(row["s"])
            topics[row["person_id"]].append((tags[row["tag_id"]], row["a"], row["c"], row["g"]))

    candidates = set(scores) - {access.viewer_id(viewer)}
    candidates -= unavailable_ids(candidates, timezone.localdate())
    people = Person.objects.filter(pk__in=candidates, is_active=True).select_related("department")
    for person in people:
        found_answers = similar.get(person.pk, [])
        experts[person.pk] = Expert(
            person=person,
            score=scores[person.pk],
            similar_answers=len(found_answers),
            similar_accepted=sum(found_answers),
            topics=sorted(topics.get(person.pk, []), key=lambda t: (-t[1] - 3 * t[3], t[0])),
        )
    return sorted(experts.values(), key=lambda e: (-e.score, e.person.name))[:limit]


@dataclass
class TopicLine:
    tag: str
    answers: int
    accepted: int
    guides: int
    score: float


def person_topics(*, viewer: access.Viewer, person: Person, limit: int = 8) -> list[TopicLine]:
    """A profile's evidence, summed over the scopes the viewer may see."""
    rows = (
        TopicEvidence.objects.filter(access.visible_community_filter(viewer), person=person)
        .values("tag__name")
        .annotate(s=Sum("score"), a=Sum("answers"), c=Sum("accepted"), g=Sum("guides"))
        .order_by("-s", "tag__name")[:limit]
    )
    return [TopicLine(r["tag__name"], r["a"], r["c"], r["g"], float(r["s"])) for r in rows]


def availability_of(person: Person) -> Availability:
    """Stored, or the defaults (everyone may be asked until they say otherwise)."""
    found = Availability.objects.filter(person=person).first()
    return found or Availability(person=person)
