"""Writes of events: creating (one, or a recurring series), editing and cancelling them (one
occurrence, this and the following ones, or the whole series), replies and the waitlist,
attendance, reminders and calendar feed links.

Taking a place locks the event's row first (`select_for_update`; SQLite's write lock does
the same), then counts who is going: two people answering "going" at once for the last place
are served one after the other, and the second lands on the waitlist.
"""

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Case, Value, When
from django.urls import reverse
from django.utils import timezone

from trellis.accounts.tokens import hash_secret
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.core.text import render_markdown
from trellis.events import recurrence
from trellis.events.models import (
    ANSWERS,
    MAX_CAPACITY,
    CalendarFeed,
    Event,
    EventKind,
    EventReminder,
    EventSeries,
    ReminderKind,
    Reply,
    Rsvp,
)
from trellis.events.times import LocalTimeError, aware, zone_or_none
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.people.models import Person

FEED_TOKEN_PREFIX = "cal_"  # noqa: S105 (a label, not a secret)
MAX_DESCRIPTION = 20_000

# The bell's kinds for reminders and cancellations (emailed at once; the title is the whole
# sentence).
REMINDER_KIND: str = Kind.EVENT_REMINDER
CANCELLED_KIND: str = Kind.EVENT_CANCELLED

# Which occurrences of a series an edit or a cancellation reaches.
THIS, FOLLOWING, ALL = "this", "following", "all"
SCOPES = (THIS, FOLLOWING, ALL)

# Who hears that an event was cancelled, and who is reminded of it.
TOLD_OF_CANCELLATION = (Reply.GOING, Reply.WAITLIST, Reply.INTERESTED)
REMINDED = (Reply.GOING, Reply.INTERESTED)
# Each reminder goes out when the start is this close (and the next one is not yet due).
REMINDER_LEADS = ((ReminderKind.DAY, timedelta(hours=24)), (ReminderKind.HOUR, timedelta(hours=1)))


@dataclass(frozen=True)
class EventFields:
    """What an organiser says about an event. Naive times are wall-clock times in
    `time_zone`; aware ones are instants."""

    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    description: str = ""
    place: str = ""
    video_url: str = ""
    capacity: int | None = None


def _cleaned(fields: EventFields) -> dict[str, object]:
    """The event's columns, or Invalid naming every field that is wrong at once."""
    errors: dict[str, str] = {}
    title = fields.title.strip()
    if not title:
        errors["title"] = "Give the event a title."
    elif len(title) > 200:
        errors["title"] = "At most 200 characters."
    if fields.kind not in EventKind.values:
        errors["kind"] = "Choose what kind of event it is."
    description = fields.description.strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"At most {MAX_DESCRIPTION:,} characters."
    place = fields.place.strip()
    if len(place) > 200:
        errors["place"] = "At most 200 characters."
    video_url = fields.video_url.strip()
    if video_url:
        try:
            URLValidator(schemes=["http", "https"])(video_url)
        except ValidationError:
            errors["video_url"] = "Enter a full web address, starting with https://."
        if len(video_url) > 500:
            errors["video_url"] = "At most 500 characters."
    capacity = fields.capacity
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = (
            f"Places must be between 1 and {MAX_CAPACITY:,}; leave it empty for no limit."
        )
    zone = zone_or_none(fields.time_zone)
    starts_at = ends_at = None
    if zone is None:
        errors["time_zone"] = (
            f"“{fields.time_zone[:60]}” is not a time zone we know; "
            "use a name such as Europe/London or America/New_York."
        )
    else:
        try:
            starts_at = aware(fields.starts_at, zone)
        except LocalTimeError as error:
            errors["starts_at"] = str(error)
        try:
            ends_at = aware(fields.ends_at, zone)
        except LocalTimeError as error:
            errors["ends_at"] = str(error)
        if starts_at and ends_at and ends_at <= starts_at:
            errors["ends_at"] = "The event must end after it starts."
    if errors:
        first = next(iter(errors.values()))
        raise Invalid(f"The event was not saved: {first}", field_errors=errors)
    return {
        "kind": fields.kind,
        "title": title,
        "description": description,
        "description_html": render_markdown(description) if description else "",
        "starts_at": starts_at,
        "ends_at": ends_at,
        "time_zone": fields.time_zone,
        "place": place,
        "video_url": video_url,
        "capacity": capacity,
    }


@dataclass(frozen=True)
class Repeat:
    """How an event repeats: `every` is one of `recurrence.REPEATS` ("custom" takes an RFC
    5545 `rrule`), ended by a `count` or an `until` day (in the event's time zone)."""

    every: str
    count: int | None = None
    until: date | None = None
    rrule: str = ""


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _occurrences(
    columns: dict[str, object], repeat: Repeat
) -> tuple[str, list[recurrence.Occurrence]]:
    """The series' rule and its occurrences, or Invalid naming what to change."""
    zone = ZoneInfo(str(columns["time_zone"]))
    starts_at, ends_at = columns["starts_at"], columns["ends_at"]
    assert isinstance(starts_at, datetime) and isinstance(ends_at, datetime)
    first = _wall(starts_at, zone)
    try:
        rule = recurrence.rule_for(
            repeat.every, first, count=repeat.count, until=repeat.until, custom=repeat.rrule
        )
        found = recurrence.expand(
            rule, first_local=first, duration=_wall(ends_at, zone) - first, zone=zone
        )
    except recurrence.RuleError as error:
        message = str(error)
        raise Invalid(
            f"The series was not saved: {message}", field_errors={error.field: message}
        ) from error
    return rule, found


def event_create(
    *, actor: Person, community: Community | None, fields: EventFields, repeat: Repeat | None = None
) -> Event:
    """One event, or (with `repeat`) a series whose occurrences are each an event of their
    own; the first is returned. Nothing is written when any part is wrong."""
    if not access.can_manage_events_in(actor, community):
        if community is not None and not access.can_view_community(actor, community):
            raise NotFound("No such community.")
        raise Forbidden(
            "Only the community's core team can add its events."
            if community is not None
            else "Only org admins can add events for the whole organisation."
        )
    columns = _cleaned(fields)
    if repeat is None:
        with transaction.atomic():
            event = Event.objects.create(community=community, created_by=actor, **columns)
            activity_record(
                actor=actor,
                verb="event.create",
                obj=event,
                community_id=community.pk if community else None,
            )
        return event
    rule, found = _occurrences(columns, repeat)
    with transaction.atomic():
        series = EventSeries.objects.create(
            community=community,
            rrule=rule,
            time_zone=str(columns["time_zone"]),
            first_starts_at=found[0].starts_at,
            duration=found[0].ends_at - found[0].starts_at,
            created_by=actor,
        )
        rows = Event.objects.bulk_create(
            [
                Event(
                    community=community,
                    created_by=actor,
                    series=series,
                    occurrence_start=o.starts_at,
                    **(columns | {"starts_at": o.starts_at, "ends_at": o.ends_at}),
                )
                for o in found
            ]
        )
        activity_record(
            actor=actor,
            verb="event.series.create",
            obj=series,
            community_id=community.pk if community else None,
        )
    return rows[0]


def _locked(actor: Person, event_id: int) -> Event:
    """The event, its row locked, if the actor may see it (else it does not exist)."""
    event = Event.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    community = None
    if event.community_id is not None:
        community = Community.objects.filter(pk=event.community_id).first()
    event.community = community
    if not access.can_view_event(actor, community):
        raise NotFound("No such event.")
    return event


def _check_manager(actor: Person, event: Event) -> None:
    if not access.can_manage_events_in(actor, event.community):
        raise Forbidden("Only the community's core team can change its events.")


def _check_scope(scope: str, event: Event) -> None:
    if scope not in SCOPES:
        raise Invalid(
            "Choose this event only, this and the following ones, or the whole series.",
            field_errors={"scope": "Choose this one, the following ones or the whole series."},
        )
    if scope != THIS and event.series_id is None:
        raise Invalid(
            "This event is not part of a series.",
            field_errors={"scope": "This event is not part of a series."},
        )


def _in_scope(event: Event, scope: str) -> list[Event]:
    """The occurrences an edit or a cancellation of `event` with this scope reaches, rows
    locked: never those over or cancelled already."""
    if scope == THIS:
        return [event]
    others = Event.objects.select_for_update().filter(
        series_id=event.series_id, cancelled_at__isnull=True, ends_at__gt=timezone.now()
    )
    if scope == FOLLOWING:
        others = others.filter(occurrence_start__gte=event.occurrence_start)
    found = list(others.exclude(pk=event.pk).order_by("occurrence_start", "pk"))
    for other in found:
        other.community = event.community
    return sorted([event, *found], key=lambda e: (e.starts_at, e.pk))


def event_update(*, actor: Person, event_id: int, fields: EventFields, scope: str = THIS) -> Event:
    """Change an event. More places (or no limit) move people up from the waitlist; fewer
    places take nobody's place away, they only stop new ones.

    For an occurrence of a series, `scope` says which: this one alone (it keeps its place in
    the series, and later edits of the series leave it be), or this and the following ones,
    or the whole series: each occurrence not yet over that nobody changed on its own moves by
    the same wall-clock shift as this one and takes the same details. Replies stay."""
    with transaction.atomic():
        event = _locked(actor, event_id)
        _check_manager(actor, event)
        _check_scope(scope, event)
        if event.is_cancelled:
            raise Invalid("This event was cancelled; it can no longer be changed.")
        columns = _cleaned(fields)
        if scope == THIS:
            for name, value in columns.items():
                setattr(event, name, value)
            event.edited_alone = event.series_id is not None
            event.save()
            _promote(event, actor)
            activity_record(
                actor=actor, verb="event.update", obj=event, community_id=event.community_id
            )
            return event
        old_zone, new_zone = ZoneInfo(event.time_zone), ZoneInfo(str(columns["time_zone"]))
        new_start, new_end = columns["starts_at"], columns["ends_at"]
        assert isinstance(new_start, datetime) and isinstance(new_end, datetime)
        shift = _wall(new_start, new_zone) - _wall(event.starts_at, old_zone)
        duration = _wall(new_end, new_zone) - _wall(new_start, new_zone)
        reached = [e for e in _in_scope(event, scope) if e.pk == event.pk or not e.edited_alone]
        details = {k: v for k, v in columns.items() if k not in ("starts_at", "ends_at")}
        for occurrence in reached:
            local = _wall(occurrence.starts_at, ZoneInfo(occurrence.time_zone)) + shift
            try:
                starts_at, ends_at = aware(local, new_zone), aware(local + duration, new_zone)
            except LocalTimeError as error:
                raise Invalid(
                    f"The series was not changed: {error}",
                    field_errors={"starts_at": str(error)},
                ) from error
            for name, value in details.items():
                setattr(occurrence, name, value)
            occurrence.starts_at, occurrence.ends_at = starts_at, ends_at
        for occurrence in reached:
            occurrence.save()
            _promote(occurrence, actor)
        activity_record(
            actor=actor,
            verb=f"event.series.update.{scope}",
            obj=event,
            community_id=event.community_id,
        )
    return event


def _local_day(event: Event) -> str:
    return f"{event.starts_at.astimezone(ZoneInfo(event.time_zone)):%a %-d %b %Y, %H:%M}"


def event_cancel(*, actor: Person, event_id: int, scope: str = THIS) -> Event:
    """Cancel an event, or (for a series) this and the following occurrences or all those
    not over yet. Everyone who replied (going, waiting or interested) hears of it by bell and
    email, once however many dates they lose."""
    with transaction.atomic():
        event = _locked(actor, event_id)
        _check_manager(actor, event)
        _check_scope(scope, event)
        if scope == THIS and event.is_cancelled:
            raise Invalid("This event is already cancelled.")
        reached = [e for e in _in_scope(event, scope) if not e.is_cancelled]
        if not reached:
            raise Invalid("Nothing left to cancel: its dates are over or cancelled already.")
        now = timezone.now()
        Event.objects.filter(pk__in=[e.pk for e in reached]).update(
            cancelled_at=now, updated_at=now
        )
        event.cancelled_at = event.cancelled_at or now
        first = reached[0]
        if scope == THIS:
            title = f"Cancelled: {event.title} on {_local_day(event)}"
        elif scope == FOLLOWING:
            title = f"Cancelled: {first.title} from {_local_day(first)} on ({len(reached)} dates)"
        else:
            title = f"Cancelled: every remaining date of {first.title} ({len(reached)} dates)"
        told = Rsvp.objects.filter(
            event__in=reached, reply__in=TOLD_OF_CANCELLATION
        ).select_related("person")
        notify(
            recipients=[r.person for r in told.order_by("person_id")],
            kind=CANCELLED_KIND,
            actor=actor,
            community=event.community,
            target_type="event",
            target_id=first.pk,
            title=title,
            url=reverse("event-detail", args=[first.pk]),
        )
        verb = "event.cancel" if scope == THIS else f"event.series.cancel.{scope}"
        activity_record(actor=actor, verb=verb, obj=event, community_id=event.community_id)
    return event


def _promote(event: Event, actor: Person | None) -> list[Rsvp]:
    """Give free places to the first on the waitlist, and tell each of them. The caller
    holds the event's row lock."""
    if event.is_cancelled or event.has_ended:
        return []
    waiting = Rsvp.objects.filter(event=event, reply=Reply.WAITLIST).order_by("waitlisted_at", "pk")
    if event.capacity is not None:
        going = Rsvp.objects.filter(event=event, reply=Reply.GOING).count()
        free = max(0, event.capacity - going)
        if not free:
            return []
        waiting = waiting[:free]
    promoted = list(waiting.select_related("person"))
    now = timezone.now()
    for rsvp in promoted:
        rsvp.reply, rsvp.waitlisted_at, rsvp.updated_at = Reply.GOING, None, now
        rsvp.save(update_fields=["reply", "waitlisted_at", "updated_at"])
        notify(
            recipients=[rsvp.person],
            kind=Kind.EVENT_PLACE,
            actor=None,
            community=event.community,
            target_type="event",
            target_id=event.pk,
            title=f"A place opened up at {event.title}: you're going",
            url=reverse("event-detail", args=[event.pk]),
        )
        activity_record(
            actor=actor, verb="event.promote", obj=rsvp, community_id=event.community_id
        )
    return promoted


def rsvp_set(*, actor: Person, event_id: int, answer: str) -> Rsvp:
    """Say whether you are coming. "Going" to a full event puts you on its waitlist (or
    keeps your place there); leaving "going" gives your place to the first waiting."""
    if answer not in ANSWERS:
        raise Invalid(
            "Choose going, interested or not going.",
            field_errors={"answer": "Choose going, interested or not going."},
        )
    with transaction.atomic():
        event = _locked(actor, event_id)
        if event.is_cancelled:
            raise Invalid("This event was cancelled, so it takes no more replies.")
        if event.has_ended:
            raise Invalid("This event has ended, so it takes no more replies.")
        if not access.can_rsvp_in(actor, event.community):
            raise Forbidden("This community is archived; its events take no more replies.")
        rsvp = Rsvp.objects.select_for_update().filter(event=event, person=actor).first()
        before = rsvp.reply if rsvp else None
        now = timezone.now()
        if answer == Reply.GOING and before in (Reply.GOING, Reply.WAITLIST):
            assert rsvp is not None
            return rsvp  # already going, or already waiting: the place in line is kept
        reply, waitlisted_at = answer, None
        if answer == Reply.GOING and event.capacity is not None:
            going = Rsvp.objects.filter(event=event, reply=Reply.GOING).count()
            if going >= event.capacity:
                reply, waitlisted_at = Reply.WAITLIST, now
        if rsvp is None:
            rsvp = Rsvp.objects.create(
                event=event, person=actor, reply=reply, waitlisted_at=waitlisted_at, updated_at=now
            )
        else:
            rsvp.reply, rsvp.waitlisted_at, rsvp.updated_at = reply, waitlisted_at, now
            rsvp.save(update_fields=["reply", "waitlisted_at", "updated_at"])
        activity_record(
            actor=actor, verb=f"event.rsvp.{reply}", obj=event, community_id=event.community_id
        )
        if before == Reply.GOING and reply != Reply.GOING:
            _promote(event, actor)
    return rsvp


# -- attendance -----------------------------------------------------------------------------


def attendance_record(*, actor: Person, event_id: int, came: Collection[int]) -> int:
    """Say who came, once the event has started: those listed are marked as there (someone
    who came without replying gets a "going" reply), everyone else who replied as not. Run
    again, it replaces the last record. Returns how many came."""
    came = set(came)
    with transaction.atomic():
        event = _locked(actor, event_id)
        if not access.can_record_attendance(actor, event.community, event.facilitator_id):
            raise Forbidden("Only the organisers and the facilitator record who came.")
        if event.is_cancelled:
            raise Invalid("This event was cancelled, so nobody came to it.")
        if event.starts_at > timezone.now():
            raise Invalid(
                f"Attendance is recorded once the event has started ({_local_day(event)})."
            )
        if len(came) > MAX_CAPACITY:
            raise Invalid(f"At most {MAX_CAPACITY:,} people can be recorded as there.")
        people = {p.pk: p for p in Person.objects.filter(pk__in=came)}
        unknown = came - set(people)
        if unknown:
            raise Invalid(
                "Someone on the list does not exist; reload the page and tick again.",
                field_errors={"came": "Someone on the list does not exist."},
            )
        replied = set(Rsvp.objects.filter(event=event).values_list("person_id", flat=True))
        newcomers = came - replied
        allowed = access.who_may_be_recorded_at(event.community, newcomers)
        for pk in sorted(newcomers - allowed):
            name = people[pk].name
            raise Invalid(
                f"{name} cannot be recorded: they may not see this community's events.",
                field_errors={"came": f"{name} is not in this community."},
            )
        now = timezone.now()
        Rsvp.objects.filter(event=event).update(
            attended=Case(When(person_id__in=came, then=Value(True)), default=Value(False))
        )
        Rsvp.objects.bulk_create(
            [
                Rsvp(event=event, person_id=pk, reply=Reply.GOING, attended=True, updated_at=now)
                for pk in sorted(came - replied)
            ]
        )
        activity_record(
            actor=actor, verb="event.attendance", obj=event, community_id=event.community_id
        )
    return len(came)


# -- reminders ------------------------------------------------------------------------------


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind those going (and interested) by bell and email: a day before and an hour
    before. Each person hears each reminder of an event once, however often this runs (the
    `EventReminder` row is the proof); the email follows their notification preferences.
    Returns how many reminders went out."""
    now = now or timezone.now()
    sent = 0
    later = timedelta(0)
    for kind, lead in reversed(REMINDER_LEADS):  # the hour's window first, then the day's
        due = (
            Event.objects.filter(
                cancelled_at__isnull=True, starts_at__gt=now + later, starts_at__lte=now + lead
            )
            .select_related("community")
            .order_by("starts_at", "pk")
        )
        for event in due:
            sent += _remind(event, kind, now)
        later = lead
    return sent


def _remind(event: Event, kind: str, now: datetime) -> int:
    waiting = (
        Rsvp.objects.filter(event=event, reply__in=REMINDED, person__is_active=True)
        .exclude(person__in=EventReminder.objects.filter(event=event, kind=kind).values("person"))
        .select_related("person")
        .order_by("person_id")
    )
    people = [r.person for r in waiting]
    if not people:
        return 0
    try:
        with transaction.atomic():
            EventReminder.objects.bulk_create(
                [EventReminder(event=event, person=p, kind=kind, sent_at=now) for p in people]
            )
            told = notify(
                recipients=people,
                kind=REMINDER_KIND,
                actor=None,
                community=event.community,
                target_type="event",
                target_id=event.pk,
                title=f"Reminder: {event.title} starts {_local_day(event)} ({event.time_zone})",
                url=reverse("event-detail", args=[event.pk]),
            )
    except IntegrityError:
        return 0  # another run reminded them at the same moment
    return len(told)


# -- calendar feeds -------------------------------------------------------------------------


def calendar_feed_create(*, actor: Person, community: Community | None) -> tuple[CalendarFeed, str]:
    """A new secret feed address (the raw token, shown once); the one it replaces, if any,
    stops working at once."""
    if not access.can_subscribe_to_events_of(actor, community):
        raise NotFound("No such community.")
    raw = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.filter(
            person=actor, community=community, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        feed = CalendarFeed.objects.create(
            person=actor, community=community, token_hash=hash_secret(raw)
        )
        activity_record(actor=actor, verb="calendar_feed.create", obj=feed)
    return feed, raw


def calendar_feed_revoke(*, actor: Person, feed_id: int) -> None:
    with transaction.atomic():
        updated = CalendarFeed.objects.filter(
            pk=feed_id, person=actor, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if not updated:
            raise NotFound("No such calendar link.")
        activity_record(actor=actor, verb="calendar_feed.revoke", obj=None)


def calendar_feed_used(*, feed: CalendarFeed) -> None:
    """Note when a calendar app last read the feed (at most hourly: apps poll often)."""
    now = timezone.now()
    if feed.last_used_at is None or (now - feed.last_used_at).total_seconds() > 3600:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
