"""Agenda pages: an event's topics and votes, the draft the facilitator edits and publishes,
the notes after the event; and a community's feature switches ("start simple")."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.agendas import selectors, services
from trellis.agendas.models import AgendaItem, Proposal
from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden, Invalid, NotFound, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors, report_error
from trellis.events.models import Event
from trellis.web.agendas.forms import (
    FeaturesForm,
    ItemAddForm,
    ItemUpdateForm,
    MoveForm,
    NotesForm,
    ProposalForm,
)


def _event(request: AuthedRequest, pk: int) -> Event:
    try:
        return selectors.event_for_agenda(viewer=request.user, event_id=pk)
    except NotFound as error:
        raise Http404("No such event.") from error


def _back(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("agenda-detail", args=[pk]) + (f"#{anchor}" if anchor else ""))


def _proposal_context(request: AuthedRequest, event: Event) -> dict[str, Any]:
    viewer = request.user
    is_open = selectors.proposals_open(event)
    return {
        "event": event,
        "proposals": selectors.proposals(viewer=viewer, event=event),
        "agendas_on": access.agendas_enabled_in(event.community),
        "proposals_open": is_open,
        "can_propose": is_open and access.can_propose_topics(viewer, event.community),
    }


def _page(
    request: AuthedRequest,
    event: Event,
    *,
    proposal_form: ProposalForm | None = None,
    add_form: ItemAddForm | None = None,
    notes_form: NotesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = request.user
    agenda = selectors.agenda_of(event=event)
    can_edit = selectors.viewer_may_edit(viewer=viewer, event=event)
    published = agenda is not None and agenda.is_published
    started = selectors.has_started(event)
    items = selectors.items(agenda=agenda) if (can_edit or published) else []
    notes_initial = {"notes": agenda.notes, "recording_url": agenda.recording_url} if agenda else {}
    context = _proposal_context(request, event) | {
        "nav": "events",
        "agenda": agenda,
        "items": items,
        "published": published,
        "can_edit": can_edit,
        "show_items": can_edit or published,
        "started": started,
        "can_write_notes": can_edit and started and not event.is_cancelled,
        "notes_resource": agenda.notes_resource if agenda else None,
        "proposal_form": proposal_form or ProposalForm(),
        "add_form": add_form or ItemAddForm(),
        "notes_form": notes_form or NotesForm(initial=notes_initial),
        "can_switch": event.community is not None
        and access.can_switch_features(viewer, event.community),
    }
    return render(request, "agendas/agenda.html", context, status=status)


@require_GET
def agenda_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _page(request, _event(request, pk))


@require_POST
def agenda_propose(request: AuthedRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    form = ProposalForm(request.POST)
    if form.is_valid():
        try:
            services.proposal_add(
                actor=request.user,
                event_id=pk,
                title=form.cleaned_data["title"],
                note=form.cleaned_data["note"],
            )
        except NotFound as error:
            raise Http404("No such event.") from error
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Thanks: your topic is on the list, with your vote.")
            return _back(pk, "topics")
    return _page(request, event, proposal_form=form, status=400)


def _proposal(pk: int) -> Proposal:
    proposal = Proposal.objects.filter(pk=pk).first()
    if proposal is None:
        raise Http404("No such topic.")
    return proposal


@require_POST
def agenda_vote(request: AuthedRequest, pk: int) -> HttpResponse:
    """Vote for a topic, or take the vote back. With htmx, the list comes back in place."""
    proposal = _proposal(pk)
    try:
        services.proposal_vote_toggle(actor=request.user, proposal_id=pk)
    except NotFound as error:
        raise Http404("No such topic.") from error
    except ServiceError as error:
        report_error(request, error)
    if request.htmx:
        event = _event(request, proposal.event_id)
        context = _proposal_context(request, event) | {"messages_inline": True}
        return render(request, "agendas/_proposals.html", context)
    return _back(proposal.event_id, "topics")


def _editable(request: AuthedRequest, pk: int) -> Event:
    event = _event(request, pk)
    if not selectors.viewer_may_edit(viewer=request.user, event=event):
        raise PermissionDenied(
            "Only the event's facilitator (or its organiser), the community's core team and "
            "org admins change its agenda."
        )
    return event


@require_POST
def agenda_build(request: AuthedRequest, pk: int) -> HttpResponse:
    _editable(request, pk)
    try:
        result = services.agenda_draft_build(actor=request.user, event_id=pk)
    except ServiceError as error:
        report_error(request, error)
    else:
        if result.added:
            messages.success(
                request,
                f"Added {result.added} item{'s' if result.added != 1 else ''} to the draft.",
            )
        else:
            messages.info(request, "The draft is up to date: nothing new to add.")
    return _back(pk, "agenda")


@require_POST
def agenda_item_add(request: AuthedRequest, pk: int) -> HttpResponse:
    event = _editable(request, pk)
    form = ItemAddForm(request.POST)
    if form.is_valid():
        try:
            services.agenda_item_add(
                actor=request.user,
                event_id=pk,
                title=form.cleaned_data["title"],
                reason=form.cleaned_data["reason"],
                speaker_email=form.cleaned_data["speaker"],
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Item added at the end of the agenda.")
            return _back(pk, "agenda")
    return _page(request, event, add_form=form, status=400)


def _item(request: AuthedRequest, pk: int) -> AgendaItem:
    """The item, if the viewer may see its event (else it does not exist) and edit it."""
    item = AgendaItem.objects.select_related("agenda").filter(pk=pk).first()
    if item is None:
        raise Http404("No such agenda item.")
    _editable(request, item.agenda.event_id)
    return item


@require_POST
def agenda_item_move(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = MoveForm(request.POST)
    try:
        if not form.is_valid():
            raise Invalid("Move an item up or down.")
        services.agenda_item_move(
            actor=request.user, item_id=pk, direction=form.cleaned_data["direction"]
        )
    except ServiceError as error:
        report_error(request, error)
    return _back(item.agenda.event_id, "agenda")


@require_POST
def agenda_item_update(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    form = ItemUpdateForm(request.POST)
    try:
        if not form.is_valid():
            raise Invalid("Give the item a place: a whole number, 1 for the first.")
        services.agenda_item_update(
            actor=request.user,
            item_id=pk,
            position=form.cleaned_data["position"],
            speaker_email=form.cleaned_data["speaker"],
        )
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, "Item saved.")
    return _back(item.agenda.event_id, "agenda")


@require_POST
def agenda_item_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    try:
        services.agenda_item_remove(actor=request.user, item_id=pk)
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, f"“{item.title}” is off the agenda.")
    return _back(item.agenda.event_id, "agenda")


@require_POST
def agenda_publish(request: AuthedRequest, pk: int) -> HttpResponse:
    _editable(request, pk)
    publish = request.POST.get("action", "publish") != "unpublish"
    try:
        services.agenda_publish(actor=request.user, event_id=pk, publish=publish)
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(
            request,
            "The agenda is published: everyone who can see the event sees it."
            if publish
            else "The agenda is back to a draft; only those who run the event see it.",
        )
    return _back(pk, "agenda")


@require_POST
def agenda_notes(request: AuthedRequest, pk: int) -> HttpResponse:
    """Save the notes; with action=publish, also publish them to the library."""
    event = _editable(request, pk)
    form = NotesForm(request.POST)
    if form.is_valid():
        try:
            services.agenda_notes_save(
                actor=request.user,
                event_id=pk,
                notes=form.cleaned_data["notes"],
                recording_url=form.cleaned_data["recording_url"],
            )
            if request.POST.get("action") == "publish":
                result = services.agenda_notes_publish(actor=request.user, event_id=pk)
                followed = (
                    f" {result.followed_up} open question{'s' if result.followed_up != 1 else ''}"
                    " on the agenda got a follow-up pointing at them."
                    if result.followed_up
                    else ""
                )
                messages.success(
                    request,
                    f"The notes are in the library as “{result.resource.title}”.{followed}",
                )
            else:
                messages.success(request, "Notes saved.")
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            return _back(pk, "notes")
    return _page(request, event, notes_form=form, status=400)


# -- start simple ---------------------------------------------------------------------------


def _switchable(request: AuthedRequest, slug: str) -> Community:
    try:
        community = community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404("No such community.") from error
    if not access.can_switch_features(request.user, community):
        raise PermissionDenied("Only this community's leaders switch its features on or off.")
    return community


@require_http_methods(["GET", "POST"])
def community_features(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _switchable(request, slug)
    initial = {
        "events_enabled": community.events_enabled,
        "agendas_enabled": community.agendas_enabled,
        "rotation_enabled": community.rotation_enabled,
    }
    form = FeaturesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.community_features_set(
                actor=request.user,
                community=community,
                features=services.Features(
                    events=data["events_enabled"],
                    agendas=data["agendas_enabled"],
                    rotation=data["rotation_enabled"],
                ),
            )
        except (Forbidden, Invalid) as error:
            report_error(request, error)
        else:
            messages.success(request, "Features saved.")
        return redirect("community-features", slug=community.slug)
    context = {"nav": "communities", "community": community, "form": form}
    return render(request, "agendas/features.html", context)
