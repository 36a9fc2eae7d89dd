"""The import worker: unpack the upload, run the importer, record what happened."""

import json
import logging
import time
from pathlib import Path

from django.tasks import task

from trellis.core.errors import ServiceError
from trellis.imports import services
from trellis.imports.models import ImportKind, ImportRun, RunStatus
from trellis.imports.safety import ImportFileError
from trellis.imports.summary import Summary
from trellis.imports.unpack import unpack_zip

log = logging.getLogger(__name__)


def _progress_writer(run: ImportRun):  # type: ignore[no-untyped-def]
    path = services.progress_path(run)
    last = 0.0

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= 0.5 or (total and done >= total):
            last = now
            path.write_text(json.dumps({"stage": stage, "done": done, "total": total}))

    return progress


def _run(run: ImportRun, folder: Path) -> Summary:
    progress = _progress_writer(run)
    if run.kind == ImportKind.STACKEXCHANGE:
        from trellis.imports.stackexchange import import_stackexchange

        slug = run.community.slug if run.community else None
        return import_stackexchange(folder, community_slug=slug, progress=progress)
    if run.kind == ImportKind.SLACK:
        from trellis.imports.slack import import_slack

        return import_slack(folder, progress=progress)
    from trellis.imports.zulip import import_zulip

    return import_zulip(folder, progress=progress)


def _dump_root(folder: Path) -> Path:
    """Zips often hold one folder with the files in it: import from there."""
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return folder


@task()
def run_import(run_id: int) -> str:
    run = services.claim(run_id)
    if run is None:
        return "not queued"
    unpacked: Path | None = None
    try:
        unpacked = services.imports_folder() / f"run-{run.pk}"
        unpack_zip(services.upload_path(run), unpacked)
        summary = _run(run, _dump_root(unpacked))
    except ImportFileError as error:
        services.import_run_finish(
            run, status=RunStatus.FAILED, summary={}, error=f"{error} Nothing was imported."
        )
    except ServiceError as error:
        services.import_run_finish(
            run, status=RunStatus.FAILED, summary={}, error=f"{error.message} Nothing was imported."
        )
    except Exception:
        log.exception("import %s failed", run.pk)
        services.import_run_finish(
            run,
            status=RunStatus.FAILED,
            summary={},
            error="The import stopped on an unexpected error (logged for the administrator). "
            "Nothing was imported.",
        )
    else:
        services.import_run_finish(run, status=RunStatus.DONE, summary=summary.as_dict(), error="")
    finally:
        services.import_run_cleanup(run, unpacked)
    return "done"
