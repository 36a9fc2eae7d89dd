"""Domain discovery as JSON: the proposals (new communities, merges and joint events for org
admins; a community's spin-offs and pairs for its leaders), and accepting or dismissing one.

A proposal the caller may not see is not found (404); one they may see but not decide is 403;
one already decided is 409. Nothing is computed here: the proposals are the nightly ones.
"""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field, StrictStr, StringConstraints

from trellis.api.auth import viewer
from trellis.api.errors import conflicts, error_responses
from trellis.api.schemas import MAX_ID, NO_NUL, Input, SlugPath
from trellis.communities import selectors as community_selectors
from trellis.core import access
from trellis.core.errors import Forbidden
from trellis.radar import discovery_selectors as selectors
from trellis.radar import discovery_services as services
from trellis.radar.discovery_selectors import ProposalView
from trellis.radar.discovery_services import REASON_MAX

router = Router(tags=["discovery"])

CommunitySlug = PathEx[SlugPath, P(description="The community's slug.")]
ProposalId = PathEx[int, P(ge=1, le=MAX_ID, description="A discovery proposal's id.")]


class DiscoveryPersonOut(Schema):
    id: int
    name: str
    department: str
    questions: int = Field(description="Questions of the proposal they answered (core) or asked.")


class DiscoveryExampleOut(Schema):
    id: int = Field(description="The question's id.")
    title: str


class DomainProposalOut(Schema):
    id: int
    kind: str = Field(description="community, spin-off, merge or joint-event.")
    name: str
    domain: str = Field(description="What it would be about, in a sentence (communities).")
    tags: list[tuple[str, int]] = Field(description="Its most common tags, with counts.")
    core: list[DiscoveryPersonOut] = Field(
        description="Who answers most: invited to the core team."
    )
    audience: list[DiscoveryPersonOut] = Field(description="Who asks most: invited as members.")
    evidence: list[str] = Field(description="Why, in sentences with the figures.")
    examples: list[DiscoveryExampleOut] = Field(description="Some of its questions, newest first.")
    communities: list[str] = Field(description="Slugs: the parent, or the two communities.")
    can_decide: bool


class DiscoveryDecisionOut(Schema):
    done: str = Field(description="What was done, in a sentence.")
    community: str | None = Field(description="The slug of the community started, if one was.")


class DismissProposalIn(Input):
    reason: Annotated[
        StrictStr, StringConstraints(min_length=1, max_length=REASON_MAX, pattern=NO_NUL)
    ] = Field(description="Why not: whoever reads the proposals next will want to know.")


def _out(p: ProposalView) -> dict[str, Any]:
    return {
        "id": p.id,
        "kind": p.kind,
        "name": p.name,
        "domain": p.domain,
        "tags": p.tags,
        "core": [_person(x) for x in p.core],
        "audience": [_person(x) for x in p.audience],
        "evidence": p.reasons,
        "examples": [{"id": q, "title": t} for q, t in p.examples],
        "communities": [c.slug for c in p.communities],
        "can_decide": p.can_decide,
    }


def _person(line: selectors.PersonLine) -> dict[str, Any]:
    return {
        "id": line.person_id,
        "name": line.name,
        "department": line.department,
        "questions": line.questions,
    }


@router.get(
    "/discovery/proposals",
    response={200: list[DomainProposalOut], **error_responses()},
    summary="Proposed communities, merges and joint events (org admins)",
    operation_id="discovery_org",
)
def discovery_org(request: HttpRequest) -> list[dict[str, Any]]:
    me = viewer(request)
    if not access.can_view_org_discovery(me):
        raise Forbidden("Proposed communities are for org admins.")
    return [_out(p) for p in selectors.org_proposals(viewer=me)]


@router.get(
    "/communities/{slug}/proposals",
    response={200: list[DomainProposalOut], **error_responses()},
    summary="A community's spin-offs, merges and joint events (its leaders, org admins)",
    operation_id="discovery_community",
)
def discovery_community(request: HttpRequest, slug: CommunitySlug) -> list[dict[str, Any]]:
    me = viewer(request)
    community = community_selectors.community_get(viewer=me, slug=slug)
    if not access.can_view_radar_in(me, community):
        raise Forbidden("A community's proposals are for its leaders.")
    return [_out(p) for p in selectors.community_proposals(viewer=me, community=community)]


@router.post(
    "/discovery/proposals/{proposal_id}/accept",
    response={200: DiscoveryDecisionOut, **error_responses(conflict=True)},
    summary="Accept a proposal",
    description="community (org admins) and spin-off (the community's leaders): start it with "
    "you as its first leader, inviting its likely core to the core team and its audience as "
    "members. merge and joint-event (leaders of either community who see both, org admins): "
    "tell the other community's leaders. 409 when it was already decided.",
    operation_id="discovery_accept",
)
def discovery_accept(request: HttpRequest, proposal_id: ProposalId) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        decision = services.proposal_accept(actor=me, proposal_id=proposal_id)
    return {
        "done": decision.message,
        "community": decision.community.slug if decision.community else None,
    }


@router.post(
    "/discovery/proposals/{proposal_id}/dismiss",
    response={204: None, **error_responses(conflict=True)},
    summary="Dismiss a proposal with a reason (not proposed again for six months)",
    operation_id="discovery_dismiss",
)
def discovery_dismiss(
    request: HttpRequest, proposal_id: ProposalId, payload: DismissProposalIn
) -> Reply[None]:
    me = viewer(request)
    with conflicts():
        services.proposal_dismiss(actor=me, proposal_id=proposal_id, reason=payload.reason)
    return Reply(204, None)
