"""Participation pages: who takes part at which level in a community (or the organisation),
and how people moved since the month before."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.web import AuthedRequest
from trellis.insights import participation_page
from trellis.insights.export import what_trellis_infers
from trellis.web.insights.scope import community_for, render_for_month


def _community(request: AuthedRequest, slug: str) -> Community:
    return community_for(
        request,
        slug,
        may_read=access.can_view_participation_in,
        refused="Participation figures are for the community's leaders.",
    )


def _render(request: AuthedRequest, community: Community | None) -> HttpResponse:
    return render_for_month(
        request,
        community,
        build=lambda month: participation_page.build(community=community, month=month),
        template="insights/participation.html",
        url_suffix="participation",
    )


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
