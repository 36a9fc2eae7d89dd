"""The import worker: unpack the upload, run the importer, record what happened."""

import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from django.tasks import task

from trellis.core.errors import ServiceError
from trellis.core.transient import is_transient
from trellis.imports import services
from trellis.imports.models import ImportKind, ImportRun, RunStatus
from trellis.imports.paths import progress_path, unpacked_path, upload_path
from trellis.imports.safety import ImportFileError
from trellis.imports.summary import Summary
from trellis.imports.unpack import unpack_zip

log = logging.getLogger(__name__)


def _progress_writer(run: ImportRun):  # type: ignore[no-untyped-def]
    path = progress_path(run)
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
    run = services.import_run_claim(run_id=run_id)
    if run is None:
        return "not queued"
    unpacked = unpacked_path(run)
    shutil.rmtree(unpacked, ignore_errors=True)  # left by an interrupted attempt
    finished = True
    try:
        unpack_zip(upload_path(run), unpacked)
        summary = _run(run, _dump_root(unpacked))
    except ImportFileError as error:
        services.import_run_finish(
            run=run, status=RunStatus.FAILED, summary={}, error=f"{error} Nothing was imported."
        )
    except ServiceError as error:
        services.import_run_finish(
            run=run,
            status=RunStatus.FAILED,
            summary={},
            error=f"{error.message} Nothing was imported.",
        )
    except Exception as error:
        if is_transient(error):  # the worker tries again later, from the upload
            finished = False
            raise
        log.exception("import %s failed", run.pk)
        services.import_run_finish(
            run=run,
            status=RunStatus.FAILED,
            summary={},
            error="The import stopped on an unexpected error (logged for the administrator). "
            "Nothing was imported.",
        )
    else:
        services.import_run_finish(
            run=run, status=RunStatus.DONE, summary=summary.as_dict(), error=""
        )
    finally:
        if finished:
            services.import_run_cleanup(run=run)
        else:
            shutil.rmtree(unpacked, ignore_errors=True)
    return "done"


def abandon_import(args: list[Any], kwargs: dict[str, Any]) -> None:
    """The worker's give-up handler for run_import (core/worker.py)."""
    run_id = kwargs.get("run_id", args[0] if args else None)
    if isinstance(run_id, int):
        services.import_run_abandon(run_id=run_id)
