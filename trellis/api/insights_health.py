"""Community health as JSON: a community's (its leaders and org admins) or the organisation's
(org admins) stored figures for a month, each metric against the month before with the
direction a healthy community wants and whether it moved that way.

A private community is not found (404) for anyone who may not see it; a leader-only figure
is 403 for the others who may. Nothing is computed here: the figures are the nightly ones.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.params import P, PathEx
from pydantic import Field, StringConstraints

from trellis.api.auth import viewer
from trellis.api.errors import error_responses
from trellis.api.schemas import Maybe, QueryParams, SlugPath
from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden, NotFound
from trellis.insights import health_page, health_selectors
from trellis.insights.health import FRAGILE_ABOVE, TOP
from trellis.insights.participation_page import parse_month
from trellis.people.models import Person

router = Router(tags=["insights"])

CommunitySlug = PathEx[SlugPath, P(description="The community's slug.")]
MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"


class MonthParams(QueryParams):
    month: Maybe[Annotated[str, StringConstraints(max_length=7, pattern=MONTH_PATTERN)]] = Field(
        None,
        description="YYYY-MM. Default: the newest month that is over (else the newest computed). "
        "A month without figures is not found (404).",
    )


class HealthMetricOut(Schema):
    key: str = Field(description="e.g. active_people, resolution_rate, top10_share.")
    label: str
    value: float | None = Field(
        description="A count, or a share between 0 and 1; null when it rests on too few cases."
    )
    previous: float | None = Field(description="The same figure for the month before.")
    desirable: Literal["up", "down"] = Field(description="The way a healthy community moves.")
    moved_right_way: bool | None = Field(
        description="null when unchanged, or when either figure is missing."
    )
    explanation: str = Field(description="What the figure means this month, in a sentence.")
    is_share: bool
    cases: int = Field(description="The people, questions or answers the figure rests on.")


class HealthHeadlineOut(Schema):
    label: str | None = Field(
        description="healthy growth, growing but quiet, steady, engaged but shrinking or "
        "shrinking; null with too few people, or while the month is still running."
    )
    reason: str = Field(description="Why, in figures.")
    active_trend: Literal["up", "down", "flat"]
    engaged_trend: Literal["up", "down", "flat"]


class HealthOut(Schema):
    scope: str = Field(description="The community's name, or 'the organisation'.")
    community: str | None = Field(description="The community's slug; null: organisation-wide.")
    month: str | None = Field(description="YYYY-MM; null when nothing is computed yet.")
    month_over: bool = Field(
        description="False: the month was still running when read (figures to date, against "
        "the whole month before)."
    )
    period_start: datetime | None
    period_end: datetime | None
    previous_start: datetime | None
    figures_read_at: datetime | None = Field(description="When the figures were read.")
    headline: HealthHeadlineOut | None
    fragile: bool = Field(
        description=f"The top-{TOP} share above {FRAGILE_ABOVE:.0%} this month and the last."
    )
    fragile_reason: str
    metrics: list[HealthMetricOut]
    months: list[str] = Field(description="The months with figures, newest first (YYYY-MM).")


def _month(params: MonthParams) -> date | None:
    return parse_month(params.month) if params.month else None


def _health_community(me: Person, slug: str) -> Community:
    community = community_selectors.community_get(viewer=me, slug=slug)
    if not access.can_view_participation_in(me, community):
        raise Forbidden("Community health is for the community's leaders.")
    return community


def _out(community: Community | None, month: date | None) -> dict[str, Any]:
    months = health_selectors.health_months(community=community)
    base: dict[str, Any] = {
        "scope": community.name if community is not None else "the organisation",
        "community": community.slug if community is not None else None,
        "months": [f"{m:%Y-%m}" for m in months],
    }
    if not months:
        return base | {
            "month": None,
            "month_over": False,
            "period_start": None,
            "period_end": None,
            "previous_start": None,
            "figures_read_at": None,
            "headline": None,
            "fragile": False,
            "fragile_reason": "",
            "metrics": [],
        }
    chosen = month or health_page.default_month(community=community)
    assert chosen is not None  # some month is stored
    stored = health_selectors.health_snapshot_read(community=community, month=chosen)
    if stored is None:
        raise NotFound(f"No health figures for {chosen:%B %Y}.")
    health = stored.health
    return base | {
        "month": f"{stored.month:%Y-%m}",
        "month_over": stored.complete,
        "period_start": health.start,
        "period_end": health.end,
        "previous_start": health.previous_start,
        "figures_read_at": stored.as_of,
        "headline": health_page.headline_shown(stored).__dict__,
        "fragile": health.fragile,
        "fragile_reason": health.fragile_reason,
        "metrics": [metric.__dict__ for metric in health.metrics],
    }


@router.get(
    "/communities/{slug}/health",
    response={200: HealthOut, **error_responses()},
    summary="A community's health for a month (its leaders and org admins)",
    operation_id="insights_community_health",
)
def insights_community_health(
    request: HttpRequest, slug: CommunitySlug, params: Query[MonthParams]
) -> dict[str, Any]:
    me = viewer(request)
    community = _health_community(me, slug)
    return _out(community, _month(params))


@router.get(
    "/health",
    response={200: HealthOut, **error_responses()},
    summary="The organisation's health for a month (org admins)",
    operation_id="insights_org_health",
)
def insights_org_health(request: HttpRequest, params: Query[MonthParams]) -> dict[str, Any]:
    me = viewer(request)
    if not access.can_view_org_participation(me):
        raise Forbidden("The organisation's health is for org admins.")
    return _out(None, _month(params))
