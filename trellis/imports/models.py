"""A record of each import: what was asked, how far it got, and what it changed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ImportKind(models.TextChoices):
    STACKEXCHANGE = "stackexchange", "Stack Exchange dump"
    SLACK = "slack", "Slack export"
    ZULIP = "zulip", "Zulip archive"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportRun(models.Model):
    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    label = models.CharField(max_length=200, help_text="The file or folder imported.")
    path = models.CharField(max_length=500, blank=True)
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    stage = models.CharField(max_length=40, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ImportKind.values), name="import_kind"),
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="import_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.label}: {self.status}"


class ImportedCommunity(models.Model):
    """The community an import's source goes into when none is named: the one the import made
    for it, or the one last named for it. Reruns find it here, by the source, never by a slug
    (a community somebody else made may carry the slug the source would suggest)."""

    source = models.CharField(max_length=128, unique=True, help_text='e.g. "stackexchange:ai".')
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.source} → {self.community_id}"
