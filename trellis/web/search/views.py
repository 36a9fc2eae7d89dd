"""The search page and the "has someone already asked this?" panel of the ask form."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from trellis.communities.models import Community
from trellis.communities.selectors import community_get
from trellis.core import access
from trellis.core.errors import NotFound, ServiceError
from trellis.core.web import AuthedRequest, int_param, report_error
from trellis.search import duplicates, embeddings, selectors, services
from trellis.search.lexical import Filters
from trellis.search.models import DocKind
from trellis.web.search.forms import ClusterForm, SearchForm, SimilarForm


def _visible_community(request: AuthedRequest, slug: str) -> Community | None:
    """The community filter, only if the viewer may see it (else as if it did not exist)."""
    if not slug:
        return None
    try:
        return community_get(viewer=request.user, slug=slug)
    except NotFound:
        return None


def _day_start(day: Any) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


@require_GET
def search_page(request: AuthedRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    results = None
    community = None
    unknown_community = False
    if form.is_bound:
        form.is_valid()  # field errors are shown; valid fields still filter
        data: dict[str, Any] = getattr(form, "cleaned_data", {})
        slug = data.get("community") or ""
        community = _visible_community(request, slug)
        unknown_community = bool(slug) and community is None
        until = data.get("until")
        filters = Filters(
            kinds=(data["kind"],) if data.get("kind") else (),
            community_id=community.pk if community else (-1 if unknown_community else None),
            tag=(data.get("tag") or "").lower(),
            since=_day_start(data.get("since")),
            until=_day_start(until + timedelta(days=1)) if until else None,
        )
        if data.get("q"):
            results = selectors.search(
                viewer=request.user,
                text=data["q"],
                filters=filters,
                page=int_param(request, "page"),
            )
    context = {
        "nav": "search",
        "form": form,
        "results": results,
        "page": results,
        "communities": access.visible_communities(request.user).order_by("name"),
        "kinds": DocKind.choices,
        "unknown_community": unknown_community,
        "semantic_off_reason": embeddings.semantic_off_reason(),
    }
    template = "search/_results.html" if request.htmx else "search/search.html"
    return render(request, template, context)


@require_GET
def similar_panel(request: AuthedRequest) -> HttpResponse:
    """As the asker types: what already exists, before they post."""
    form = SimilarForm(request.GET)
    hits: list[selectors.Hit] = []
    asked = False
    chosen = None
    if form.is_valid():
        text = f"{form.cleaned_data['title']}\n{form.cleaned_data['body'][:1000]}".strip()
        chosen = _visible_community_id(request, form.cleaned_data["community"])
        if len(text) >= 8:
            asked = True
            hits = selectors.similar(viewer=request.user, text=text, favour_community_id=chosen)
    context = {"hits": hits, "asked": asked, "chosen_community_id": chosen}
    return render(request, "search/_similar.html", context)


def _visible_community_id(request: AuthedRequest, slug: str) -> int | None:
    """The community chosen on the ask form, if the asker may see it (else none, silently: a
    private community's slug typed by an outsider changes nothing)."""
    if not slug:
        return None
    try:
        return community_get(viewer=request.user, slug=slug).pk
    except NotFound:
        return None


@require_GET
def related_panel(request: AuthedRequest, kind: str, pk: int) -> HttpResponse:
    """Loaded by the question and resource pages after they render (htmx), so that the page
    itself never waits for retrieval."""
    if kind not in (DocKind.QUESTION, DocKind.RESOURCE):
        raise Http404("No such kind of page.")
    hits = selectors.related(viewer=request.user, kind=kind, object_id=pk)
    return render(request, "search/_related.html", {"hits": hits})


def _id(data: QueryDict, name: str) -> int | None:
    """An optional id among the parameters (None when absent or not a number)."""
    value = data.get(name, "")
    return int(value) if value.isdigit() and 0 < int(value) < 2**63 else None


def _curated_community(request: AuthedRequest, slug: str) -> Community:
    """The community whose duplicates the viewer curates: as if it did not exist for those
    who cannot see it (a private one is never confirmed), refused to the others."""
    try:
        community = community_get(viewer=request.user, slug=slug)
    except NotFound as error:
        raise Http404(error.message) from error
    if not access.can_curate_in(request.user, community):
        raise PermissionDenied("Only the community's core team can curate duplicates.")
    return community


@require_GET
def duplicate_queue(request: AuthedRequest, slug: str) -> HttpResponse:
    """The community's curation queue: clusters of questions and resources that look like the
    same knowledge, for the core team to merge or dismiss."""
    community = _curated_community(request, slug)
    merged = _id(request.GET, "merged")
    context = {
        "nav": "communities",
        "community": community,
        "clusters": duplicates.queue(community.pk, selectors.document_urls),
        "merge": duplicates.undoable_merge(community.pk, merged) if merged else None,
    }
    return render(request, "search/duplicates.html", context)


@require_POST
def duplicate_resolve(request: AuthedRequest, slug: str) -> HttpResponse:
    community = _curated_community(request, slug)
    form = ClusterForm(request.POST)
    back = redirect("duplicate-queue", slug=community.slug)
    if not form.is_valid():
        messages.error(request, "That cluster could not be read: " + form.errors.as_text())
        return back
    ids = form.cleaned_data["documents"]
    try:
        if form.cleaned_data["action"] == "dismiss":
            services.cluster_dismiss(actor=request.user, community=community, document_ids=ids)
            messages.success(request, "Marked as not duplicates; they will not be proposed again.")
        else:
            record = services.cluster_merge(
                actor=request.user,
                community=community,
                document_ids=ids,
                canonical_id=form.cleaned_data["canonical"] or 0,
                also_keep_id=_id(request.POST, "keep_also"),
            )
            return redirect(f"{back.url}?merged={record.pk}")
    except ServiceError as error:
        report_error(request, error)
    return back


@require_POST
def duplicate_undo(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """Undo a merge made from the queue: everything it changed, back as it was."""
    community = _curated_community(request, slug)
    try:
        services.cluster_merge_undo(actor=request.user, community=community, record_id=pk)
        messages.success(
            request,
            "Merge undone: the questions and library resources are back as they were, and the "
            "group is back in the queue.",
        )
    except ServiceError as error:
        report_error(request, error)
    return redirect("duplicate-queue", slug=community.slug)
