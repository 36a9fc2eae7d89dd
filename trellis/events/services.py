"""Writes of events: creating, editing and cancelling them, replies and the waitlist, and
calendar feed links.

Taking a place locks the event's row first (`select_for_update`; SQLite's write lock does
the same), then counts who is going: two people answering "going" at once for the last place
are served one after the other, and the second lands on the waitlist.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from trellis.accounts.tokens import hash_secret
from trellis.communities.models import Community
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.core.text import render_markdown
from trellis.events.models import (
    ANSWERS,
    MAX_CAPACITY,
    CalendarFeed,
    Event,
    EventKind,
    Reply,
    Rsvp,
)
from trellis.events.times import LocalTimeError, aware, zone_or_none
from trellis.notifications.models import Kind
from trellis.notifications.services import notify
from trellis.people.models import Person

FEED_TOKEN_PREFIX = "cal_"  # noqa: S105 (a label, not a secret)
MAX_DESCRIPTION = 20_000


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


def event_create(*, actor: Person, community: Community | None, fields: EventFields) -> Event:
    if not access.can_manage_events_in(actor, community):
        if community is not None and not access.can_view_community(actor, community):
            raise NotFound("No such community.")
        raise Forbidden(
            "Only the community's core team can add its events."
            if community is not None
            else "Only org admins can add events for the whole organisation."
        )
    columns = _cleaned(fields)
    with transaction.atomic():
        event = Event.objects.create(community=community, created_by=actor, **columns)
        activity_record(
            actor=actor,
            verb="event.create",
            obj=event,
            community_id=community.pk if community else None,
        )
    return event


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


def event_update(*, actor: Person, event_id: int, fields: EventFields) -> Event:
    """Change an event. More places (or no limit) move people up from the waitlist; fewer
    places take nobody's place away, they only stop new ones."""
    with transaction.atomic():
        event = _locked(actor, event_id)
        _check_manager(actor, event)
        if event.is_cancelled:
            raise Invalid("This event was cancelled; it can no longer be changed.")
        for name, value in _cleaned(fields).items():
            setattr(event, name, value)
        event.save()
        _promote(event, actor)
        activity_record(
            actor=actor, verb="event.update", obj=event, community_id=event.community_id
        )
    return event


def event_cancel(*, actor: Person, event_id: int) -> Event:
    with transaction.atomic():
        event = _locked(actor, event_id)
        _check_manager(actor, event)
        if event.is_cancelled:
            raise Invalid("This event is already cancelled.")
        event.cancelled_at = timezone.now()
        event.save(update_fields=["cancelled_at", "updated_at"])
        activity_record(
            actor=actor, verb="event.cancel", obj=event, community_id=event.community_id
        )
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
