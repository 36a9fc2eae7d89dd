"""The activity log: one row per service write and per page view that matters."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Activity(models.Model):
    """Who did what to which object, in which community, when.

    Participation levels (including readers who never post) are computed from these rows, so
    views of communities and people are recorded as well as writes.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    verb = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField(null=True, blank=True)
    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["community", "created_at"]),
            models.Index(fields=["actor", "created_at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.verb} {self.object_type}:{self.object_id}"


class ScheduledJob(models.Model):
    """When the scheduler last enqueued a periodic job (shared by every scheduler process)."""

    name = models.CharField(max_length=80, unique=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A topic label shared by questions and library resources (Stack Exchange style names)."""

    name = models.CharField(max_length=50, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ViewMark(models.Model):
    """That a person read an object on a day: reading counts once per person per object per day."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "object_type", "object_id", "day"], name="view_mark_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} read {self.object_type}:{self.object_id} on {self.day}"


class WorkerHeartbeat(models.Model):
    """A task worker's sign of life: a task still RUNNING under a worker that stopped beating
    was interrupted (kill -9, a crash, a lost machine) and is handed to another worker."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname} (pid {self.pid})"
