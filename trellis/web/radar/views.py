"""The pitfall radar's pages: a community's (its leaders and org admins; a sponsor sees the
sponsor signal alone), the organisation's (org admins), and the leaders' actions on a signal:
snooze it with a reason, wake it, or take the fix it offers."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from trellis.communities.models import Community
from trellis.core import access, charts
from trellis.core.errors import ServiceError
from trellis.core.web import AuthedRequest, report_error
from trellis.radar import discovery_selectors, fixes, selectors, services
from trellis.radar.signals import PITFALLS
from trellis.web.insights.scope import community_for

SNOOZE_CHOICES = [(14, "two weeks"), (30, "a month"), (90, "three months")]


def _community(request: AuthedRequest, slug: str) -> Community:
    return community_for(
        request,
        slug,
        may_read=lambda viewer, community: bool(
            selectors.visible_pitfalls(viewer=viewer, community=community)
        ),
        refused="The radar is for the community's leaders (and its sponsors, for their part).",
    )


def _acting(request: AuthedRequest, slug: str) -> Community:
    community = _community(request, slug)
    if not access.can_act_on_radar(request.user, community):
        raise PermissionDenied("Only the community's leaders act on its radar.")
    return community


def _pitfall(pitfall: str) -> str:
    if pitfall not in PITFALLS:
        raise Http404("No such signal.")
    return pitfall


@require_GET
def community_radar(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _community(request, slug)
    page = selectors.community_radar(viewer=request.user, community=community)
    chart = _course_chart(page)
    return render(
        request,
        "radar/radar.html",
        {
            "nav": "communities",
            "community": community,
            "page": page,
            "raised": [(s, _offers(request, community, page, s)) for s in page.raised],
            "quiet": [(s, []) for s in page.quiet],
            "snooze_choices": SNOOZE_CHOICES,
            "chart": chart,
            "proposals": discovery_selectors.community_proposals(
                viewer=request.user, community=community
            ),
            "back": community.slug,
        },
    )


def _offers(
    request: AuthedRequest, community: Community, page: selectors.RadarPage, signal: Any
) -> list[fixes.OfferShown]:
    if not page.may_act or signal.snooze is not None:
        return []
    return fixes.offers_shown(viewer=request.user, community=community, pitfall=signal.pitfall)


def _course_chart(page: selectors.RadarPage) -> str:
    """Each signal's score (0-100) over the months kept, on one chart."""
    months = sorted({p.month for s in page.signals for p in s.course})
    if len(months) < 2:
        return ""
    series = []
    for signal in page.signals:
        by_month = {p.month: round(100 * p.score) for p in signal.course}
        series.append(charts.Line(signal.pitfall, signal.title, [by_month.get(m) for m in months]))
    return charts.lines(
        name="radar-course",
        title="Each signal's score by month (raised at its threshold, about 45-50)",
        labels=[f"{m:%b %y}" for m in months],
        series=series,
        top=100,
    )


@require_GET
def org_radar(request: AuthedRequest) -> HttpResponse:
    if not access.can_view_org_radar(request.user):
        raise PermissionDenied("The organisation's radar is for org admins.")
    month, rows = selectors.org_radar()
    return render(request, "radar/org_radar.html", {"nav": "home", "month": month, "rows": rows})


@require_POST
def radar_snooze(request: AuthedRequest, slug: str, pitfall: str) -> HttpResponse:
    community = _acting(request, slug)
    pitfall = _pitfall(pitfall)
    days = {str(d) for d, _ in SNOOZE_CHOICES}
    chosen = request.POST.get("days", "")
    if chosen not in days:
        messages.error(request, "Choose how long the signal can wait: two weeks, a month or three.")
        return redirect("community-radar", slug=slug)
    try:
        services.radar_snooze(
            actor=request.user,
            community=community,
            pitfall=pitfall,
            reason=request.POST.get("reason", ""),
            until=timezone.localdate() + timedelta(days=int(chosen)),
        )
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, "Snoozed: the other leaders see it with your reason.")
    return redirect("community-radar", slug=slug)


@require_POST
def radar_wake(request: AuthedRequest, slug: str, pitfall: str) -> HttpResponse:
    community = _acting(request, slug)
    try:
        services.radar_wake(actor=request.user, community=community, pitfall=_pitfall(pitfall))
    except ServiceError as error:
        report_error(request, error)
    return redirect("community-radar", slug=slug)


@require_POST
def radar_fix(request: AuthedRequest, slug: str, pitfall: str) -> HttpResponse:
    community = _acting(request, slug)
    try:
        done = fixes.fix_apply(
            actor=request.user,
            community=community,
            pitfall=_pitfall(pitfall),
            fix=request.POST.get("fix") or None,
        )
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, done)
    return redirect("community-radar", slug=slug)
