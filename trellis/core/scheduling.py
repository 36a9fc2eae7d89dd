"""Periodic jobs: each is a task enqueued at most once per interval across all schedulers.

The engine only: which jobs there are is the top floor's business (trellis/ops/schedule.py),
since they are tasks of the domain apps, which core must not import.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import Task
from django.utils import timezone

from trellis.core.models import ScheduledJob


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    task: Task  # type: ignore[type-arg]


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


def run_due_jobs(schedule: Iterable[Periodic]) -> list[str]:
    """Enqueue the jobs of `schedule` that are due; returns their names, in schedule order."""
    enqueued = []
    for job in schedule:
        if claim(job):
            job.task.enqueue()
            enqueued.append(job.name)
    return enqueued
