"""Who knows about X, a person's own availability, and routing: the requests a person was
sent, a leader's hand and the routed load."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.errors import Forbidden, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors
from trellis.expertise import selectors
from trellis.expertise.services import availability, endorsements, routing
from trellis.people.models import Person
from trellis.qa.models import Post, PostKind
from trellis.web.expertise.forms import AvailabilityForm, ConnectForm, EndorseForm, WhoKnowsForm


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
        "nav": "who-knows", "form": form, "experts": experts, "query": query,
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
            availability.availability_set(actor=person, person=person, **form.cleaned_data)
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Availability saved.")
            return redirect("person-detail", pk=person.pk)
    return render(request, "expertise/availability.html", {"form": form, "nav": "people"})


# --- Routing ------------------------------------------------------------------------------


@require_GET
def routing_requests(request: AuthedRequest) -> HttpResponse:
    decisions = selectors.requests_for(viewer=request.user)
    return render(request, "expertise/requests.html", {"decisions": decisions, "nav": "questions"})


@require_POST
def routing_pass(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        passed = routing.routing_pass(actor=request.user, decision_id=pk)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        if passed.replaced_by is not None:
            messages.success(request, "Thanks for saying so; someone else has been asked.")
        else:
            messages.success(request, "Thanks for saying so.")
    return redirect("routing-requests")


@require_POST
def question_connect(request: AuthedRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Post, pk=pk, kind=PostKind.QUESTION)
    if not access.can_view_in(request.user, question.community):
        raise Http404("No such question.")
    if not access.can_route_in(request.user, question.community):
        raise PermissionDenied("Only the community's leaders can connect a question to someone.")
    form = ConnectForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(map(str, errors))}")
        return redirect("question-detail", pk=question.pk)
    person = Person.objects.filter(email__iexact=form.cleaned_data["email"]).first()
    if person is None:
        messages.error(request, "Nobody in the directory has that email.")
        return redirect("question-detail", pk=question.pk)
    try:
        routing.question_connect(
            actor=request.user, question=question, person=person, note=form.cleaned_data["note"]
        )
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.name} has been asked to help.")
    return redirect("question-detail", pk=question.pk)


def _load_page(request: AuthedRequest, community: Community | None) -> HttpResponse:
    try:
        lines = selectors.routed_load(viewer=request.user, community=community)
        waiting = selectors.open_routed(viewer=request.user, community=community)
    except Forbidden as error:
        raise PermissionDenied(error.message) from error
    context = {"nav": "communities", "community": community, "lines": lines, "waiting": waiting}
    return render(request, "expertise/load.html", context)


@require_GET
def routing_load(request: AuthedRequest, slug: str) -> HttpResponse:
    community = Community.objects.filter(slug=slug).first()
    if community is None or not access.can_view_community(request.user, community):
        raise Http404("No such community.")
    return _load_page(request, community)


@require_GET
def routing_load_org(request: AuthedRequest) -> HttpResponse:
    return _load_page(request, None)


# --- Endorsements -------------------------------------------------------------------------


def _colleague(pk: int) -> Person:
    return get_object_or_404(Person, pk=pk, is_active=True)


@require_POST
def endorse(request: AuthedRequest, pk: int) -> HttpResponse:
    person = _colleague(pk)
    form = EndorseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Name the topic as a tag, such as helm.")
    else:
        try:
            endorsements.endorsement_add(
                actor=request.user, person=person, tag=form.cleaned_data["tag"]
            )
        except ServiceError as error:
            detail = next(iter(error.field_errors.values()), "") if error.field_errors else ""
            messages.error(request, f"{error.message} {detail}".strip())
        else:
            messages.success(request, f"You endorsed {person.name} on {form.cleaned_data['tag']}.")
    return redirect("person-detail", pk=person.pk)


@require_POST
def endorse_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    person = _colleague(pk)
    form = EndorseForm(request.POST)
    if form.is_valid() and endorsements.endorsement_withdraw(
        actor=request.user, person=person, tag=form.cleaned_data["tag"]
    ):
        messages.success(request, "Endorsement withdrawn.")
    return redirect("person-detail", pk=person.pk)
