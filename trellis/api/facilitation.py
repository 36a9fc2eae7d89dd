"""Fair rotating facilitation: volunteer, see the rotation, propose, accept, swap.

A private community's rotation is answered as not found (404) to everyone who may not see the
community; a swap is for its two people, the community's leaders and org admins.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field, StrictStr, StringConstraints

from trellis.api.auth import viewer
from trellis.api.errors import conflicts, error_responses
from trellis.api.schemas import JSON_INTEGER, MAX_ID, NO_NUL, Input, PersonBrief, SlugPath
from trellis.communities import selectors as community_selectors
from trellis.facilitation import selectors, services
from trellis.facilitation.models import MAX_WEEKLY_LOAD, SwapRequest
from trellis.facilitation.selectors import Rotation
from trellis.facilitation.services import MAX_NOTE

router = Router(tags=["facilitation"])

CommunitySlug = PathEx[SlugPath, P(description="The community's slug.")]
EventId = PathEx[int, P(ge=1, le=MAX_ID, description="An event's id (an occurrence).")]
SwapId = PathEx[int, P(ge=1, le=MAX_ID, description="A swap request's id.")]


class VolunteerIn(Input):
    weekly_load: Annotated[int, Field(ge=1, le=MAX_WEEKLY_LOAD), JSON_INTEGER] = Field(
        1, description="At most this many sessions a week."
    )


class VolunteerOut(Schema):
    person: PersonBrief
    weekly_load: int
    sessions: int = Field(description="Sessions facilitated (past, not cancelled).")
    last: date | None = Field(description="The day of the last one.")
    away_until: date | None
    upcoming: int


class OccurrenceOut(Schema):
    event_id: int
    title: str
    starts_at: datetime
    facilitator: PersonBrief | None
    confirmed: bool = Field(description="false: proposed, waiting for them to accept.")
    reason: str | None = Field(description="Why the rotation proposed them (leaders only).")
    swap_id: int | None = Field(description="An open swap request for this session.")


class RotationOut(Schema):
    volunteering: bool = Field(description="Whether you volunteer here.")
    weekly_load: int | None
    volunteers: list[VolunteerOut] = Field(description="Everyone's record (leaders only).")
    upcoming: list[OccurrenceOut]


class SwapIn(Input):
    colleague_id: Annotated[int, Field(ge=1, le=MAX_ID), JSON_INTEGER] = Field(
        description="Someone who volunteers to facilitate in the community."
    )
    note: Annotated[StrictStr, StringConstraints(max_length=MAX_NOTE, pattern=NO_NUL)] = ""


class SwapOut(Schema):
    id: int
    event_id: int
    asked_by: PersonBrief
    colleague: PersonBrief
    note: str
    status: Literal["pending", "accepted", "declined"]
    created_at: datetime
    decided_at: datetime | None


def _rotation(view: Rotation) -> dict[str, Any]:
    return {
        "volunteering": view.me is not None,
        "weekly_load": view.me.weekly_load if view.me else None,
        "volunteers": [
            {
                "person": v.person,
                "weekly_load": v.weekly_load,
                "sessions": v.sessions,
                "last": v.last,
                "away_until": v.away_until,
                "upcoming": v.upcoming,
            }
            for v in view.volunteers
        ],
        "upcoming": [
            {
                "event_id": line.event.pk,
                "title": line.event.title,
                "starts_at": line.event.starts_at,
                "facilitator": line.person,
                "confirmed": line.confirmed,
                "reason": line.assignment.reason if view.manage and line.assignment else None,
                "swap_id": line.swap.pk if line.swap else None,
            }
            for line in view.upcoming
        ],
    }


def _read(request: HttpRequest, slug: str) -> dict[str, Any]:
    me = viewer(request)
    community = community_selectors.community_get(viewer=me, slug=slug)
    return _rotation(selectors.rotation_of(viewer=me, community=community))


@router.get(
    "/communities/{slug}/rotation",
    response={200: RotationOut, **error_responses()},
    summary="A community's facilitation rotation",
    description="Who facilitates the upcoming sessions of its recurring events; its leaders "
    "also see each volunteer's record and why each was proposed.",
)
def rotation_detail(request: HttpRequest, slug: CommunitySlug) -> dict[str, Any]:
    return _read(request, slug)


@router.put(
    "/communities/{slug}/rotation/volunteer",
    response={200: RotationOut, **error_responses()},
    summary="Volunteer to facilitate (members), or change your weekly load",
)
def rotation_volunteer(
    request: HttpRequest, slug: CommunitySlug, payload: VolunteerIn
) -> dict[str, Any]:
    me = viewer(request)
    community = community_selectors.community_get(viewer=me, slug=slug)
    services.opt_in(actor=me, community=community, weekly_load=payload.weekly_load)
    return _read(request, slug)


@router.delete(
    "/communities/{slug}/rotation/volunteer",
    response={204: None, **error_responses(conflict=True)},
    summary="Stop volunteering",
    description="409 when you were not volunteering.",
)
def rotation_withdraw(request: HttpRequest, slug: CommunitySlug) -> Reply[None]:
    me = viewer(request)
    community = community_selectors.community_get(viewer=me, slug=slug)
    with conflicts():
        services.opt_out(actor=me, community=community)
    return Reply(204, None)


@router.post(
    "/communities/{slug}/rotation/propose",
    response={200: RotationOut, **error_responses()},
    summary="Propose facilitators for the upcoming sessions (leaders, org admins)",
    description="Accepted sessions stay; open proposals are made again by the rule. Each "
    "newly proposed person is told.",
)
def rotation_propose(request: HttpRequest, slug: CommunitySlug) -> dict[str, Any]:
    me = viewer(request)
    community = community_selectors.community_get(viewer=me, slug=slug)
    services.rotation_propose(actor=me, community=community)
    return _read(request, slug)


@router.post(
    "/rotation/events/{event_id}/accept",
    response={200: RotationOut, **error_responses(conflict=True)},
    summary="Accept facilitating a session you were proposed for",
    description="409 when nobody is proposed, it is accepted already, or it has started.",
)
def rotation_accept(request: HttpRequest, event_id: EventId) -> dict[str, Any]:
    me = viewer(request)
    event = selectors.rotation_event(viewer=me, event_id=event_id)
    with conflicts():
        services.assignment_accept(actor=me, event_id=event_id)
    assert event.community is not None
    return _read(request, event.community.slug)


def _swap(swap: SwapRequest) -> dict[str, Any]:
    return {
        "id": swap.pk,
        "event_id": swap.event_id,
        "asked_by": swap.asked_by,
        "colleague": swap.colleague,
        "note": swap.note,
        "status": swap.status,
        "created_at": swap.created_at,
        "decided_at": swap.decided_at,
    }


@router.post(
    "/rotation/events/{event_id}/swaps",
    response={201: SwapOut, **error_responses(conflict=True)},
    summary="Ask a colleague to facilitate your session instead",
    description="409 when the colleague does not volunteer here, already facilitates it, or a "
    "swap for it is already waiting.",
)
def rotation_swap_ask(
    request: HttpRequest, event_id: EventId, payload: SwapIn
) -> Reply[dict[str, Any]]:
    me = viewer(request)
    selectors.rotation_event(viewer=me, event_id=event_id)
    with conflicts(rename={"colleague": "colleague_id"}):
        swap = services.swap_ask(
            actor=me, event_id=event_id, colleague_id=payload.colleague_id, note=payload.note
        )
    return Reply(201, _swap(selectors.swap_get(viewer=me, swap_id=swap.pk)))


@router.post(
    "/rotation/swaps/{swap_id}/accept",
    response={200: SwapOut, **error_responses(conflict=True)},
    summary="Take the session over (the colleague asked; leaders, org admins)",
)
def rotation_swap_accept(request: HttpRequest, swap_id: SwapId) -> dict[str, Any]:
    me = viewer(request)
    selectors.swap_get(viewer=me, swap_id=swap_id)
    with conflicts():
        services.swap_answer(actor=me, swap_id=swap_id, accept=True)
    return _swap(selectors.swap_get(viewer=me, swap_id=swap_id))


@router.post(
    "/rotation/swaps/{swap_id}/decline",
    response={200: SwapOut, **error_responses(conflict=True)},
    summary="Decline a swap (either of the two; leaders, org admins)",
)
def rotation_swap_decline(request: HttpRequest, swap_id: SwapId) -> dict[str, Any]:
    me = viewer(request)
    selectors.swap_get(viewer=me, swap_id=swap_id)
    with conflicts():
        services.swap_answer(actor=me, swap_id=swap_id, accept=False)
    return _swap(selectors.swap_get(viewer=me, swap_id=swap_id))
