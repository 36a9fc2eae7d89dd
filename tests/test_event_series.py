"""Recurring series, cancellations that tell people, reminders, attendance, and the race for
the last place."""

import json
import threading
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.accounts.services import api_token_create
from trellis.communities import services as community_services
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.events import selectors, services
from trellis.events.models import Event, EventKind, EventReminder, EventSeries, Reply, Rsvp
from trellis.events.services import EventFields, Repeat
from trellis.events.tasks import send_event_reminders
from trellis.notifications.models import Notification
from trellis.notifications.services import preference_set
from trellis.people.models import Person

LONDON = "Europe/London"


def _fields(start: datetime, **overrides: object) -> EventFields:
    values: dict[str, object] = {
        "kind": EventKind.CIRCLE,
        "title": "Helm rollbacks circle",
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "time_zone": LONDON,
        "place": "Room 4",
    }
    values.update(overrides)
    return EventFields(**values)  # type: ignore[arg-type]


def _series(org: Org, start: datetime, repeat: Repeat, **overrides: object) -> list[Event]:
    first = services.event_create(
        actor=org.leader, community=org.public, fields=_fields(start, **overrides), repeat=repeat
    )
    return list(Event.objects.filter(series=first.series).order_by("occurrence_start"))


def _api(person: Person) -> Client:
    _, raw = api_token_create(actor=person, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _soon(days: int = 7) -> datetime:
    """A naive London wall-clock time `days` from now, at 10:00."""
    return datetime.combine(
        timezone.now().date() + timedelta(days=days), datetime.min.time()
    ).replace(hour=10)


# -- series across the clock changes --------------------------------------------------------


def test_a_weekly_series_stays_at_ten_in_london_across_both_clock_changes(
    org: Org, client_for: ClientFor
) -> None:
    """2027: BST from 28 March, GMT again from 31 October. 10:00 London is 10:00 UTC in
    winter and 09:00 UTC in summer; the series keeps 10:00 local throughout."""
    events = _series(
        org, datetime(2027, 3, 18, 10, 0), Repeat(every="week", until=date(2027, 11, 5))
    )
    assert len(events) == 34
    series = EventSeries.objects.get()
    assert series.rrule == "FREQ=WEEKLY;BYDAY=TH;UNTIL=20271105T235959"
    expected = {
        date(2027, 3, 18): datetime(2027, 3, 18, 10, tzinfo=UTC),
        date(2027, 3, 25): datetime(2027, 3, 25, 10, tzinfo=UTC),
        date(2027, 4, 1): datetime(2027, 4, 1, 9, tzinfo=UTC),
        date(2027, 10, 28): datetime(2027, 10, 28, 9, tzinfo=UTC),
        date(2027, 11, 4): datetime(2027, 11, 4, 10, tzinfo=UTC),
    }
    by_day = {e.starts_at.date(): e for e in events}
    client = client_for(org.member)
    for day, utc in expected.items():
        event = by_day[day]
        assert event.starts_at == event.occurrence_start == utc
        assert event.ends_at == utc + timedelta(hours=1)
        calendar = icalendar.Calendar.from_ical(
            client.get(reverse("event-ics", args=[event.pk])).content
        )
        (item,) = calendar.walk("VEVENT")
        assert item["DTSTART"].params["TZID"] == LONDON
        assert item.decoded("DTSTART").astimezone(UTC) == utc
        assert item.decoded("DTSTART").hour == 10  # the local time a calendar shows
        assert item.decoded("RECURRENCE-ID").astimezone(UTC) == utc
    # The page says where the occurrence sits, with the dates either side.
    third = events[2]
    page = client.get(reverse("event-detail", args=[third.pk])).content.decode()
    assert "Part of a series: every Thursday at 10:00 (3 of 34)" in page
    assert reverse("event-detail", args=[events[1].pk]) in page
    assert reverse("event-detail", args=[events[3].pk]) in page


def test_the_leaders_choices_make_the_rules_they_say(org: Org) -> None:
    start = datetime(2027, 5, 13, 18, 30)  # the second Thursday of May
    fortnightly = _series(org, start, Repeat(every="two_weeks", count=3))
    assert [e.starts_at.date() for e in fortnightly] == [
        date(2027, 5, 13),
        date(2027, 5, 27),
        date(2027, 6, 10),
    ]
    monthly = _series(org, start, Repeat(every="month", count=3), title="Monthly")
    assert [e.starts_at.date() for e in monthly] == [
        date(2027, 5, 13),
        date(2027, 6, 10),
        date(2027, 7, 8),
    ]
    place = selectors.series_place(event=monthly[0])
    assert place is not None
    assert place.label == (
        "Part of a series: on the second Thursday of each month at 18:30 (1 of 3)"
    )
    assert place.previous_id is None and place.next_id == monthly[1].pk
    custom = _series(
        org, start, Repeat(every="custom", rrule="FREQ=MONTHLY;BYDAY=-1FR;COUNT=2"), title="C"
    )
    assert [e.starts_at.date() for e in custom] == [date(2027, 5, 28), date(2027, 6, 25)]


# -- bad rules ------------------------------------------------------------------------------

BAD_RULES = [
    (Repeat(every="custom", rrule="FREQ=WEEKLY;BYDAY=TH"), "count", "never ends"),
    (Repeat(every="week"), "count", "never ends"),
    (Repeat(every="custom", rrule="FREQ=DAILY;COUNT=5000"), "count", "at most 100"),
    (Repeat(every="week", count=101), "count", "at most 100"),
    (Repeat(every="custom", rrule="FREQ=DAILY;UNTIL=20300101"), "until", "two years"),
    (Repeat(every="month", count=30), "count", "past two years"),
    (Repeat(every="custom", rrule="FREQ=DAILY;UNTIL=20290101"), "until", "at most 100"),
    (
        Repeat(every="custom", rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3"),
        "rrule",
        "gives no dates",
    ),
    (Repeat(every="custom", rrule="FREQ=WEEKLY;BYDAY=XX;COUNT=3"), "rrule", "does not parse"),
    (Repeat(every="custom", rrule="FREQ=HOURLY;COUNT=3"), "rrule", "daily, weekly, monthly"),
    (Repeat(every="custom", rrule="DTSTART:19970902T090000\nRRULE:FREQ=DAILY"), "rrule", "read"),
    (Repeat(every="week", count=3, until=date(2027, 6, 1)), "count", "not both"),
]


@pytest.mark.parametrize(("repeat", "field", "words"), BAD_RULES)
def test_a_rule_that_cannot_be_a_series_is_named_and_nothing_is_written(
    org: Org, repeat: Repeat, field: str, words: str
) -> None:
    with pytest.raises(Invalid) as raised:
        _series(org, datetime(2027, 5, 13, 18, 30), repeat)
    assert words in raised.value.field_errors[field], raised.value.field_errors
    assert not Event.objects.exists() and not EventSeries.objects.exists()


def test_a_series_through_a_time_the_clocks_skip_is_refused(org: Org) -> None:
    """01:30 on Sunday 28 March 2027 does not exist in London."""
    with pytest.raises(Invalid) as raised:
        _series(org, datetime(2027, 3, 21, 1, 30), Repeat(every="week", count=3))
    assert "clocks go forward" in raised.value.field_errors["starts_at"]
    assert "28 March 2027" in raised.value.message
    assert not Event.objects.exists()
    with pytest.raises(Invalid) as zone:
        _series(org, datetime(2027, 3, 21, 10), Repeat(every="week", count=3), time_zone="Mars/X")
    assert "not a time zone we know" in zone.value.field_errors["time_zone"]
    assert not Event.objects.exists() and not EventSeries.objects.exists()


def test_the_form_plans_a_series_and_names_what_is_wrong(org: Org, client_for: ClientFor) -> None:
    client = client_for(org.leader)
    data = {
        "community": org.public.slug,
        "kind": EventKind.CIRCLE,
        "title": "Thursday circle",
        "day": "2027-05-13",
        "starts": "10:00",
        "ends": "11:00",
        "time_zone": LONDON,
        "repeat": "week",
    }
    page = client.post(reverse("event-create"), data).content.decode()
    assert "Say when the series ends" in page
    page = client.post(reverse("event-create"), data | {"repeat_count": "500"}).content.decode()
    assert "at most 100 occurrences" in page
    page = client.post(
        reverse("event-create"), data | {"repeat_until": "2031-01-01"}
    ).content.decode()
    assert "at most two years" in page
    page = client.post(
        reverse("event-create"), data | {"repeat_count": "3", "capacity": "0"}
    ).content.decode()
    assert "Places must be between 1 and 10,000" in page
    assert not Event.objects.exists()
    response = client.post(reverse("event-create"), data | {"repeat_count": "12"})
    first = Event.objects.order_by("starts_at").first()
    assert first is not None and response["Location"] == reverse("event-detail", args=[first.pk])
    assert Event.objects.count() == 12
    detail = client.get(response["Location"]).content.decode()
    assert "Part of a series: every Thursday at 10:00 (1 of 12)" in detail


def test_the_api_makes_a_series_and_refuses_bad_rules(org: Org) -> None:
    api = _api(org.leader)
    body = {
        "community": org.public.slug,
        "kind": "office_hours",
        "title": "Office hours",
        "starts_at": "2027-10-21T10:00:00+01:00",
        "ends_at": "2027-10-21T11:00:00+01:00",
        "time_zone": LONDON,
    }
    for repeat, words in (
        ({"every": "custom", "rrule": "FREQ=WEEKLY"}, "never ends"),
        ({"every": "custom", "rrule": "FREQ=DAILY;COUNT=5000"}, "at most 100"),
        ({"every": "week", "count": 4000}, "at most 100"),
        ({"every": "custom", "rrule": "FREQ=DAILY;UNTIL=20990101T000000Z"}, "two years"),
    ):
        refused = api.post(
            "/api/v1/events", json.dumps(body | {"repeat": repeat}), content_type="application/json"
        )
        assert refused.status_code == 409, refused.content
        assert words in refused.json()["detail"]
        assert refused.json()["errors"][0]["loc"] == ["body", "repeat"]
    zone = api.post(
        "/api/v1/events",
        json.dumps(body | {"time_zone": "Nowhere/Land", "repeat": {"every": "week", "count": 2}}),
        content_type="application/json",
    )
    assert zone.status_code == 422
    assert not Event.objects.exists()
    made = api.post(
        "/api/v1/events",
        json.dumps(body | {"repeat": {"every": "custom", "rrule": "FREQ=WEEKLY;COUNT=3"}}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    first = made.json()
    assert first["series_id"] and first["occurrence_start"].startswith("2027-10-21T09:00")
    starts = sorted(Event.objects.values_list("starts_at", flat=True))
    assert starts[-1] == datetime(2027, 11, 4, 10, tzinfo=UTC)  # 10:00 GMT after the change
    # Cancel the rest of the series through the API.
    second = Event.objects.order_by("starts_at")[1]
    cancelled = api.post(f"/api/v1/events/{second.pk}/cancel?scope=following")
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_at"]
    assert Event.objects.filter(cancelled_at__isnull=True).count() == 1


# -- editing one or the series --------------------------------------------------------------


def test_edit_one_date_or_this_and_the_following_ones(org: Org, client_for: ClientFor) -> None:
    events = _series(org, datetime(2027, 5, 6, 10), Repeat(every="week", count=4))
    one, two, three, four = events
    services.rsvp_set(actor=org.member, event_id=three.pk, answer="going")
    # The second date alone moves to 14:00 and is renamed.
    services.event_update(
        actor=org.leader,
        event_id=two.pk,
        fields=_fields(datetime(2027, 5, 13, 14), title="Moved circle"),
    )
    two.refresh_from_db()
    assert two.edited_alone and two.title == "Moved circle"
    assert two.starts_at == datetime(2027, 5, 13, 13, tzinfo=UTC)
    assert two.occurrence_start == datetime(2027, 5, 13, 9, tzinfo=UTC)  # RECURRENCE-ID kept
    # From the first on: 11:00 and a new name, except the date edited on its own.
    client = client_for(org.leader)
    response = client.post(
        reverse("event-edit", args=[one.pk]),
        {
            "kind": EventKind.CIRCLE,
            "title": "Renamed circle",
            "day": "2027-05-06",
            "starts": "11:00",
            "ends": "12:30",
            "time_zone": LONDON,
            "place": "Room 5",
            "scope": "following",
        },
    )
    assert response.status_code == 302
    rows = {e.pk: e for e in Event.objects.all()}
    for event in (one, three, four):
        row = rows[event.pk]
        assert row.title == "Renamed circle" and row.place == "Room 5"
        local = row.starts_at.astimezone(timezone.get_fixed_timezone(60))
        assert (local.hour, local.minute) == (11, 0)
        assert row.ends_at - row.starts_at == timedelta(minutes=90)
        assert row.occurrence_start == event.occurrence_start
    assert rows[two.pk].title == "Moved circle"
    assert Rsvp.objects.get(event=three).reply == Reply.GOING  # replies stay
    # Moved dates no longer keep the rule's "every Thursday at 10:00": the page does not say it.
    page = client.get(reverse("event-detail", args=[three.pk])).content.decode()
    assert "Part of a series (3 of 4)" in page and "at 10:00" not in page
    # The whole series, from the last date: every date not over, still not the moved one.
    services.event_update(
        actor=org.leader,
        event_id=four.pk,
        fields=_fields(
            datetime(2027, 5, 27, 11), title="Final name", ends_at=datetime(2027, 5, 27, 12, 30)
        ),
        scope="all",
    )
    titles = dict(Event.objects.values_list("pk", "title"))
    assert titles == {
        one.pk: "Final name",
        two.pk: "Moved circle",
        three.pk: "Final name",
        four.pk: "Final name",
    }
    with pytest.raises(Invalid, match="not part of a series"):
        single = services.event_create(
            actor=org.leader, community=org.public, fields=_fields(datetime(2027, 6, 1, 10))
        )
        services.event_update(
            actor=org.leader,
            event_id=single.pk,
            fields=_fields(datetime(2027, 6, 1, 10)),
            scope="all",
        )
    edit_page = client.get(reverse("event-edit", args=[one.pk])).content.decode()
    assert "This date and the following ones" in edit_page and "Repeats" not in edit_page


# -- cancellations tell everyone who replied ------------------------------------------------


def test_cancelling_tells_everyone_who_replied_once(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    events = _series(org, _soon(), Repeat(every="week", count=3), capacity=1)
    first, second, third = events
    newcomer = org.newcomer
    community_services.community_join(actor=newcomer, community=org.public)
    services.rsvp_set(actor=org.member, event_id=first.pk, answer="going")
    services.rsvp_set(actor=org.facilitator, event_id=first.pk, answer="going")  # waitlisted
    services.rsvp_set(actor=newcomer, event_id=first.pk, answer="interested")
    services.rsvp_set(actor=org.sponsor, event_id=first.pk, answer="not_going")
    for event in (second, third):
        services.rsvp_set(actor=org.member, event_id=event.pk, answer="going")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(actor=org.leader, event_id=first.pk)
    told = Notification.objects.filter(target_type="event", title__startswith="Cancelled")
    assert sorted(n.recipient_id for n in told) == sorted(
        [org.member.pk, org.facilitator.pk, newcomer.pk]
    )
    assert all(n.url == reverse("event-detail", args=[first.pk]) for n in told)
    assert {m.to[0] for m in mail.outbox} == {
        org.member.email,
        org.facilitator.email,
        newcomer.email,
    }
    assert all(m.subject.startswith("Cancelled: Helm rollbacks circle on ") for m in mail.outbox)
    with pytest.raises(Invalid, match="already cancelled"):
        services.event_cancel(actor=org.leader, event_id=first.pk)
    # The rest of the series: the member, going to both, hears once.
    told.delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(actor=org.leader, event_id=second.pk, scope="following")
    (notice,) = Notification.objects.filter(title__startswith="Cancelled")
    assert notice.recipient_id == org.member.pk and "(2 dates)" in notice.title
    assert Event.objects.filter(cancelled_at__isnull=True).count() == 0
    with pytest.raises(Forbidden):
        services.event_cancel(actor=org.member, event_id=third.pk, scope="all")


def test_the_cancel_button_asks_which_dates(org: Org, client_for: ClientFor) -> None:
    events = _series(org, _soon(), Repeat(every="week", count=3))
    client = client_for(org.leader)
    page = client.get(reverse("event-detail", args=[events[0].pk])).content.decode()
    assert "Cancel which dates?" in page and "Every date of the series not over yet" in page
    client.post(reverse("event-cancel", args=[events[0].pk]), {"scope": "all"})
    assert Event.objects.filter(cancelled_at__isnull=True).count() == 0
    refused = client.post(
        reverse("event-cancel", args=[events[0].pk]), {"scope": "everything"}, follow=True
    )
    assert "Choose this event only" in refused.content.decode()


# -- reminders ------------------------------------------------------------------------------


def test_reminders_go_out_a_day_and_an_hour_before_once_each(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(hours=20)
    event = services.event_create(
        actor=org.leader,
        community=org.private,
        fields=_fields(start, time_zone="UTC", title="Breach drill debrief"),
    )
    services.rsvp_set(actor=org.member, event_id=event.pk, answer="going")
    services.rsvp_set(actor=org.facilitator, event_id=event.pk, answer="interested")
    services.rsvp_set(actor=org.sponsor, event_id=event.pk, answer="not_going")
    preference_set(person=org.facilitator, email_immediate=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_event_reminders.call() == 2
        assert services.reminders_send() == 0  # run again: nobody twice
    bells = Notification.objects.filter(title__startswith="Reminder: Breach drill debrief")
    assert sorted(bells.values_list("recipient_id", flat=True)) == sorted(
        [org.member.pk, org.facilitator.pk]
    )
    assert [m.to for m in mail.outbox] == [[org.member.email]]  # the facilitator said no email
    # An hour before, the second reminder; the member who left the private community is not
    # reminded of its event.
    community_services.community_leave(actor=org.member, community=org.private)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(now=start - timedelta(minutes=50)) == 1
        assert services.reminders_send(now=start - timedelta(minutes=40)) == 0
    assert EventReminder.objects.filter(kind="hour").count() == 2  # the left member's is spent
    assert Notification.objects.filter(recipient=org.facilitator).count() == 2
    assert services.reminders_send(now=start + timedelta(minutes=1)) == 0  # started: no more


def test_no_reminder_for_a_cancelled_event(org: Org) -> None:
    start = timezone.now().replace(microsecond=0) + timedelta(hours=2)
    event = services.event_create(
        actor=org.leader, community=org.public, fields=_fields(start, time_zone="UTC")
    )
    services.rsvp_set(actor=org.member, event_id=event.pk, answer="going")
    services.event_cancel(actor=org.leader, event_id=event.pk)
    assert services.reminders_send() == 0


# -- attendance -----------------------------------------------------------------------------


def _past(org: Org, *, private: bool = False, days: int = 2) -> Event:
    start = timezone.now().replace(microsecond=0) - timedelta(days=days)
    return services.event_create(
        actor=org.leader,
        community=org.private if private else org.public,
        fields=_fields(start, time_zone="UTC", title="Past circle"),
    )


def test_attendance_is_recorded_after_the_start_and_counted(
    org: Org, client_for: ClientFor
) -> None:
    future = services.event_create(actor=org.leader, community=org.public, fields=_fields(_soon()))
    with pytest.raises(Invalid, match="once the event has started"):
        services.attendance_record(actor=org.leader, event_id=future.pk, came=[org.member.pk])
    event = _past(org)
    Rsvp.objects.create(event=event, person=org.member, reply=Reply.GOING)
    Rsvp.objects.create(event=event, person=org.facilitator, reply=Reply.GOING)
    Rsvp.objects.create(event=event, person=org.sponsor, reply=Reply.NOT_GOING)
    client = client_for(org.leader)
    sheet = client.get(reverse("event-attendance", args=[event.pk])).content.decode()
    assert "Mo Member" in sheet and "Femi Facilitator" in sheet
    found = client.get(reverse("event-attendance", args=[event.pk]), {"q": "Nia"}).content.decode()
    assert "Nia Newcomer" in found  # came without replying; the public community is open
    response = client.post(
        reverse("event-attendance", args=[event.pk]),
        {"came": [org.member.pk, org.newcomer.pk]},
    )
    assert response.status_code == 302
    attended = dict(Rsvp.objects.filter(event=event).values_list("person_id", "attended"))
    assert attended == {
        org.member.pk: True,
        org.facilitator.pk: False,
        org.sponsor.pk: False,
        org.newcomer.pk: True,
    }
    assert selectors.attended_count(event_id=event.pk) == 2
    page = client_for(org.member).get(reverse("event-detail", args=[event.pk])).content.decode()
    assert "2 came" in page
    # Recording again replaces the record.
    services.attendance_record(actor=org.leader, event_id=event.pk, came=[org.facilitator.pk])
    assert selectors.attended_count(event_id=event.pk) == 1


def test_only_organisers_and_the_facilitator_record_and_only_people_who_may_see_it(
    org: Org, client_for: ClientFor
) -> None:
    event = _past(org, private=True)
    with pytest.raises(Forbidden):
        services.attendance_record(actor=org.member, event_id=event.pk, came=[org.member.pk])
    assert (
        client_for(org.member).get(reverse("event-attendance", args=[event.pk])).status_code == 403
    )
    with pytest.raises(NotFound):
        services.attendance_record(actor=org.outsider, event_id=event.pk, came=[])
    assert (
        client_for(org.outsider).get(reverse("event-attendance", args=[event.pk])).status_code
        == 404
    )
    with pytest.raises(Invalid, match="Otto Outsider cannot be recorded"):
        services.attendance_record(actor=org.leader, event_id=event.pk, came=[org.outsider.pk])
    found = selectors.people_who_may_have_come(event=event, query="Otto")
    assert found == []
    with pytest.raises(Invalid, match="does not exist"):
        services.attendance_record(actor=org.leader, event_id=event.pk, came=[10**9])
    assert not Rsvp.objects.exists()
    Event.objects.filter(pk=event.pk).update(facilitator=org.member)
    services.attendance_record(actor=org.member, event_id=event.pk, came=[org.member.pk])
    assert selectors.attended_count(event_id=event.pk) == 1
    api = _api(org.leader)
    early = services.event_create(actor=org.leader, community=org.private, fields=_fields(_soon()))
    refused = api.put(
        f"/api/v1/events/{early.pk}/attendance",
        {"came": [org.member.pk]},
        content_type="application/json",
    )
    assert refused.status_code == 409 and "once the event has started" in refused.json()["detail"]
    done = api.put(
        f"/api/v1/events/{event.pk}/attendance",
        {"came": [org.member.pk, org.facilitator.pk]},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["attended"] == 2


def test_attendance_between_counts_events_held_and_people(org: Org) -> None:
    first, second = _past(org, days=3), _past(org, days=2)
    hidden = _past(org, private=True, days=2)
    cancelled = _past(org, days=1)
    services.event_cancel(actor=org.leader, event_id=cancelled.pk)
    services.attendance_record(
        actor=org.leader, event_id=first.pk, came=[org.member.pk, org.facilitator.pk]
    )
    services.attendance_record(actor=org.leader, event_id=second.pk, came=[org.member.pk])
    services.attendance_record(actor=org.leader, event_id=hidden.pk, came=[org.member.pk])
    now = timezone.now()
    start, end = now - timedelta(days=7), now + timedelta(days=1)
    public = selectors.attendance_between(community=org.public, start=start, end=end)
    assert (public.events_held, public.total_attended, public.distinct_people) == (2, 3, 2)
    everything = selectors.attendance_between(community=None, start=start, end=end)
    assert (everything.events_held, everything.total_attended) == (3, 4)
    outsider = selectors.attendance_between(
        community=None, start=start, end=end, viewer=org.outsider
    )
    assert (outsider.events_held, outsider.total_attended) == (2, 3)
    with pytest.raises(NotFound):
        selectors.attendance_between(
            community=org.private, start=start, end=end, viewer=org.outsider
        )


# -- the last place, raced ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_the_last_place_one_goes_one_waits() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write; the race needs PostgreSQL's row locks")
    from tests.personas import build_org

    org = build_org()
    event = services.event_create(
        actor=org.leader, community=org.public, fields=_fields(_soon(), capacity=2)
    )
    services.rsvp_set(actor=org.leader, event_id=event.pk, answer="going")
    racers = [org.member, org.facilitator]
    barrier = threading.Barrier(len(racers))
    replies: dict[int, str] = {}
    errors: list[BaseException] = []

    def race(person: Person) -> None:
        try:
            barrier.wait(timeout=10)
            replies[person.pk] = services.rsvp_set(
                actor=person, event_id=event.pk, answer="going"
            ).reply
        except BaseException as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=race, args=(p,)) for p in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(replies.values()) == [Reply.GOING, Reply.WAITLIST]
    assert Rsvp.objects.filter(event=event, reply=Reply.GOING).count() == 2
