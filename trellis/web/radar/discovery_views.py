"""Domain discovery's pages: the org admins' proposals (new communities, merges, joint
events), and the actions on a proposal from there or from a community's radar (spin-offs)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden, NotFound, ServiceError
from trellis.core.web import AuthedRequest, report_error
from trellis.radar import discovery_selectors as selectors
from trellis.radar import discovery_services as services
from trellis.radar.models import ProposalKind

ORG_PAGE = "org"


@require_GET
def discover(request: AuthedRequest) -> HttpResponse:
    if not access.can_view_org_discovery(request.user):
        raise PermissionDenied("Proposed communities are for org admins.")
    proposals = selectors.org_proposals(viewer=request.user)
    return render(
        request,
        "radar/discover.html",
        {
            "nav": "home",
            "communities": [p for p in proposals if p.kind == ProposalKind.COMMUNITY],
            "pairs": [p for p in proposals if p.kind != ProposalKind.COMMUNITY],
            "back": ORG_PAGE,
        },
    )


def _back(request: AuthedRequest) -> HttpResponse:
    """To the page the form was on: the org's proposals, or a community's radar the viewer
    may read (never a URL from the form)."""
    back = request.POST.get("back", "")
    if back and back != ORG_PAGE:
        community = Community.objects.filter(slug=back).first()
        if community is not None and access.can_view_radar_in(request.user, community):
            return redirect("community-radar", slug=community.slug)
    if access.can_view_org_discovery(request.user):
        return redirect("discover")
    return redirect("home")


@require_POST
def proposal_accept(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        decision = services.proposal_accept(actor=request.user, proposal_id=pk)
    except NotFound as error:  # a private community's proposal stays unnamed
        raise Http404(error.message) from error
    except Forbidden as error:
        raise PermissionDenied(error.message) from error
    except ServiceError as error:
        report_error(request, error)
        return _back(request)
    messages.success(request, decision.message)
    if decision.community is not None:
        return redirect("community-detail", slug=decision.community.slug)
    return _back(request)


@require_POST
def proposal_dismiss(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        services.proposal_dismiss(
            actor=request.user, proposal_id=pk, reason=request.POST.get("reason", "")
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except Forbidden as error:
        raise PermissionDenied(error.message) from error
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, "Dismissed: it will not be proposed again for six months.")
    return _back(request)
