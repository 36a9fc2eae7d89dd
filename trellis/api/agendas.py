"""Member-driven agendas: the topics members propose and vote on before an event, and the
agenda its facilitator builds and publishes.

An event's agenda is as visible as the event: for someone who may not see a private
community, its events' topics and agendas do not exist (404). The draft is for those who run
the event (its facilitator or organiser, the community's core team, org admins); everyone
else sees the agenda once it is published.
"""

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router, Schema
from ninja import Status as Reply
from ninja.params import P, PathEx
from pydantic import Field, StrictStr, StringConstraints

from trellis.agendas import selectors, services
from trellis.agendas.models import NOTE_MAX, TITLE_MAX, Agenda, AgendaItem, ItemSource, Proposal
from trellis.api.auth import viewer
from trellis.api.errors import conflicts, error_responses
from trellis.api.schemas import MAX_ID, NO_NUL, NOT_BLANK, Input
from trellis.events.models import Event
from trellis.people.models import Person

router = Router(tags=["agendas"])

EventId = PathEx[int, P(ge=1, le=MAX_ID, description="An event's id.")]
ProposalId = PathEx[int, P(ge=1, le=MAX_ID, description="A proposed topic's id.")]
TopicTitle = Annotated[StrictStr, StringConstraints(max_length=TITLE_MAX, pattern=NOT_BLANK)]
TopicNote = Annotated[StrictStr, StringConstraints(max_length=NOTE_MAX, pattern=NO_NUL)]


class ProposalOut(Schema):
    id: int
    event_id: int
    title: str
    note: str
    proposed_by: str | None = Field(description="The proposer's name.")
    votes: int
    you_voted: bool


class ProposalList(Schema):
    items: list[ProposalOut] = Field(description="Most votes first, then the oldest.")
    open: bool = Field(description="Whether topics and votes are still taken (before the start).")


class ProposalIn(Input):
    title: TopicTitle
    note: TopicNote = ""


class AgendaItemOut(Schema):
    id: int
    position: int
    title: str
    source: ItemSource
    reason: str = Field(description="Why it is on the agenda, e.g. “7 votes”.")
    speaker: str | None = Field(description="Who leads it.")
    question_id: int | None
    resource_id: int | None


class AgendaOut(Schema):
    event_id: int
    status: str = Field(description="none (nothing built yet), draft or published.")
    published_at: datetime | None
    can_edit: bool = Field(description="Whether you may change and publish it.")
    items: list[AgendaItemOut] = Field(
        description="Empty for those who do not run the event until it is published."
    )
    notes_html: str = Field(description="The notes, rendered and sanitised, once in the library.")
    recording_url: str
    notes_resource_url: str | None
    url: str


def _proposal(proposal: Proposal, voted: bool) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "event_id": proposal.event_id,
        "title": proposal.title,
        "note": proposal.note,
        "proposed_by": proposal.proposed_by.name if proposal.proposed_by else None,
        "votes": proposal.vote_count,
        "you_voted": voted,
    }


def _item(item: AgendaItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "position": item.position,
        "title": item.title,
        "source": item.source,
        "reason": item.reason,
        "speaker": item.speaker.name if item.speaker else None,
        "question_id": item.question_id,
        "resource_id": item.resource_id,
    }


def _agenda(me: Person, event: Event) -> dict[str, Any]:
    agenda: Agenda | None = selectors.agenda_of(event=event)
    can_edit = selectors.viewer_may_edit(viewer=me, event=event)
    published = agenda is not None and agenda.is_published
    shown = selectors.items(agenda=agenda) if (can_edit or published) else []
    status = "none" if agenda is None else ("published" if published else "draft")
    in_library = agenda is not None and agenda.notes_resource_id is not None
    return {
        "event_id": event.pk,
        "status": status,
        "published_at": agenda.published_at if agenda else None,
        "can_edit": can_edit,
        "items": [_item(i) for i in shown],
        "notes_html": agenda.notes_html if agenda and in_library else "",
        "recording_url": agenda.recording_url if agenda else "",
        "notes_resource_url": reverse("resource-detail", args=[agenda.notes_resource_id])
        if agenda and agenda.notes_resource_id
        else None,
        "url": reverse("agenda-detail", args=[event.pk]),
    }


def _reread(me: Person, event_id: int) -> dict[str, Any]:
    return _agenda(me, selectors.event_for_agenda(viewer=me, event_id=event_id))


@router.get(
    "/events/{event_id}/agenda",
    response={200: AgendaOut, **error_responses()},
    summary="An event's agenda (the draft for those who run it)",
)
def agenda_detail(request: HttpRequest, event_id: EventId) -> dict[str, Any]:
    return _reread(viewer(request), event_id)


@router.get(
    "/events/{event_id}/agenda/proposals",
    response={200: ProposalList, **error_responses()},
    summary="The topics members proposed, most votes first",
)
def proposals_list(request: HttpRequest, event_id: EventId) -> dict[str, Any]:
    me = viewer(request)
    event = selectors.event_for_agenda(viewer=me, event_id=event_id)
    rows = selectors.proposals(viewer=me, event=event)
    return {
        "items": [_proposal(p, bool(p.voted)) for p in rows],  # type: ignore[attr-defined]
        "open": selectors.proposals_open(event),
    }


@router.post(
    "/events/{event_id}/agenda/proposals",
    response={201: ProposalOut, **error_responses(conflict=True)},
    summary="Propose a topic (with your vote)",
    description="409 when the event has started or was cancelled, the community has agendas "
    "switched off, or the same topic is already proposed.",
)
def proposals_create(
    request: HttpRequest, event_id: EventId, payload: ProposalIn
) -> Reply[dict[str, Any]]:
    me = viewer(request)
    with conflicts():
        proposal = services.proposal_add(
            actor=me, event_id=event_id, title=payload.title, note=payload.note
        )
    return Reply(201, _proposal(proposal, True))


def _vote(request: HttpRequest, proposal_id: int, voted: bool) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        proposal = services.proposal_vote_set(actor=me, proposal_id=proposal_id, voted=voted)
    if proposal.proposed_by_id:
        proposal.proposed_by = Person.objects.filter(pk=proposal.proposed_by_id).first()
    return _proposal(proposal, voted)


@router.put(
    "/agenda/proposals/{proposal_id}/vote",
    response={200: ProposalOut, **error_responses(conflict=True)},
    summary="Vote for a topic (once; voting again changes nothing)",
    description="409 when the event has started or was cancelled.",
)
def proposals_vote(request: HttpRequest, proposal_id: ProposalId) -> dict[str, Any]:
    return _vote(request, proposal_id, True)


@router.delete(
    "/agenda/proposals/{proposal_id}/vote",
    response={200: ProposalOut, **error_responses(conflict=True)},
    summary="Take your vote back",
    description="409 when the event has started or was cancelled.",
)
def proposals_unvote(request: HttpRequest, proposal_id: ProposalId) -> dict[str, Any]:
    return _vote(request, proposal_id, False)


@router.post(
    "/events/{event_id}/agenda/draft",
    response={200: AgendaOut, **error_responses(conflict=True)},
    summary="Build the draft agenda, or bring it up to date (those who run the event)",
    description="Adds the top topics, the community's most-wanted open questions and the "
    "library items due for review that are not on it yet (nor taken off it).",
)
def agenda_draft(request: HttpRequest, event_id: EventId) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.agenda_draft_build(actor=me, event_id=event_id)
    return _reread(me, event_id)


@router.post(
    "/events/{event_id}/agenda/publish",
    response={200: AgendaOut, **error_responses(conflict=True)},
    summary="Publish the agenda (those who run the event)",
    description="409 when the agenda is empty.",
)
def agenda_publish(request: HttpRequest, event_id: EventId) -> dict[str, Any]:
    me = viewer(request)
    with conflicts():
        services.agenda_publish(actor=me, event_id=event_id)
    return _reread(me, event_id)
