"""Housekeeping tasks run by the scheduler. Idempotent: running twice does no harm."""

import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.tasks import task
from django.utils import timezone

UPLOAD_MAX_AGE = timedelta(hours=24)


@task()
def prune_task_results(days: int = 7) -> int:
    """Drop finished task results older than `days` so the queue table stays small."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted


@task()
def clean_stale_uploads() -> int:
    """Import previews that were never confirmed: their files go after a day."""
    folder = Path(settings.DATA_DIR) / "imports"
    if not folder.is_dir():
        return 0
    cutoff = time.time() - UPLOAD_MAX_AGE.total_seconds()
    removed = 0
    for path in folder.glob("*.csv"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
