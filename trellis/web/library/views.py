"""Library pages: thin views over the services and selectors."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.communities import selectors as community_selectors
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import view_record
from trellis.core.errors import NotFound, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors, int_param, report_error
from trellis.library import selectors, services
from trellis.library.models import Resource
from trellis.qa import selectors as qa_selectors
from trellis.qa.models import PostKind
from trellis.stories import selectors as story_selectors
from trellis.stories.models import Source
from trellis.web.library.forms import DuplicateForm, LibraryFilterForm, PromoteForm, ResourceForm
from trellis.web.stories.prompts import hinted_prompt, prompt_context


def _resource(request: AuthedRequest, pk: int) -> Resource:
    try:
        return selectors.resource_get(viewer=request.user, resource_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error


def _community(request: AuthedRequest, slug: str) -> Community:
    try:
        return community_selectors.community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404(error.message) from error


def _list(request: AuthedRequest, community: Community | None) -> HttpResponse:
    form = LibraryFilterForm(request.GET or None)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    page = selectors.resource_list(
        viewer=request.user, community=community, page=int_param(request, "page"), **filters
    )
    context = {
        "nav": "library",
        "community": community,
        "form": form,
        "page": page,
        "can_add": access.can_add_resource(request.user, community),
    }
    return render(request, "library/list.html", context)


@require_GET
def library(request: AuthedRequest) -> HttpResponse:
    return _list(request, None)


@require_GET
def community_library(request: AuthedRequest, slug: str) -> HttpResponse:
    return _list(request, _community(request, slug))


@require_http_methods(["GET", "POST"])
def resource_create(request: AuthedRequest) -> HttpResponse:
    slug = request.GET.get("community", "")
    community = _community(request, slug) if slug else None
    form = ResourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resource = services.resource_create(
                actor=request.user,
                community=community,
                kind=data["kind"],
                title=data["title"],
                body=data["body"],
                url=data["url"],
                tags=data["tags"],
                verification_interval_days=data["verification_interval_days"],
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(
                request,
                "Added to the library. You own it: you'll be asked to "
                "check it is still right when it is due.",
            )
            return redirect("resource-detail", pk=resource.pk)
    context = {"form": form, "community": community, "nav": "library"}
    return render(request, "library/edit.html", context)


@require_GET
def resource_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    resource = _resource(request, pk)
    if resource.canonical_id:
        try:
            canonical = selectors.resource_get(
                viewer=request.user, resource_id=resource.canonical_id
            )
        except NotFound:
            canonical = None
        if canonical is not None:
            messages.info(request, f"“{resource.title}” was merged into this resource.")
            return redirect("resource-detail", pk=canonical.pk)
    view_record(viewer=request.user, obj=resource, community_id=resource.community_id)
    owners = selectors.resource_owners(resource)
    can_edit = access.can_edit_content(request.user, {p.pk for p in owners}, resource.community)
    can_mark_helped = access.can_contribute_in(request.user, resource.community)
    context = {
        "nav": "library",
        "resource": resource,
        "community": resource.community,
        "owners": owners,
        "tags": list(resource.tags.order_by("name")),
        "freshness": resource.freshness(),
        "duplicates": selectors.resource_duplicates(viewer=request.user, resource=resource),
        "can_edit": can_edit,
        "can_curate": access.can_curate_in(request.user, resource.community) or can_edit,
        "duplicate_form": DuplicateForm(),
        # "This helped me", and right after it "What did this help you do?" (stories).
        "can_mark_helped": can_mark_helped,
        "helped": can_mark_helped
        and story_selectors.helped_by(viewer=request.user, resource=resource),
    }
    context |= prompt_context(hinted_prompt(request, (Source.RESOURCE, resource.pk)))
    return render(request, "library/detail.html", context)


@require_http_methods(["GET", "POST"])
def resource_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    resource = _resource(request, pk)
    owners = {p.pk for p in selectors.resource_owners(resource)}
    if not access.can_edit_content(request.user, owners, resource.community):
        raise Http404("You cannot edit this resource.")
    initial = {
        "kind": resource.kind,
        "title": resource.title,
        "url": resource.url,
        "body": resource.body,
        "tags": " ".join(resource.tags.order_by("name").values_list("name", flat=True)),
        "verification_interval_days": resource.verification_interval_days,
        "owners": ", ".join(p.email for p in selectors.resource_owners(resource)),
    }
    form = ResourceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            data["owners"] = data["owners"] or None  # left empty: keep the owners
            services.resource_update(actor=request.user, resource=resource, **data)
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Saved as a new version (and marked verified).")
            return redirect("resource-detail", pk=resource.pk)
    context = {"form": form, "resource": resource, "community": resource.community}
    return render(request, "library/edit.html", context | {"nav": "library"})


@require_GET
def resource_versions(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        resource, versions = selectors.resource_versions(viewer=request.user, resource_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    context = {"resource": resource, "versions": versions, "nav": "library"}
    return render(request, "library/versions.html", context)


@require_POST
def resource_verify(request: AuthedRequest, pk: int) -> HttpResponse:
    resource = _resource(request, pk)
    try:
        services.resource_verify(actor=request.user, resource=resource)
        messages.success(request, "Verified: thank you for keeping it current.")
    except ServiceError as error:
        report_error(request, error)
    return redirect("resource-detail", pk=pk)


@require_POST
def resource_obsolete(request: AuthedRequest, pk: int) -> HttpResponse:
    resource = _resource(request, pk)
    obsolete = request.POST.get("obsolete", "1") != "0"
    try:
        services.resource_mark_obsolete(actor=request.user, resource=resource, obsolete=obsolete)
    except ServiceError as error:
        report_error(request, error)
    return redirect("resource-detail", pk=pk)


@require_POST
def resource_duplicate(request: AuthedRequest, pk: int) -> HttpResponse:
    resource = _resource(request, pk)
    form = DuplicateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the number of the resource to keep.")
        return redirect("resource-detail", pk=pk)
    try:
        canonical = selectors.resource_get(
            viewer=request.user, resource_id=form.cleaned_data["canonical"]
        )
        services.resource_mark_duplicate(actor=request.user, resource=resource, canonical=canonical)
    except NotFound:
        messages.error(request, "There is no such resource, or you cannot see it.")
        return redirect("resource-detail", pk=pk)
    except ServiceError as error:
        report_error(request, error)
        return redirect("resource-detail", pk=pk)
    messages.success(request, "Marked as a duplicate: its address now leads here.")
    return redirect("resource-detail", pk=canonical.pk)


@require_http_methods(["GET", "POST"])
def resource_promote(request: AuthedRequest, pk: int) -> HttpResponse:
    try:
        question = qa_selectors.post_get(viewer=request.user, post_id=pk, kind=PostKind.QUESTION)
    except NotFound as error:
        raise Http404(error.message) from error
    if not access.can_curate_in(request.user, question.community):
        raise Http404("Only the community's core team can promote a thread.")
    form = PromoteForm(request.POST or None, initial={"title": question.title})
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_promote_question(
                actor=request.user,
                question=question,
                title=form.cleaned_data["title"],
                kind=form.cleaned_data["kind"],
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "The thread is now a guide. Its authors are credited.")
            return redirect("resource-detail", pk=resource.pk)
    context = {"form": form, "question": question, "nav": "library"}
    return render(request, "library/promote.html", context)
