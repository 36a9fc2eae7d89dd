"""Value stories and business goals: tell a story about a moment, list and read the ones you
may see, curate them (the community's leaders), add detail (the teller), and goals.

A story is read by the audience its teller chose; a private community's stories are a 404 to
everyone who may not see the community, in lists and counts as well. Estimates are bounded
(hours saved 0 to 2,000, cost avoided 0 to 10,000,000): an absurd figure is a 422 naming it.
"""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field, StrictBool, StrictStr, StringConstraints

from trellis.api.auth import viewer
from trellis.api.errors import conflicts, error_responses
from trellis.api.schemas import (
    JSON_INTEGER,
    MAX_ID,
    NO_NUL,
    NOT_BLANK,
    CommunityRef,
    Input,
    Maybe,
    Paged,
    PageParams,
    SlugFilter,
    SlugPath,
)
from trellis.communities import selectors as community_selectors
from trellis.core.pagination import paginate
from trellis.people.models import Person
from trellis.stories import selectors, services
from trellis.stories.models import (
    MAX_COST,
    MAX_DETAIL_REQUEST,
    MAX_GOAL_MEASURE,
    MAX_GOAL_NAME,
    MAX_HOURS,
    MAX_MADE_POSSIBLE,
    MAX_TEXT,
    Audience,
    Cycle,
    Goal,
    Measure,
    Risk,
    Source,
    Story,
)
from trellis.stories.services import StoryFields

router = Router(tags=["stories"])

StoryId = PathEx[int, P(ge=1, le=MAX_ID, description="A story's id.")]
GoalId = PathEx[int, P(ge=1, le=MAX_ID, description="A goal's id.")]
CommunitySlug = PathEx[SlugPath, P(description="The community's slug.")]
Text = Annotated[StrictStr, StringConstraints(max_length=MAX_TEXT, pattern=NO_NUL)]
Hours = Annotated[
    float,
    Field(
        ge=0,
        le=float(MAX_HOURS),
        allow_inf_nan=False,
        description="Hours saved, roughly: 0 to 2,000 (about a working year) for one story.",
    ),
]
Cost = Annotated[
    int,
    Field(ge=0, le=MAX_COST, description="Cost avoided, whole units: at most 10,000,000."),
    JSON_INTEGER,
]
Id = Annotated[int, Field(ge=1, le=MAX_ID), JSON_INTEGER]


# -- schemas ------------------------------------------------------------------------------


class GoalOut(Schema):
    id: int
    name: str
    measure: str = Field(description="onboarding, or empty: described in words.")
    measure_text: str
    created_at: datetime


class StoryOut(Schema):
    id: int
    community: CommunityRef | None
    teller: str = Field(description="The teller's name, or 'a member' if they chose so.")
    source: Source
    source_id: int
    about: str
    cycle: Cycle
    cycle_label: str
    text: str
    hours_saved: float | None
    cost_avoided: int | None
    risk_reduced: str
    made_possible: str
    estimate: str = Field(description="The estimate in words.")
    audience: Audience
    goal: GoalOut | None
    told_at: datetime
    featured: bool
    hidden: bool
    detail_request: str
    detail: str
    url: str


class StoryPage(Paged[StoryOut]):
    pass


class StoryParams(PageParams):
    community: Maybe[SlugFilter] = Field(None, description="Only this community's stories.")


class StoryIn(Input):
    source: Source = Field(
        description="accepted (an answer you accepted), thanks (a post you thanked), "
        "resource (a guide you marked as helpful) or event (one you went to)."
    )
    source_id: Id
    cycle: Cycle
    text: Text = ""
    hours_saved: Hours | None = None
    cost_avoided: Cost | None = None
    risk_reduced: Literal["", "low", "medium", "high"] = ""
    made_possible: Annotated[
        StrictStr, StringConstraints(max_length=MAX_MADE_POSSIBLE, pattern=NO_NUL)
    ] = ""
    audience: Audience = Audience.MEMBERS
    named: StrictBool = True
    goal_id: Id | None = None


class CurateIn(Input):
    action: Literal["feature", "unfeature", "hide", "unhide"]


class AskDetailIn(Input):
    request: Annotated[
        StrictStr, StringConstraints(max_length=MAX_DETAIL_REQUEST, pattern=NO_NUL)
    ] = ""


class DetailIn(Input):
    detail: Annotated[StrictStr, StringConstraints(max_length=MAX_TEXT, pattern=NOT_BLANK)]


class GoalLinkIn(Input):
    goal_id: Id | None = Field(description="One of the community's goals; null for none.")


class GoalIn(Input):
    name: Annotated[StrictStr, StringConstraints(max_length=MAX_GOAL_NAME, pattern=NOT_BLANK)]
    measure: Literal["", "onboarding"] = ""
    measure_text: Annotated[
        StrictStr, StringConstraints(max_length=MAX_GOAL_MEASURE, pattern=NO_NUL)
    ] = ""


assert set(Measure.values) == {"", "onboarding"} and set(Risk.values) == {"low", "medium", "high"}


# -- helpers ------------------------------------------------------------------------------


def _goal(goal: Goal) -> dict[str, Any]:
    return {
        "id": goal.pk,
        "name": goal.name,
        "measure": goal.measure,
        "measure_text": goal.measure_text,
        "created_at": goal.created_at,
    }


def _story(story: Story) -> dict[str, Any]:
    return {
        "id": story.pk,
        "community": story.community,
        "teller": selectors.teller_name(story),
        "source": story.source,
        "source_id": story.source_id,
        "about": story.source_title,
        "cycle": story.cycle,
        "cycle_label": story.cycle_label,
        "text": story.text,
        "hours_saved": float(story.hours_saved) if story.hours_saved is not None else None,
        "cost_avoided": story.cost_avoided,
        "risk_reduced": story.risk_reduced,
        "made_possible": story.made_possible,
        "estimate": selectors.estimate_words(story),
        "audience": story.audience,
        "goal": _goal(story.goal) if story.goal else None,
        "told_at": story.told_at,
        "featured": story.featured_at is not None and story.hidden_at is None,
        "hidden": story.hidden_at is not None,
        "detail_request": story.detail_request,
        "detail": story.detail,
        "url": reverse("story-detail", args=[story.pk]),
    }


def _reread(me: Person, story_id: int) -> dict[str, Any]:
    return _story(selectors.story_get(viewer=me, story_id=story_id))


# -- operations ---------------------------------------------------------------------------


@router.get(
    "/stories",
    response={200: StoryPage, **error_responses()},
    summary="List value stories",
    description="Every story you may read, newest first. 404 when the community filter names "
    "one you may not see.",
)
def stories_list(request: HttpRequest, params: Query[StoryParams]) -> dict[str, Any]:
    me = viewer(request)
    community = None
    if params.community:
        community = community_selectors.community_get(viewer=me, slug=params.community)
    page = paginate(
        selectors.story_list(viewer=me, community=community),
        page=params.page,
        page_size=params.page_size,
    )
    return {
        "items": [_story(s) for s in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
    }


@router.post(
    "/stories",
    response={201: StoryOut, **error_responses(conflict=True)},
    summary="Tell a value story about a moment",
    description="About an answer you accepted, a post you thanked, a guide you marked as "
    "helpful or an event you went to. 404 when you may not see the moment; 409 when it is not "
    "yours to tell (you did not accept, thank, use or go), or you already told it.",
)
def stories_tell(request: HttpRequest, payload: StoryIn) -> Reply[dict[str, Any]]:
    me = viewer(request)
    fields = StoryFields(
        cycle=payload.cycle,
        text=payload.text,
        hours_saved=Decimal(str(payload.hours_saved)) if payload.hours_saved is not None else None,
        cost_avoided=payload.cost_avoided,
        risk_reduced=payload.risk_reduced,
        made_possible=payload.made_possible,
        audience=payload.audience,
        named=payload.named,
        goal_id=payload.goal_id,
    )
    with conflicts(rename={"goal": "goal_id"}):
        story = services.story_tell(
            actor=me, source=payload.source, source_id=payload.source_id, fields=fields
        )
    return Reply(201, _reread(me, story.pk))


@router.get(
    "/stories/{story_id}",
    response={200: StoryOut, **error_responses()},
    summary="A value story",
)
def stories_detail(request: HttpRequest, story_id: StoryId) -> dict[str, Any]:
    return _reread(viewer(request), story_id)


@router.post(
    "/stories/{story_id}/curate",
    response={200: StoryOut, **error_responses(conflict=True)},
    summary="Feature, hide, or undo either (the community's leaders)",
    description="Featured stories are what the sponsor's report shows. 409 when featuring a "
    "hidden story.",
)
def stories_curate(request: HttpRequest, story_id: StoryId, payload: CurateIn) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.story_curate(actor=me, story_id=story_id, action=payload.action)
    return _reread(me, story_id)


@router.post(
    "/stories/{story_id}/ask-detail",
    response={200: StoryOut, **error_responses(conflict=True)},
    summary="Ask the teller for more detail (the community's leaders)",
    description="The teller hears by the bell. 409 on your own story.",
)
def stories_ask_detail(
    request: HttpRequest, story_id: StoryId, payload: AskDetailIn
) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.story_ask_detail(actor=me, story_id=story_id, request=payload.request)
    return _reread(me, story_id)


@router.post(
    "/stories/{story_id}/detail",
    response={200: StoryOut, **error_responses(conflict=True)},
    summary="Add detail to your story (its teller)",
)
def stories_add_detail(
    request: HttpRequest, story_id: StoryId, payload: DetailIn
) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.story_add_detail(actor=me, story_id=story_id, detail=payload.detail)
    return _reread(me, story_id)


@router.put(
    "/stories/{story_id}/goal",
    response={200: StoryOut, **error_responses(conflict=True)},
    summary="Link a story to one of its community's goals (its teller, the leaders)",
    description="409 when the goal is not a live goal of the story's community.",
)
def stories_goal(request: HttpRequest, story_id: StoryId, payload: GoalLinkIn) -> dict[str, Any]:
    me = viewer(request)
    with conflicts(rename={"goal": "goal_id"}):
        services.story_set_goal(actor=me, story_id=story_id, goal_id=payload.goal_id)
    return _reread(me, story_id)


@router.get(
    "/communities/{slug}/goals",
    response={200: list[GoalOut], **error_responses()},
    summary="A community's business goals",
)
def goals_list(request: HttpRequest, slug: CommunitySlug) -> list[dict[str, Any]]:
    community = community_selectors.community_get(viewer=viewer(request), slug=slug)
    return [_goal(g) for g in selectors.goals_of(community=community)]


@router.post(
    "/communities/{slug}/goals",
    response={201: GoalOut, **error_responses(conflict=True)},
    summary="Name a business goal (the community's sponsors and leaders)",
    description="measure: onboarding (newcomers' days to a first answered question and a "
    "first contribution, against the previous cohort) or empty (described in measure_text). "
    "409 when a live goal has the same name.",
)
def goals_create(
    request: HttpRequest, slug: CommunitySlug, payload: GoalIn
) -> Reply[dict[str, Any]]:
    me = viewer(request)
    community = community_selectors.community_get(viewer=me, slug=slug)
    with conflicts():
        goal = services.goal_create(
            actor=me,
            community=community,
            name=payload.name,
            measure=payload.measure,
            measure_text=payload.measure_text,
        )
    return Reply(201, _goal(goal))


@router.post(
    "/goals/{goal_id}/retire",
    response={200: GoalOut, **error_responses()},
    summary="Retire a goal (the community's sponsors and leaders)",
    description="Its stories keep the link; new stories cannot choose it.",
)
def goals_retire(request: HttpRequest, goal_id: GoalId) -> dict[str, Any]:
    return _goal(services.goal_retire(actor=viewer(request), goal_id=goal_id))
