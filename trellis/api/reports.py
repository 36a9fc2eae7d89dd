"""The sponsor's impact report as JSON: a community's (sponsors, leaders, org admins) or the
organisation's (org admins) figures for a period against the one before; what the sponsor
provides; how often a sponsor wants the report by email.

A private community's report is not found (404) for anyone who may not see the community.
"""

from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.params import P, PathEx
from pydantic import Field, StrictFloat, StrictStr, StringConstraints

from trellis.api.auth import viewer
from trellis.api.errors import error_responses
from trellis.api.schemas import NO_NUL, Input, Maybe, QueryParams, SlugPath
from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden, NotFound
from trellis.people.models import Person
from trellis.reports import services
from trellis.reports.figures import Figures
from trellis.reports.models import MAX_BUDGET, MAX_HOURS_PER_MONTH, Cadence, SponsorResources
from trellis.reports.periods import BadPeriod, Period, last_complete_month, parse_period
from trellis.reports.report import build_report
from trellis.reports.services import CURRENCIES

router = Router(tags=["reports"])

CommunitySlug = PathEx[SlugPath, P(description="The community's slug.")]
# Years from 2000 (reports start there); a period not started yet is not found (404).
PERIOD_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2]|Q[1-4])$"


class PeriodParams(QueryParams):
    period: Maybe[Annotated[str, StringConstraints(max_length=7, pattern=PERIOD_PATTERN)]] = Field(
        None, description="A month (2026-11) or a quarter (2026-Q3); default: last month."
    )


class ReportStoryOut(Schema):
    text: str
    cycle: str
    estimate: str
    teller: str
    goal: str | None


class HoursOut(Schema):
    total_hours: float
    stories_with_hours: int
    stories: int
    method: str = Field(description="How the estimate is made, in one sentence.")


class ReportOut(Schema):
    scope: str = Field(description="The community's name, or 'the organisation'.")
    community: str | None = Field(description="The community's slug; null: organisation-wide.")
    period: str
    period_label: str
    previous_period: str
    figures: Figures
    previous_figures: Figures
    enabled: list[str] = Field(description="What the sponsor's resources enabled, in words.")
    hours_saved: HoursOut | None
    featured_stories: list[ReportStoryOut]


def _period(params: PeriodParams) -> Period:
    if not params.period:
        return last_complete_month()
    try:
        return parse_period(params.period)
    except BadPeriod as error:  # the pattern let it through: a period that has not started
        raise NotFound(str(error)) from error


def _report_community(me: Person, slug: str) -> Community:
    community = community_selectors.community_get(viewer=me, slug=slug)
    if not access.can_view_community_report(me, community):
        raise Forbidden("The impact report is for the community's sponsors and leaders.")
    return community


def _out(me: Person, community: Community | None, period: Period) -> dict[str, Any]:
    report = build_report(viewer=me, community=community, period=period)
    return {
        "scope": report.scope,
        "community": community.slug if community is not None else None,
        "period": period.key,
        "period_label": period.label,
        "previous_period": report.previous.key,
        "figures": report.figures,
        "previous_figures": report.previous_figures,
        "enabled": report.enabled,
        "hours_saved": report.hours.__dict__ if report.hours is not None else None,
        "featured_stories": [story.__dict__ for story in report.stories],
    }


@router.get(
    "/reports/communities/{slug}",
    response={200: ReportOut, **error_responses()},
    summary="A community's impact report",
    operation_id="reports_community",
)
def reports_community(
    request: HttpRequest, slug: CommunitySlug, params: Query[PeriodParams]
) -> dict[str, Any]:
    me = viewer(request)
    community = _report_community(me, slug)
    period = _period(params)
    return _out(me, community, period)


@router.get(
    "/reports/organisation",
    response={200: ReportOut, **error_responses()},
    summary="The organisation-wide impact report (org admins)",
    operation_id="reports_organisation",
)
def reports_organisation(request: HttpRequest, params: Query[PeriodParams]) -> dict[str, Any]:
    me = viewer(request)
    if not access.can_view_org_report(me):
        raise Forbidden("The organisation-wide report is for org admins.")
    return _out(me, None, _period(params))


Currency = Literal[CURRENCIES]  # type: ignore[valid-type]  # the service's list, as an enum


class ResourcesIn(Input):
    annual_budget: Maybe[Annotated[StrictFloat, Field(ge=0, le=float(MAX_BUDGET))]] = Field(
        None, description="The yearly budget, in the currency; absent: none."
    )
    currency: Maybe[Currency] = Field(None, description="Default EUR.")
    hours_per_month: Maybe[Annotated[StrictFloat, Field(ge=0, le=MAX_HOURS_PER_MONTH)]] = Field(
        None, description="Hours a month each member may spend on the community; absent: none."
    )
    channels: Maybe[Annotated[StrictStr, StringConstraints(max_length=1000, pattern=NO_NUL)]] = (
        Field(None, description="Where the community meets and is announced.")
    )


class ResourcesOut(Schema):
    annual_budget: str | None
    currency: str
    hours_per_month: str | None
    channels: str


def _resources(row: SponsorResources | None) -> dict[str, Any]:
    def text(value: Decimal | None) -> str | None:
        return f"{value:f}" if value is not None else None

    if row is None:
        return {"annual_budget": None, "currency": "EUR", "hours_per_month": None, "channels": ""}
    return {
        "annual_budget": text(row.annual_budget),
        "currency": row.currency,
        "hours_per_month": text(row.hours_per_month),
        "channels": row.channels,
    }


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


@router.get(
    "/reports/communities/{slug}/resources",
    response={200: ResourcesOut, **error_responses()},
    summary="What the sponsor provides the community",
    operation_id="reports_resources_get",
)
def reports_resources_get(request: HttpRequest, slug: CommunitySlug) -> dict[str, Any]:
    community = _report_community(viewer(request), slug)
    return _resources(SponsorResources.objects.filter(community=community).first())


@router.put(
    "/reports/communities/{slug}/resources",
    response={200: ResourcesOut, **error_responses()},
    summary="Record what the sponsor provides (sponsors and leaders)",
    operation_id="reports_resources_set",
)
def reports_resources_set(
    request: HttpRequest, slug: CommunitySlug, payload: ResourcesIn
) -> dict[str, Any]:
    me = viewer(request)
    community = _report_community(me, slug)
    row = services.sponsor_resources_set(
        actor=me,
        community=community,
        fields=services.ResourceFields(
            annual_budget=_number(payload.annual_budget),
            currency=payload.currency or "EUR",
            hours_per_month=_number(payload.hours_per_month),
            channels=payload.channels or "",
        ),
    )
    return _resources(row)


class ScheduleIo(Input):
    cadence: Cadence = Field(description="monthly, quarterly or off.")


class ScheduleOut(Schema):
    cadence: Cadence


@router.get(
    "/reports/schedule",
    response={200: ScheduleOut, **error_responses()},
    summary="How often you get your reports by email (sponsors)",
    operation_id="reports_schedule_get",
)
def reports_schedule_get(request: HttpRequest) -> dict[str, Any]:
    me = viewer(request)
    if not access.can_subscribe_to_reports(me):
        raise Forbidden("Reports are emailed to sponsors; you sponsor no community.")
    return {"cadence": services.cadence_of(me)}


@router.put(
    "/reports/schedule",
    response={200: ScheduleOut, **error_responses()},
    summary="Change how often you get your reports by email",
    operation_id="reports_schedule_set",
)
def reports_schedule_set(request: HttpRequest, payload: ScheduleIo) -> dict[str, Any]:
    row = services.report_subscription_set(actor=viewer(request), cadence=payload.cadence)
    return {"cadence": row.cadence}
