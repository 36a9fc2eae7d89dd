"""The knowledge library: curated resources with owners, versions and verification."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ResourceKind(models.TextChoices):
    GUIDE = "guide", "Guide"
    HOWTO = "howto", "How-to"
    LINK = "link", "Link"
    RECORDING = "recording", "Recording"
    DECISION = "decision", "Decision record"
    FAQ = "faq", "FAQ"


# Kinds that are a pointer somewhere else rather than a text of our own.
URL_KINDS = frozenset({ResourceKind.LINK, ResourceKind.RECORDING})


class Freshness(models.TextChoices):
    FRESH = "fresh", "Fresh"
    DUE = "due", "Due for verification"
    STALE = "stale", "Stale"
    OBSOLETE = "obsolete", "Obsolete"


DUE_BEFORE = timedelta(days=14)  # owners hear about it two weeks before it lapses
STALE_AFTER = timedelta(days=30)  # …and it is stale a month after it lapsed


class Resource(models.Model):
    """A guide, how-to, link, recording, decision record or curated FAQ.

    `verify_by` is when the content must be checked again (last verification + the interval);
    the state follows from it, so lists can filter "due" with an index instead of per-row maths.
    A resource marked as a duplicate points at its `canonical` one, and its address redirects.
    """

    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="resources",
    )
    kind = models.CharField(max_length=10, choices=ResourceKind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ResourceOwner", related_name="owned_resources"
    )
    tags = models.ManyToManyField("core.Tag", through="ResourceTag", related_name="resources")
    version = models.PositiveIntegerField(default=1)
    verification_interval_days = models.PositiveIntegerField(null=True, blank=True)
    verified_at = models.DateTimeField(default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verify_by = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    obsolete_at = models.DateTimeField(null=True, blank=True)
    canonical = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    source_post = models.ForeignKey(
        "qa.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="promoted_to"
    )
    # Who wrote what this resource was made from (a promoted thread's asker and answerers).
    attribution = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ResourceKind.values), name="resource_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(canonical=models.F("pk")), name="resource_not_own_canonical"
            ),
        ]
        indexes = [
            models.Index(fields=["community", "-updated_at"], name="resource_recent"),
            models.Index(
                fields=["verify_by"], condition=Q(obsolete_at__isnull=True), name="resource_due"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def freshness(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if self.obsolete_at is not None:
            return Freshness.OBSOLETE
        if now < self.verify_by - DUE_BEFORE:
            return Freshness.FRESH
        if now < self.verify_by + STALE_AFTER:
            return Freshness.DUE
        return Freshness.STALE


class ResourceOwner(models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "person"], name="resource_owner_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} owns {self.resource_id}"


class ResourceTag(models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE)
    tag = models.ForeignKey("core.Tag", on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "tag"], name="resource_tag_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} #{self.tag_id}"


class ResourceVersion(models.Model):
    """The resource as it was after each save, the first one included."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=ResourceKind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["resource", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="resource_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} v{self.number}"


class QuestionGuide(models.Model):
    """A question that a library resource answers: a curator found them to be the same
    knowledge in the duplicate queue and kept both, the question pointing at the resource."""

    question = models.ForeignKey("qa.Post", on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "resource"], name="question_guide_unique")
        ]

    def __str__(self) -> str:
        return f"{self.question_id} answered by {self.resource_id}"
