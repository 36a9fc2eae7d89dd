"""Event pages: the org-wide and community lists, an event with its replies, the organiser's
forms, the .ics download and the secret calendar feeds."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden, Invalid, NotFound, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors, report_error
from trellis.events import selectors, services
from trellis.events.calendar import calendar_of
from trellis.events.models import Event, Reply
from trellis.events.times import zone_names
from trellis.stories import selectors as story_selectors
from trellis.web.events.forms import ORG_WIDE, EventForm, FeedForm, RsvpForm, ScopeForm

# The service's names for the fields, as the form calls them.
FORM_FIELDS = {
    "starts_at": "starts",
    "ends_at": "ends",
    "count": "repeat_count",
    "until": "repeat_until",
    "rrule": "repeat",
}
MAX_TICKS = 10_000
ICS = "text/calendar; charset=utf-8"


def _community(request: AuthedRequest, slug: str) -> Community:
    try:
        return community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404("No such community.") from error


def _event(request: AuthedRequest, pk: int) -> Event:
    try:
        return selectors.event_get(viewer=request.user, event_id=pk)
    except NotFound as error:
        raise Http404("No such event.") from error


def _rows(request: AuthedRequest, events: list[Event]) -> list[dict[str, Any]]:
    """Each event with the viewer's reply, read for all of them at once."""
    replies = selectors.replies_of(viewer=request.user, events=events)
    return [
        {"event": e, "reply": Reply(replies[e.pk]).label if e.pk in replies else ""} for e in events
    ]


@require_GET
def event_list(request: AuthedRequest) -> HttpResponse:
    viewer = request.user
    upcoming = selectors.upcoming_events(viewer=viewer)
    past = selectors.past_events(viewer=viewer, limit=20)
    context = {
        "nav": "events",
        "upcoming": _rows(request, upcoming),
        "past": _rows(request, past),
        "can_add": access.can_manage_events_in(viewer, None)
        or access.communities_managing_events(viewer).exists(),
    }
    return render(request, "events/list.html", context)


@require_GET
def community_events(request: AuthedRequest, slug: str) -> HttpResponse:
    viewer = request.user
    community = _community(request, slug)
    upcoming = selectors.upcoming_events(viewer=viewer, community=community)
    past = selectors.past_events(viewer=viewer, community=community, limit=20)
    context = {
        "nav": "communities",
        "community": community,
        "upcoming": _rows(request, upcoming),
        "past": _rows(request, past),
        "can_add": access.can_manage_events_in(viewer, community),
    }
    return render(request, "events/community.html", context)


def _detail_context(request: AuthedRequest, event: Event) -> dict[str, Any]:
    viewer = request.user
    community = event.community
    return {
        "event": event,
        "me": selectors.viewer_reply(viewer=viewer, event=event),
        "can_rsvp": access.can_rsvp_in(viewer, community)
        and not event.is_cancelled
        and not event.has_ended,
        "answers": [Reply.GOING, Reply.INTERESTED, Reply.NOT_GOING],
    }


@require_GET
def event_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    series = selectors.series_place(event=event)
    context = _detail_context(request, event) | {
        "nav": "events",
        "can_manage": access.can_manage_events_in(request.user, event.community),
        "can_record_attendance": access.can_record_attendance(
            request.user, event.community, event.facilitator_id
        )
        and not event.is_cancelled,
        "has_started": event.starts_at <= timezone.now(),
        "going": selectors.attendees(event=event, reply=Reply.GOING),
        "waitlist": selectors.attendees(event=event, reply=Reply.WAITLIST),
        "series": series,
        "agendas_on": access.agendas_enabled_in(event.community),
        "story_prompt_open": story_selectors.event_prompt_open(event),
        "cancel_form": ScopeForm() if series else None,
    }
    return render(request, "events/detail.html", context)


@require_POST
def event_rsvp(request: AuthedRequest, pk: int) -> HttpResponse:
    """Going, interested or not going. With htmx, the reply panel comes back in place."""
    form = RsvpForm(request.POST)
    try:
        if not form.is_valid():
            raise Invalid("Choose going, interested or not going.")
        rsvp = services.rsvp_set(
            actor=request.user, event_id=pk, answer=form.cleaned_data["answer"]
        )
    except NotFound as error:
        raise Http404("No such event.") from error
    except ServiceError as error:
        report_error(request, error)
    else:
        if rsvp.reply == Reply.WAITLIST:
            messages.info(
                request,
                "The event is full, so you're on the waitlist.",
            )
        else:
            messages.success(request, "Thanks, your reply is saved.")
    if request.htmx:
        event = _event(request, pk)
        context = _detail_context(request, event) | {"messages_inline": True}
        return render(request, "events/_rsvp.html", context)
    return redirect("event-detail", pk=pk)


def _form_errors(form: EventForm, error: ServiceError) -> None:
    renamed = {FORM_FIELDS.get(k, k): v for k, v in error.field_errors.items()}
    add_form_errors(form, type(error)(error.message, field_errors=renamed))


@require_http_methods(["GET", "POST"])
def event_create(request: AuthedRequest) -> HttpResponse:
    viewer = request.user
    communities = selectors.manageable_communities(viewer=viewer)
    org_wide = access.can_manage_events_in(viewer, None)
    if not communities and not org_wide:
        raise PermissionDenied(
            "Events are added by a community's core team (its leaders, facilitators and core "
            "members) and by org admins."
        )
    # "Plan it" (the suggested first brown-bag) fills in the community, kind and title.
    initial = {
        key: request.GET[key][:200]
        for key in ("community", "kind", "title")
        if request.GET.get(key)
    }
    form = EventForm(
        request.POST or None, initial=initial, communities=communities, org_wide=org_wide
    )
    if request.method == "POST" and form.is_valid():
        slug = form.cleaned_data["community"]
        community = next((c for c in communities if c.slug == slug), None)
        if slug != ORG_WIDE and community is None:
            form.add_error("community", "Choose one of your communities.")
        else:
            try:
                event = services.event_create(
                    actor=viewer,
                    community=community,
                    fields=form.event_fields(),
                    repeat=form.repeat_choice(),
                )
            except ServiceError as error:
                _form_errors(form, error)
            else:
                if event.series_id is not None:
                    messages.success(request, f"“{event.title}” is on the calendar, every date.")
                else:
                    messages.success(request, f"“{event.title}” is on the calendar.")
                return redirect("event-detail", pk=event.pk)
    context = {"nav": "events", "form": form, "zones": zone_names(), "editing": None}
    return render(request, "events/form.html", context)


def _managed(request: AuthedRequest, pk: int) -> Event:
    event = _event(request, pk)
    if not access.can_manage_events_in(request.user, event.community):
        raise PermissionDenied("Only the community's core team and org admins change its events.")
    return event


@require_http_methods(["GET", "POST"])
def event_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    event = _managed(request, pk)
    form = EventForm(
        request.POST or None, initial=EventForm.initial_for(event), communities=[], org_wide=True
    )
    del form.fields["community"]  # an event stays where it was made
    form.without_repeat(in_series=event.series_id is not None)
    if request.method == "POST" and form.is_valid():
        scope = form.cleaned_data.get("scope") or services.THIS
        try:
            services.event_update(
                actor=request.user, event_id=pk, fields=form.event_fields(), scope=scope
            )
        except ServiceError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request, "Event updated." if scope == services.THIS else "Series updated."
            )
            return redirect("event-detail", pk=pk)
    context = {"nav": "events", "form": form, "zones": zone_names(), "editing": event}
    return render(request, "events/form.html", context)


@require_POST
def event_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    _managed(request, pk)
    form = ScopeForm(request.POST or {"scope": services.THIS})
    scope = form.cleaned_data["scope"] if form.is_valid() else "unknown"
    try:
        services.event_cancel(actor=request.user, event_id=pk, scope=scope)
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(
            request,
            "Cancelled, and everyone who replied has been told. It stays listed, marked as "
            "cancelled.",
        )
    return redirect("event-detail", pk=pk)


def _ticked(values: list[str]) -> list[int]:
    """The person ids ticked on the attendance sheet, or Invalid for anything else."""
    if len(values) > MAX_TICKS or not all(
        v.isascii() and v.isdigit() and len(v) <= 18 for v in values
    ):
        raise Invalid("The list of who came could not be read; reload the page and tick again.")
    return [int(v) for v in values]


@require_http_methods(["GET", "POST"])
def event_attendance(request: AuthedRequest, pk: int) -> HttpResponse:
    """After the event: tick who came, from the replies, and find anyone who came without
    replying."""
    viewer = request.user
    event = _event(request, pk)
    if not access.can_record_attendance(viewer, event.community, event.facilitator_id):
        raise PermissionDenied("Only the organisers and the facilitator record who came.")
    if request.method == "POST":
        try:
            came = services.attendance_record(
                actor=viewer, event_id=pk, came=_ticked(request.POST.getlist("came"))
            )
        except NotFound as error:
            raise Http404("No such event.") from error
        except ServiceError as error:
            report_error(request, error)
            return redirect("event-attendance", pk=pk)
        messages.success(request, f"Saved: {came} came.")
        return redirect("event-detail", pk=pk)
    query = request.GET.get("q", "").strip()[:200]
    sheet = selectors.attendance_sheet(event=event)
    on_sheet = {row.person.pk for row in sheet}
    found = selectors.people_who_may_have_come(event=event, query=query) if query else []
    recorded = any(row.attended is not None for row in sheet)
    context = {
        "nav": "events",
        "event": event,
        "has_started": event.starts_at <= timezone.now() and not event.is_cancelled,
        "rows": [
            {
                "person": row.person,
                "reply": Reply(row.reply).label,
                "ticked": row.attended if recorded else row.reply == Reply.GOING,
            }
            for row in sheet
        ],
        "query": query,
        "found": [p for p in found if p.pk not in on_sheet],
        "searched": bool(query),
    }
    return render(request, "events/attendance.html", context)


@require_GET
def event_ics(request: AuthedRequest, pk: int) -> HttpResponse:
    event = _event(request, pk)
    response = HttpResponse(calendar_of([event]), content_type=ICS)
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


@require_http_methods(["GET", "POST"])
def calendar_feeds(request: AuthedRequest) -> HttpResponse:
    """Your secret calendar links: make one (which replaces the old), or turn one off."""
    viewer = request.user
    new_url = None
    if request.method == "POST":
        form = FeedForm(request.POST)
        action = request.POST.get("action", "create")
        try:
            if action == "revoke":
                feed_id = request.POST.get("feed", "")
                if not feed_id.isascii() or not feed_id.isdigit() or len(feed_id) > 18:
                    raise NotFound("No such calendar link.")
                services.calendar_feed_revoke(actor=viewer, feed_id=int(feed_id))
                messages.success(request, "That calendar link no longer works.")
                return redirect("calendar-feeds")
            slug = form.data.get("community", "") if form.is_valid() else ""
            community = _community(request, slug) if slug else None
            _, raw = services.calendar_feed_create(actor=viewer, community=community)
        except (NotFound, Forbidden) as error:
            report_error(request, error)
            return redirect("calendar-feeds")
        new_url = request.build_absolute_uri(reverse("calendar-feed", args=[raw]))
    feeds = selectors.calendar_feeds_of(viewer=viewer)
    communities = community_selectors.my_communities(viewer=viewer)
    context = {
        "nav": "events",
        "feeds": feeds,
        "has_personal": any(f.community_id is None for f in feeds),
        "communities": communities,
        "new_url": new_url,
    }
    return render(request, "events/feeds.html", context)


@login_not_required
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Read by calendar apps without a session: the secret in the address is the key."""
    feed = selectors.calendar_feed_by_token(raw=token)
    if feed is None:
        raise Http404("No such calendar.")
    services.calendar_feed_used(feed=feed)
    name = f"{feed.community.name} events" if feed.community else "My Trellis events"
    response = HttpResponse(
        calendar_of(selectors.feed_events(feed=feed), name=name), content_type=ICS
    )
    response["Cache-Control"] = "private, max-age=300"
    return response
