"""Community health pages and their CSV: a community's (its leaders and org admins, as its
participation page) and the organisation's (org admins), read from the stored figures."""

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import NotFound
from trellis.core.web import AuthedRequest
from trellis.insights import health_page
from trellis.insights.participation_page import BadMonth, parse_month


def _community(request: AuthedRequest, slug: str) -> Community:
    try:
        community = community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404("No such community.") from error
    if not access.can_view_participation_in(request.user, community):
        raise PermissionDenied("Community health is for the community's leaders.")
    return community


def _organisation(request: AuthedRequest) -> None:
    if not access.can_view_org_participation(request.user):
        raise PermissionDenied("The organisation's health is for org admins.")


def _render(request: AuthedRequest, community: Community | None) -> HttpResponse:
    text = request.GET.get("month", "")
    try:
        month = parse_month(text) if text else None
        page = health_page.build(community=community, month=month)
    except BadMonth as error:  # not a month, or one with no figures
        messages.error(request, str(error))
        if community is None:
            return redirect("org-health")
        return redirect("community-health", slug=community.slug)
    context: dict[str, Any] = {
        "nav": "communities" if community else "home",
        "page": page,
        "community": community,
    }
    return render(request, "insights/health.html", context)


def _csv(community: Community | None) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"health-{community.slug}.csv" if community else "health-organisation.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    csv.writer(response).writerows(health_page.csv_rows(community=community))
    return response


@require_GET
def community_health(request: AuthedRequest, slug: str) -> HttpResponse:
    return _render(request, _community(request, slug))


@require_GET
def org_health(request: AuthedRequest) -> HttpResponse:
    _organisation(request)
    return _render(request, None)


@require_GET
def community_health_csv(request: AuthedRequest, slug: str) -> HttpResponse:
    return _csv(_community(request, slug))


@require_GET
def org_health_csv(request: AuthedRequest) -> HttpResponse:
    _organisation(request)
    return _csv(None)
