"""Community pages: thin views over the services and selectors."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.agendas.selectors import first_brown_bag
from trellis.communities import selectors, services
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import NotFound, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors, int_param, report_error
from trellis.events.selectors import upcoming_events
from trellis.insights.paths import home_card
from trellis.library.selectors import library_size
from trellis.mentoring.selectors import is_newcomer
from trellis.people import selectors as people_selectors
from trellis.people.models import Person
from trellis.qa.community_figures import community_figures
from trellis.qa.selectors import knowledge_counts, waiting_in_my_communities
from trellis.web.communities.forms import (
    CommunityFilterForm,
    CommunityForm,
    InviteForm,
    JoinRequestForm,
    RoleForm,
    SponsorForm,
)


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    viewer = request.user
    waiting = waiting_in_my_communities(viewer=viewer)
    context: dict[str, Any] = {
        "nav": "home",
        "mine": selectors.my_communities(viewer=viewer),
        "suggested": selectors.suggested_communities(viewer=viewer),
        "invitations": selectors.my_pending_invitations(viewer=viewer),
        "requests": selectors.my_pending_requests(viewer=viewer),
        "waiting": waiting,
        "is_newcomer": is_newcomer(viewer),
        "requests_to_decide": selectors.requests_waiting_for_me(viewer=viewer),
        "sponsored": community_figures(
            viewer=viewer, communities=selectors.sponsored_communities(viewer=viewer)
        ),
    }
    card = home_card(person=viewer)  # where they stand, and one next step
    context.update(card)
    if card["next_step"] is not None:  # a question the step names is not listed twice
        named = {item.url for item in card["next_step"].items}
        context["waiting"] = [
            q for q in waiting if reverse("question-detail", args=[q.pk]) not in named
        ]
    return render(request, "communities/home.html", context)


@require_GET
def community_directory(request: AuthedRequest) -> HttpResponse:
    form = CommunityFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "query": form.cleaned_data["q"],
            "status": form.cleaned_data["status"],
            "visibility": form.cleaned_data["visibility"],
            "mine": form.cleaned_data["mine"],
        }
    page = selectors.community_directory(
        viewer=request.user, page=int_param(request, "page"), **filters
    )
    context = {"nav": "communities", "form": form, "page": page, "filtered": any(filters.values())}
    template = (
        "communities/_directory_results.html" if request.htmx else "communities/directory.html"
    )
    return render(request, template, context)


def _not_found(request: AuthedRequest, slug: str) -> HttpResponse:
    """The same answer whether the community is private or does not exist: nothing leaks."""
    context = {"slug": slug, "form": JoinRequestForm()}
    return render(request, "communities/not_found.html", context, status=404)


def _membership_context(request: AuthedRequest, community: Community) -> dict[str, Any]:
    """What the join/leave/request panel needs, and no more: htmx swaps render only this."""
    viewer = request.user
    role = access.active_role(viewer, community)
    return {
        "community": community,
        "role": role,
        # Not permissions: wording ("You are leader", "... as an org admin").
        "in_team": access.is_team_role(role),
        "sees_as_org_admin": access.is_org_admin(viewer),
        "is_sponsor": access.is_sponsor(viewer, community),
        "can_join": access.can_join(viewer, community),
        "can_request": access.can_request_to_join(viewer, community),
        "pending": selectors.viewer_pending_request(viewer=viewer, community=community),
    }


def _detail_context(request: AuthedRequest, community: Community) -> dict[str, Any]:
    viewer = request.user
    return _membership_context(request, community) | {
        "nav": "communities",
        "can_manage": access.can_manage_community(viewer, community),
        "can_curate": access.can_curate_in(viewer, community),
        "can_ask": access.can_contribute_in(viewer, community),
        "can_invite": access.can_invite_to_community(viewer, community),
        "invite_form": InviteForm(),
        "sponsors": selectors.community_sponsors(viewer=viewer, community=community),
        "requests": selectors.pending_join_requests(viewer=viewer, community=community),
        "request_count": selectors.pending_request_count(viewer=viewer, community=community),
        "knowledge": knowledge_counts(viewer=viewer, community=community),
        "library_size": library_size(viewer=viewer, community=community),
    }


def _members_context(request: AuthedRequest, community: Community) -> dict[str, Any]:
    """The member list and its search: the part htmx swaps as the viewer types."""
    viewer = request.user
    query = request.GET.get("q", "").strip()[:200]
    page = selectors.member_page(
        viewer=viewer, community=community, query=query, page=int_param(request, "page")
    )
    for membership in page.items:
        membership.removable = access.can_remove_member(  # type: ignore[attr-defined]
            viewer, community, membership.person_id
        )
        membership.names_role = access.is_team_role(membership.role)  # type: ignore[attr-defined]
    return {"community": community, "members": page, "page": page, "member_query": query}


@require_GET
def community_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    try:
        community = selectors.community_get(viewer=request.user, slug=slug)
    except NotFound:
        return _not_found(request, slug)
    if request.htmx and request.htmx.target == "members":  # searching the member list
        return render(request, "communities/_members.html", _members_context(request, community))
    activity_record(
        actor=request.user,
        verb="community.view",
        obj=community,
        community_id=community.pk,
    )
    context = _detail_context(request, community) | _members_context(request, community)
    context["upcoming_events"] = upcoming_events(
        viewer=request.user, community=community, limit=3, include_cancelled=False
    )
    context["can_add_event"] = access.can_manage_events_in(request.user, community)
    context["can_view_report"] = access.can_view_community_report(request.user, community)
    context["can_view_participation"] = access.can_view_participation_in(request.user, community)
    context["first_brown_bag"] = first_brown_bag(viewer=request.user, community=community)
    return render(request, "communities/detail.html", context)


def _membership_panel(request: AuthedRequest, slug: str) -> HttpResponse:
    community = selectors.community_get(viewer=request.user, slug=slug)
    if request.htmx:
        return render(
            request, "communities/_membership.html", _membership_context(request, community)
        )
    return redirect("community-detail", slug=slug)


@require_POST
def community_join(request: AuthedRequest, slug: str) -> HttpResponse:
    try:
        community = selectors.community_get(viewer=request.user, slug=slug)
        services.community_join(actor=request.user, community=community)
        messages.success(request, f"Welcome to {community.name}!")
    except NotFound:
        return _not_found(request, slug)
    except ServiceError as error:
        report_error(request, error)
    return _membership_panel(request, slug)


@require_POST
def community_leave(request: AuthedRequest, slug: str) -> HttpResponse:
    try:
        community = selectors.community_get(viewer=request.user, slug=slug)
        services.community_leave(actor=request.user, community=community)
        messages.info(request, f"You left {community.name}.")
    except NotFound:
        return _not_found(request, slug)
    except ServiceError as error:
        report_error(request, error)
    try:
        return _membership_panel(request, slug)
    except NotFound:  # left a private community: it is gone from view
        if request.htmx:
            return HttpResponse(headers={"HX-Redirect": reverse("home")})
        return redirect("home")


@require_POST
def community_request(request: AuthedRequest, slug: str) -> HttpResponse:
    """Ask to join a private community whose address someone shared with you."""
    form = JoinRequestForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""
    community = selectors.community_by_slug(slug=slug)
    if community is not None and access.can_request_to_join(request.user, community):
        services.join_request_create(
            actor=request.user,
            community=community,
            message=message,
        )
    elif community is not None and access.can_view_community(request.user, community):
        return redirect("community-detail", slug=slug)
    context = {"slug": slug}
    template = "communities/_request_sent.html" if request.htmx else "communities/request_sent.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def community_create(request: AuthedRequest) -> HttpResponse:
    form = CommunityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            community = services.community_create(actor=request.user, **form.settings())
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Your community is ready. Invite a few people to start.")
            return redirect("community-settings", slug=community.slug)
    return render(request, "communities/create.html", {"form": form, "nav": "communities"})


def _manageable(request: AuthedRequest, slug: str) -> Community | None:
    """The community, for its leaders; someone who may see it is told who may manage it (403),
    anyone else gets the 404 of a missing community."""
    try:
        community = selectors.community_get(viewer=request.user, slug=slug)
    except NotFound:
        return None
    if not access.can_manage_community(request.user, community):
        raise PermissionDenied("Only this community's leaders can open its settings.")
    return community


@require_http_methods(["GET", "POST"])
def community_settings(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _manageable(request, slug)
    if community is None:
        return _not_found(request, slug)
    initial = {f: getattr(community, f) for f in services.EDITABLE_FIELDS}
    form = CommunityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.community_update(
                actor=request.user,
                community=community,
                **form.settings(),
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Settings saved.")
            return redirect("community-settings", slug=community.slug)
    context = _detail_context(request, community) | {
        "groups": selectors.members_by_role(viewer=request.user, community=community),
        "form": form,
        "invite_form": InviteForm(),
        "sponsor_form": SponsorForm(),
        "role_choices": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
    }
    return render(request, "communities/settings.html", context)


def _person(person_id: int) -> Person:
    person = people_selectors.person_by_id(person_id=person_id)
    if person is None:
        raise Http404("No such person.")
    return person


def _person_by_email(email: str) -> Person:
    person = people_selectors.person_by_email(email=email.strip().lower(), active_only=True)
    if person is None:
        raise NotFound(f"Nobody with the email {email} is in the directory.")
    return person


@require_POST
def community_invite(request: AuthedRequest, slug: str) -> HttpResponse:
    """Invite someone; for a leader, naming a current member with a role changes their role."""
    community = get_object_or_404(access.visible_communities(request.user), slug=slug)
    back = (
        "community-settings"
        if access.can_manage_community(request.user, community)
        else ("community-detail")
    )
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a valid email address and role.")
        return redirect(back, slug=slug)
    role = form.cleaned_data["role"]
    try:
        person = _person_by_email(form.cleaned_data["email"])
        if back == "community-settings" and access.active_role(person, community) is not None:
            services.membership_set_role(
                actor=request.user, community=community, person=person, role=role
            )
            messages.success(request, f"{person.name} is now {role}.")
        else:
            services.invitation_create(
                actor=request.user, community=community, person=person, role=role
            )
            messages.success(request, f"Invitation sent to {person.name}.")
    except ServiceError as error:
        report_error(request, error)
    return redirect(back, slug=slug)


@require_POST
def membership_role(request: AuthedRequest, slug: str, person_id: int) -> HttpResponse:
    community = get_object_or_404(access.visible_communities(request.user), slug=slug)
    person = _person(person_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
        return redirect("community-settings", slug=slug)
    try:
        services.membership_set_role(
            actor=request.user,
            community=community,
            person=person,
            role=form.cleaned_data["role"],
        )
        messages.success(request, f"{person.name} is now {form.cleaned_data['role']}.")
    except ServiceError as error:
        report_error(request, error)
    return redirect("community-settings", slug=slug)


@require_POST
def membership_remove(request: AuthedRequest, slug: str, person_id: int) -> HttpResponse:
    """A leader takes someone out of the community (the button asks to confirm first)."""
    community = get_object_or_404(access.visible_communities(request.user), slug=slug)
    person = _person(person_id)
    try:
        services.membership_remove(actor=request.user, community=community, person=person)
        messages.success(
            request,
            f"{person.name} is no longer a member of {community.name}"
            + (" and can no longer see it." if community.is_private else "."),
        )
    except ServiceError as error:
        report_error(request, error)
    return redirect(reverse("community-detail", args=[slug]) + "#members")


@require_POST
def sponsor_add(request: AuthedRequest, slug: str) -> HttpResponse:
    community = get_object_or_404(access.visible_communities(request.user), slug=slug)
    form = SponsorForm(request.POST)
    try:
        if not form.is_valid():
            raise NotFound("Give the sponsor's email address.")
        person = _person_by_email(form.cleaned_data["email"])
        services.sponsor_add(actor=request.user, community=community, person=person)
        messages.success(request, f"{person.name} now sponsors {community.name}.")
    except ServiceError as error:
        report_error(request, error)
    return redirect("community-settings", slug=slug)


@require_POST
def sponsor_remove(request: AuthedRequest, slug: str, person_id: int) -> HttpResponse:
    community = get_object_or_404(access.visible_communities(request.user), slug=slug)
    person = _person(person_id)
    try:
        services.sponsor_remove(actor=request.user, community=community, person=person)
    except ServiceError as error:
        report_error(request, error)
    return redirect("community-settings", slug=slug)


@require_POST
def join_request_decide(request: AuthedRequest, request_id: int) -> HttpResponse:
    try:
        join_request = selectors.join_request_get(viewer=request.user, request_id=request_id)
    except NotFound as error:
        raise Http404("No such request.") from error
    community = join_request.community
    if not access.can_manage_community(request.user, community):
        raise Http404("No such request.")  # the same for every id: nothing about the community
    approve = request.POST.get("decision") == "approve"
    try:
        decided = services.join_request_decide(
            actor=request.user,
            join_request=join_request,
            approve=approve,
        )
    except ServiceError as error:
        report_error(request, error)
        decided = join_request
    if request.htmx:
        return render(request, "communities/_join_request.html", {"join_request": decided})
    verb = "approved" if approve else "declined"
    messages.success(request, f"Request from {join_request.person.name} {verb}.")
    back = "community-detail" if request.POST.get("back") == "community" else "community-settings"
    return redirect(back, slug=community.slug)


@require_POST
def invitation_respond(request: AuthedRequest, invitation_id: int) -> HttpResponse:
    try:
        invitation = selectors.my_invitation_get(viewer=request.user, invitation_id=invitation_id)
    except NotFound as error:
        raise Http404(error.message) from error
    accept = request.POST.get("decision") == "accept"
    try:
        services.invitation_respond(actor=request.user, invitation=invitation, accept=accept)
    except ServiceError as error:
        report_error(request, error)
        return redirect("home")
    if accept:
        messages.success(request, f"Welcome to {invitation.community.name}!")
        return redirect("community-detail", slug=invitation.community.slug)
    messages.info(request, "Invitation declined.")
    return redirect("home")
