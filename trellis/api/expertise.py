"""Who knows about X, and your availability for routed questions."""

from datetime import date
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from trellis.api.auth import viewer
from trellis.api.errors import error_responses
from trellis.api.schemas import (
    JSON_INTEGER,
    Flag,
    Input,
    IsoDate,
    PersonRef,
    QueryParams,
    SlugFilter,
)
from trellis.communities import selectors as community_selectors
from trellis.expertise import selectors, services
from trellis.expertise.models import Availability

router = Router(tags=["expertise"])


class ExpertParams(QueryParams):
    q: str = Field(
        min_length=1, max_length=500, pattern=r"^[^\x00]*$",
        description="A topic or a question, in plain words.",
    )  # fmt: skip
    community: SlugFilter = Field("", description="Only evidence from this community.")
    limit: int = Field(10, ge=1, le=50)


class TopicOut(Schema):
    tag: str
    answers: int
    accepted: int
    guides: int


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
    Field(ge=0, le=services.MAX_WEEKLY_CAP, description="Routed questions a week at most."),
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
            "topics": [
                {"tag": t, "answers": a, "accepted": c, "guides": g} for t, a, c, g in e.topics
            ],
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
    return services.availability_set(
        actor=actor, person=actor, opted_out=payload.opted_out, away_until=payload.away_until,
        weekly_cap=payload.weekly_cap,
    )  # fmt: skip
