"""Periodic jobs: each is a task enqueued at most once per interval across all schedulers."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import Task
from django.utils import timezone

from trellis.core import tasks
from trellis.core.models import ScheduledJob
from trellis.expertise.tasks import escalate_routed_questions, rebuild_all_evidence
from trellis.library.tasks import remind_resource_owners
from trellis.notifications.tasks import send_due_digests
from trellis.search.tasks import embed_missing, refresh_vocabulary


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    task: Task  # type: ignore[type-arg]


SCHEDULE = [
    Periodic("prune-task-results", timedelta(hours=24), tasks.prune_task_results),
    Periodic("clean-stale-uploads", timedelta(hours=6), tasks.clean_stale_uploads),
    Periodic("send-due-digests", timedelta(hours=1), send_due_digests),
    Periodic("remind-resource-owners", timedelta(hours=24), remind_resource_owners),
    Periodic("refresh-search-vocabulary", timedelta(hours=24), refresh_vocabulary),
    Periodic("embed-missing-vectors", timedelta(hours=1), embed_missing),
    Periodic("rebuild-expertise-evidence", timedelta(hours=24), rebuild_all_evidence),
    Periodic("escalate-routed-questions", timedelta(minutes=10), escalate_routed_questions),
]


def claim(job: Periodic) -> bool:
    """Atomically claim a due job: one UPDATE decides, so two schedulers never both run it."""
    now = timezone.now()
    try:
        with transaction.atomic():
            ScheduledJob.objects.get_or_create(name=job.name)
    except IntegrityError:
        pass
    due = ScheduledJob.objects.filter(
        Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=now - job.every),
        name=job.name,
    )
    return due.update(last_enqueued_at=now) == 1


def run_due_jobs() -> list[str]:
    enqueued = []
    for job in SCHEDULE:
        if claim(job):
            job.task.enqueue()
            enqueued.append(job.name)
    return enqueued
