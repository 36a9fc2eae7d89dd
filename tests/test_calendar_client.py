"""Trellis's .ics files and feeds, read by a calendar client's own parser: Mozilla's ical.js
(the parser of Thunderbird's calendar), under node, from tests/calendar_client. The times it
shows must be the times in the database, on both sides of a daylight-saving change, and an
outsider's feed must hold no private event."""

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import IN_CI
from tests.personas import Org
from trellis.events import services
from trellis.events.models import Event, EventKind
from trellis.events.services import EventFields, Repeat

READER = Path(__file__).parent / "calendar_client" / "read_ics.mjs"
INSTALLED = (READER.parent / "node_modules" / "ical.js").is_dir()
pytestmark = pytest.mark.skipif(
    not IN_CI and (shutil.which("node") is None or not INSTALLED),
    reason="node or ical.js is missing: `scripts/setup.sh dev` installs them (CI fails instead)",
)


def _client_reads(ics: bytes) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["node", str(READER)], input=ics, capture_output=True, check=True, timeout=60
    )
    events: list[dict[str, Any]] = json.loads(done.stdout)
    return events


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _fields(title: str, start: datetime, zone: str) -> EventFields:
    return EventFields(
        kind=EventKind.CIRCLE,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        time_zone=zone,
        place="Room 4",
    )


def test_a_calendar_client_shows_the_series_at_ten_across_the_autumn_change(org: Org) -> None:
    """London leaves summer time on 31 October 2027, New York on 7 November: a weekly
    series at 10:00 local stays at 10:00 local, so its UTC time moves by an hour."""
    london = services.event_create(
        actor=org.leader,
        community=org.public,
        fields=_fields("Helm circle", datetime(2027, 10, 21, 10, 0), "Europe/London"),
        repeat=Repeat(every="week", count=3),
    )
    new_york = services.event_create(
        actor=org.leader,
        community=org.public,
        fields=_fields("Office hours East", datetime(2027, 11, 4, 10, 0), "America/New_York"),
        repeat=Repeat(every="week", count=2),
    )
    _feed, raw = services.calendar_feed_create(actor=org.member, community=org.public)
    response = Client().get(reverse("calendar-feed", args=[raw]))
    assert response.status_code == 200
    read = {item["uid"]: item for item in _client_reads(response.content)}
    stored = Event.objects.filter(series__in=[london.series, new_york.series])
    assert len(read) == stored.count() == 5
    for event in stored:
        (item,) = [i for u, i in read.items() if u.startswith(f"event-{event.pk}@")]
        assert _utc(item["start"]) == event.starts_at
        assert _utc(item["end"]) == event.ends_at
        assert _utc(item["recurrence_id"]) == event.occurrence_start
        assert item["zone"] == event.time_zone
        assert item["local_start"].endswith("T10:00:00"), item  # what the calendar shows
    utc_starts = sorted(_utc(i["start"]) for i in read.values() if i["summary"] == "Helm circle")
    assert utc_starts == [
        datetime(2027, 10, 21, 9, tzinfo=UTC),  # BST
        datetime(2027, 10, 28, 9, tzinfo=UTC),  # BST, the last week of it
        datetime(2027, 11, 4, 10, tzinfo=UTC),  # GMT
    ]
    east = sorted(_utc(i["start"]) for i in read.values() if i["summary"] == "Office hours East")
    assert east == [datetime(2027, 11, 4, 14, tzinfo=UTC), datetime(2027, 11, 11, 15, tzinfo=UTC)]


def test_a_calendar_client_reads_one_events_ics_and_an_outsiders_feed_without_private_events(
    org: Org,
) -> None:
    spring = services.event_create(
        actor=org.leader,
        community=org.public,
        fields=_fields("Spring brown-bag", datetime(2027, 3, 29, 12, 30), "Europe/London"),
    )
    hidden = services.event_create(
        actor=org.leader,
        community=org.private,
        fields=_fields("Breach drill debrief", datetime(2027, 3, 30, 9, 0), "Europe/London"),
    )
    member = Client()
    member.force_login(org.member)
    (item,) = _client_reads(member.get(reverse("event-ics", args=[spring.pk])).content)
    assert _utc(item["start"]) == spring.starts_at == datetime(2027, 3, 29, 11, 30, tzinfo=UTC)
    assert item["local_start"] == "2027-03-29T12:30:00"

    outsiders_feed = services.calendar_feed_create(actor=org.outsider, community=None)[1]
    members_feed = services.calendar_feed_create(actor=org.member, community=None)[1]
    anonymous = Client()
    seen_by_outsider = _client_reads(
        anonymous.get(reverse("calendar-feed", args=[outsiders_feed])).content
    )
    seen_by_member = _client_reads(
        anonymous.get(reverse("calendar-feed", args=[members_feed])).content
    )
    hidden_uid = f"event-{hidden.pk}@"
    assert not [i for i in seen_by_outsider if i["uid"].startswith(hidden_uid)]
    assert "Breach drill debrief" not in {i["summary"] for i in seen_by_outsider}
    assert [i["summary"] for i in seen_by_member if i["uid"].startswith(hidden_uid)] == [
        "Breach drill debrief"
    ]
