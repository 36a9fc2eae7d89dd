"""The expertise domain's reads. First who knows about X: people ranked by evidence the
viewer may see, each with the why.

Two kinds of evidence, both limited to the viewer's scope:
- answers about the text: search's own retrieval over answers, aggregated per author (the
  document model of Balog et al., 2006: a person is as relevant as the answers they wrote,
  weighted by each answer's rank; an accepted answer counts double);
- topics the text names: the per-tag evidence (answers, accepted answers, guides) of the tags
  whose names are among the text's words;
- learned topics the text is about: the topics (see topics.py) of the questions whose answers
  the text retrieves, when several of the best retrieved answers share one, and each person's
  evidence on them.
Nobody who opted out or is away is listed; nor the viewer, nor inactive (imported) accounts.

Then a person's topics and endorsements, availability, routing as people and leaders see it,
and what routing (`services.routing`) and the evidence and topic rebuilds read.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from trellis.communities.models import Community, Membership, Role
from trellis.core import access
from trellis.core.errors import Forbidden
from trellis.core.models import Tag
from trellis.expertise import load
from trellis.expertise.answers import answer_votes
from trellis.expertise.models import (
    Availability,
    Endorsement,
    HelperStats,
    LearnedTopic,
    LearnedTopicEvidence,
    QuestionTopic,
    RoutedQuestion,
    RoutingDecision,
    TopicEvidence,
)
from trellis.library.models import ResourceOwner, ResourceTag
from trellis.people.models import Person
from trellis.qa.models import Post, PostKind, PostTag
from trellis.search import lexical
from trellis.search.lexical import Filters
from trellis.search.models import DocKind, Document
from trellis.search.query import parse

TOPIC_WEIGHT = 0.05  # one unit of decayed topic score against one top-ranked answer (1/61)
ENDORSEMENT_WEIGHT = 0.5  # a colleague's endorsement, in units of topic score (a guide is 3)
TOPIC_VOTERS = 20  # best retrieved answers whose questions' learned topics are counted
TOPIC_QUORUM = 3  # of them a learned topic needs to be what the text is about
SKILL_WEIGHT = 0.02  # a declared skill the text names: about one top-ranked answer (1/61)
ROLE_WEIGHT = 0.02  # on the core team of a community where questions like it are answered
SKILL_CANDIDATES = 50  # people documents searched for declared skills


@dataclass(frozen=True)
class TopicTally:
    tag: str  # or a learned topic's label
    answers: int = 0
    accepted: int = 0
    guides: int = 0
    endorsements: int = 0
    kind: str = "tag"  # or "learned"


@dataclass
class Expert:
    person: Person
    score: float
    similar_answers: int = 0
    similar_accepted: int = 0
    topics: list[TopicTally] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)  # declared skills the text names
    roles: list[tuple[str, str]] = field(default_factory=list)  # (role, community name)

    @property
    def reasons(self) -> list[str]:
        said = []
        if self.similar_answers:
            accepted = f", {self.similar_accepted} accepted" if self.similar_accepted else ""
            plural = "s" if self.similar_answers != 1 else ""
            said.append(f"answered {self.similar_answers} similar question{plural}{accepted}")
        for topic in self.topics[:3]:
            parts = []
            if topic.answers:
                parts.append(f"{topic.answers} answer{'s' if topic.answers != 1 else ''}")
            if topic.accepted:
                parts.append(f"{topic.accepted} accepted")
            if topic.guides:
                parts.append(f"owns {topic.guides} guide{'s' if topic.guides != 1 else ''}")
            if topic.endorsements:
                n = topic.endorsements
                parts.append(f"endorsed by {n} colleague{'s' if n != 1 else ''}")
            subject = f"questions about {topic.tag}" if topic.kind == "learned" else topic.tag
            said.append(f"on {subject}: " + ", ".join(parts))
        for role, community in self.roles[:2]:
            said.append(
                f"{ROLE_WORDS.get(role, role)} {community}, where questions like this are answered"
            )
        if self.skills:
            said.append("lists " + " and ".join(self.skills[:2]) + " among their skills")
        return said


ROLE_WORDS: dict[str, str] = {
    Role.LEADER: "leads",
    Role.FACILITATOR: "facilitates",
    Role.CORE: "is on the core team of",
}


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
    topics: dict[int, dict[tuple[str, int], TopicTally]] = defaultdict(dict)
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
            who, tag = row["person_id"], row["tag_id"]
            scores[who] += TOPIC_WEIGHT * float(row["s"])
            topics[who][("tag", tag)] = TopicTally(tags[tag], row["a"], row["c"], row["g"])
        for (who, tag), n in endorsement_counts(None, set(tags)).items():
            scores[who] += TOPIC_WEIGHT * ENDORSEMENT_WEIGHT * n
            had = topics[who].get(("tag", tag), TopicTally(tags[tag]))
            topics[who][("tag", tag)] = replace(had, endorsements=n)

    for topic_id, label in _learned_topics_about(viewer, votes.questions).items():
        learned = LearnedTopicEvidence.objects.filter(
            access.visible_community_filter(viewer), topic_id=topic_id
        )
        if community_id is not None:
            learned = learned.filter(community_id=community_id)
        for summed_row in learned.values("person_id").annotate(
            s=Sum("score"), a=Sum("answers"), c=Sum("accepted")
        ):
            who = summed_row["person_id"]
            scores[who] += TOPIC_WEIGHT * float(summed_row["s"])
            topics[who][("learned", topic_id)] = TopicTally(
                label, summed_row["a"], summed_row["c"], kind="learned"
            )

    skills = declared_skills(text, names, scope)
    for who, named in skills.items():
        scores[who] += SKILL_WEIGHT * len(named)
    roles = _team_roles(viewer, votes.questions)
    for who, held in roles.items():
        scores[who] += ROLE_WEIGHT * len(held)

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
            topics=sorted(
                topics.get(person.pk, {}).values(),
                key=lambda t: (-t.answers - 3 * t.guides - t.endorsements / 2, t.tag),
            ),
            skills=skills.get(person.pk, []),
            roles=roles.get(person.pk, []),
        )
    return sorted(experts.values(), key=lambda e: (-e.score, e.person.name))[:limit]


def declared_skills(text: str, names: set[str], scope: access.SearchScope) -> dict[int, list[str]]:
    """Active people who list, among their skills, one the text names (as words or as a
    tag-shaped word): found through search's person documents, whose tags are their skills
    and interests, then checked against the skills themselves."""
    terms = parse(text)
    if not terms.words:
        return {}
    ranked = lexical.search(terms, scope, Filters(kinds=(DocKind.PERSON,)), SKILL_CANDIDATES)
    people = Document.objects.filter(pk__in=[pk for pk, _ in ranked]).values("object_id")
    lowered = f" {' '.join(terms.words)} "
    found: dict[int, list[str]] = {}
    for pk, listed in Person.objects.filter(pk__in=people, is_active=True).values_list(
        "pk", "skills"
    ):
        named = [
            skill
            for skill in listed or []
            if "-".join(str(skill).lower().split()) in names
            or f" {' '.join(parse(str(skill)).words)} " in lowered
        ]
        if named:
            found[pk] = named
    return found


def _team_roles(viewer: access.Viewer, questions: list[int]) -> dict[int, list[tuple[str, str]]]:
    """The core teams (leaders, facilitators, core members) of the communities where most of
    the best retrieved answers were given (TOPIC_QUORUM of the TOPIC_VOTERS best), when the
    viewer may see those communities."""
    best = questions[:TOPIC_VOTERS]
    if not best:
        return {}
    where = Counter(
        Post.objects.filter(pk__in=best).values_list("community_id", flat=True)
    )  # per question, not per answer: enough to say where such questions live
    places = [c for c, n in where.items() if c is not None and n >= TOPIC_QUORUM]
    if not places:
        return {}
    held: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for person, role, name in (
        Membership.objects.filter(
            access.visible_community_filter(viewer),
            community_id__in=places,
            role__in=access.TEAM_ROLES,
            left_at__isnull=True,
        )
        .order_by("community__name")
        .values_list("person_id", "role", "community__name")
    ):
        held[person].append((role, name))
    return held


def _learned_topics_about(viewer: access.Viewer, questions: list[int]) -> dict[int, str]:
    """Learned topics (id -> label) shared by at least TOPIC_QUORUM of the questions of the
    best retrieved answers (already within the viewer's scope), the topic itself visible too
    (its words come from its own scope), most shared first, at most two."""
    best = questions[:TOPIC_VOTERS]
    if not best:
        return {}
    topic_of = dict(
        QuestionTopic.objects.filter(question_id__in=best).values_list("question_id", "topic_id")
    )
    shared = Counter(topic_of[q] for q in best if q in topic_of)
    wanted = [t for t, n in shared.most_common() if n >= TOPIC_QUORUM][:2]
    labels = dict(
        LearnedTopic.objects.filter(
            access.visible_community_filter(viewer), pk__in=wanted
        ).values_list("pk", "label")
    )
    return {t: labels[t] for t in wanted if t in labels}


@dataclass(frozen=True)
class LearnedLine:
    topic_id: int
    label: str
    answers: int
    accepted: int
    score: float


def person_learned_topics(
    *, viewer: access.Viewer, person: Person, limit: int = 5
) -> list[LearnedLine]:
    """The learned topics a profile shows: evidence the viewer may see, on topics the viewer
    may see (a private community's topics, and their words, only to its members)."""
    if not access.is_signed_in(viewer):
        return []
    rows = (
        LearnedTopicEvidence.objects.filter(
            access.visible_community_filter(viewer),
            access.visible_community_filter(viewer, "topic__community"),
            person=person,
        )
        .values("topic_id", "topic__label")
        .annotate(s=Sum("score"), a=Sum("answers"), c=Sum("accepted"))
        .order_by("-s", "topic__label")[:limit]
    )
    return [
        LearnedLine(r["topic_id"], r["topic__label"], r["a"], r["c"], float(r["s"])) for r in rows
    ]


@dataclass
class TopicLine:
    tag: str
    answers: int
    accepted: int
    guides: int
    score: float
    endorsements: int = 0
    endorsed_by_viewer: bool = False


def endorsement_counts(
    person_ids: set[int] | None, tag_ids: set[int]
) -> dict[tuple[int, int], int]:
    """(person, tag) -> how many colleagues endorse them on it (everyone's, if no ids)."""
    endorsements = Endorsement.objects.filter(tag_id__in=tag_ids)
    if person_ids is not None:
        endorsements = endorsements.filter(person_id__in=person_ids)
    rows = endorsements.values("person_id", "tag_id").annotate(n=Count("pk"))
    return {(row["person_id"], row["tag_id"]): row["n"] for row in rows}


@dataclass(frozen=True)
class EndorsedTopic:
    tag: str
    endorsements: int
    by_viewer: bool


def endorsements_of(*, viewer: access.Viewer, person: Person) -> list[EndorsedTopic]:
    """Every topic colleagues endorse the person on, most endorsed first (they belong to no
    community: everyone signed in sees them)."""
    if not access.is_signed_in(viewer):
        return []
    rows = (
        Endorsement.objects.filter(person=person)
        .values("tag__name")
        .annotate(n=Count("pk"), mine=Count("pk", filter=Q(endorsed_by_id=viewer.pk)))
        .order_by("-n", "tag__name")
    )
    return [EndorsedTopic(r["tag__name"], r["n"], bool(r["mine"])) for r in rows]


def person_topics(*, viewer: access.Viewer, person: Person, limit: int = 8) -> list[TopicLine]:
    """A profile's evidence, summed over the scopes the viewer may see, with its colleagues'
    endorsements (which belong to no community)."""
    rows = (
        TopicEvidence.objects.filter(access.visible_community_filter(viewer), person=person)
        .values("tag__name")
        .annotate(s=Sum("score"), a=Sum("answers"), c=Sum("accepted"), g=Sum("guides"))
        .order_by("-s", "tag__name")[:limit]
    )
    lines = {r["tag__name"]: TopicLine(r["tag__name"], r["a"], r["c"], r["g"], float(r["s"]))
             for r in rows}  # fmt: skip
    if access.is_signed_in(viewer):
        endorsed = (
            Endorsement.objects.filter(person=person)
            .values("tag__name")
            .annotate(n=Count("pk"), mine=Count("pk", filter=Q(endorsed_by_id=viewer.pk)))
            .order_by("-n", "tag__name")[:limit]
        )
        for row in endorsed:
            line = lines.setdefault(row["tag__name"], TopicLine(row["tag__name"], 0, 0, 0, 0.0))
            line.endorsements, line.endorsed_by_viewer = row["n"], bool(row["mine"])
            line.score += ENDORSEMENT_WEIGHT * row["n"]
    return sorted(lines.values(), key=lambda t: (-t.score, t.tag))[:limit]


def availability_of(person: Person) -> Availability:
    """Stored, or the defaults (everyone may be asked until they say otherwise)."""
    found = Availability.objects.filter(person=person).first()
    return found or Availability(person=person)


# --- Routing ------------------------------------------------------------------------------


def requests_for(*, viewer: access.Viewer, limit: int = 50) -> list[RoutingDecision]:
    """The questions the viewer was asked to help with, newest first: a request about a
    community they can no longer see disappears."""
    if not access.is_signed_in(viewer):
        return []
    return list(
        RoutingDecision.objects.filter(
            access.visible_community_filter(viewer), person_id=access.viewer_id(viewer)
        )
        .select_related("question", "question__community", "routed_by", "person")
        .order_by("-created_at", "-pk")[:limit]
    )


def routing_of(*, viewer: access.Viewer, question: Post) -> list[RoutingDecision]:
    """Who was asked about a question: the asker and the community's leaders see everyone
    asked; a routed person sees their own request; anyone else, nothing."""
    if not access.can_view_in(viewer, question.community):
        return []
    decisions = RoutingDecision.objects.filter(question=question).select_related("person")
    if not access.can_see_everyone_routed(viewer, question.author_id, question.community):
        decisions = decisions.filter(person_id=access.viewer_id(viewer))
    found = list(decisions.order_by("created_at", "position", "pk"))
    for decision in found:
        decision.question = question  # the caller's, community included: no query per row
    return found


@dataclass(frozen=True)
class RoutingLine:
    """A routing decision as the question page lists it: the person it was made to reads it
    as "You" with its reason (written for them); anyone else sees a name and the stage."""

    decision: RoutingDecision
    for_viewer: bool


def routing_lines(*, viewer: access.Viewer, question: Post) -> list[RoutingLine]:
    return [
        RoutingLine(decision, access.is_self(viewer, decision.person_id))
        for decision in routing_of(viewer=viewer, question=question)
    ]


@dataclass
class LoadLine:
    person: Person
    this_week: int
    last_30_days: int
    answered: int
    passed: int
    cap: int
    status: str


def routed_load(
    *, viewer: access.Viewer, community: Community | None, now: datetime | None = None
) -> list[LoadLine]:
    """Per person asked about this community's questions in the last 30 days: how many, how
    many this week against their cap, how many they answered or passed on. Leaders only."""
    if not access.can_route_in(viewer, community):
        raise Forbidden("Only the community's leaders can see routed load.")
    now = now or timezone.now()
    where = Q(community=community) if community is not None else Q(community__isnull=True)
    week = Q(created_at__gt=now - timedelta(days=7))
    rows = (
        RoutingDecision.objects.filter(where, created_at__gt=now - timedelta(days=30))
        .values("person_id")
        .annotate(
            month=Count("pk"),
            week=Count("pk", filter=week),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            passed=Count("pk", filter=Q(passed_at__isnull=False)),
        )
    )
    by_person = {row["person_id"]: row for row in rows}
    people = Person.objects.filter(pk__in=by_person).select_related("availability")
    # This week's count against the cap, over the communities the viewer may see: routings
    # in a private community the leader is not in never show (the cap itself still counts
    # them, so a leader may see someone "full" with fewer here).
    weekly = routed_this_week(by_person, now, access.visible_community_filter(viewer))
    lines = []
    for person in people:
        row = by_person[person.pk]
        availability = getattr(person, "availability", None) or Availability(person=person)
        lines.append(
            LoadLine(
                person=person,
                this_week=weekly.get(person.pk, 0),
                last_30_days=row["month"],
                answered=row["answered"],
                passed=row["passed"],
                cap=availability.weekly_cap,
                status=availability.status_line,
            )
        )
    return sorted(lines, key=lambda line: (-line.this_week, -line.last_30_days, line.person.name))


def routed_this_week(
    person_ids: Iterable[int], now: datetime, where: Q | None = None
) -> dict[int, int]:
    """Questions routed to each person in the seven days before `now`: everywhere for the
    cap (it is the person's, not a community's), or only where `where` holds (for display)."""
    rows = (
        RoutingDecision.objects.filter(
            where or Q(),
            person_id__in=list(person_ids),
            created_at__gt=now - timedelta(days=load.WEEK_DAYS),
        )
        .values("person_id")
        .annotate(n=Count("pk"))
    )
    return {row["person_id"]: row["n"] for row in rows}


@dataclass
class OpenRouted:
    question: Post
    round: int
    next_step_at: datetime | None
    asked: list[str]


def open_routed(
    *, viewer: access.Viewer, community: Community | None, limit: int = 50
) -> list[OpenRouted]:
    """Routed questions still without an answer, oldest first: where a leader's hand helps."""
    if not access.can_route_in(viewer, community):
        raise Forbidden("Only the community's leaders can see routed questions.")
    where = (
        Q(question__community=community)
        if community is not None
        else Q(question__community__isnull=True)
    )
    states = list(
        RoutedQuestion.objects.filter(
            where, question__answer_count=0, question__closed_at__isnull=True
        )
        .select_related("question")
        .order_by("routed_at")[:limit]
    )
    asked: dict[int, list[str]] = defaultdict(list)
    for question_id, name in (
        RoutingDecision.objects.filter(question_id__in=[s.pk for s in states])
        .order_by("created_at", "position")
        .values_list("question_id", "person__name")
    ):
        asked[question_id].append(name)
    return [OpenRouted(s.question, s.round, s.next_step_at, asked[s.pk]) for s in states]


# --- What routing reads -------------------------------------------------------------------


def weekly_caps(person_ids: Iterable[int]) -> dict[int, int]:
    """The weekly caps these people set (the default applies to the others)."""
    return dict(
        Availability.objects.filter(person_id__in=list(person_ids)).values_list(
            "person_id", "weekly_cap"
        )
    )


def askable_ids(question: Post, person_ids: set[int], now: datetime) -> set[int]:
    """Who may be asked about this question at all: they can see it, are not its asker, and
    have not opted out or gone away."""
    people = access.who_can_view_in(question.community, person_ids - {question.author_id or 0})
    return people - unavailable_ids(people, timezone.localdate(now))


def question_scope(question: Post) -> access.SearchScope:
    """Evidence everyone who can see the question can see: its own community, or for an
    org-wide question what every signed-in person may see."""
    if question.community_id is None:
        return access.everyone_scope()
    return access.SearchScope(True, False, frozenset({question.community_id}))


def involved_ids(question: Post) -> set[int]:
    """Who was asked about the question already, or answered it."""
    asked = RoutingDecision.objects.filter(question=question).values_list("person_id", flat=True)
    answered = Post.objects.filter(question=question, kind=PostKind.ANSWER).values_list(
        "author_id", flat=True
    )
    return {*asked, *(pk for pk in answered if pk)}


def leader_ids(community: Community) -> set[int]:
    """The community's current leaders."""
    return set(
        Membership.objects.filter(
            community=community, role=Role.LEADER, left_at__isnull=True
        ).values_list("person_id", flat=True)
    )


def routing_due_ids(now: datetime, batch: int) -> list[int]:
    """Routed questions whose next round is due, the longest waiting first."""
    return list(
        RoutedQuestion.objects.filter(next_step_at__lte=now)
        .order_by("next_step_at")
        .values_list("pk", flat=True)[:batch]
    )


def waiting_question_ids(limit: int) -> list[int]:
    """The newest open questions nobody has answered and routing never saw."""
    return list(
        Post.objects.filter(
            kind=PostKind.QUESTION, answer_count=0, closed_at__isnull=True, routing__isnull=True
        )
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- What the evidence and topic rebuilds read --------------------------------------------


def answer_rows(answers: QuerySet[Post]) -> list[tuple[Any, ...]]:
    """The answers as the tallies read them, in id order (the same sums in the same order
    whoever is rebuilt): author, community, question, votes, created, accepted answer, id."""
    return list(
        answers.order_by("id").values_list(
            "author_id", "community_id", "question_id", "score", "created_at",
            "question__accepted_answer_id", "id",
        )
    )  # fmt: skip


def evidence_people_ids() -> set[int]:
    """Everyone whose evidence a full rebuild writes: whoever answered or owns a guide, and
    whoever has rows now but no evidence any more (their rows go)."""
    ids = set(
        Post.objects.filter(kind=PostKind.ANSWER, author__isnull=False)
        .values_list("author_id", flat=True)
        .distinct()
    )
    ids |= set(ResourceOwner.objects.values_list("person_id", flat=True).distinct())
    ids |= set(HelperStats.objects.values_list("person_id", flat=True))
    ids |= set(TopicEvidence.objects.values_list("person_id", flat=True).distinct())
    return ids


@dataclass
class EvidenceHistory:
    """What these people's evidence is built from, as it stood at a time."""

    answers: list[tuple[Any, ...]]  # `answer_rows`
    tags_of_question: dict[int, list[int]]
    owned: list[tuple[Any, ...]]  # person, guide, community, verified at
    tags_of_resource: dict[int, list[int]]
    topic_of: dict[int, int]  # question: learned topic


def evidence_history(ids: list[int], now: datetime) -> EvidenceHistory:
    """These people's answers and the guides they own, written up to `now`, with their tags
    and learned topics."""
    answers = Post.objects.filter(kind=PostKind.ANSWER, author_id__in=ids, created_at__lte=now)
    owners = ResourceOwner.objects.filter(
        person_id__in=ids,
        resource__canonical__isnull=True,
        resource__obsolete_at__isnull=True,
        resource__created_at__lte=now,
    )
    rows = answer_rows(answers)
    tags_of_question: dict[int, list[int]] = defaultdict(list)
    for post_id, tag_id in PostTag.objects.filter(
        post_id__in=answers.values("question_id")
    ).values_list("post_id", "tag_id"):
        tags_of_question[post_id].append(tag_id)
    owned = list(
        owners.order_by("resource_id").values_list(
            "person_id", "resource_id", "resource__community_id", "resource__verified_at"
        )
    )
    tags_of_resource: dict[int, list[int]] = defaultdict(list)
    for resource_id, tag_id in ResourceTag.objects.filter(
        resource_id__in=owners.values("resource_id")
    ).values_list("resource_id", "tag_id"):
        tags_of_resource[resource_id].append(tag_id)
    topic_of = dict(
        QuestionTopic.objects.filter(question_id__in=answers.values("question_id")).values_list(
            "question_id", "topic_id"
        )
    )
    return EvidenceHistory(rows, tags_of_question, owned, tags_of_resource, topic_of)


def topic_scopes() -> list[tuple[int | None, Q]]:
    """(community of the model, which documents it learns from): what every member sees
    (`access.everyone_scope`), then each other community alone."""
    everyone = access.everyone_scope().community_ids
    scopes: list[tuple[int | None, Q]] = [
        (None, Q(community__isnull=True) | Q(community_id__in=everyone))
    ]
    others = Community.objects.exclude(pk__in=everyone).order_by("pk")
    scopes += [(pk, Q(community_id=pk)) for pk in others.values_list("pk", flat=True)]
    return scopes


def topic_documents(where: Q, model_name: str) -> list[tuple[Any, ...]]:
    """The (question id, title, tags, vector) of the scope's questions embedded by this
    model, in id order."""
    questions = Post.objects.filter(kind=PostKind.QUESTION).values("pk")
    return list(
        Document.objects.filter(
            where,
            kind=DocKind.QUESTION,
            embedding_model=model_name,
            embedding__isnull=False,
            object_id__in=questions,  # a question deleted since it was indexed has no topic
        )
        .order_by("pk")
        .values_list("object_id", "title", "tags", "embedding")
    )


def learned_answer_rows(now: datetime) -> list[tuple[Any, ...]]:
    """`answer_rows` of every answer, written up to `now`, to a question with a learned topic."""
    answers = Post.objects.filter(
        kind=PostKind.ANSWER, author__isnull=False, created_at__lte=now,
        question_id__in=QuestionTopic.objects.values("question_id"),
    )  # fmt: skip
    return answer_rows(answers)
