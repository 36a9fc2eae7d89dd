"""Community events: organising them, replies and the waitlist, privacy, .ics and feeds."""

import json
import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.accounts.services import api_token_create
from trellis.communities import services as community_services
from trellis.communities.models import Community
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.events import selectors, services
from trellis.events.models import CalendarFeed, Event, EventKind, Reply, Rsvp
from trellis.events.services import EventFields
from trellis.notifications.models import Kind, Notification
from trellis.people.models import Person

PRIVATE_EVENT = "Breach drill debrief"


def _fields(**overrides: object) -> EventFields:
    soon = timezone.now().astimezone(UTC).replace(tzinfo=None, microsecond=0) + timedelta(days=7)
    values: dict[str, object] = {
        "kind": EventKind.CIRCLE,
        "title": "Helm rollbacks circle",
        "starts_at": soon,
        "ends_at": soon + timedelta(hours=1),
        "time_zone": "UTC",
        "place": "Room 4",
    }
    values.update(overrides)
    return EventFields(**values)  # type: ignore[arg-type]


def _event(org: Org, *, private: bool = False, **overrides: object) -> Event:
    community = org.private if private else org.public
    if private:
        overrides.setdefault("title", PRIVATE_EVENT)
    return services.event_create(actor=org.leader, community=community, fields=_fields(**overrides))


def _person(org: Org, name: str) -> Person:
    person = Person.objects.create_user(
        f"{name.lower()}@example.com", "pw-123456789", name=name, department=org.design
    )
    community_services.community_join(actor=person, community=org.public)
    return person


def _feed_url(person: Person, community: object = None) -> str:
    _, raw = services.calendar_feed_create(actor=person, community=community)  # type: ignore[arg-type]
    return reverse("calendar-feed", args=[raw])


def _api(person: Person) -> Client:
    _, raw = api_token_create(actor=person, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _without_csrf(body: bytes) -> str:
    """A page without what changes on every request (the CSRF token, the CSP nonce)."""
    return re.sub(
        r'("X-CSRFToken": "|nonce="|csrfmiddlewaretoken" value=")[^"]*"', "", body.decode()
    )


def _summaries(body: bytes) -> list[str]:
    calendar = icalendar.Calendar.from_ical(body)
    return [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]


# -- organising ----------------------------------------------------------------------------


BAD_INPUT = [
    ({"capacity": 0}, "capacity", "between 1 and 10,000"),
    ({"capacity": -1}, "capacity", "between 1 and 10,000"),
    ({"capacity": 10_001}, "capacity", "between 1 and 10,000"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "not a time zone we know"),
    ({"time_zone": "../../etc/passwd"}, "time_zone", "not a time zone we know"),
    ({"video_url": "not a link"}, "video_url", "full web address"),
    ({"video_url": "javascript:alert(1)"}, "video_url", "full web address"),
    ({"title": "   "}, "title", "Give the event a title"),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD_INPUT)
def test_bad_event_input_is_named_and_nothing_is_written(
    org: Org, change: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(Invalid) as raised:
        services.event_create(actor=org.leader, community=org.public, fields=_fields(**change))
    assert words in raised.value.field_errors[field]
    assert not Event.objects.exists()


def test_an_event_that_ends_before_it_starts_is_refused(org: Org) -> None:
    start = datetime(2026, 5, 4, 14, 0)
    with pytest.raises(Invalid) as raised:
        services.event_create(
            actor=org.leader,
            community=org.public,
            fields=_fields(starts_at=start, ends_at=start - timedelta(minutes=30)),
        )
    assert raised.value.field_errors["ends_at"] == "The event must end after it starts."
    assert not Event.objects.exists()


def test_a_time_the_clocks_skip_is_refused(org: Org) -> None:
    """01:30 on 29 March 2026 never happens in London: the clocks jump from 01:00 to 02:00."""
    start = datetime(2026, 3, 29, 1, 30)
    with pytest.raises(Invalid) as raised:
        services.event_create(
            actor=org.leader,
            community=org.public,
            fields=_fields(
                starts_at=start, ends_at=start + timedelta(hours=1), time_zone="Europe/London"
            ),
        )
    assert "clocks go forward" in raised.value.field_errors["starts_at"]


def test_the_form_shows_what_is_wrong_and_saves_nothing(org: Org, client_for: ClientFor) -> None:
    client = client_for(org.leader)
    data = {
        "community": org.public.slug,
        "kind": EventKind.WORKSHOP,
        "title": "Terraform workshop",
        "day": "2026-06-10",
        "starts": "10:00",
        "ends": "09:00",
        "time_zone": "Atlantis/Lost",
        "capacity": "0",
        "video_url": "meet dot example",
    }
    response = client.post(reverse("event-create"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "not a time zone we know" in page
    assert "Places must be between 1 and 10,000" in page
    assert "full web address" in page
    assert not Event.objects.exists()
    data |= {"time_zone": "Europe/London", "capacity": "", "video_url": ""}
    assert "must end after it starts" in client.post(reverse("event-create"), data).content.decode()
    data["ends"] = "11:30"
    response = client.post(reverse("event-create"), data)
    event = Event.objects.get()
    assert response["Location"] == reverse("event-detail", args=[event.pk])
    assert event.starts_at == datetime(2026, 6, 10, 9, 0, tzinfo=UTC)  # 10:00 BST


def test_only_the_core_team_and_org_admins_organise(org: Org, client_for: ClientFor) -> None:
    with pytest.raises(Forbidden):
        services.event_create(actor=org.member, community=org.public, fields=_fields())
    with pytest.raises(Forbidden):  # org-wide events are for org admins
        services.event_create(actor=org.leader, community=None, fields=_fields())
    with pytest.raises(NotFound):  # a private community the outsider cannot see
        services.event_create(actor=org.outsider, community=org.private, fields=_fields())
    services.event_create(actor=org.facilitator, community=org.public, fields=_fields())
    services.event_create(actor=org.admin, community=None, fields=_fields(title="All hands"))
    assert client_for(org.member).get(reverse("event-create")).status_code == 403
    event = _event(org)
    assert client_for(org.member).get(reverse("event-edit", args=[event.pk])).status_code == 403
    assert (
        client_for(org.facilitator).get(reverse("event-edit", args=[event.pk])).status_code == 200
    )


# -- replies and the waitlist --------------------------------------------------------------


def test_a_full_event_waitlists_then_promotes_the_first_in_line(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    event = _event(org, capacity=2)
    ana, ben = _person(org, "Ana"), _person(org, "Ben")
    for person in (org.member, org.facilitator):
        assert services.rsvp_set(actor=person, event_id=event.pk, answer="going").reply == "going"
    assert services.rsvp_set(actor=ana, event_id=event.pk, answer="going").reply == "waitlist"
    assert services.rsvp_set(actor=ben, event_id=event.pk, answer="going").reply == "waitlist"
    assert selectors.viewer_reply(viewer=ben, event=event).label == (
        "You're on the waitlist, number 2."
    )
    # Going again keeps your place in line.
    services.rsvp_set(actor=ana, event_id=event.pk, answer="going")
    assert selectors.viewer_reply(viewer=ana, event=event).waitlist_position == 1

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.rsvp_set(actor=org.member, event_id=event.pk, answer="not_going")
    replies = dict(Rsvp.objects.filter(event=event).values_list("person_id", "reply"))
    assert replies == {
        org.member.pk: Reply.NOT_GOING,
        org.facilitator.pk: Reply.GOING,
        ana.pk: Reply.GOING,
        ben.pk: Reply.WAITLIST,
    }
    assert selectors.viewer_reply(viewer=ben, event=event).label == (
        "You're on the waitlist, number 1."
    )
    told = Notification.objects.get(recipient=ana)
    assert told.kind == Kind.EVENT_PLACE
    assert told.headline == "A place opened up at Helm rollbacks circle: you're going"
    assert told.url == reverse("event-detail", args=[event.pk])
    assert [m.subject for m in mail.outbox if m.to == [ana.email]] == [told.headline]
    assert not Notification.objects.filter(recipient=ben).exists()


def test_interested_does_not_free_a_place_nobody_held(org: Org) -> None:
    event = _event(org, capacity=1)
    ana = _person(org, "Ana")
    services.rsvp_set(actor=org.member, event_id=event.pk, answer="going")
    services.rsvp_set(actor=ana, event_id=event.pk, answer="going")
    services.rsvp_set(actor=ana, event_id=event.pk, answer="interested")  # leaves the line
    services.rsvp_set(actor=org.member, event_id=event.pk, answer="interested")
    assert Rsvp.objects.filter(event=event, reply=Reply.GOING).count() == 0
    assert not Notification.objects.filter(kind=Kind.EVENT_PLACE).exists()


def test_more_places_move_people_up_from_the_waitlist(org: Org) -> None:
    event = _event(org, capacity=1)
    ana = _person(org, "Ana")
    services.rsvp_set(actor=org.member, event_id=event.pk, answer="going")
    services.rsvp_set(actor=ana, event_id=event.pk, answer="going")
    services.event_update(
        actor=org.leader,
        event_id=event.pk,
        fields=_fields(starts_at=event.starts_at, ends_at=event.ends_at, capacity=5),
    )
    assert Rsvp.objects.get(event=event, person=ana).reply == Reply.GOING
    assert Notification.objects.filter(recipient=ana, kind=Kind.EVENT_PLACE).count() == 1


def test_no_reply_after_the_end_or_to_a_cancelled_event(org: Org, client_for: ClientFor) -> None:
    past = timezone.now().replace(microsecond=0) - timedelta(days=2)
    over = _event(org, starts_at=past, ends_at=past + timedelta(hours=1))
    with pytest.raises(Invalid, match="has ended"):
        services.rsvp_set(actor=org.member, event_id=over.pk, answer="going")
    cancelled = _event(org, title="Cancelled circle")
    services.event_cancel(actor=org.leader, event_id=cancelled.pk)
    with pytest.raises(Invalid, match="cancelled"):
        services.rsvp_set(actor=org.member, event_id=cancelled.pk, answer="interested")
    response = client_for(org.member).post(
        reverse("event-rsvp", args=[cancelled.pk]), {"answer": "going"}, follow=True
    )
    assert "cancelled, so it takes no more replies" in response.content.decode()
    api = _api(org.member)
    answer = api.put(
        f"/api/v1/events/{over.pk}/rsvp", {"answer": "going"}, content_type="application/json"
    )
    assert answer.status_code == 409 and "has ended" in answer.json()["detail"]
    assert not Rsvp.objects.exists()


def test_the_rsvp_buttons_work_with_htmx_and_without(org: Org, client_for: ClientFor) -> None:
    event = _event(org, capacity=1)
    services.rsvp_set(actor=org.facilitator, event_id=event.pk, answer="going")
    client = client_for(org.member)
    url = reverse("event-rsvp", args=[event.pk])
    swapped = client.post(url, {"answer": "going"}, headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert "You&#x27;re on the waitlist, number 1." in swapped.content.decode()
    assert 'id="rsvp"' in swapped.content.decode()
    plain = client.post(url, {"answer": "interested"})
    assert plain.status_code == 302
    page = client.get(reverse("event-detail", args=[event.pk])).content.decode()
    assert "You&#x27;re interested." in page and "1 going of 1 place" in page


# -- privacy -------------------------------------------------------------------------------


def test_an_outsider_never_sees_a_private_communitys_event(org: Org, client_for: ClientFor) -> None:
    event = _event(org, private=True)
    _event(org, title="Open circle")
    outsider = client_for(org.outsider)
    for url in (
        reverse("event-detail", args=[event.pk]),
        reverse("event-ics", args=[event.pk]),
        reverse("event-edit", args=[event.pk]),
        reverse("community-events", args=[org.private.slug]),
    ):
        assert outsider.get(url).status_code == 404, url
    assert (
        outsider.post(reverse("event-rsvp", args=[event.pk]), {"answer": "going"}).status_code
        == 404
    )
    assert not Rsvp.objects.exists()
    missing = outsider.get(reverse("event-detail", args=[event.pk + 100]))
    hidden = outsider.get(reverse("event-detail", args=[event.pk]))
    assert _without_csrf(missing.content) == _without_csrf(hidden.content)
    listing = outsider.get(reverse("event-list")).content.decode()
    assert "Open circle" in listing and PRIVATE_EVENT not in listing
    api = _api(org.outsider)
    found = api.get("/api/v1/events").json()
    assert found["count"] == 1 and [e["title"] for e in found["items"]] == ["Open circle"]
    assert api.get(f"/api/v1/events/{event.pk}").status_code == 404
    assert api.get(f"/api/v1/events?community={org.private.slug}").status_code == 404
    services.event_create(actor=org.admin, community=None, fields=_fields(title="All hands"))
    personal = Client().get(_feed_url(org.outsider))
    assert personal.status_code == 200 and _summaries(personal.content) == ["All hands"]
    public = Client().get(_feed_url(org.outsider, org.public))
    assert _summaries(public.content) == ["Open circle"]
    with pytest.raises(NotFound):
        services.calendar_feed_create(actor=org.outsider, community=org.private)
    # Those who may see the community do.
    member = client_for(org.member)
    assert member.get(reverse("event-detail", args=[event.pk])).status_code == 200
    assert PRIVATE_EVENT in member.get(reverse("event-list")).content.decode()


def test_leaving_a_private_community_takes_its_events_out_of_your_feeds(org: Org) -> None:
    _event(org, private=True)
    _event(org, title="Open circle")
    personal = _feed_url(org.member)
    community = _feed_url(org.member, org.private)
    anonymous = Client()
    assert sorted(_summaries(anonymous.get(personal).content)) == sorted(
        ["Open circle", PRIVATE_EVENT]
    )
    assert _summaries(anonymous.get(community).content) == [PRIVATE_EVENT]
    community_services.community_leave(actor=org.member, community=org.private)
    assert _summaries(anonymous.get(personal).content) == ["Open circle"]
    assert anonymous.get(community).status_code == 404


def test_a_feed_read_before_shows_an_edit_a_cancellation_and_a_renamed_community(
    org: Org,
) -> None:
    """Each VEVENT is built once per version of what it says: a feed read again must carry
    the change, not the piece built for the first read."""
    event = _event(org, title="Open circle")
    feed = _feed_url(org.member)
    anonymous = Client()
    assert _summaries(anonymous.get(feed).content) == ["Open circle"]
    services.event_update(
        actor=org.leader, event_id=event.pk, fields=_fields(title="Open circle, moved")
    )
    assert _summaries(anonymous.get(feed).content) == ["Open circle, moved"]
    org.public.name = "Platform Guild (renamed)"
    org.public.save(update_fields=["name"])
    read = icalendar.Calendar.from_ical(anonymous.get(feed).content)
    assert "Platform Guild (renamed)" in str(read.walk("VEVENT")[0]["DESCRIPTION"])
    services.event_cancel(actor=org.leader, event_id=event.pk)
    read = icalendar.Calendar.from_ical(anonymous.get(feed).content)
    assert [str(e["STATUS"]) for e in read.walk("VEVENT")] == ["CANCELLED"]


def test_a_revoked_or_replaced_feed_link_is_a_404(org: Org, client_for: ClientFor) -> None:
    _event(org)
    first = _feed_url(org.member)
    anonymous = Client()
    assert anonymous.get(first).status_code == 200
    second = _feed_url(org.member)  # a new link replaces the old one
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    feed = CalendarFeed.objects.get(person=org.member, revoked_at__isnull=True)
    client_for(org.member).post(reverse("calendar-feeds"), {"action": "revoke", "feed": feed.pk})
    assert anonymous.get(second).status_code == 404
    assert anonymous.get(reverse("calendar-feed", args=["cal_made-up"])).status_code == 404
    assert all(len(f.token_hash) == 64 for f in CalendarFeed.objects.all())


def test_the_feeds_page_shows_a_new_link_once(org: Org, client_for: ClientFor) -> None:
    client = client_for(org.member)
    made = client.post(reverse("calendar-feeds"), {"community": org.private.slug})
    page = made.content.decode()
    assert "/calendar/cal_" in page and "shown only once" in page
    again = client.get(reverse("calendar-feeds")).content.decode()
    assert "/calendar/cal_" not in again and org.private.name in again
    outsider = client_for(org.outsider)
    assert (
        outsider.post(reverse("calendar-feeds"), {"community": org.private.slug}).status_code == 404
    )
    assert not CalendarFeed.objects.filter(person=org.outsider).exists()


# -- iCalendar -----------------------------------------------------------------------------


def test_ics_times_are_right_across_the_daylight_saving_change(
    org: Org, client_for: ClientFor
) -> None:
    """London moves to BST on 29 March 2026: 10:00 local is 09:00 UTC that day, 10:00 UTC
    the day before."""
    client = client_for(org.member)
    expected = {
        28: datetime(2026, 3, 28, 10, 0, tzinfo=UTC),
        29: datetime(2026, 3, 29, 9, 0, tzinfo=UTC),
    }
    for day, utc in expected.items():
        local = datetime(2026, 3, day, 10, 0)
        event = _event(
            org,
            title=f"Brown-bag on the {day}th",
            kind=EventKind.BROWN_BAG,
            starts_at=local,
            ends_at=local + timedelta(hours=1),
            time_zone="Europe/London",
            description="Bring **lunch**.",
            video_url="https://meet.example.com/helm",
        )
        assert event.starts_at == utc
        response = client.get(reverse("event-ics", args=[event.pk]))
        assert response["Content-Type"].startswith("text/calendar")
        calendar = icalendar.Calendar.from_ical(response.content)
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
        (item,) = calendar.walk("VEVENT")
        assert item["DTSTART"].params["TZID"] == "Europe/London"
        assert item.decoded("DTSTART").astimezone(UTC) == utc
        assert item.decoded("DTEND").astimezone(UTC) == utc + timedelta(hours=1)
        assert str(item["SUMMARY"]) == f"Brown-bag on the {day}th"
        assert "Bring **lunch**." in str(item["DESCRIPTION"])
        assert str(item["LOCATION"]) == "Room 4"
        assert str(item["URL"]).endswith(reverse("event-detail", args=[event.pk]))
        uid = str(item["UID"])
        services.event_update(
            actor=org.leader,
            event_id=event.pk,
            fields=_fields(
                title="Renamed",
                starts_at=local,
                ends_at=local + timedelta(hours=2),
                time_zone="Europe/London",
            ),
        )
        again = icalendar.Calendar.from_ical(
            client.get(reverse("event-ics", args=[event.pk])).content
        )
        assert str(again.walk("VEVENT")[0]["UID"]) == uid  # the calendar updates it in place


def test_markdown_descriptions_are_sanitised(org: Org, client_for: ClientFor) -> None:
    event = _event(org, description="**Bring** questions <script>alert(1)</script>")
    page = client_for(org.member).get(reverse("event-detail", args=[event.pk])).content.decode()
    assert "<strong>Bring</strong>" in page and "<script>alert(1)" not in page


# -- the API -------------------------------------------------------------------------------


def test_the_api_creates_lists_and_answers(org: Org) -> None:
    api = _api(org.leader)
    body = {
        "community": org.public.slug,
        "kind": "office_hours",
        "title": "Kubernetes office hours",
        "starts_at": "2030-03-29T10:00:00+01:00",
        "ends_at": "2030-03-29T11:00:00+01:00",
        "time_zone": "Europe/London",
        "video_url": "https://meet.example.com/k8s",
        "capacity": 1,
    }
    made = api.post("/api/v1/events", json.dumps(body), content_type="application/json")
    assert made.status_code == 201, made.content
    event = made.json()
    assert event["starts_at"].startswith("2030-03-29T09:00:00")
    for bad, field in (({"capacity": 0}, "capacity"), ({"time_zone": "Nowhere/Land"}, "time_zone")):
        refused = api.post(
            "/api/v1/events", json.dumps(body | bad), content_type="application/json"
        )
        assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", field]
    backwards = api.post(
        "/api/v1/events",
        json.dumps(body | {"ends_at": "2030-03-29T08:00:00+01:00"}),
        content_type="application/json",
    )
    assert backwards.status_code == 409
    assert backwards.json()["errors"][0]["loc"] == ["body", "ends_at"]
    assert Event.objects.count() == 1
    member = _api(org.member)
    url = f"/api/v1/events/{event['id']}/rsvp"
    first = member.put(url, {"answer": "going"}, content_type="application/json").json()
    assert (first["your_reply"], first["going"]) == ("going", 1)
    second = _api(org.facilitator).put(url, {"answer": "going"}, content_type="application/json")
    assert second.json()["your_reply"] == "waitlist" and second.json()["waitlist_position"] == 1
    listed = member.get(f"/api/v1/events?community={org.public.slug}&upcoming=true").json()
    assert listed["count"] == 1 and listed["items"][0]["your_reply"] == "going"
    assert (
        member.patch(
            f"/api/v1/events/{event['id']}", {"capacity": 2}, content_type="application/json"
        ).status_code
        == 403
    )
    raised = api.patch(
        f"/api/v1/events/{event['id']}", {"capacity": None}, content_type="application/json"
    )
    assert raised.status_code == 200 and raised.json()["going"] == 2
    cancelled = api.post(f"/api/v1/events/{event['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_at"]
    assert api.post(f"/api/v1/events/{event['id']}/cancel").status_code == 409


# -- pages and their queries --------------------------------------------------------------


def test_the_community_page_shows_the_next_events(org: Org, client_for: ClientFor) -> None:
    _event(org, title="Next circle")
    page = client_for(org.member).get(reverse("community-detail", args=[org.public.slug]))
    assert "Next circle" in page.content.decode()
    assert reverse("community-events", args=[org.public.slug]) in page.content.decode()
    listing = client_for(org.member).get(reverse("community-events", args=[org.public.slug]))
    assert "Next circle" in listing.content.decode()


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def _more_events(org: Org, n: int) -> None:
    people = [_person(org, f"Guest{i}{n}") for i in range(2)]
    for i in range(n):
        event = _event(org, title=f"Circle {n}-{i}", capacity=1)
        _event(org, private=True, title=f"Private {n}-{i}")
        for person in people:
            services.rsvp_set(actor=person, event_id=event.pk, answer="going")
        services.rsvp_set(actor=org.member, event_id=event.pk, answer="interested")
        past = timezone.now().replace(microsecond=0) - timedelta(days=3 + i)
        _event(org, title=f"Past {n}-{i}", starts_at=past, ends_at=past + timedelta(hours=1))


def test_events_pages_and_feed_queries_do_not_grow_with_events(
    org: Org, client_for: ClientFor
) -> None:
    client = client_for(org.member)
    anonymous = Client()
    _more_events(org, 2)
    event = Event.objects.filter(capacity=1).first()
    assert event is not None
    feed = _feed_url(org.member)
    anonymous.get(feed)  # the first read notes when the link was used
    urls = [
        reverse("event-list"),
        reverse("community-events", args=[org.public.slug]),
        reverse("event-detail", args=[event.pk]),
        reverse("community-detail", args=[org.public.slug]),
        reverse("calendar-feeds"),
    ]
    small = [_count(client, url) for url in urls] + [_count(anonymous, feed)]
    _more_events(org, 12)
    large = [_count(client, url) for url in urls] + [_count(anonymous, feed)]
    assert small == large
    assert len(_summaries(anonymous.get(feed).content)) == 3 * 14


def test_a_community_whose_events_are_off_is_not_offered_in_the_event_form(
    org: Org, client_for: ClientFor
) -> None:
    leader = client_for(org.leader)
    offered = leader.get(reverse("event-create")).content.decode()
    assert f'value="{org.public.slug}"' in offered
    Community.objects.filter(pk=org.public.pk).update(events_enabled=False)
    offered = leader.get(reverse("event-create")).content.decode()
    assert f'value="{org.public.slug}"' not in offered
