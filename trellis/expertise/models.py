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
            # routing reads each tag's strongest rows only
            models.Index(fields=["tag", "-score"], name="expertise_topic_strongest"),
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
            # PostgreSQL cannot read the one above in order for IS NULL (organisation-wide)
            models.Index(
                fields=["-recent"],
                condition=models.Q(community__isnull=True),
                name="expertise_helper_recent_org",
            ),
            models.Index(fields=["person"], name="expertise_helper_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.community_id}: {self.answers} answers"


class LearnedTopic(models.Model):
    """A topic learned from the questions themselves (tags name only what askers thought to
    tag): a cluster of question vectors, labelled by the words that set it apart. Learned per
    scope: `community` none is the model of everything every member sees (organisation-wide
    content and public communities); a private community has a model of its own, so a label
    never carries a private community's words to people outside it."""

    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    label = models.CharField(max_length=200)  # its three most distinctive words
    terms = models.JSONField(default=list)  # the distinctive words, most first
    embedding_model = models.CharField(max_length=60)  # whose vectors it was learned from
    questions = models.PositiveIntegerField(default=0)
    learned_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["community"], name="expertise_learned_scope")]

    def __str__(self) -> str:
        return self.label


class QuestionTopic(models.Model):
    """Which learned topic a question belongs to (one each), so that a person's learned-topic
    evidence is rebuilt from their own answers after each one, as their tag evidence is."""

    question = models.OneToOneField(
        "qa.Post", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    topic = models.ForeignKey(LearnedTopic, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.question_id} in {self.topic_id}"


class LearnedTopicEvidence(models.Model):
    """One person's answers on one learned topic within one scope (their answers'
    community), decayed as tag evidence is."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    topic = models.ForeignKey(LearnedTopic, on_delete=models.CASCADE, related_name="+")
    answers = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    score = models.FloatField(default=0.0)
    last_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["person"], name="expertise_learned_person"),
            models.Index(fields=["topic", "-score"], name="expertise_learned_strongest"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} on learned {self.topic_id}: {self.score:.2f}"


class RoutingStage(models.TextChoices):
    EXPERT = "expert", "matched to the question"
    ESCALATION = "escalation", "asked when nobody had answered"
    LEADER = "leader", "asked as the community's leader"
    MANUAL = "manual", "connected by a leader"


class RoutingDecision(models.Model):
    """One person asked to help with one question, why, and what came of it: the routed load
    leaders see, the weekly cap's count, and the evaluation of routing on real outcomes."""

    question = models.ForeignKey("qa.Post", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # the question's community, so every list of decisions filters by who may see it
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    stage = models.CharField(max_length=12, choices=RoutingStage.choices)
    position = models.PositiveSmallIntegerField(default=0)  # in the candidate list; 0 by hand
    score = models.FloatField(default=0.0)
    reason = models.CharField(max_length=300)
    routed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    passed_at = models.DateTimeField(null=True, blank=True)  # "not for me"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "person"], name="routing_once_per_person"),
            models.CheckConstraint(
                condition=models.Q(stage__in=RoutingStage.values), name="routing_stage"
            ),
        ]
        indexes = [
            models.Index(fields=["person", "created_at"], name="routing_person_week"),
            models.Index(fields=["community", "created_at"], name="routing_community"),
        ]

    def __str__(self) -> str:
        return f"question {self.question_id} to {self.person_id} ({self.stage})"


class RoutedQuestion(models.Model):
    """Where a question's routing stands: which round it is in, and when the next one is due
    if it is still unanswered (none once it is answered, closed, or every round has run)."""

    question = models.OneToOneField(
        "qa.Post", primary_key=True, on_delete=models.CASCADE, related_name="routing"
    )
    round = models.PositiveSmallIntegerField(default=1)  # 1 experts, 2 the next ones, 3 leaders
    routed_at = models.DateTimeField(default=timezone.now)
    next_step_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_step_at"],
                condition=models.Q(next_step_at__isnull=False),
                name="routing_due",
            )
        ]

    def __str__(self) -> str:
        return f"question {self.question_id}: round {self.round}"


class Endorsement(models.Model):
    """A colleague's word that a person knows a topic: peer evidence beside answers and guides.
    Not part of any community, so everyone signed in may see it."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="endorsements"
    )
    tag = models.ForeignKey("core.Tag", on_delete=models.CASCADE, related_name="+")
    endorsed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "tag", "endorsed_by"], name="endorsement_once"
            ),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("endorsed_by")), name="endorsement_not_self"
            ),
        ]
        indexes = [models.Index(fields=["tag", "person"], name="endorsement_tag")]

    def __str__(self) -> str:
        return f"{self.endorsed_by_id} endorses {self.person_id} on {self.tag_id}"
