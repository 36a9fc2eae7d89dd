"""What every insights page does before and around its own figures: find the community the
viewer may see (404 otherwise) and may read the figures of (403), and turn a month that is not
one, or has nothing computed, into a message on the page without `?month=`."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core.errors import NotFound
from trellis.core.web import AuthedRequest
from trellis.insights.participation_page import BadMonth, parse_month


def community_for(
    request: AuthedRequest,
    slug: str,
    *,
    may_read: Callable[[Any, Community], bool],
    refused: str,
) -> Community:
    """The community by slug: 404 to whoever may not see it, 403 to whoever may see it but
    not read these figures (`may_read`, a rule of core/access.py)."""
    try:
        community = community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404("No such community.") from error
    if not may_read(request.user, community):
        raise PermissionDenied(refused)
    return community


def render_for_month(
    request: AuthedRequest,
    community: Community | None,
    *,
    build: Callable[[date | None], object],
    template: str,
    url_suffix: str,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page for `?month=` (default: what `build` chooses); a bad month is named in a
    message on the page without it (`url_suffix`: the pages are named org-<suffix> and
    community-<suffix>)."""
    text = request.GET.get("month", "")
    try:
        page = build(parse_month(text) if text else None)
    except BadMonth as error:  # not a month, or one with nothing computed
        messages.error(request, str(error))
        if community is None:
            return redirect(f"org-{url_suffix}")
        return redirect(f"community-{url_suffix}", slug=community.slug)
    context: dict[str, Any] = {
        "nav": "communities" if community else "home",
        "page": page,
        "community": community,
        "month_query": text,  # the page's links that filter it keep the month it shows
        **(extra or {}),
    }
    return render(request, template, context)
