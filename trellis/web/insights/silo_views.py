"""The silo map pages: where help crosses departments in the organisation (org admins) or in
one community (its leaders and org admins), read from the stored map."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.web import AuthedRequest
from trellis.insights import silo_page
from trellis.web.insights.scope import community_for


def _render(request: AuthedRequest, community: Community | None) -> HttpResponse:
    context = {
        "nav": "communities" if community else "home",
        "page": silo_page.build(community=community),
        "community": community,
    }
    return render(request, "insights/silos.html", context)


@require_GET
def org_silos(request: AuthedRequest) -> HttpResponse:
    if not access.can_view_org_silos(request.user):
        raise PermissionDenied("The organisation's silo map is for org admins.")
    return _render(request, None)


@require_GET
def community_silos(request: AuthedRequest, slug: str) -> HttpResponse:
    community = community_for(
        request,
        slug,
        may_read=access.can_view_silos_in,
        refused="A community's silo map is for its leaders.",
    )
    return _render(request, community)
