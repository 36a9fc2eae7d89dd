"""In-app notifications, their email, and each person's choice of digest."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Kind(models.TextChoices):
    ANSWER = "answer", "answered your question"
    MENTION = "mention", "mentioned you"
    COMMENT = "comment", "commented on your post"
    ACCEPTED = "accepted", "accepted your answer"
    FOLLOWED = "followed", "posted on a question you follow"
    THANKS = "thanks", "thanked you"
    VERIFY = "verify", "asks you to verify a resource you own"
    ROUTED = "routed", "asks for your help with a question"
    MENTORING = "mentoring", "proposes a mentorship"


# Kinds worth an email at once; the rest wait for the bell and the digest.
IMMEDIATE_KINDS = frozenset({Kind.ANSWER, Kind.MENTION, Kind.VERIFY, Kind.ROUTED})


class Notification(models.Model):
    """One thing that happened for one person.

    The community is stored so that a notification about a private community disappears
    from the bell, the count and every email the moment its reader loses access.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="notification_kind")
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.kind} {self.target_type}:{self.target_id}"


class Digest(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    OFF = "off", "Never"


class Preference(models.Model):
    """How a person wants to hear from Trellis by email. No row means the defaults."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    digest = models.CharField(max_length=8, choices=Digest.choices, default=Digest.WEEKLY)
    email_immediate = models.BooleanField(default=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(digest__in=Digest.values), name="preference_digest")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.digest}"
