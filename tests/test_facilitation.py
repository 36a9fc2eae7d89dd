"""Fair rotating facilitation with the database: volunteering, proposals and their reasons,
accepting, swaps between two people, privacy, bad input, and sessions as evidence."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.accounts.services import api_token_create
from trellis.communities import services as community_services
from trellis.communities.models import Community
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.events.models import Event, EventSeries
from trellis.expertise.models import Availability
from trellis.facilitation import selectors, services
from trellis.facilitation.models import Assignment, AssignmentStatus, OptIn, SwapRequest, SwapStatus
from trellis.notifications.models import Notification
from trellis.people.models import Person

PRIVATE_SERIES = "Breach drill circle"


@pytest.fixture(autouse=True)
def _rotation_on(org: Org) -> None:
    """The leaders of both communities switched the rotation on (start simple: it is off until
    they do, as `test_the_rotation_is_off_until_the_leaders_switch_it_on` checks)."""
    Community.objects.filter(pk__in=[org.public.pk, org.private.pk]).update(rotation_enabled=True)
    org.public.rotation_enabled = org.private.rotation_enabled = True


def test_the_rotation_is_off_until_the_leaders_switch_it_on(org: Org, client: Client) -> None:
    _series(org, org.public)
    Community.objects.filter(pk=org.public.pk).update(rotation_enabled=False)
    org.public.rotation_enabled = False
    with pytest.raises(Forbidden):
        services.opt_in(actor=org.member, community=org.public)
    client.force_login(org.leader)
    page = client.get(reverse("rotation", args=[org.public.slug]))
    assert b'data-testid="rotation-off"' in page.content
    assert b"Propose facilitators" not in page.content
    refused = client.post(reverse("rotation-propose", args=[org.public.slug]))
    assert refused.status_code == 403
    assert not Assignment.objects.exists()
    switched = client.post(
        reverse("community-features", args=[org.public.slug]),
        {"events_enabled": "on", "rotation_enabled": "on"},
    )
    assert switched.status_code == 302
    page = client.get(reverse("rotation", args=[org.public.slug]))
    assert b"Propose facilitators" in page.content


def _series(
    org: Org,
    community: Community,
    *,
    upcoming: int = 4,
    past: int = 0,
    title: str = "Platform circle",
    facilitators: list[Person] | None = None,
) -> list[Event]:
    """A weekly series written directly (the series service is built alongside): `past`
    occurrences already held (facilitated in turn by `facilitators`), then `upcoming` ones."""
    first = timezone.now().replace(microsecond=0) + timedelta(days=2) - timedelta(weeks=past)
    Community.objects.filter(pk=community.pk).update(rotation_enabled=True)
    community.rotation_enabled = True
    series = EventSeries.objects.create(
        community=community,
        rrule=f"FREQ=WEEKLY;COUNT={past + upcoming}",
        time_zone="UTC",
        first_starts_at=first,
        duration=timedelta(hours=1),
        created_by=org.leader,
    )
    events = []
    for i in range(past + upcoming):
        starts = first + timedelta(weeks=i)
        who = facilitators[i % len(facilitators)] if facilitators and i < past else None
        events.append(
            Event.objects.create(
                community=community,
                kind="circle",
                title=title,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                time_zone="UTC",
                series=series,
                occurrence_start=starts,
                created_by=org.leader,
                facilitator=who,
            )
        )
    return events


def _volunteers(org: Org, community: Community | None = None) -> None:
    for person in (org.leader, org.facilitator, org.member):
        services.opt_in(actor=person, community=community or org.public)


def _api(person: Person) -> Client:
    _, raw = api_token_create(actor=person, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _proposed(events: list[Event]) -> list[int | None]:
    found = dict(Assignment.objects.filter(event__in=events).values_list("event_id", "person_id"))
    return [found.get(e.pk) for e in events]


# --- volunteering ---------------------------------------------------------------------------


def test_members_volunteer_with_a_weekly_load_and_bad_loads_are_refused(org: Org) -> None:
    services.opt_in(actor=org.member, community=org.public, weekly_load=2)
    assert OptIn.objects.get(person=org.member).weekly_load == 2
    services.opt_in(actor=org.member, community=org.public)  # again: the load changes
    assert OptIn.objects.get(person=org.member).weekly_load == 1
    for bad in (0, -1, 8):
        with pytest.raises(Invalid, match="between 1 and 7 sessions a week"):
            services.opt_in(actor=org.facilitator, community=org.public, weekly_load=bad)
    assert not OptIn.objects.filter(person=org.facilitator).exists()
    # Not a member: the sponsor sees the community but does not belong to it.
    with pytest.raises(Forbidden):
        services.opt_in(actor=org.sponsor, community=org.public)
    with pytest.raises(NotFound):
        services.opt_in(actor=org.outsider, community=org.private)
    services.opt_out(actor=org.member, community=org.public)
    with pytest.raises(Invalid, match="had not volunteered"):
        services.opt_out(actor=org.member, community=org.public)


def test_the_form_names_a_bad_load_and_saves_nothing(org: Org, client_for: ClientFor) -> None:
    client = client_for(org.member)
    url = reverse("rotation-volunteer", args=[org.public.slug])
    response = client.post(url, {"action": "in", "weekly_load": "0"}, follow=True)
    assert "Nothing was changed: Choose between 1 and 7 sessions a week." in response.text
    response = client.post(url, {"action": "in", "weekly_load": "many"}, follow=True)
    assert "Give the number of sessions a week" in response.text
    assert not OptIn.objects.exists()
    response = client.post(url, {"action": "in", "weekly_load": "2"}, follow=True)
    assert "at most 2 sessions a week" in response.text
    assert OptIn.objects.get(person=org.member).weekly_load == 2


# --- proposing and accepting ----------------------------------------------------------------


def test_the_rotation_proposes_with_reasons_and_tells_each_person(org: Org) -> None:
    _volunteers(org)
    events = _series(org, org.public, upcoming=4)
    picks = services.rotation_propose(actor=org.leader, community=org.public)
    # Nobody has facilitated yet: by name, and nobody twice in three.
    by_name = sorted([org.facilitator, org.leader, org.member], key=lambda p: p.name)
    assert _proposed(events) == [by_name[0].pk, by_name[1].pk, by_name[2].pk, by_name[0].pk]
    assert picks[0].reason.startswith("fewest sessions (0), none yet")
    assert picks[3].reason.startswith("fewest sessions (1), last on")
    assert all(
        e.facilitator_id is None for e in Event.objects.filter(pk__in=[e.pk for e in events])
    )
    told = Notification.objects.filter(recipient=by_name[0], title__startswith="You're proposed")
    assert told.count() == 2
    # The leader who ran it is not told of their own turn; proposing again tells nobody twice.
    assert Notification.objects.filter(title__startswith="You're proposed").count() == 3
    services.rotation_propose(actor=org.leader, community=org.public)
    assert Notification.objects.filter(title__startswith="You're proposed").count() == 3


def test_fewest_sessions_and_the_previous_two_come_from_the_record(org: Org) -> None:
    _volunteers(org)
    # Held: the leader twice, the member once, most recently the leader and the member.
    events = _series(
        org, org.public, past=3, upcoming=1, facilitators=[org.leader, org.leader, org.member]
    )
    services.rotation_propose(actor=org.leader, community=org.public)
    assert _proposed(events[3:]) == [org.facilitator.pk]
    assignment = Assignment.objects.get(event=events[3])
    assert assignment.reason.startswith("fewest sessions (0), none yet")
    # The held record is what the leaders' page shows.
    view = selectors.rotation_of(viewer=org.leader, community=org.public)
    records = {v.person.pk: v.record for v in view.volunteers}
    assert records[org.leader.pk].startswith("2 sessions, last on")
    assert records[org.facilitator.pk] == "none yet"


def test_someone_away_is_not_proposed_until_back(org: Org) -> None:
    _volunteers(org)
    events = _series(org, org.public, upcoming=3)
    back = timezone.localdate(events[1].starts_at)
    Availability.objects.create(person=org.facilitator, away_until=back)  # "Femi" first by name
    services.rotation_propose(actor=org.leader, community=org.public)
    proposed = _proposed(events)
    assert org.facilitator.pk not in proposed[:2]
    assert proposed[2] == org.facilitator.pk


def test_accepting_makes_them_the_facilitator(org: Org, client_for: ClientFor) -> None:
    _volunteers(org)
    events = _series(org, org.public, upcoming=1)
    services.rotation_propose(actor=org.leader, community=org.public)
    person = Assignment.objects.get(event=events[0]).person
    with pytest.raises(Forbidden):
        other = org.member if person != org.member else org.facilitator
        services.assignment_accept(actor=other, event_id=events[0].pk)
    response = client_for(person).post(reverse("rotation-accept", args=[events[0].pk]))
    assert response.status_code == 302
    events[0].refresh_from_db()
    assert events[0].facilitator == person
    assert Assignment.objects.get(event=events[0]).status == AssignmentStatus.ACCEPTED
    with pytest.raises(Invalid, match="accepted already"):
        services.assignment_accept(actor=person, event_id=events[0].pk)
    # Accepted stays when the rotation proposes again.
    services.rotation_propose(actor=org.leader, community=org.public)
    assert _proposed(events) == [person.pk]


def test_only_leaders_propose(org: Org, client_for: ClientFor) -> None:
    _series(org, org.public)
    with pytest.raises(Forbidden):
        services.rotation_propose(actor=org.member, community=org.public)
    response = client_for(org.member).post(reverse("rotation-propose", args=[org.public.slug]))
    assert response.status_code == 403
    assert not Assignment.objects.exists()


# --- swaps ----------------------------------------------------------------------------------


def _accepted(org: Org, community: Community | None = None) -> Event:
    """An upcoming occurrence the member facilitates (accepted)."""
    place = community or org.public
    _volunteers(org, place)
    event = _series(
        org, place, upcoming=1, title=PRIVATE_SERIES if place == org.private else "Platform circle"
    )[0]
    Assignment.objects.create(event=event, community=place, person=org.member, reason="test")
    services.assignment_accept(actor=org.member, event_id=event.pk)
    return event


def test_a_swap_accepted_changes_the_facilitator_and_tells_both(org: Org) -> None:
    event = _accepted(org)
    swap = services.swap_ask(
        actor=org.member, event_id=event.pk, colleague_id=org.facilitator.pk, note="I'm on call"
    )
    assert Notification.objects.filter(
        recipient=org.facilitator, title__contains="asks you"
    ).exists()
    services.swap_answer(actor=org.facilitator, swap_id=swap.pk, accept=True)
    event.refresh_from_db()
    assert event.facilitator == org.facilitator
    swap.refresh_from_db()
    assert swap.status == SwapStatus.ACCEPTED and swap.decided_by == org.facilitator
    for person in (org.member, org.facilitator):
        assert Notification.objects.filter(
            recipient=person, title__contains="now facilitates"
        ).exists()
    with pytest.raises(Invalid, match="accepted already"):
        services.swap_answer(actor=org.facilitator, swap_id=swap.pk, accept=False)


def test_a_swap_declined_changes_nothing(org: Org) -> None:
    event = _accepted(org)
    swap = services.swap_ask(actor=org.member, event_id=event.pk, colleague_id=org.leader.pk)
    services.swap_answer(actor=org.leader, swap_id=swap.pk, accept=False)
    event.refresh_from_db()
    assert event.facilitator == org.member
    assert SwapRequest.objects.get().status == SwapStatus.DECLINED
    assert Notification.objects.filter(recipient=org.member, title__contains="declined").exists()


def test_only_the_two_people_and_leaders_act_on_a_swap(org: Org) -> None:
    newcomer = org.newcomer
    community_services.community_join(actor=newcomer, community=org.public)
    event = _accepted(org)
    services.opt_in(actor=newcomer, community=org.public)
    swap = services.swap_ask(actor=org.member, event_id=event.pk, colleague_id=org.facilitator.pk)
    # A third member, even a volunteer, may not answer it, nor even see it.
    for other in (newcomer, org.sponsor, org.outsider):
        with pytest.raises(NotFound):
            services.swap_answer(actor=other, swap_id=swap.pk, accept=True)
        with pytest.raises(NotFound):
            selectors.swap_get(viewer=other, swap_id=swap.pk)
    # The one who asked may withdraw it but not accept it for the colleague.
    with pytest.raises(Forbidden):
        services.swap_answer(actor=org.member, swap_id=swap.pk, accept=True)
    # Nor may another member ask a swap of someone else's session.
    with pytest.raises(Forbidden):
        services.swap_ask(actor=newcomer, event_id=event.pk, colleague_id=org.leader.pk)
    assert SwapRequest.objects.get().status == SwapStatus.PENDING
    # The rotation page names the swap only to the two and the leaders.
    swapping = "Swap asked of"
    for viewer, sees in ((newcomer, False), (org.member, True), (org.leader, True)):
        rotation = selectors.rotation_of(viewer=viewer, community=org.public)
        line = next(line for line in rotation.upcoming if line.event.pk == event.pk)
        assert (line.swap is not None) == sees, viewer
    page = Client()
    page.force_login(newcomer)
    assert swapping not in page.get(reverse("rotation", args=[org.public.slug])).content.decode()
    # A leader may accept for the colleague.
    services.swap_answer(actor=org.leader, swap_id=swap.pk, accept=True)
    event.refresh_from_db()
    assert event.facilitator == org.facilitator


def test_bad_swaps_are_named_and_nothing_is_written(org: Org, client_for: ClientFor) -> None:
    event = _accepted(org)
    community_services.community_join(actor=org.newcomer, community=org.public)
    cases = [
        (org.newcomer.pk, "Ask someone who volunteers"),  # a member who did not volunteer
        (org.member.pk, "already facilitate"),
        (999_999, "Ask someone who volunteers"),
    ]
    for colleague, message in cases:
        with pytest.raises(Invalid, match=message):
            services.swap_ask(actor=org.member, event_id=event.pk, colleague_id=colleague)
    with pytest.raises(Invalid, match="300 characters"):
        services.swap_ask(
            actor=org.member, event_id=event.pk, colleague_id=org.leader.pk, note="x" * 301
        )
    assert not SwapRequest.objects.exists()
    services.swap_ask(actor=org.member, event_id=event.pk, colleague_id=org.leader.pk)
    with pytest.raises(Invalid, match="already waiting"):
        services.swap_ask(actor=org.member, event_id=event.pk, colleague_id=org.facilitator.pk)
    assert SwapRequest.objects.count() == 1
    client = client_for(org.member)
    response = client.post(reverse("rotation-swap-ask", args=[event.pk]), {}, follow=True)
    assert "Nothing was asked: Choose a colleague." in response.text
    # A session that has started takes no swap.
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(minutes=5))
    SwapRequest.objects.all().delete()
    with pytest.raises(Invalid, match="already started"):
        services.swap_ask(actor=org.member, event_id=event.pk, colleague_id=org.leader.pk)


# --- privacy --------------------------------------------------------------------------------


def test_an_outsider_never_sees_a_private_rotation(org: Org, client_for: ClientFor) -> None:
    event = _accepted(org, org.private)
    services.rotation_propose(actor=org.leader, community=org.private)
    outsider = client_for(org.outsider)
    assert outsider.get(reverse("rotation", args=[org.private.slug])).status_code == 404
    assert outsider.post(reverse("rotation-accept", args=[event.pk])).status_code == 404
    assert (
        outsider.post(reverse("rotation-swap-ask", args=[event.pk]), {"colleague": org.leader.pk})
    ).status_code == 404
    api = _api(org.outsider)
    assert api.get(f"/api/v1/communities/{org.private.slug}/rotation").status_code == 404
    assert selectors.sessions_facilitated(viewer=org.outsider, person=org.member) == []
    member = client_for(org.member).get(reverse("rotation", args=[org.private.slug]))
    assert PRIVATE_SERIES in member.text


def test_members_see_who_facilitates_and_only_leaders_see_the_reasons(
    org: Org, client_for: ClientFor
) -> None:
    _volunteers(org)
    _series(org, org.public, upcoming=2)
    services.rotation_propose(actor=org.leader, community=org.public)
    url = reverse("rotation", args=[org.public.slug])
    leader = client_for(org.leader).get(url).text
    member = client_for(org.member).get(url).text
    assert "fewest sessions (0)" in leader and "Volunteers" in leader
    assert "fewest sessions (0)" not in member and "Propose facilitators" not in member
    assert "Femi Facilitator" in member  # who facilitates what is no secret in the community


# --- evidence -------------------------------------------------------------------------------


def test_sessions_facilitated_become_evidence_for_those_who_may_see_them(org: Org) -> None:
    _series(org, org.public, past=4, upcoming=1, facilitators=[org.member], title="Helm circle")
    _series(org, org.private, past=2, upcoming=0, facilitators=[org.member], title=PRIVATE_SERIES)
    held = _series(org, org.public, past=1, upcoming=0, facilitators=[org.member], title="Gone")
    Event.objects.filter(pk=held[0].pk).update(cancelled_at=timezone.now())  # cancelled: not
    lines = [
        line.text for line in selectors.sessions_facilitated(viewer=org.leader, person=org.member)
    ]
    assert lines == [
        "Facilitated 4 sessions of Helm circle",
        f"Facilitated 2 sessions of {PRIVATE_SERIES}",
    ]
    # Two one-off sessions are two lines, each under its own title.
    for title in ("Brown-bag: uv in CI", "Show & tell: Kyverno"):
        starts = timezone.now() - timedelta(days=20)
        Event.objects.create(
            community=org.public,
            kind="brown_bag",
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            time_zone="UTC",
            facilitator=org.member,
        )
    lines = [
        line.text for line in selectors.sessions_facilitated(viewer=org.leader, person=org.member)
    ]
    assert "Facilitated 1 session of Brown-bag: uv in CI" in lines
    assert "Facilitated 1 session of Show & tell: Kyverno" in lines
    Event.objects.filter(series__isnull=True, facilitator=org.member).delete()
    seen = selectors.sessions_facilitated(viewer=org.newcomer, person=org.member)
    assert [line.text for line in seen] == ["Facilitated 4 sessions of Helm circle"]
    assert selectors.facilitated_counts([org.member.pk]) == {org.member.pk: 6}


# --- the API and speed ----------------------------------------------------------------------


def test_the_api_volunteers_proposes_and_swaps(org: Org) -> None:
    events = _series(org, org.public, upcoming=2)
    base = f"/api/v1/communities/{org.public.slug}/rotation"
    for person in (org.leader, org.facilitator, org.member):
        made = _api(person).put(
            f"{base}/volunteer", json.dumps({"weekly_load": 1}), content_type="application/json"
        )
        assert made.status_code == 200, made.content
    refused = _api(org.member).put(
        f"{base}/volunteer", json.dumps({"weekly_load": 0}), content_type="application/json"
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == [
        "body",
        "weekly_load",
    ]
    plan = _api(org.leader).post(f"{base}/propose").json()
    first = plan["upcoming"][0]
    assert first["reason"].startswith("fewest sessions (0)") and not first["confirmed"]
    holder = Person.objects.get(pk=first["facilitator"]["id"])
    colleague = org.member if holder != org.member else org.leader
    assert _api(org.member).get(base).json()["upcoming"][0]["reason"] is None  # leaders only
    asked = _api(holder).post(
        f"/api/v1/rotation/events/{events[0].pk}/swaps",
        json.dumps({"colleague_id": colleague.pk}),
        content_type="application/json",
    )
    assert asked.status_code == 201, asked.content
    again = _api(holder).post(
        f"/api/v1/rotation/events/{events[0].pk}/swaps",
        json.dumps({"colleague_id": colleague.pk}),
        content_type="application/json",
    )
    assert again.status_code == 409
    swap_id = asked.json()["id"]
    taken = _api(colleague).post(f"/api/v1/rotation/swaps/{swap_id}/accept")
    assert taken.status_code == 200 and taken.json()["status"] == "accepted"
    events[0].refresh_from_db()
    assert events[0].facilitator == colleague
    assert _api(org.leader).delete(f"{base}/volunteer").status_code == 204
    assert _api(org.leader).delete(f"{base}/volunteer").status_code == 409


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_rotation_page_queries_do_not_grow_with_people_or_sessions(
    org: Org, client_for: ClientFor
) -> None:
    _volunteers(org)
    _series(org, org.public, upcoming=2, past=2, facilitators=[org.leader])
    services.rotation_propose(actor=org.leader, community=org.public)
    client = client_for(org.leader)
    url = reverse("rotation", args=[org.public.slug])
    small = _count(client, url)
    for i in range(6):
        person = Person.objects.create_user(
            f"volunteer{i}@example.com", "pw-123456789", name=f"Volunteer {i}"
        )
        community_services.community_join(actor=person, community=org.public)
        services.opt_in(actor=person, community=org.public)
    _series(org, org.public, upcoming=6, past=4, facilitators=[org.member], title="Second")
    services.rotation_propose(actor=org.leader, community=org.public)
    swap_event = Assignment.objects.filter(status=AssignmentStatus.PROPOSED).first()
    assert swap_event is not None
    services.swap_ask(
        actor=org.leader,
        event_id=swap_event.event_id,
        colleague_id=org.member.pk if swap_event.person_id != org.member.pk else org.leader.pk,
    )
    assert _count(client, url) == small
