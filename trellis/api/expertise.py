"""Who knows about X, your availability, and routing: requests sent to you, who was asked
about a question, a leader's hand and the routed load."""

import dataclasses
from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field

from trellis.api.auth import viewer
from trellis.api.errors import Conflict, conflicts, error_responses
from trellis.api.schemas import (
    JSON_INTEGER,
    MAX_ID,
    Flag,
    Id,
    Input,
    IsoDate,
    Note,
    PersonBrief,
    PersonRef,
    QueryParams,
    SlugFilter,
    TopicTag,
)
from trellis.communities import selectors as community_selectors
from trellis.core import access
from trellis.core.errors import NotFound
from trellis.expertise import selectors
from trellis.expertise.models import Availability, RoutingDecision, RoutingStage
from trellis.expertise.services import availability, endorsements, routing
from trellis.people import selectors as people_selectors
from trellis.people.models import Person
from trellis.qa import selectors as qa_selectors
from trellis.qa.models import Post, PostKind

router = Router(tags=["expertise"])


class ExpertParams(QueryParams):
    q: str = Field(
        min_length=1, max_length=500, pattern=r"^[^\x00]*$",
        description="A topic or a question, in plain words.",
    )  # fmt: skip
    community: SlugFilter = Field("", description="Only evidence from this community.")
    limit: int = Field(10, ge=1, le=50)


class TopicOut(Schema):
    tag: str = Field(description="The tag, or a learned topic's label.")
    kind: str = Field(description="'tag', or 'learned' for a topic learned from the questions.")
    answers: int
    accepted: int
    guides: int
    endorsements: int = Field(description="Colleagues who endorse them on it.")


class ExpertOut(Schema):
    person: PersonRef
    score: float
    reasons: list[str] = Field(description="Why, from evidence you may see only.")
    similar_answers: int
    similar_accepted: int
    topics: list[TopicOut]


class AvailabilityOut(Schema):
    opted_out: bool
    away_until: date | None
    weekly_cap: int


WeeklyCap = Annotated[
    int,
    Field(ge=0, le=availability.MAX_WEEKLY_CAP, description="Routed questions a week at most."),
    JSON_INTEGER,
]


class AvailabilityIn(Input):
    opted_out: Flag = Field(False, description="Never routed to, never listed as an expert.")
    away_until: IsoDate | None = Field(None, description="Not asked until after this day.")
    weekly_cap: WeeklyCap = 3


@router.get(
    "/experts",
    response={200: list[ExpertOut], **error_responses()},
    summary="Who knows about X",
    description="People ranked by answers and guides you may see, each with the reasons. "
    "People who opted out or are away are not listed.",
)
def experts(request: HttpRequest, params: Query[ExpertParams]) -> list[dict[str, Any]]:
    actor = viewer(request)
    community = None
    if params.community:
        community = community_selectors.community_get(viewer=actor, slug=params.community)
    found = selectors.who_knows(
        viewer=actor, text=params.q, community_id=community.pk if community else None,
        limit=params.limit,
    )  # fmt: skip
    return [
        {
            "person": e.person,
            "score": round(e.score, 6),
            "reasons": e.reasons,
            "similar_answers": e.similar_answers,
            "similar_accepted": e.similar_accepted,
            "topics": [dataclasses.asdict(t) for t in e.topics],
        }
        for e in found
    ]


@router.get(
    "/people/me/availability",
    response={200: AvailabilityOut, **error_responses()},
    summary="Your availability for routed questions",
)
def availability_get(request: HttpRequest) -> Availability:
    return selectors.availability_of(viewer(request))


@router.put(
    "/people/me/availability",
    response={200: AvailabilityOut, **error_responses()},
    summary="Set your availability for routed questions",
)
def availability_put(request: HttpRequest, payload: AvailabilityIn) -> Availability:
    actor = viewer(request)
    return availability.availability_set(
        actor=actor, person=actor, opted_out=payload.opted_out, away_until=payload.away_until,
        weekly_cap=payload.weekly_cap,
    )  # fmt: skip


# --- Routing ------------------------------------------------------------------------------

DecisionId = PathEx[int, P(ge=1, le=MAX_ID, description="A routing request's id.")]
QuestionId = PathEx[int, P(ge=1, le=MAX_ID, description="A question's id.")]


class QuestionBrief(Schema):
    id: int
    title: str
    answer_count: int
    community: str | None = Field(description="The community's slug; null when org-wide.")

    @staticmethod
    def resolve_community(obj: Post) -> str | None:
        return obj.community.slug if obj.community else None


class DecisionOut(Schema):
    id: int
    question: QuestionBrief
    person: PersonBrief
    stage: RoutingStage
    reason: str = Field(description="Why this person was asked, from evidence about the "
                        "question's own community (or org-wide, public content).")  # fmt: skip
    created_at: datetime
    answered_at: datetime | None
    passed_at: datetime | None


class ConnectIn(Input):
    person_id: Id = Field(description="Who to ask.")
    note: Note = Field("", description="A word for them: why you thought of them.")


class LoadLineOut(Schema):
    person: PersonBrief
    this_week: int = Field(
        description="Questions routed to them in the last 7 days, in communities you may see."
    )
    cap: int = Field(description="Their weekly cap: never exceeded.")
    last_30_days: int
    answered: int
    passed: int
    status: str


class LoadParams(QueryParams):
    community: SlugFilter = Field(
        "", description="A community you lead; empty for org-wide questions (org admins)."
    )


@router.get(
    "/routing/requests",
    response={200: list[DecisionOut], **error_responses()},
    summary="Questions you were asked to help with",
    description="Newest first, each with why you were asked.",
)
def routing_requests(request: HttpRequest) -> list[RoutingDecision]:
    return selectors.requests_for(viewer=viewer(request))


@router.post(
    "/routing/requests/{request_id}/pass",
    response={200: DecisionOut, **error_responses(conflict=True)},
    summary="Not for me: pass on a request",
    description="While the question is unanswered, someone else is asked in your place.",
)
def routing_pass(request: HttpRequest, request_id: DecisionId) -> RoutingDecision:
    with conflicts():
        passed = routing.routing_pass(actor=viewer(request), decision_id=request_id)
    return RoutingDecision.objects.select_related("question__community", "person").get(
        pk=passed.decision.pk
    )


@router.get(
    "/questions/{question_id}/routing",
    response={200: list[DecisionOut], **error_responses()},
    summary="Who was asked about a question",
    description="The asker and the community's leaders see everyone asked; a person asked "
    "sees their own request; anyone else an empty list.",
)
def question_routing(request: HttpRequest, question_id: QuestionId) -> list[RoutingDecision]:
    actor = viewer(request)
    question = qa_selectors.post_get(viewer=actor, post_id=question_id, kind=PostKind.QUESTION)
    return selectors.routing_of(viewer=actor, question=question)


@router.post(
    "/questions/{question_id}/connect",
    response={201: DecisionOut, **error_responses(conflict=True)},
    summary="Ask someone about a question by hand (the community's leaders)",
    description="The same limits as routing: the person must be able to see the question, "
    "be open to questions and under their weekly cap, and not asked already (409 names the "
    "problem).",
)
def question_connect(
    request: HttpRequest, question_id: QuestionId, payload: ConnectIn
) -> Reply[RoutingDecision]:
    actor = viewer(request)
    question = qa_selectors.post_get(viewer=actor, post_id=question_id, kind=PostKind.QUESTION)
    person = Person.objects.filter(pk=payload.person_id).first()
    if person is None:
        raise NotFound("No such person.", field_errors={"person_id": "No such person."})
    with conflicts(rename={"person": "person_id"}):
        decision = routing.question_connect(
            actor=actor, question=question, person=person, note=payload.note
        )
    found = RoutingDecision.objects.select_related("question__community", "person")
    return Reply(201, found.get(pk=decision.pk))


@router.get(
    "/routing/load",
    response={200: list[LoadLineOut], **error_responses()},
    summary="Routed load per person (leaders)",
    description="Everyone asked about the community's questions in the last 30 days.",
)
def routing_load(request: HttpRequest, params: Query[LoadParams]) -> list[dict[str, Any]]:
    actor = viewer(request)
    community = None
    if params.community:
        community = community_selectors.community_get(viewer=actor, slug=params.community)
    lines = selectors.routed_load(viewer=actor, community=community)
    return [
        {
            "person": line.person, "this_week": line.this_week, "cap": line.cap,
            "last_30_days": line.last_30_days, "answered": line.answered,
            "passed": line.passed, "status": line.status,
        }
        for line in lines
    ]  # fmt: skip


# --- Endorsements -------------------------------------------------------------------------

PersonId = PathEx[int, P(ge=1, le=MAX_ID, description="A person's id.")]
TagPath = PathEx[str, P(min_length=1, max_length=40, pattern=r"^[^\x00/]+$")]


class EndorseIn(Input):
    tag: TopicTag = Field(description="The topic, as a tag (lower case, words joined by '-').")


class EndorsedTopicOut(Schema):
    tag: str
    endorsements: int
    by_you: bool


class TopicLineOut(Schema):
    tag: str
    answers: int
    accepted: int
    guides: int = Field(description="Guides they own on it.")
    endorsements: int
    score: float = Field(description="Decayed evidence: recent and accepted answers weigh more.")


class LearnedTopicOut(Schema):
    id: int
    label: str = Field(description="Its three most distinctive words.")
    answers: int
    accepted: int
    score: float


class PersonExpertiseOut(Schema):
    topics: list[TopicLineOut] = Field(description="Per tag, from evidence you may see.")
    learned: list[LearnedTopicOut] = Field(
        description="Topics learned from the questions they answered, that you may see."
    )


@router.get(
    "/people/{person_id}/expertise",
    response={200: PersonExpertiseOut, **error_responses()},
    summary="A person's expertise, with its evidence",
    description="What their profile shows you: per tag and per learned topic, only from "
    "communities you may see.",
)
def person_expertise(request: HttpRequest, person_id: PersonId) -> dict[str, Any]:
    actor = viewer(request)
    person = people_selectors.person_profile(viewer=actor, person_id=person_id).person
    return {
        "topics": [
            {
                "tag": t.tag,
                "answers": t.answers,
                "accepted": t.accepted,
                "guides": t.guides,
                "endorsements": t.endorsements,
                "score": round(t.score, 6),
            }
            for t in selectors.person_topics(viewer=actor, person=person)
        ],
        "learned": [
            {
                "id": t.topic_id,
                "label": t.label,
                "answers": t.answers,
                "accepted": t.accepted,
                "score": round(t.score, 6),
            }
            for t in selectors.person_learned_topics(viewer=actor, person=person)
        ],
    }


def _colleague(person_id: int) -> Person:
    person = Person.objects.filter(pk=person_id, is_active=True).first()
    if person is None:
        raise NotFound("No such person.")
    return person


def _endorsed(actor: Person, person: Person) -> list[dict[str, Any]]:
    return [
        {"tag": t.tag, "endorsements": t.endorsements, "by_you": t.by_viewer}
        for t in selectors.endorsements_of(viewer=actor, person=person)
    ]


@router.get(
    "/people/{person_id}/endorsements",
    response={200: list[EndorsedTopicOut], **error_responses()},
    summary="Topics colleagues endorse a person on",
)
def endorsements_list(request: HttpRequest, person_id: PersonId) -> list[dict[str, Any]]:
    return _endorsed(viewer(request), _colleague(person_id))


@router.post(
    "/people/{person_id}/endorsements",
    response={201: list[EndorsedTopicOut], **error_responses(conflict=True)},
    summary="Endorse a colleague on a topic",
    description="Endorsing twice changes nothing; nobody can endorse themselves (409).",
)
def endorsements_add(
    request: HttpRequest, person_id: PersonId, payload: EndorseIn
) -> Reply[list[dict[str, Any]]]:
    actor, person = viewer(request), _colleague(person_id)
    if not access.can_endorse(actor, person):  # a well-formed request, but from themselves
        raise Conflict("You cannot endorse yourself.")
    endorsements.endorsement_add(actor=actor, person=person, tag=payload.tag)
    return Reply(201, _endorsed(actor, person))


@router.delete(
    "/people/{person_id}/endorsements/{tag}",
    response={200: list[EndorsedTopicOut], **error_responses()},
    summary="Withdraw your endorsement",
)
def endorsements_withdraw(
    request: HttpRequest, person_id: PersonId, tag: TagPath
) -> list[dict[str, Any]]:
    actor, person = viewer(request), _colleague(person_id)
    if not endorsements.endorsement_withdraw(actor=actor, person=person, tag=tag):
        raise NotFound("You have not endorsed them on that topic.")
    return _endorsed(actor, person)
