"""Community events (or org-wide ones), who is coming, and the secret calendar feeds.

An event belongs to a community (then it is exactly as visible as the community) or to the
whole organisation (community null). A recurring series is an `EventSeries` holding the
RFC 5545 rule; each of its occurrences is an `Event` row of its own (so replies, agendas and
facilitators belong to one occurrence). Editing one occurrence leaves the others alone and
marks it `edited_alone`, so later edits of the series (this and following, or all) skip it.

Each person has at most one reply per event. "Going" to a full event puts them on the
waitlist, ordered by when they joined it; a place freed by someone going is given to the
first on the waitlist (`services.rsvp_set`).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

MAX_CAPACITY = 10_000


class EventKind(models.TextChoices):
    BROWN_BAG = "brown_bag", "Brown-bag"
    CIRCLE = "circle", "Problem-solving circle"
    SHOW_AND_TELL = "show_and_tell", "Show & tell"
    OFFICE_HOURS = "office_hours", "Office hours"
    WORKSHOP = "workshop", "Workshop"


class EventSeries(models.Model):
    """A recurring event: the rule (RFC 5545 RRULE) and the template each occurrence starts
    from. Occurrences are materialised as `Event` rows, bounded by the rule's COUNT or UNTIL."""

    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="event_series",
    )
    rrule = models.CharField(max_length=500)  # e.g. "FREQ=WEEKLY;BYDAY=TH;COUNT=12"
    time_zone = models.CharField(max_length=64)  # the rule recurs in local time here
    first_starts_at = models.DateTimeField()
    duration = models.DurationField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"series {self.pk}: {self.rrule}"


class Event(models.Model):
    community = models.ForeignKey(
        "communities.Community",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)  # Markdown, as written
    description_html = models.TextField(blank=True)  # rendered and sanitised, as posts are
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64)  # IANA name the organiser planned in
    place = models.CharField(max_length=200, blank=True)
    video_url = models.URLField(max_length=500, blank=True)
    capacity = models.PositiveIntegerField(null=True, blank=True)  # none: no limit
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    series = models.ForeignKey(
        EventSeries, null=True, blank=True, on_delete=models.CASCADE, related_name="occurrences"
    )
    # The start the series' rule gave this occurrence (RFC 5545 RECURRENCE-ID); it stays when
    # the occurrence alone is moved.
    occurrence_start = models.DateTimeField(null=True, blank=True)
    # Who runs this occurrence (the rotation proposes; the organiser when nobody is set).
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events_facilitated",
    )
    # Set when this occurrence was changed on its own: edits of the series then leave it be.
    edited_alone = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind"),
            models.UniqueConstraint(
                fields=["series", "occurrence_start"], name="event_one_per_occurrence"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="event_ends"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1, capacity__lte=MAX_CAPACITY),
                name="event_capacity",
            ),
        ]
        indexes = [
            models.Index(fields=["community", "starts_at"], name="event_by_community"),
            models.Index(fields=["starts_at"], name="event_by_start"),
            models.Index(fields=["series", "starts_at"], name="event_by_series"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= timezone.now()


class Reply(models.TextChoices):
    GOING = "going", "Going"
    WAITLIST = "waitlist", "On the waitlist"
    INTERESTED = "interested", "Interested"
    NOT_GOING = "not_going", "Not going"


# What a person may answer; the waitlist is where "going" lands when the event is full.
ANSWERS = (Reply.GOING, Reply.INTERESTED, Reply.NOT_GOING)


class Rsvp(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_rsvps"
    )
    reply = models.CharField(max_length=12, choices=Reply.choices)
    waitlisted_at = models.DateTimeField(null=True, blank=True)  # the waitlist's order
    # Recorded by the organiser after the event: None until then (a person may be marked as
    # there without having replied; they get a reply row saying "going").
    attended = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "person"], name="rsvp_one_per_person"),
            models.CheckConstraint(condition=Q(reply__in=Reply.values), name="rsvp_reply"),
            models.CheckConstraint(
                condition=~Q(reply=Reply.WAITLIST) | Q(waitlisted_at__isnull=False),
                name="rsvp_waitlisted_when",
            ),
        ]
        indexes = [models.Index(fields=["event", "reply"], name="rsvp_by_event")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.reply} {self.event_id}"


class CalendarFeed(models.Model):
    """A secret address a calendar app subscribes to: the person's own feed (community
    null: their communities' events and org-wide ones) or one community's. Only a hash of
    the token is kept; what the feed holds is decided when it is read, by what its owner may
    see then."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    community = models.ForeignKey(
        "communities.Community", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(community__isnull=True, revoked_at__isnull=True),
                name="calendar_feed_one_personal",
            ),
            models.UniqueConstraint(
                fields=["person", "community"],
                condition=Q(community__isnull=False, revoked_at__isnull=True),
                name="calendar_feed_one_per_community",
            ),
        ]

    def __str__(self) -> str:
        return f"calendar feed {self.pk} of {self.person_id}"


class ReminderKind(models.TextChoices):
    DAY = "day", "a day before"
    HOUR = "hour", "an hour before"


class EventReminder(models.Model):
    """A reminder sent: one per person, event and kind, so a job run twice (or two
    schedulers) never reminds anyone twice."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="reminders")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "person", "kind"], name="event_reminder_once"),
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="event_reminder_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder of {self.event_id} for {self.person_id}"
