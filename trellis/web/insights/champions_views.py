"""Champions pages: who makes others succeed in a community (or the organisation), with their
reasons and whether they hold a leading role yet, and who to talk to this month."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.web import AuthedRequest
from trellis.insights import champions_page
from trellis.web.insights.scope import community_for, render_for_month

NOT_RECOGNISED = "not-recognised"  # ?show= value: only the champions with no leading role


def _community(request: AuthedRequest, slug: str) -> Community:
    return community_for(
        request,
        slug,
        may_read=access.can_view_participation_in,
        refused="Champions are for the community's leaders.",
    )


def _render(request: AuthedRequest, community: Community | None) -> HttpResponse:
    only_not_recognised = request.GET.get("show", "") == NOT_RECOGNISED
    return render_for_month(
        request,
        community,
        build=lambda month: champions_page.build(
            community=community, month=month, only_not_recognised=only_not_recognised
        ),
        template="insights/champions.html",
        url_suffix="champions",
        extra={"not_recognised_filter": NOT_RECOGNISED},
    )


@require_GET
def community_champions(request: AuthedRequest, slug: str) -> HttpResponse:
    return _render(request, _community(request, slug))


@require_GET
def org_champions(request: AuthedRequest) -> HttpResponse:
    if not access.can_view_org_participation(request.user):
        raise PermissionDenied("The organisation's champions are for org admins.")
    return _render(request, None)
