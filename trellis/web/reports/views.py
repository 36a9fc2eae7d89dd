"""The sponsor's impact report pages: a community's (and the organisation's) report for a
period, as a page and as a PDF, what the sponsor provides, and the email schedule."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import NotFound, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors
from trellis.reports import services
from trellis.reports.models import OpenedAs, SponsorResources
from trellis.reports.pdf import pdf_filename, report_pdf
from trellis.reports.periods import BadPeriod, Period, choices, last_complete_month, parse_period
from trellis.reports.report import Report, build_report
from trellis.web.reports.forms import ResourcesForm, ScheduleForm


def _community(request: AuthedRequest, slug: str) -> Community:
    try:
        community = community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404("No such community.") from error
    if not access.can_view_community_report(request.user, community):
        raise PermissionDenied("The impact report is for the community's sponsors and leaders.")
    return community


def _period(request: AuthedRequest) -> Period | None:
    """The asked period (default: the last complete month), or None after saying what is wrong."""
    text = request.GET.get("period", "")
    if not text:
        return last_complete_month()
    try:
        return parse_period(text)
    except BadPeriod as error:
        messages.error(request, str(error))
        return None


def _context(request: AuthedRequest, report: Report, pdf_url: str) -> dict[str, Any]:
    viewer = request.user
    community = report.community
    period_choices = choices()
    if report.period not in period_choices:
        period_choices = [report.period, *period_choices]
    return {
        "nav": "communities" if community else "home",
        "report": report,
        "pdf_url": f"{pdf_url}?period={report.period.key}",
        "period_choices": period_choices,
        "can_edit_resources": community is not None
        and access.can_edit_sponsor_resources(viewer, community),
        "can_subscribe": access.can_subscribe_to_reports(viewer),
        # For the leaders: whether their sponsor reads it (the sponsor knows).
        "show_last_open": community is not None and not access.is_sponsor(viewer, community),
    }


def _pdf_response(report: Report) -> HttpResponse:
    response = HttpResponse(report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(report)}"'
    return response


@require_GET
def community_report(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _community(request, slug)
    period = _period(request)
    if period is None:
        return redirect("community-report", slug=community.slug)
    report = build_report(viewer=request.user, community=community, period=period)
    services.report_open_record(
        actor=request.user, community=community, period=period, opened_as=OpenedAs.PAGE
    )
    pdf_url = reverse("community-report-pdf", args=[community.slug])
    return render(request, "reports/page.html", _context(request, report, pdf_url))


@require_GET
def community_report_pdf(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _community(request, slug)
    period = _period(request)
    if period is None:
        return redirect("community-report", slug=community.slug)
    report = build_report(viewer=request.user, community=community, period=period)
    services.report_open_record(
        actor=request.user, community=community, period=period, opened_as=OpenedAs.PDF
    )
    return _pdf_response(report)


def _org_viewer(request: AuthedRequest) -> None:
    if not access.can_view_org_report(request.user):
        raise PermissionDenied(
            "The organisation-wide report is for org admins; "
            "sponsors open their communities' reports."
        )


@require_GET
def org_report(request: AuthedRequest) -> HttpResponse:
    _org_viewer(request)
    period = _period(request)
    if period is None:
        return redirect("org-report")
    report = build_report(viewer=request.user, community=None, period=period)
    return render(
        request, "reports/page.html", _context(request, report, reverse("org-report-pdf"))
    )


@require_GET
def org_report_pdf(request: AuthedRequest) -> HttpResponse:
    _org_viewer(request)
    period = _period(request)
    if period is None:
        return redirect("org-report")
    return _pdf_response(build_report(viewer=request.user, community=None, period=period))


@require_http_methods(["GET", "POST"])
def report_resources(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _community(request, slug)
    if not access.can_edit_sponsor_resources(request.user, community):
        raise PermissionDenied("An archived community's resources are no longer recorded.")
    current = SponsorResources.objects.filter(community=community).first()
    initial = (
        {
            "annual_budget": f"{current.annual_budget:f}"
            if current.annual_budget is not None
            else "",
            "currency": current.currency,
            "hours_per_month": f"{current.hours_per_month:f}"
            if current.hours_per_month is not None
            else "",
            "channels": current.channels,
        }
        if current is not None
        else None
    )
    form = ResourcesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.sponsor_resources_set(
                actor=request.user,
                community=community,
                fields=services.ResourceFields(**form.cleaned_data),
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Saved: the report shows it against what it enabled.")
            return redirect("community-report", slug=community.slug)
    return render(
        request,
        "reports/resources.html",
        {"nav": "communities", "community": community, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def report_schedule(request: AuthedRequest) -> HttpResponse:
    if not access.can_subscribe_to_reports(request.user):
        raise PermissionDenied("Reports are emailed to sponsors; you sponsor no community.")
    form = ScheduleForm(
        request.POST or None, initial={"cadence": services.cadence_of(request.user)}
    )
    if request.method == "POST" and form.is_valid():
        services.report_subscription_set(actor=request.user, cadence=form.cleaned_data["cadence"])
        messages.success(
            request,
            "Saved: you will get the report "
            + {
                "monthly": "every month.",
                "quarterly": "every quarter.",
                "off": "no more by email.",
            }[form.cleaned_data["cadence"]],
        )
        return redirect("report-schedule")
    communities = access.sponsored_communities(request.user).order_by("name")
    return render(
        request,
        "reports/schedule.html",
        {"nav": "home", "form": form, "communities": list(communities)},
        status=400 if request.method == "POST" else 200,
    )
