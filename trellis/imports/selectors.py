"""Reads for the org admin's import pages."""

import json

from django.db.models import QuerySet

from trellis.communities.models import Community
from trellis.imports.models import ImportRun
from trellis.imports.paths import progress_path


def import_runs_recent(*, limit: int = 50) -> QuerySet[ImportRun]:
    """The latest runs, newest first, with who started them."""
    return ImportRun.objects.select_related("started_by").order_by("-created_at")[:limit]


def import_run_get(*, pk: int) -> ImportRun | None:
    return ImportRun.objects.select_related("started_by", "community").filter(pk=pk).first()


def import_run_progress(*, run: ImportRun) -> dict[str, object]:
    """What a running import last wrote about its progress (stage, done, total); empty
    before it wrote anything, after it finished, or if the file is unreadable."""
    try:
        data = json.loads(progress_path(run).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def import_target_community(*, slug: str) -> Community | None:
    """The community an import goes into, by slug; the org admin picks any (none is hidden
    from them)."""
    return Community.objects.filter(slug=slug).first()
