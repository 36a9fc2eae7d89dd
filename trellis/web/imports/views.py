"""The org admin's import pages: upload an archive, watch it run, read what it did."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from trellis.core import access
from trellis.core.errors import Invalid, ServiceError
from trellis.core.web import AuthedRequest, add_form_errors
from trellis.imports import selectors, services
from trellis.imports.models import RunStatus
from trellis.imports.summary import KINDS, OUTCOMES
from trellis.web.imports.forms import ImportForm


def _require_admin(request: AuthedRequest) -> None:
    if not access.can_manage_people(request.user):
        raise Http404("Only organisation admins import.")


@require_http_methods(["GET", "POST"])
def import_list(request: AuthedRequest) -> HttpResponse:
    _require_admin(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        slug = form.cleaned_data["community"]
        community = selectors.import_target_community(slug=slug) if slug else None
        try:
            if slug and community is None:
                raise Invalid("No such community.", field_errors={"community": "No such slug."})
            run = services.import_run_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                community=community,
            )
        except ServiceError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, "Uploaded. The import runs in the background.")
            return redirect("import-detail", pk=run.pk)
    runs = selectors.import_runs_recent()
    return render(request, "imports/list.html", {"form": form, "runs": runs, "nav": "admin"})


@require_GET
def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    run = selectors.import_run_get(pk=pk)
    if run is None:
        raise Http404("No such import.")
    context = {
        "run": run,
        "running": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
        "progress": selectors.import_run_progress(run=run),
        "kinds": KINDS,
        "outcomes": OUTCOMES,
        "nav": "admin",
    }
    template = "imports/_run.html" if request.htmx else "imports/detail.html"
    return render(request, template, context)
