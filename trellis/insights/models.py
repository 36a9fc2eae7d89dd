"""What Trellis infers about participation, stored so the pages read a few rows.

`MonthlyLevel` is one person's level in one community (or organisation-wide) in one month, with
the month's counts it was worded from. Each month is computed from its own counts and the rows
of the months before it (`services.levels`), so the counts of the window and `actions_to_date`
are all a month needs from the past. `MonthlyFlow` is the month's transitions table, written
with the levels: pairing two months of a big community's rows per person took a page 0.2 to
0.5 s on SQLite; the stored table is a few dozen rows.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from trellis.insights.levels import LEVEL_LABELS, LEVELS


class MonthlyLevel(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraints lead with the person
    )
    # Null: organisation-wide, from everything the person did anywhere.
    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # level_by_community_month
    )
    month = models.DateField()  # the 1st of the month
    level = models.CharField(max_length=16, choices=[(k, LEVEL_LABELS[k]) for k in LEVELS])
    # The month's own counts (MonthCounts): the evidence the reasons are worded from.
    contributions = models.PositiveIntegerField(default=0)
    answers = models.PositiveIntegerField(default=0)
    reads = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    facilitated = models.PositiveIntegerField(default=0)
    # Every action in this scope up to the end of this month: tells a later month whether
    # anything came before its window without reading the whole history.
    actions_to_date = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            # Two partial constraints: NULL never equals NULL, so one over (person, community,
            # month) would let organisation-wide rows repeat.
            models.UniqueConstraint(
                fields=["person", "community", "month"],
                condition=Q(community__isnull=False),
                name="level_once_per_community_month",
            ),
            models.UniqueConstraint(
                fields=["person", "month"],
                condition=Q(community__isnull=True),
                name="level_once_per_org_month",
            ),
            models.CheckConstraint(condition=Q(level__in=LEVELS), name="level_valid"),
            models.CheckConstraint(
                condition=Q(answers__lte=models.F("contributions")),
                name="level_answers_are_contributions",
            ),
        ]
        # Partial, so that neither scope's queries can pick the other's index: without
        # statistics SQLite would take "community IS NULL" for a selective equality.
        indexes = [
            # Counts per level, transitions and the newest month: one scope, one month.
            models.Index(
                fields=["community", "month", "level"],
                condition=Q(community__isnull=False),
                name="level_by_community_month",
            ),
            models.Index(
                fields=["month", "level"],
                condition=Q(community__isnull=True),
                name="level_org_by_month",
            ),
            # Computing a month: its rows and the window's, across every scope.
            models.Index(fields=["month"], name="level_by_month"),
        ]

    def __str__(self) -> str:
        scope = self.community_id or "org"
        return f"{self.person_id} {self.level} in {scope} {self.month:%Y-%m}"


NOT_COUNTED = ""  # a flow's level when the person was not counted that month (new, or left)


class MonthlyFlow(models.Model):
    """How many people went from one level the month before to another this month, in one
    community (or organisation-wide). `before` empty: not counted the month before (new);
    `after` empty: not counted this month (left)."""

    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # flow_once_per_community_month
    )
    month = models.DateField()  # the 1st of the month the people moved into
    before = models.CharField(max_length=16, blank=True)
    after = models.CharField(max_length=16, blank=True)
    people = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "month", "before", "after"],
                condition=Q(community__isnull=False),
                name="flow_once_per_community_month",
            ),
            models.UniqueConstraint(
                fields=["month", "before", "after"],
                condition=Q(community__isnull=True),
                name="flow_once_per_org_month",
            ),
            models.CheckConstraint(
                condition=Q(before__in=[NOT_COUNTED, *LEVELS])
                & Q(after__in=[NOT_COUNTED, *LEVELS])
                & ~Q(before=NOT_COUNTED, after=NOT_COUNTED),
                name="flow_levels_valid",
            ),
        ]
        indexes = [models.Index(fields=["month"], name="flow_by_month")]  # replacing a month

    def __str__(self) -> str:
        scope = self.community_id or "org"
        return f"{self.people} {self.before or '-'} to {self.after or '-'} in {scope}"


class InsightSnapshot(models.Model):
    """Figures the daily job computed for one community (or the organisation) and one month:
    its health, its champions, the silo map. Stored as the pages show them, so a page reads one
    row instead of scanning the activity log (those reads take seconds at 50,000 people).
    People are stored by id, never by name: who opted out of being named is applied when the
    snapshot is read, so an opt-out takes effect at once."""

    HEALTH = "health"
    CHAMPIONS = "champions"
    SILOS = "silos"
    KINDS = [(HEALTH, "Community health"), (CHAMPIONS, "Champions"), (SILOS, "Silo map")]

    kind = models.CharField(max_length=16, choices=KINDS)
    # Null: organisation-wide.
    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # snapshot_once_per_community_month
    )
    month = models.DateField()  # the 1st of the month the figures describe
    figures = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "community", "month"],
                condition=Q(community__isnull=False),
                name="snapshot_once_per_community_month",
            ),
            models.UniqueConstraint(
                fields=["kind", "month"],
                condition=Q(community__isnull=True),
                name="snapshot_once_per_org_month",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["health", "champions", "silos"]), name="snapshot_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        scope = self.community_id or "org"
        return f"{self.kind} of {scope} for {self.month:%Y-%m}"
