"""Events as iCalendar (RFC 5545), through the icalendar library: one event's .ics and the
feeds. Times carry their TZID with a VTIMEZONE, so a calendar shows them right across a
daylight-saving change.

A feed holds up to 500 events and is polled by every subscriber's calendar app, and the
library takes about 0.3 ms to build and fold one VEVENT. So each VEVENT is built once per
version of what it says (its facts are the cache key, so an edit, a cancellation or a renamed
community makes a new one) and each time zone's VTIMEZONE once per process; a feed is then
those pieces joined. DTSTAMP is the event's last change: with no METHOD in the document,
RFC 5545 (3.8.7.2) makes it the same as LAST-MODIFIED, so it is stable between requests.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.urls import reverse

from trellis.events.models import Event

PRODID = "-//Trellis//Community events//EN"


def event_uid(event: Event) -> str:
    """Stable for the event's life, whatever is edited: a calendar updates it in place."""
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "trellis"
    return f"event-{event.pk}@{host}"


@dataclass(frozen=True)
class _Facts:
    """Everything a VEVENT says: equal facts, equal bytes."""

    uid: str
    url: str
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    occurrence_start: datetime | None
    title: str
    description: str
    location: str
    updated_at: datetime
    cancelled: bool


def _facts(event: Event) -> _Facts:
    where = event.community.name if event.community else "the whole organisation"
    description = f"{event.get_kind_display()} for {where}."
    if event.description:
        description += "\n\n" + event.description
    if event.video_url:
        description += f"\n\nJoin online: {event.video_url}"
    return _Facts(
        uid=event_uid(event),
        url=settings.SITE_URL + reverse("event-detail", args=[event.pk]),
        time_zone=event.time_zone,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        occurrence_start=event.occurrence_start,
        title=event.title,
        description=description,
        location=event.place or event.video_url,
        updated_at=event.updated_at,
        cancelled=event.is_cancelled,
    )


@lru_cache(maxsize=20_000)  # ~1 KB each: a few feeds' worth of events per process
def _vevent(facts: _Facts) -> bytes:
    zone = ZoneInfo(facts.time_zone)
    changed = facts.updated_at.astimezone(UTC)
    item = icalendar.Event()
    item.add("uid", facts.uid)
    item.add("dtstamp", changed)
    item.add("dtstart", facts.starts_at.astimezone(zone))
    item.add("dtend", facts.ends_at.astimezone(zone))
    if facts.occurrence_start is not None:
        # One VEVENT per occurrence, each with its own UID; RECURRENCE-ID says which date of
        # the series' rule it is, which stays when that occurrence alone is moved.
        item.add("recurrence-id", facts.occurrence_start.astimezone(zone))
    item.add("summary", facts.title)
    item.add("description", facts.description)
    if facts.location:
        item.add("location", facts.location)
    item.add("url", facts.url)
    item.add("last-modified", changed)
    item.add("sequence", int(facts.updated_at.timestamp()) // 60 % 2_000_000_000)
    item.add("status", "CANCELLED" if facts.cancelled else "CONFIRMED")
    return bytes(item.to_ical())


ZONE_RULES_FROM = date(2000, 1, 1)  # the library describes zones up to 2038


@lru_cache(maxsize=64)
def _vtimezone(name: str) -> bytes:
    """The zone's changes as one RDATE property per change. The library writes each kind of
    change as a single comma-separated RDATE, which RFC 5545 allows but Thunderbird's parser
    (ical.js) reads only the first value of: it would then show summer times all winter."""
    try:
        zone = icalendar.Timezone.from_tzid(name, first_date=ZONE_RULES_FROM)
    except ValueError:  # a zone the library cannot describe: its times still carry the TZID
        return b""
    for change in zone.subcomponents:
        found = change.get("RDATE")
        if found is None:
            continue
        listed = found if isinstance(found, list) else [found]
        moments = [item.dt for dates in listed for item in dates.dts]
        del change["RDATE"]
        for moment in moments:
            change.add("RDATE", moment)
    return bytes(zone.to_ical())


def calendar_of(events: Iterable[Event], *, name: str = "") -> bytes:
    """An iCalendar document with these events (read with `community` selected)."""
    head = icalendar.Calendar()
    head.add("prodid", PRODID)
    head.add("version", "2.0")
    head.add("calscale", "GREGORIAN")
    if name:
        head.add("x-wr-calname", name)
    opening, closing = bytes(head.to_ical()).rsplit(b"END:VCALENDAR", 1)
    listed = list(events)
    body = b"".join(_vevent(_facts(event)) for event in listed)
    # A VTIMEZONE for each zone a time names (UTC times are written with a Z and name none).
    zones = sorted(
        z for z in {event.time_zone for event in listed} if b"TZID=" + z.encode() in body
    )
    return b"".join([opening, *map(_vtimezone, zones), body, b"END:VCALENDAR", closing])
