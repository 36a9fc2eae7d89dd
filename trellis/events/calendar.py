"""Events as iCalendar (RFC 5545), through the icalendar library: one event's .ics and the
feeds. Times carry their TZID with a VTIMEZONE, so a calendar shows them right across a
daylight-saving change."""

from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from trellis.events.models import Event

PRODID = "-//Trellis//Community events//EN"


def event_uid(event: Event) -> str:
    """Stable for the event's life, whatever is edited: a calendar updates it in place."""
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "trellis"
    return f"event-{event.pk}@{host}"


def _vevent(event: Event, stamp: datetime) -> icalendar.Event:
    zone = ZoneInfo(event.time_zone)
    url = settings.SITE_URL + reverse("event-detail", args=[event.pk])
    item = icalendar.Event()
    item.add("uid", event_uid(event))
    item.add("dtstamp", stamp)
    item.add("dtstart", event.starts_at.astimezone(zone))
    item.add("dtend", event.ends_at.astimezone(zone))
    if event.occurrence_start is not None:
        # One VEVENT per occurrence, each with its own UID; RECURRENCE-ID says which date of
        # the series' rule it is, which stays when that occurrence alone is moved.
        item.add("recurrence-id", event.occurrence_start.astimezone(zone))
    item.add("summary", event.title)
    where = event.community.name if event.community else "the whole organisation"
    description = f"{event.get_kind_display()} for {where}."
    if event.description:
        description += "\n\n" + event.description
    if event.video_url:
        description += f"\n\nJoin online: {event.video_url}"
    item.add("description", description)
    location = event.place or event.video_url
    if location:
        item.add("location", location)
    item.add("url", url)
    item.add("last-modified", event.updated_at.astimezone(UTC))
    item.add("sequence", int(event.updated_at.timestamp()) // 60 % 2_000_000_000)
    item.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    return item


def calendar_of(events: Iterable[Event], *, name: str = "") -> bytes:
    """An iCalendar document with these events (read with `community` selected)."""
    document = icalendar.Calendar()
    document.add("prodid", PRODID)
    document.add("version", "2.0")
    document.add("calscale", "GREGORIAN")
    if name:
        document.add("x-wr-calname", name)
    stamp = timezone.now().astimezone(UTC)
    for event in events:
        document.add_component(_vevent(event, stamp))
    document.add_missing_timezones()
    return bytes(document.to_ical())
