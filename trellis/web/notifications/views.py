"""The bell, the notification list, email preferences and one-click unsubscribe."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.core.web import AuthedRequest, int_param
from trellis.notifications import selectors, services
from trellis.notifications.models import Digest
from trellis.notifications.tokens import read_unsubscribe_token
from trellis.people.selectors import person_by_id


@require_GET
def bell(request: AuthedRequest) -> HttpResponse:
    """The unread count, polled by htmx from every page."""
    return render(
        request, "notifications/_bell.html", {"unread": selectors.unread_count(request.user)}
    )


@require_GET
def notification_list(request: AuthedRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = selectors.notification_list(
        viewer=request.user, unread_only=unread_only, page=int_param(request, "page")
    )
    context = {"page": page, "unread_only": unread_only, "nav": "notifications"}
    return render(request, "notifications/list.html", context)


@require_POST
def notification_open(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark one read and go to it (a POST, so a link preview never marks anything read)."""
    notification = selectors.inbox(request.user).filter(pk=pk).first()
    if notification is None:
        return redirect("notifications")
    services.notifications_mark_read(actor=request.user, ids=[notification.pk])
    return redirect(notification.url)


@require_POST
def notifications_read_all(request: AuthedRequest) -> HttpResponse:
    services.notifications_mark_read(actor=request.user)
    if request.htmx:
        return render(request, "notifications/_bell.html", {"unread": 0})
    return redirect("notifications")


@require_http_methods(["GET", "POST"])
def notification_settings(request: AuthedRequest) -> HttpResponse:
    preference = selectors.preference_for(request.user)
    if request.method == "POST":
        digest = request.POST.get("digest", "")
        if digest not in Digest.values:
            messages.error(request, "Choose daily, weekly or never for the digest.")
        else:
            services.preference_set(
                person=request.user,
                digest=digest,
                email_immediate=request.POST.get("email_immediate") == "on",
            )
            messages.success(request, "Saved.")
            return redirect("notification-settings")
    context = {"preference": preference, "choices": Digest.choices, "nav": "notifications"}
    return render(request, "notifications/settings.html", context)


@login_not_required
@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" without a session
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = read_unsubscribe_token(token)
    person = person_by_id(person_id=found[0]) if found else None
    if found is None or person is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    what = found[1]
    done = False
    if request.method == "POST":
        if what == "digest":
            services.preference_set(person=person, digest=Digest.OFF)
        else:
            services.preference_set(person=person, email_immediate=False)
        done = True
    context = {"what": what, "done": done, "token": token}
    return render(request, "notifications/unsubscribe.html", context)
