"""Champions as JSON: a community's (its leaders and org admins) or the organisation's (org
admins) stored champions with their reasons and whether they hold a leading role yet, and the
leaders' named lists of who to talk to (ready to move inward, new contributors, lost regulars,
back after a break), each person with the evidence in words.

People who prefer not to be named are counted (`unnamed`), never named. A private community is
not found (404) for anyone who may not see it; the others who may not read it get 403.
Nothing is computed here but the named lists' few reads of the stored levels.
"""

from datetime import date, datetime
from typing import Annotated, Any

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
from trellis.insights import champions_page
from trellis.insights.participation_page import BadMonth, parse_month
from trellis.people.models import Person

router = Router(tags=["insights"])

CommunitySlug = PathEx[SlugPath, P(description="The community's slug.")]
MONTH_PATTERN = r"^20\d{2}-(0[1-9]|1[0-2])$"


class ChampionsParams(QueryParams):
    month: Maybe[Annotated[str, StringConstraints(max_length=7, pattern=MONTH_PATTERN)]] = Field(
        None,
        description="YYYY-MM: the month the named lists describe. Default: the last complete "
        "month with levels (else the newest). A month without levels is not found (404).",
    )
    not_recognised: bool = Field(
        False, description="Only the champions who hold no leading role yet."
    )


class ChampionOut(Schema):
    person_id: int
    name: str
    department: str
    score: float = Field(description="Points, each a reason; only the order means much.")
    reasons: list[str] = Field(description="Why, in words a leader can check.")
    recognised: bool = Field(
        description="Holds a leading role: the community's team, a sponsor, an org admin "
        "(organisation-wide: on any community's team, any sponsor)."
    )
    people_helped: int = Field(description="Distinct people whose help worked, in the lookback.")
    accepted: int
    thanks: int
    departments_bridged: list[str]
    brokerage: float = Field(
        description="Share (0 to 1) of the pairs of others whose shortest help path runs "
        "through them."
    )
    months_with_help: int


class NamedPersonOut(Schema):
    person_id: int
    name: str
    evidence: str


class NamedListOut(Schema):
    key: str = Field(description="ready, new, lost or reactivated.")
    title: str
    rule: str = Field(description="Who is on the list, in words.")
    people: list[NamedPersonOut]
    more: int = Field(description="People on the list beyond those named here.")
    unnamed: int = Field(description="People on the list who prefer not to be named.")


class ChampionsOut(Schema):
    scope: str = Field(description="The community's name, or 'the organisation'.")
    community: str | None = Field(description="The community's slug; null: organisation-wide.")
    computed_at: datetime | None = Field(description="null: no champions computed yet.")
    lookback_days: int
    champions: list[ChampionOut]
    not_recognised: int = Field(description="Named champions holding no leading role.")
    unnamed: int = Field(description="Champions who prefer not to be named (counted only).")
    lists_month: str | None = Field(description="YYYY-MM of the named lists; null: no levels.")
    lists: list[NamedListOut]


def _champions_community(me: Person, slug: str) -> Community:
    community = community_selectors.community_get(viewer=me, slug=slug)
    if not access.can_view_participation_in(me, community):
        raise Forbidden("Champions are for the community's leaders.")
    return community


def _out(community: Community | None, params: ChampionsParams) -> dict[str, Any]:
    month: date | None = parse_month(params.month) if params.month else None
    try:
        page = champions_page.build(
            community=community, month=month, only_not_recognised=params.not_recognised
        )
    except BadMonth as error:  # a month without levels
        raise NotFound(str(error)) from error
    return {
        "scope": community.name if community is not None else "the organisation",
        "community": community.slug if community is not None else None,
        "computed_at": page.computed_at,
        "lookback_days": page.lookback_days,
        "champions": [
            {
                "person_id": row.person_id,
                "name": row.name,
                "department": row.department,
                "score": row.score,
                "reasons": list(row.reasons),
                "recognised": row.recognised,
                "people_helped": row.people_helped,
                "accepted": int(row.figures.get("accepted", 0)),
                "thanks": int(row.figures.get("thanks", 0)),
                "departments_bridged": list(row.figures.get("departments_bridged", [])),
                "brokerage": float(row.figures.get("brokerage", 0.0)),
                "months_with_help": int(row.figures.get("months_with_help", 0)),
            }
            for row in page.champions
        ],
        "not_recognised": page.not_recognised,
        "unnamed": page.unnamed,
        "lists_month": f"{page.lists_month:%Y-%m}" if page.lists_month else None,
        "lists": [
            {
                "key": named.key,
                "title": named.title,
                "rule": named.rule,
                "people": [
                    {"person_id": e.person_id, "name": e.name, "evidence": e.evidence}
                    for e in named.entries
                ],
                "more": named.more,
                "unnamed": named.unnamed,
            }
            for named in page.lists
        ],
    }


@router.get(
    "/communities/{slug}/champions",
    response={200: ChampionsOut, **error_responses()},
    summary="A community's champions and who to talk to this month (leaders, org admins)",
    operation_id="insights_community_champions",
)
def insights_community_champions(
    request: HttpRequest, slug: CommunitySlug, params: Query[ChampionsParams]
) -> dict[str, Any]:
    community = _champions_community(viewer(request), slug)
    return _out(community, params)


@router.get(
    "/champions",
    response={200: ChampionsOut, **error_responses()},
    summary="The organisation's champions and who to talk to this month (org admins)",
    operation_id="insights_org_champions",
)
def insights_org_champions(request: HttpRequest, params: Query[ChampionsParams]) -> dict[str, Any]:
    if not access.can_view_org_participation(viewer(request)):
        raise Forbidden("The organisation's champions are for org admins.")
    return _out(None, params)
