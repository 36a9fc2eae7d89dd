"""Community health pages and their CSV: a community's (its leaders and org admins, as its
participation page) and the organisation's (org admins), read from the stored figures."""

import csv

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.web import AuthedRequest
from trellis.insights import health_page
from trellis.web.insights.scope import community_for, render_for_month


def _community(request: AuthedRequest, slug: str) -> Community:
    return community_for(
        request,
        slug,
        may_read=access.can_view_participation_in,
        refused="Community health is for the community's leaders.",
    )


def _organisation(request: AuthedRequest) -> None:
    if not access.can_view_org_participation(request.user):
        raise PermissionDenied("The organisation's health is for org admins.")


def _render(request: AuthedRequest, community: Community | None) -> HttpResponse:
    return render_for_month(
        request,
        community,
        build=lambda month: health_page.build(community=community, month=month),
        template="insights/health.html",
        url_suffix="health",
    )


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
