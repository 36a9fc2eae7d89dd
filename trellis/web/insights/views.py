"""Participation pages: who takes part at which level in a community (or the organisation),
and how people moved since the month before."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import NotFound
from trellis.core.web import AuthedRequest
from trellis.insights import participation_page
from trellis.insights.export import what_trellis_infers


def _community(request: AuthedRequest, slug: str) -> Community:
    try:
        community = community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404("No such community.") from error
    if not access.can_view_participation_in(request.user, community):
        raise PermissionDenied("Participation figures are for the community's leaders.")
    return community


def _render(request: AuthedRequest, community: Community | None) -> HttpResponse:
    text = request.GET.get("month", "")
    try:
        month = participation_page.parse_month(text) if text else None
        page = participation_page.build(community=community, month=month)
    except participation_page.BadMonth as error:  # not a month, or one with no levels
        messages.error(request, str(error))
        if community is None:
            return redirect("org-participation")
        return redirect("community-participation", slug=community.slug)
    context: dict[str, Any] = {
        "nav": "communities" if community else "home",
        "page": page,
        "community": community,
    }
    return render(request, "insights/participation.html", context)


@require_GET
def community_participation(request: AuthedRequest, slug: str) -> HttpResponse:
    return _render(request, _community(request, slug))


@require_GET
def org_participation(request: AuthedRequest) -> HttpResponse:
    if not access.can_view_org_participation(request.user):
        raise PermissionDenied("The organisation's participation figures are for org admins.")
    return _render(request, None)


@require_GET
def my_insights(request: AuthedRequest) -> HttpResponse:
    """Everything Trellis infers about the signed-in person, as a file they keep."""
    response = JsonResponse(
        what_trellis_infers(person=request.user), json_dumps_params={"indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="what-trellis-infers-about-me.json"'
    return response
