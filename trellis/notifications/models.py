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
    JOIN_REQUEST = "join_request", "asked to join"
    JOIN_APPROVED = "join_approved", "approved your request to join"
    JOIN_DECLINED = "join_declined", "declined your request to join"
    EVENT_PLACE = "event_place", "a place opened up for you at an event"
    EVENT_REMINDER = "event_reminder", "reminds you of an event"
    EVENT_CANCELLED = "event_cancelled", "cancelled an event you replied to"
    FACILITATION = "facilitation", "about facilitating a session"
    STORY_DETAIL = "story_detail", "asks for more detail on your value story"
    INVITATION = "invitation", "invites you to"


# Kinds worth an email at once; the rest wait for the bell and the digest.
IMMEDIATE_KINDS = frozenset(
    {
        Kind.ANSWER,
        Kind.MENTION,
        Kind.VERIFY,
        Kind.ROUTED,
        Kind.JOIN_REQUEST,
        Kind.JOIN_APPROVED,
        Kind.JOIN_DECLINED,
        Kind.EVENT_PLACE,
        Kind.EVENT_REMINDER,
        Kind.EVENT_CANCELLED,
        Kind.FACILITATION,
        Kind.INVITATION,
    }
)

# How a notification reads: "Ana Ruiz answered your question: Title" for most kinds; the title
# finishes the sentence for these ("Ana Ruiz asked to join Platform Security") ...
TITLE_COMPLETES_KINDS = frozenset({Kind.JOIN_REQUEST})
# ... and is the whole sentence for these ("Your request to join Platform Security was approved").
TITLE_IS_SENTENCE_KINDS = frozenset(
    {
        Kind.JOIN_APPROVED,
        Kind.JOIN_DECLINED,
        Kind.EVENT_PLACE,
        Kind.EVENT_REMINDER,
        Kind.EVENT_CANCELLED,
        Kind.FACILITATION,
    }
)

# Why someone got an email at once, said at its foot.
EMAIL_REASONS: dict[str, str] = {
    Kind.JOIN_REQUEST: "You get these emails about requests to join communities you help run.",
    Kind.JOIN_APPROVED: "You get these emails about communities you asked to join.",
    Kind.JOIN_DECLINED: "You get these emails about communities you asked to join.",
    Kind.EVENT_PLACE: "You get these emails about events you said you would go to.",
    Kind.EVENT_REMINDER: "You get these emails about events you replied to.",
    Kind.EVENT_CANCELLED: "You get these emails about events you replied to.",
    Kind.FACILITATION: "You get these emails about sessions you volunteered to facilitate.",
    Kind.INVITATION: "You get these emails when a community you support invites you to an event.",
}
DEFAULT_EMAIL_REASON = "You get these emails for mentions and answers to your questions."


class Notification(models.Model):
    """One thing that happened for one person.

    The community is stored so that a notification about a private community disappears
    from the bell, the count and every email the moment its reader loses access.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
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

    @property
    def names_actor(self) -> bool:
        """Whether the sentence starts with who did it (read `actor` with select_related)."""
        return self.kind not in TITLE_IS_SENTENCE_KINDS

    @property
    def phrase(self) -> str:
        """The sentence after the actor's name, or all of it when it names nobody."""
        if self.kind in TITLE_IS_SENTENCE_KINDS:
            return self.title
        if self.kind in TITLE_COMPLETES_KINDS:
            return f"{self.get_kind_display()} {self.title}"
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def headline(self) -> str:
        """The whole sentence, as an email's subject says it."""
        if not self.names_actor:
            return self.phrase
        who = self.actor.name if self.actor else "Someone"
        return f"{who} {self.phrase}"

    @property
    def email_reason(self) -> str:
        return EMAIL_REASONS.get(self.kind, DEFAULT_EMAIL_REASON)


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
