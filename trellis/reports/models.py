"""The sponsor's impact report: what a sponsor provides, when they opened the report, how often
they want it by email, and the figures precomputed per community and period.

Figures are computed once per (scope, period) and kept (`PeriodFigures`), so the report page
reads a handful of rows however big the community; `services.figures_refresh` recomputes the
periods still moving (the current and the previous ones), on a schedule and after bulk loads.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

# Bounds a real community stays inside; beyond them the number is a typo (see services).
MAX_BUDGET = Decimal("10000000")  # ten million a year, in the community's currency
MAX_HOURS_PER_MONTH = 744  # every hour of a month: more than that is not time anyone has


class SponsorResources(models.Model):
    """What the sponsor provides the community: one row per community, edited by its leaders
    and sponsors, read against what the community enabled."""

    community = models.OneToOneField(
        "communities.Community", on_delete=models.CASCADE, related_name="sponsor_resources"
    )
    annual_budget = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_BUDGET)],
    )
    currency = models.CharField(max_length=3, default="EUR")
    # Time the members may spend on the community, per member and month.
    hours_per_month = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_HOURS_PER_MONTH)],
    )
    channels = models.TextField(blank=True)  # e.g. "#k8s-guild, a slot in the monthly all-hands"
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "sponsor resources"
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_budget__isnull=True)
                | Q(annual_budget__gte=0, annual_budget__lte=MAX_BUDGET),
                name="sponsor_resources_budget",
            ),
            models.CheckConstraint(
                condition=Q(hours_per_month__isnull=True)
                | Q(hours_per_month__gte=0, hours_per_month__lte=MAX_HOURS_PER_MONTH),
                name="sponsor_resources_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"resources of {self.community_id}"


class Cadence(models.TextChoices):
    MONTHLY = "monthly", "Every month"
    QUARTERLY = "quarterly", "Every quarter"
    OFF = "off", "Never (I'll open it myself)"


class ReportSubscription(models.Model):
    """How often a sponsor gets their reports by email (no row: monthly)."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscription"
    )
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.MONTHLY)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(cadence__in=Cadence.values), name="report_subscription_cadence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.cadence}"


class ReportEmail(models.Model):
    """The reports of one period emailed to one sponsor (one email for all the communities they
    sponsor): the unique key makes the scheduled job idempotent."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=7)  # "2026-11" or "2026-Q3"
    communities = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "period"], name="report_email_once")
        ]

    def __str__(self) -> str:
        return f"reports of {self.period} to {self.person_id}"


class OpenedAs(models.TextChoices):
    PAGE = "page", "Page"
    PDF = "pdf", "PDF"


class ReportOpen(models.Model):
    """That a sponsor opened their community's report (the page or the PDF): what leaders
    look at ("has our sponsor read it?")."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(max_length=7)
    opened_as = models.CharField(max_length=4, choices=OpenedAs.choices)
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["community", "-opened_at"], name="report_open_recent")]

    def __str__(self) -> str:
        return f"{self.person_id} opened {self.community_id} {self.period} ({self.opened_as})"


class PeriodFigures(models.Model):
    """The report's figures for one scope (a community, or the organisation: community null)
    and one period, as computed at `computed_at` (JSON: see `figures.Figures`)."""

    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(max_length=7)
    figures = models.JSONField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "period"],
                condition=Q(community__isnull=False),
                name="period_figures_one_per_community",
            ),
            models.UniqueConstraint(
                fields=["period"],
                condition=Q(community__isnull=True),
                name="period_figures_one_for_org",
            ),
        ]

    def __str__(self) -> str:
        return f"figures {self.community_id or 'org'} {self.period}"
