"""Imports started from the org admin pages: the upload is kept, the worker does the rest."""

import shutil

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.imports.models import ImportKind, ImportRun, RunStatus
from trellis.imports.paths import progress_path, unpacked_path, upload_path
from trellis.people.models import Person


@transaction.atomic
def import_run_create(
    *, actor: Person, kind: str, upload: UploadedFile[bytes], community: Community | None = None
) -> ImportRun:
    if not access.can_manage_people(actor):
        raise Forbidden("Only organisation admins can import.")
    if kind not in ImportKind.values:
        raise Invalid("Unknown import.", field_errors={"kind": "Choose what to import."})
    limit = settings.TRELLIS_MAX_IMPORT_BYTES
    if upload.size is not None and upload.size > limit:
        raise Invalid(
            f"The file is {upload.size / 1e6:,.0f} MB; the limit is {limit / 1e6:,.0f} MB.",
            field_errors={"file": "Too large."},
        )
    head = upload.read(4)
    upload.seek(0)
    if head[:2] != b"PK":
        raise Invalid(
            "Upload a .zip archive.",
            field_errors={
                "file": "This file is not a zip archive (a Stack Exchange dump "
                "folder, Slack export or zulip_json folder, zipped)."
            },
        )
    run = ImportRun.objects.create(
        kind=kind,
        label=(upload.name or "upload.zip")[:200],
        community=community,
        started_by=actor,
    )
    target = upload_path(run)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    run.path = str(target)
    run.save(update_fields=["path"])
    activity_record(actor=actor, verb="import.start", obj=run)
    from trellis.imports.tasks import run_import

    transaction.on_commit(lambda: run_import.enqueue(run.pk))
    return run


def import_run_finish(
    *, run: ImportRun, status: str, summary: dict[str, object], error: str
) -> None:
    ImportRun.objects.filter(pk=run.pk).update(
        status=status, summary=summary, error=error[:5000], finished_at=timezone.now()
    )


def import_run_cleanup(*, run: ImportRun) -> None:
    """A finished run (done or failed) keeps no file behind."""
    upload_path(run).unlink(missing_ok=True)
    progress_path(run).unlink(missing_ok=True)
    shutil.rmtree(unpacked_path(run), ignore_errors=True)


def import_run_claim(*, run_id: int) -> ImportRun | None:
    """Queued or running → running. A run still "running" here was interrupted: the worker
    that ran it died or hit a passing failure (the task queue hands a task to one worker at a
    time), and the import is one transaction, so it starts again from the upload. A finished
    run is never run again."""
    if ImportRun.objects.filter(pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
        status=RunStatus.RUNNING
    ):
        return ImportRun.objects.select_related("community").get(pk=run_id)
    return None


def import_run_abandon(*, run_id: int) -> None:
    """The task gave up (its worker kept dying, or the database stayed away): say so on the
    run and remove its files."""
    run = ImportRun.objects.filter(
        pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).first()
    if run is None:
        return
    import_run_finish(
        run=run,
        status=RunStatus.FAILED,
        summary={},
        error="The import was interrupted too many times (its worker stopped or the database "
        "was unavailable) and was given up. Nothing was imported; upload the file again.",
    )
    import_run_cleanup(run=run)
