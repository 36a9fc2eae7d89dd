"""The silo map pages: where help crosses departments in the organisation (org admins) or in
one community (its leaders and org admins), read from the stored map."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import NotFound
from trellis.core.web import AuthedRequest
from trellis.insights import silo_page


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
    try:
        community = community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404("No such community.") from error
    if not access.can_view_silos_in(request.user, community):
        raise PermissionDenied("A community's silo map is for its leaders.")
    return _render(request, community)
