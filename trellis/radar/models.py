"""The radar's stored signals and the leaders' snoozes."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.radar.signals import PITFALLS, TITLES


class RadarSignal(models.Model):
    """One pitfall's reading for one community and one month, as the daily job computed it:
    the radar page reads these rows, and their course over the months is the chart."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    pitfall = models.CharField(max_length=32, choices=[(p, TITLES[p]) for p in PITFALLS])
    month = models.DateField()  # the 1st of the last whole month read
    score = models.FloatField()
    threshold = models.FloatField()
    raised = models.BooleanField()
    # [{key, strength, weight, text, figures}], strongest first; person ids, never names
    evidence = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "pitfall", "month"], name="radar_signal_once_per_month"
            ),
            models.CheckConstraint(
                condition=Q(pitfall__in=list(PITFALLS)), name="radar_pitfall_valid"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="radar_score_in_range"
            ),
        ]
        indexes = [models.Index(fields=["month"], name="radar_signal_by_month")]

    def __str__(self) -> str:
        return f"{self.pitfall} of {self.community_id} for {self.month:%Y-%m}: {self.score:.2f}"


class RadarSnooze(models.Model):
    """A leader's "we know, and here is why": the signal stays computed but is not shown as
    raised, and nobody is reminded of it, until `until`."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    pitfall = models.CharField(max_length=32, choices=[(p, TITLES[p]) for p in PITFALLS])
    reason = models.CharField(max_length=300)
    snoozed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    snoozed_at = models.DateTimeField()
    until = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "pitfall"], name="radar_snooze_once"),
            models.CheckConstraint(condition=~Q(reason=""), name="radar_snooze_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.pitfall} of {self.community_id} snoozed until {self.until}"


class ProposalKind(models.TextChoices):
    COMMUNITY = "community", "New community"
    SPIN_OFF = "spin-off", "Spin-off"
    MERGE = "merge", "Merge"
    JOINT_EVENT = "joint-event", "Joint event"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class DomainProposal(models.Model):
    """What domain discovery proposes (a community where energy already is, a sub-group to
    spin off, two communities to merge or bring together), with the people and figures behind
    it. The daily job replaces the open ones; accepted and dismissed ones are kept, and their
    `key` stops the same proposal coming back."""

    kind = models.CharField(max_length=16, choices=ProposalKind.choices)
    key = models.CharField(max_length=200)  # the same proposal on another day has the same key
    name = models.CharField(max_length=120)
    domain = models.CharField(max_length=500)  # one sentence, drawn from the questions
    terms = models.JSONField(default=list)
    tags = models.JSONField(default=list)  # [[tag, questions]]
    core = models.JSONField(default=list)  # [{person_id, questions}]: who answers most
    audience = models.JSONField(default=list)  # [{person_id, questions}]: who asks most
    evidence = models.JSONField(default=dict)
    # spin-off: the community it would leave; merge and joint event: the two communities
    community = models.ForeignKey(
        "communities.Community", null=True, on_delete=models.CASCADE, related_name="+"
    )
    other_community = models.ForeignKey(
        "communities.Community", null=True, on_delete=models.CASCADE, related_name="+"
    )
    strength = models.FloatField(default=0.0)  # cohesion (domains) or overlap (pairs)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True)
    reason = models.CharField(max_length=300, blank=True)  # why it was dismissed
    created_community = models.ForeignKey(
        "communities.Community", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProposalKind.values), name="domain_proposal_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values),
                name="domain_proposal_status_valid",
            ),
            models.UniqueConstraint(
                fields=["key"], condition=Q(status="open"), name="domain_proposal_open_once"
            ),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="domain_proposal_by_status")]

    def __str__(self) -> str:
        return f"{self.kind} proposal {self.name!r} ({self.status})"
