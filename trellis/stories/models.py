"""Value stories: what a moment of help did for someone, told when it happened, and the
business goals a sponsor names for their community.

A story is told about one moment (its `source`): an answer the teller accepted, a post they
thanked, a guide they marked as helpful, an event they went to. One story per person per
moment. It belongs to the moment's community (null: organisation-wide) and is seen by the
audience its teller chose (`core.access.visible_stories_filter`). Cycles follow Wenger,
Trayner & de Laat (2011): immediate, potential, applied, realised and reframing value.

The bounds on estimates (`MAX_*`) are written once here and checked by the service, the form,
the API schema and the database, so an absurd figure never reaches the sponsor's report.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# One story is one person's moment. 2,000 hours is about a working year: more than that from a
# single answer or guide is a typo (or a team-wide figure that belongs in a goal's measure).
MAX_HOURS = Decimal(2000)
# Cost avoided, in whole units of the organisation's currency: above ten million a figure is
# a budget line, not one person's story, and the report would be dominated by one typo.
MAX_COST = 10_000_000
MAX_TEXT = 2000  # a paragraph or two: the report quotes stories whole
MAX_MADE_POSSIBLE = 300
MAX_DETAIL_REQUEST = 500
MAX_GOAL_NAME = 120
MAX_GOAL_MEASURE = 500


class Cycle(models.TextChoices):
    """The value cycles, worded as a member would say them."""

    IMMEDIATE = "immediate", "It helped me right now"
    POTENTIAL = "potential", "I learned something I'll use"
    APPLIED = "applied", "I changed how I work"
    REALISED = "realised", "It made a measurable difference"
    REFRAMING = "reframing", "It changed how we think about success"


# The cycle's name as a report uses it ("Applied value").
CYCLE_NAMES = {
    Cycle.IMMEDIATE: "Immediate value",
    Cycle.POTENTIAL: "Potential value",
    Cycle.APPLIED: "Applied value",
    Cycle.REALISED: "Realised value",
    Cycle.REFRAMING: "Reframing value",
}


class Audience(models.TextChoices):
    """Who may read the story, as its teller chose; each includes the one before."""

    LEADERS = "leaders", "Only the community's leaders and sponsors"
    MEMBERS = "members", "The community's members"
    EVERYONE = "everyone", "Everyone who can see the community"


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Source(models.TextChoices):
    """The moment a story is about; `source_id` is the answer, post, resource or event."""

    ACCEPTED = "accepted", "an answer you accepted"
    THANKS = "thanks", "a post you thanked"
    RESOURCE = "resource", "a guide that helped you"
    EVENT = "event", "an event you went to"


class Measure(models.TextChoices):
    FREE = "", "Described in words"
    ONBOARDING = (
        "onboarding",
        "Onboarding time (newcomers' days to a first answer and a first contribution)",
    )


class Goal(models.Model):
    """A business goal a community's sponsor (or leader) names: "Reduce onboarding time"."""

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="goals"
    )
    name = models.CharField(max_length=MAX_GOAL_NAME)
    measure = models.CharField(max_length=16, choices=Measure.choices, blank=True)
    measure_text = models.CharField(max_length=MAX_GOAL_MEASURE, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(measure__in=Measure.values), name="goal_measure"),
            models.UniqueConstraint(
                fields=["community", "name"],
                condition=Q(retired_at__isnull=True),
                name="goal_one_live_name",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Story(models.Model):
    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="stories",
    )
    teller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stories"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    source_id = models.BigIntegerField()
    source_title = models.CharField(max_length=300, blank=True)  # as it was when told
    cycle = models.CharField(max_length=10, choices=Cycle.choices)
    text = models.TextField(blank=True)
    hours_saved = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    cost_avoided = models.PositiveIntegerField(null=True, blank=True)
    risk_reduced = models.CharField(max_length=6, choices=Risk.choices, blank=True)
    made_possible = models.CharField(max_length=MAX_MADE_POSSIBLE, blank=True)
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.MEMBERS)
    named = models.BooleanField(default=True)  # False: shown as "a member"
    goal = models.ForeignKey(
        Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="stories"
    )
    told_at = models.DateTimeField(default=timezone.now)
    featured_at = models.DateTimeField(null=True, blank=True)
    featured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail_request = models.CharField(max_length=MAX_DETAIL_REQUEST, blank=True)
    detail_requested_at = models.DateTimeField(null=True, blank=True)
    detail_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.TextField(blank=True)
    detail_added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "stories"
        constraints = [
            models.UniqueConstraint(
                fields=["teller", "source", "source_id"], name="story_one_per_moment"
            ),
            models.CheckConstraint(condition=Q(cycle__in=Cycle.values), name="story_cycle"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="story_source"),
            models.CheckConstraint(
                condition=Q(audience__in=Audience.values), name="story_audience"
            ),
            models.CheckConstraint(
                condition=Q(risk_reduced__in=["", *Risk.values]), name="story_risk"
            ),
            models.CheckConstraint(
                condition=Q(hours_saved__isnull=True)
                | Q(hours_saved__gte=0, hours_saved__lte=MAX_HOURS),
                name="story_hours_bounded",
            ),
            models.CheckConstraint(
                condition=Q(cost_avoided__isnull=True) | Q(cost_avoided__lte=MAX_COST),
                name="story_cost_bounded",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "-told_at"], name="story_by_community"),
            models.Index(fields=["-told_at"], name="story_by_time"),
            models.Index(
                fields=["community", "featured_at"],
                condition=Q(featured_at__isnull=False),
                name="story_featured",
            ),
        ]

    def __str__(self) -> str:
        return f"story {self.pk} by {self.teller_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def cycle_label(self) -> str:
        return Cycle(self.cycle).label


class Dismissal(models.Model):
    """ "Not now" to the question about one moment: it is not asked again."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    source_id = models.BigIntegerField()
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "source", "source_id"], name="story_dismissal_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} dismissed {self.source}:{self.source_id}"


class Helped(models.Model):
    """ "This helped me" on a library resource: a use of a guide, and a moment for a story."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(
        "library.Resource", on_delete=models.CASCADE, related_name="helped_marks"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "helped marks"
        constraints = [models.UniqueConstraint(fields=["person", "resource"], name="helped_once")]

    def __str__(self) -> str:
        return f"{self.person_id} was helped by {self.resource_id}"
