"""Who knows about X, and a person's own availability."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from trellis.core import access
from trellis.core.errors import ServiceError
from trellis.core.web import AuthedRequest, add_form_errors
from trellis.expertise import selectors, services
from trellis.expertise.forms import AvailabilityForm, WhoKnowsForm
from trellis.people.models import Person


@require_GET
def who_knows(request: AuthedRequest) -> HttpResponse:
    form = WhoKnowsForm(request.GET or None)
    experts: list[selectors.Expert] = []
    communities = list(access.visible_communities(request.user).order_by("name"))
    query = ""
    if form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        slug = form.cleaned_data["community"]
        community = next((c for c in communities if c.slug == slug), None)
        if slug and community is None:
            form.add_error("community", "No such community, or not one you can see.")
        else:
            experts = selectors.who_knows(
                viewer=request.user, text=query, community_id=community.pk if community else None
            )
    context = {
        "nav": "people", "form": form, "experts": experts, "query": query,
        "communities": communities,
    }  # fmt: skip
    template = "expertise/_experts.html" if request.htmx else "expertise/who_knows.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def availability_edit(request: AuthedRequest) -> HttpResponse:
    person: Person = request.user
    current = selectors.availability_of(person)
    initial = {
        "opted_out": current.opted_out,
        "away_until": current.away_until,
        "weekly_cap": current.weekly_cap,
    }
    form = AvailabilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.availability_set(actor=person, person=person, **form.cleaned_data)
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Availability saved.")
            return redirect("person-detail", pk=person.pk)
    return render(request, "expertise/availability.html", {"form": form, "nav": "people"})
