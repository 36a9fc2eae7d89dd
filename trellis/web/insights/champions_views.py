"""Champions pages: who makes others succeed in a community (or the organisation), with their
reasons and whether they hold a leading role yet, and who to talk to this month."""

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
from trellis.insights import champions_page, participation_page

NOT_RECOGNISED = "not-recognised"  # ?show= value: only the champions with no leading role


def _community(request: AuthedRequest, slug: str) -> Community:
    try:
        community = community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404("No such community.") from error
    if not access.can_view_participation_in(request.user, community):
        raise PermissionDenied("Champions are for the community's leaders.")
    return community


def _render(request: AuthedRequest, community: Community | None) -> HttpResponse:
    text = request.GET.get("month", "")
    only_not_recognised = request.GET.get("show", "") == NOT_RECOGNISED
    try:
        month = participation_page.parse_month(text) if text else None
        page = champions_page.build(
            community=community, month=month, only_not_recognised=only_not_recognised
        )
    except participation_page.BadMonth as error:  # not a month, or one with no levels
        messages.error(request, str(error))
        if community is None:
            return redirect("org-champions")
        return redirect("community-champions", slug=community.slug)
    context: dict[str, Any] = {
        "nav": "communities" if community else "home",
        "page": page,
        "community": community,
        "not_recognised_filter": NOT_RECOGNISED,
    }
    return render(request, "insights/champions.html", context)


@require_GET
def community_champions(request: AuthedRequest, slug: str) -> HttpResponse:
    return _render(request, _community(request, slug))


@require_GET
def org_champions(request: AuthedRequest) -> HttpResponse:
    if not access.can_view_org_participation(request.user):
        raise PermissionDenied("The organisation's champions are for org admins.")
    return _render(request, None)
