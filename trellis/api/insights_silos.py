"""The silo map as JSON: where help crosses departments in the organisation (org admins) or in
one community (its leaders and org admins), as stored by the nightly job.

Aggregates only: no figure rests on fewer than 5 people, and none names anyone. A private
community is not found (404) for anyone who may not see it. Nothing is computed here.
"""

from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params import P, PathEx
from pydantic import Field

from trellis.api.auth import viewer
from trellis.api.errors import error_responses
from trellis.api.schemas import SlugPath
from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden
from trellis.insights import silo_page
from trellis.insights.silos import EMPTY, MIN_PEOPLE, OTHER

router = Router(tags=["insights"])

CommunitySlug = PathEx[SlugPath, P(description="The community's slug.")]


class SiloDepartmentOut(Schema):
    name: str = Field(description=f"The department, or '{OTHER}'.")
    merged: bool = Field(description="Several small departments shown together.")
    departments: int = Field(description="How many departments it stands for.")
    people: int = Field(description="Its people who gave or received help.")
    received: int | None = Field(description=f"null: resting on fewer than {MIN_PEOPLE} people.")
    received_inside_share: float | None = Field(
        description="Of the help it received, the share from inside (0 to 1); null when the "
        f"help inside or from outside rests on fewer than {MIN_PEOPLE} people."
    )
    given: int | None
    given_inside_share: float | None = Field(
        description="Of the help it gave, the share that stayed inside; null as above."
    )
    in_words: list[str] = Field(description="The two shares in a sentence each.")


class SiloLinkOut(Schema):
    a: str
    b: str
    help: int = Field(description="Help between the two, both ways.")
    people: int = Field(description=f"Distinct people behind it (at least {MIN_PEOPLE}).")
    a_to_b: int | None = Field(description="null when a direction rests on too few people.")
    b_to_a: int | None


class SiloBridgeOut(Schema):
    a: str
    b: str
    help: int
    people: int
    role: str = Field(description="only-link or busiest.")
    cut_off: list[str] = Field(description="only-link: the departments it alone connects.")
    in_words: str


class SiloConnectorOut(Schema):
    department: str
    pieces: list[list[str]] = Field(description="What its group would fall into without it.")
    in_words: str


class SiloWithheldOut(Schema):
    merged_departments: int
    omitted_departments: int
    hidden_links: int
    unplaced_help: int | None = Field(
        description="Help where a department is not recorded; null: too few people to say."
    )
    in_words: list[str]


class SilosOut(Schema):
    scope: str = Field(description="The community's name, or 'the organisation'.")
    community: str | None = Field(description="The community's slug; null: organisation-wide.")
    computed_at: datetime | None = Field(description="null: no map computed yet.")
    period_start: datetime | None
    period_end: datetime | None
    sources: str = Field(description="What the map is built from, in a sentence.")
    help: int
    people: int
    inside_share: float | None
    by_kind: dict[str, int | None] = Field(
        description="answer, guide, session; null: too few people to count."
    )
    departments: list[SiloDepartmentOut]
    links: list[SiloLinkOut]
    groups: list[list[str]]
    bridges: list[SiloBridgeOut]
    connectors: list[SiloConnectorOut]
    withheld: SiloWithheldOut


def _out(community: Community | None) -> dict[str, Any]:
    page = silo_page.build(community=community)
    stored = page.stored
    silos = stored.silos if stored is not None else EMPTY
    hidden = silos.suppression
    links = {(link.a, link.b): link for link in silos.links}
    return {
        "scope": community.name if community is not None else "the organisation",
        "community": community.slug if community is not None else None,
        "computed_at": stored.computed_at if stored else None,
        "period_start": stored.start if stored else None,
        "period_end": stored.end if stored else None,
        "sources": page.sources,
        "help": silos.help,
        "people": silos.people,
        "inside_share": silos.inside_share,
        "by_kind": silos.by_kind,
        "departments": [
            {**asdict(node), "merged": node.merged, "in_words": list(row.words)}
            for node, row in zip(silos.departments, page.rows, strict=True)
        ],
        "links": [asdict(link) for link in silos.links],
        "groups": [list(group) for group in silos.groups],
        "bridges": [
            {**asdict(bridge), "in_words": silo_page.bridge_words(bridge, links)}
            for bridge in silos.bridges
        ],
        "connectors": [
            {**asdict(connector), "in_words": silo_page.connector_words(connector)}
            for connector in silos.connectors
        ],
        "withheld": {**asdict(hidden), "in_words": page.withheld},
    }


@router.get(
    "/silos",
    response={200: SilosOut, **error_responses()},
    summary="The organisation's silo map (org admins)",
    operation_id="insights_silos_organisation",
)
def insights_silos_organisation(request: HttpRequest) -> dict[str, Any]:
    if not access.can_view_org_silos(viewer(request)):
        raise Forbidden("The organisation's silo map is for org admins.")
    return _out(None)


@router.get(
    "/communities/{slug}/silos",
    response={200: SilosOut, **error_responses()},
    summary="A community's silo map (its leaders and org admins)",
    operation_id="insights_silos_community",
)
def insights_silos_community(request: HttpRequest, slug: CommunitySlug) -> dict[str, Any]:
    me = viewer(request)
    community = community_selectors.community_get(viewer=me, slug=slug)
    if not access.can_view_silos_in(me, community):
        raise Forbidden("A community's silo map is for its leaders.")
    return _out(community)
