"""Fair rotating facilitation: who opted in, who the rotation proposed for each occurrence of
a series, and the swaps people ask each other for.

The facilitator of an occurrence is `events.Event.facilitator`, set once the proposed person
accepts (or a colleague accepts a swap). `Assignment` keeps the proposal and its reason in
words; the rule that makes it is `rotation.py`.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

MAX_WEEKLY_LOAD = 7


class OptIn(models.Model):
    """A person willing to facilitate in one community, at most `weekly_load` sessions a week."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="facilitation_opt_ins"
    )
    weekly_load = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "person"], name="facilitation_one_opt_in"),
            models.CheckConstraint(
                condition=Q(weekly_load__gte=1, weekly_load__lte=MAX_WEEKLY_LOAD),
                name="facilitation_load_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} facilitates in {self.community_id}"


class AssignmentStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"


class Assignment(models.Model):
    """Who the rotation proposed for one occurrence, and why; accepted, they facilitate it."""

    event = models.OneToOneField(
        "events.Event", on_delete=models.CASCADE, related_name="facilitation"
    )
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.PROPOSED
    )
    reason = models.CharField(max_length=300, blank=True)
    proposed_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AssignmentStatus.values), name="facilitation_status"
            )
        ]
        indexes = [models.Index(fields=["community", "person"], name="facilitation_by_person")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.status} for {self.event_id}"


class SwapStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class SwapRequest(models.Model):
    """The facilitator of an occurrence asks a colleague to take it instead."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    colleague = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=SwapStatus.choices, default=SwapStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event"], condition=Q(status="pending"), name="facilitation_one_open_swap"
            ),
            models.CheckConstraint(
                condition=~Q(asked_by=F("colleague")), name="facilitation_swap_two_people"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SwapStatus.values), name="facilitation_swap_status"
            ),
        ]
        indexes = [
            models.Index(fields=["colleague", "status"], name="facilitation_swaps_to"),
            models.Index(fields=["community", "status"], name="facilitation_swaps_in"),
        ]

    def __str__(self) -> str:
        return f"swap {self.pk}: {self.asked_by_id} -> {self.colleague_id} ({self.status})"
