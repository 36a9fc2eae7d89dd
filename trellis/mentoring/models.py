"""Mentors for newcomers: who is willing to mentor (and how many), and the mentorships.

A mentorship is *proposed* (by the mentee, the mentor or an org admin, alone or as part of a
cohort), becomes *accepted* once both sides said yes, may be *declined* by either side while it
is proposed, and *ended* by either side once it runs. A proposed or accepted mentorship is
*open*: it holds one of the mentor's places, and a pair has at most one open mentorship.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from trellis.mentoring.reasons import Reader, Why, worded

MAX_CAPACITY = 10
MAX_ID = 2**63 - 1  # ids are 64-bit (as trellis.api.schemas.MAX_ID): a bigger one overflows
DEFAULT_CAPACITY = 2


class MentorOffer(models.Model):
    """A person's say in mentoring. No row means the defaults: open, for two mentees."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="mentor_offer",
    )
    open = models.BooleanField(default=True)  # may be suggested and asked as a mentor
    capacity = models.PositiveSmallIntegerField(default=DEFAULT_CAPACITY)  # open mentorships
    note = models.CharField(max_length=500, blank=True)  # what they are glad to help with
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__lte=MAX_CAPACITY), name="mentoring_capacity_sane"
            )
        ]

    def __str__(self) -> str:
        return f"mentor offer of {self.person_id}"

    @property
    def status_line(self) -> str:
        if not self.open or self.capacity == 0:
            return "Not mentoring at the moment"
        plural = "s" if self.capacity != 1 else ""
        return f"Open to mentoring (up to {self.capacity} mentee{plural})"


class Cohort(models.Model):
    """One run of matching every current newcomer at once, confirmed by an org admin."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    window_days = models.PositiveSmallIntegerField()  # who counted as a newcomer
    note = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"cohort {self.pk} of {self.created_at:%Y-%m-%d}"


class MentorshipStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Active"
    DECLINED = "declined", "Declined"
    ENDED = "ended", "Ended"


OPEN_STATUSES = (MentorshipStatus.PROPOSED, MentorshipStatus.ACCEPTED)


class Mentorship(models.Model):
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentorships_given"
    )
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentorships_received"
    )
    status = models.CharField(
        max_length=10, choices=MentorshipStatus.choices, default=MentorshipStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cohort = models.ForeignKey(
        Cohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="mentorships"
    )
    reasons = models.TextField(blank=True)  # why this pair, one reason a line, for the mentee
    # The facts behind the reasons (`mentoring.reasons.Why`), so each side reads its own wording.
    why = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=1000, blank=True)  # from whoever proposed it
    mentor_accepted_at = models.DateTimeField(null=True, blank=True)
    mentee_accepted_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decline_reason = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)  # accepted by both, or declined
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(mentor=F("mentee")), name="mentoring_not_self"),
            models.CheckConstraint(
                condition=Q(status__in=MentorshipStatus.values), name="mentoring_status_valid"
            ),
            models.UniqueConstraint(
                fields=["mentor", "mentee"],
                condition=Q(status__in=OPEN_STATUSES),
                name="mentoring_one_open_per_pair",
            ),
            # Active means both said yes; declined and ended say when.
            models.CheckConstraint(
                condition=~Q(status=MentorshipStatus.ACCEPTED)
                | Q(mentor_accepted_at__isnull=False, mentee_accepted_at__isnull=False),
                name="mentoring_accepted_by_both",
            ),
            models.CheckConstraint(
                condition=~Q(status=MentorshipStatus.ENDED) | Q(ended_at__isnull=False),
                name="mentoring_ended_when",
            ),
        ]
        indexes = [
            models.Index(fields=["mentor", "status"], name="mentoring_by_mentor"),
            models.Index(fields=["mentee", "status"], name="mentoring_by_mentee"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} mentors {self.mentee_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def reason_list(self) -> list[str]:
        """The reasons as the mentee reads them (stored when it was proposed)."""
        return [line for line in self.reasons.splitlines() if line.strip()]

    def reasons_for(self, reader: Reader, *, today: date, newcomer_since: date) -> list[str]:
        """Why this pair, worded for the mentee, the mentor or an org admin. A mentorship
        proposed before the facts were kept has only the mentee's wording: nobody else reads
        it (a mentor would be told of "a department you are not in yet")."""
        if self.why:
            return worded(
                Why.from_json(self.why),
                reader=reader,
                mentor=self.mentor,
                mentee=self.mentee,
                today=today,
                newcomer_since=newcomer_since,
            )
        return self.reason_list if reader is Reader.MENTEE else []
