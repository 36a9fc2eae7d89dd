"""The rotation page of a community, volunteering, proposals, and swaps."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden, NotFound, ServiceError
from trellis.core.web import AuthedRequest, report_error
from trellis.events.models import Event
from trellis.facilitation import selectors, services
from trellis.web.facilitation.forms import AnswerForm, SwapForm, VolunteerForm


def _community(request: AuthedRequest, slug: str) -> Community:
    try:
        return community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404("No such community.") from error


def _first_error(form: VolunteerForm | SwapForm | AnswerForm) -> str:
    return str(next(iter(e for errors in form.errors.values() for e in errors), "Check the form."))


ROTATION_OFF = (
    "The rotation is switched off in this community: its leaders switch it on under Features."
)


@require_GET
def rotation(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _community(request, slug)
    view = selectors.rotation_of(viewer=request.user, community=community)
    context = {
        "nav": "communities",
        "community": community,
        "rotation": view,
        "rotation_off": not community.rotation_enabled,
        "can_switch_features": access.can_switch_features(request.user, community),
        "form": VolunteerForm(initial={"weekly_load": view.me.weekly_load if view.me else 1}),
    }
    return render(request, "facilitation/rotation.html", context)


@require_POST
def rotation_volunteer(request: AuthedRequest, slug: str) -> HttpResponse:
    """Opt in (with a weekly load) or out (always possible, even once the rotation is off)."""
    community = _community(request, slug)
    if request.POST.get("action") != "out":
        if not community.rotation_enabled:
            raise PermissionDenied(ROTATION_OFF)
        if not access.can_volunteer_to_facilitate(request.user, community):
            raise PermissionDenied("Only members of the community volunteer to facilitate.")
    form = VolunteerForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was changed: {_first_error(form)}")
        return redirect("rotation", slug=slug)
    try:
        if form.cleaned_data["action"] == "out":
            services.opt_out(actor=request.user, community=community)
            messages.success(request, "You no longer volunteer to facilitate here.")
        else:
            load = form.cleaned_data["weekly_load"] or 1
            services.opt_in(actor=request.user, community=community, weekly_load=load)
            messages.success(
                request,
                f"Thanks: you volunteer to facilitate, at most {load} session"
                f"{'s' if load != 1 else ''} a week.",
            )
    except ServiceError as error:
        report_error(request, error)
    return redirect("rotation", slug=slug)


@require_POST
def rotation_propose(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _community(request, slug)
    if not community.rotation_enabled:
        raise PermissionDenied(ROTATION_OFF)
    if not access.can_manage_rotation(request.user, community):
        raise PermissionDenied("Only the community's leaders run its rotation.")
    try:
        picks = services.rotation_propose(actor=request.user, community=community)
    except ServiceError as error:
        report_error(request, error)
    else:
        if not picks:
            messages.info(request, "No upcoming sessions of a recurring event to plan yet.")
        else:
            staffed = sum(p.person_id is not None for p in picks)
            messages.success(
                request, f"Facilitators proposed for {staffed} of {len(picks)} upcoming sessions."
            )
    return redirect("rotation", slug=slug)


def _event(request: AuthedRequest, pk: int) -> Event:
    try:
        return selectors.rotation_event(viewer=request.user, event_id=pk)
    except NotFound as error:
        raise Http404("No such event.") from error


@require_POST
def rotation_accept(request: AuthedRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    try:
        services.assignment_accept(actor=request.user, event_id=pk)
    except Forbidden as error:
        raise PermissionDenied(error.message) from error
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, f"Thanks: you facilitate {event.title} on this day.")
    return redirect("rotation", slug=event.community.slug)  # type: ignore[union-attr]


@require_POST
def rotation_swap_ask(request: AuthedRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    back = redirect("rotation", slug=event.community.slug)  # type: ignore[union-attr]
    form = SwapForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was asked: {_first_error(form)}")
        return back
    try:
        swap = services.swap_ask(
            actor=request.user,
            event_id=pk,
            colleague_id=form.cleaned_data["colleague"],
            note=form.cleaned_data["note"] or "",
        )
    except Forbidden as error:
        raise PermissionDenied(error.message) from error
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, f"Asked {swap.colleague.name} to take it; you'll hear back.")
    return back


@require_POST
def rotation_swap_answer(request: AuthedRequest, pk: int) -> HttpResponse:
    form = AnswerForm(request.POST)
    try:
        swap = selectors.swap_get(viewer=request.user, swap_id=pk)
        if not form.is_valid():
            messages.error(request, "Nothing was changed: choose accept or decline.")
            return redirect("rotation", slug=swap.community.slug)
        accept = form.cleaned_data["answer"] == "accept"
        swap = services.swap_answer(actor=request.user, swap_id=pk, accept=accept)
    except NotFound as error:
        raise Http404("No such swap request.") from error
    except Forbidden as error:
        raise PermissionDenied(error.message) from error
    except ServiceError as error:
        report_error(request, error)
        return redirect("rotation", slug=swap.community.slug)
    if accept:
        messages.success(request, f"Done: {swap.colleague.name} facilitates this session now.")
    else:
        messages.info(request, "The swap was declined.")
    return redirect("rotation", slug=swap.community.slug)
