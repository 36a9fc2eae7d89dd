"""Find a mentor, your mentorships, your mentor offer, and the org admin's cohort matching."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.core import access
from trellis.core.errors import NotFound, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors, int_param, report_error
from trellis.mentoring import matching, selectors, services
from trellis.mentoring.models import MentorshipStatus
from trellis.people.selectors import person_by_id
from trellis.web.mentoring.forms import CohortForm, MentorOfferForm, MentorRequestForm, RespondForm


def _find_context(request: AuthedRequest, form: MentorRequestForm | None = None) -> dict[str, Any]:
    person = request.user
    found = selectors.suggestions(viewer=person)
    failed = form.data.get("mentor") if form is not None else None
    if failed not in {str(s.mentor.pk) for s in found}:
        failed = None  # the errors show above the list, not on one suggestion
    return {
        "nav": "mentoring",
        "suggestions": found,
        "is_newcomer": selectors.is_newcomer(person),
        "window": selectors.newcomer_days(),
        "has_profile": bool(selectors.mentee_terms(person)),
        "open": selectors.mentorships_of(viewer=person).filter(
            mentee=person, status__in=[MentorshipStatus.PROPOSED, MentorshipStatus.ACCEPTED]
        ),
        "form": form or MentorRequestForm(),
        "failed_mentor": failed,
    }


@require_GET
def mentor_find(request: AuthedRequest) -> HttpResponse:
    return render(request, "mentoring/find.html", _find_context(request))


@require_POST
def mentorship_propose(request: AuthedRequest) -> HttpResponse:
    """The signed-in person asks someone to mentor them."""
    form = MentorRequestForm(request.POST)
    if form.is_valid():
        mentor = person_by_id(person_id=form.cleaned_data["mentor"], active_only=True)
        if mentor is None:
            form.add_error("mentor", "Nobody with that id can mentor you.")
        else:
            try:
                services.mentorship_propose(
                    actor=request.user,
                    mentor=mentor,
                    mentee=request.user,
                    message=form.cleaned_data["message"],
                )
            except ServiceError as error:
                add_form_errors(form, error)
            else:
                messages.success(request, f"Asked {mentor.name}; you will see their answer here.")
                return redirect("mentorship-list")
    # The form comes back with its message kept and the problem named.
    return render(request, "mentoring/find.html", _find_context(request, form))


@require_GET
def mentorship_list(request: AuthedRequest) -> HttpResponse:
    person = request.user
    mine = selectors.mentorships_seen(viewer=person)
    context = {
        "nav": "mentoring",
        "open": [seen for seen in mine if seen.mentorship.is_open],
        "past": [seen for seen in mine if not seen.mentorship.is_open],
        "offer": selectors.offer_of(person),
        "respond_form": RespondForm(),
    }
    return render(request, "mentoring/list.html", context)


def _not_yours(error: NotFound) -> Http404:
    return Http404(error.message)


@require_POST
def mentorship_respond(request: AuthedRequest, pk: int) -> HttpResponse:
    form = RespondForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept or decline.")
        return redirect("mentorship-list")
    try:
        mentorship = services.mentorship_respond(
            actor=request.user,
            mentorship_id=pk,
            accept=form.cleaned_data["decision"] == "accept",
            reason=form.cleaned_data["reason"],
        )
    except NotFound as error:
        raise _not_yours(error) from error
    except ServiceError as error:
        report_error(request, error)
    else:
        if mentorship.status == MentorshipStatus.ACCEPTED:
            messages.success(request, "Accepted: the mentorship is active.")
        elif mentorship.status == MentorshipStatus.DECLINED:
            messages.success(request, "Declined.")
        else:
            messages.success(request, "Accepted; waiting for the other side.")
    return redirect("mentorship-list")


@require_POST
def mentorship_end(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        services.mentorship_end(actor=request.user, mentorship_id=pk)
    except NotFound as error:
        raise _not_yours(error) from error
    except ServiceError as error:
        report_error(request, error)
    else:
        messages.success(request, "Mentorship ended. Thank you for the time you gave it.")
    return redirect("mentorship-list")


@require_http_methods(["GET", "POST"])
def mentor_offer_edit(request: AuthedRequest) -> HttpResponse:
    person = request.user
    current = selectors.offer_of(person)
    initial = {"open": current.open, "capacity": current.capacity, "note": current.note}
    form = MentorOfferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mentor_offer_set(actor=person, person=person, **form.cleaned_data)
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Mentoring offer saved.")
            return redirect("mentorship-list")
    return render(request, "mentoring/offer.html", {"form": form, "nav": "people"})


@require_http_methods(["GET", "POST"])
def mentoring_cohort(request: AuthedRequest) -> HttpResponse:
    """Preview the matching of every current newcomer, then confirm (all or some pairs)."""
    if not access.can_manage_people(request.user):
        raise Http404("Not found.")
    form = CohortForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cohort = services.cohort_confirm(
                actor=request.user, pairs=form.cleaned_data["pair"], note=form.cleaned_data["note"]
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            count = cohort.mentorships.count()
            messages.success(
                request,
                f"Proposed {count} mentorship{'s' if count != 1 else ''}; "
                "mentors and mentees have been told and will accept or decline.",
            )
            return redirect("mentoring-cohort")
    plan = matching.cohort_plan(viewer=request.user, page=int_param(request, "page"))
    # After a refused confirmation the admin's own choice of pairs stays ticked.
    chosen = set(request.POST.getlist("pair")) if request.method == "POST" else None
    rows = []
    for pair in plan.pairs:
        key = f"{pair.mentee.pk}:{pair.mentor.pk}"
        rows.append({"pair": pair, "key": key, "checked": chosen is None or key in chosen})
    context = {"nav": "admin", "plan": plan, "rows": rows, "form": form}
    return render(request, "mentoring/cohort.html", context)
