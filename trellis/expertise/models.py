"""Who knows what, from evidence, and whether they may be asked.

`TopicEvidence` keeps each person's evidence per tag *and per scope* (a community, or none for
organisation-wide content), so that what someone did in a private community only ever counts,
or shows in an explanation, for people who may see that community. `Availability` is the
person's own say: out of routing altogether, away until a date, at most N questions a week.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone


class Availability(models.Model):
    person = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="availability",
    )
    opted_out = models.BooleanField(default=False)  # never routed to, never listed as expert
    away_until = models.DateField(null=True, blank=True)  # inclusive
    weekly_cap = models.PositiveSmallIntegerField(default=3)  # routed questions a week at most
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekly_cap__lte=50), name="expertise_cap_sane"
            )
        ]

    def __str__(self) -> str:
        return f"availability of {self.person_id}"

    def can_be_asked_on(self, day: date) -> bool:
        return not self.opted_out and (self.away_until is None or self.away_until < day)

    @property
    def status_line(self) -> str:
        if self.opted_out:
            return "Prefers not to be asked"
        if self.away_until is not None and self.away_until >= timezone.localdate():
            return f"Away until {self.away_until:%-d %B %Y}"
        return f"Open to questions (up to {self.weekly_cap} a week)"


class TopicEvidence(models.Model):
    """One person's demonstrated knowledge of one tag within one scope, decayed by age."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tag = models.ForeignKey("core.Tag", on_delete=models.CASCADE, related_name="+")
    answers = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    votes = models.IntegerField(default=0)  # net votes on those answers
    guides = models.PositiveIntegerField(default=0)  # library resources owned, tagged so
    score = models.FloatField(default=0.0)
    last_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["tag", "community"], name="expertise_topic"),
            models.Index(fields=["person"], name="expertise_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} on {self.tag_id}: {self.score:.2f}"


class HelperStats(models.Model):
    """How much, how well and how lately one person has answered within one scope: the
    activity and acceptance features of routing, kept with the topic evidence."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    answers = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    recent = models.FloatField(default=0.0)  # answers decayed with a one-month half-life
    last_answer_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["community", "recent"], name="expertise_helper_recent"),
            models.Index(fields=["person"], name="expertise_helper_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.community_id}: {self.answers} answers"
