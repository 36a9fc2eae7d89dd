"""Member-driven agendas: topics and votes, the draft from open questions and the library,
the facilitator's editing and publishing, notes to the library with follow-ups, and the
"start simple" switches and first brown-bag."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.accounts.services import api_token_create
from trellis.agendas import scoring, selectors, services
from trellis.agendas.models import Agenda, AgendaItem, ItemSource, Proposal, ProposalVote
from trellis.agendas.services import Features
from trellis.communities import services as community_services
from trellis.communities.models import Community
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.events import services as event_services
from trellis.events.models import Event, EventKind
from trellis.events.services import EventFields
from trellis.library import services as library_services
from trellis.library.models import Resource, ResourceOwner
from trellis.notifications.models import Kind, Notification
from trellis.people.models import Person
from trellis.qa import services as qa_services
from trellis.qa.models import Comment, Post

PRIVATE_EVENT = "Breach drill debrief"


def _agendas_on(org: Org, community: Community | None = None) -> None:
    community_services_features(org, community or org.public, agendas=True)


def community_services_features(
    org: Org, community: Community, *, events: bool = True, agendas: bool = True
) -> None:
    services.community_features_set(
        actor=org.leader,
        community=community,
        features=Features(events=events, agendas=agendas, rotation=False),
    )


def _event(org: Org, *, private: bool = False, days: float = 7, **extra: object) -> Event:
    community = org.private if private else org.public
    _agendas_on(org, community)
    start = timezone.now().astimezone(UTC).replace(tzinfo=None, microsecond=0) + timedelta(
        days=days
    )
    fields: dict[str, object] = {
        "kind": EventKind.CIRCLE,
        "title": PRIVATE_EVENT if private else "Helm rollbacks circle",
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "time_zone": "UTC",
    }
    fields.update(extra)
    return event_services.event_create(
        actor=org.leader,
        community=community,
        fields=EventFields(**fields),  # type: ignore[arg-type]
    )


def _started(event: Event, *, ended: bool = False) -> None:
    """Move the event so it has started (or is over), as time would."""
    start = timezone.now() - timedelta(hours=3 if ended else 0, minutes=5)
    Event.objects.filter(pk=event.pk).update(starts_at=start, ends_at=start + timedelta(hours=1))
    event.refresh_from_db()


def _person(org: Org, name: str) -> Person:
    person = Person.objects.create_user(
        f"{name.lower()}@example.com", "pw-123456789", name=name, department=org.design
    )
    community_services.community_join(actor=person, community=org.public)
    return person


def _question(org: Org, title: str, *, votes: int = 0, views: int = 0, days_old: int = 0) -> Post:
    question = qa_services.question_ask(
        actor=org.member, community=org.public, title=title, body="Any advice welcome.", tags="k8s"
    )
    Post.objects.filter(pk=question.pk).update(
        score=votes, view_count=views, created_at=timezone.now() - timedelta(days=days_old)
    )
    question.refresh_from_db()
    return question


def _api(person: Person) -> Client:
    _, raw = api_token_create(actor=person, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


# -- proposals and votes --------------------------------------------------------------------


def test_members_propose_and_vote_and_the_list_is_sorted_by_votes(org: Org) -> None:
    event = _event(org)
    ana, ben = _person(org, "Ana"), _person(org, "Ben")
    first = services.proposal_add(actor=org.member, event_id=event.pk, title="Helm 3 hooks")
    second = services.proposal_add(
        actor=ana, event_id=event.pk, title="Stuck rollouts", note="Ours hung twice last week."
    )
    for voter in (ben, org.facilitator):
        services.proposal_vote_set(actor=voter, proposal_id=second.pk, voted=True)
    # Voting twice counts once; the proposer's own vote came with the proposal.
    services.proposal_vote_set(actor=ben, proposal_id=second.pk, voted=True)
    services.proposal_vote_set(actor=ana, proposal_id=second.pk, voted=True)
    listed = selectors.proposals(viewer=ben, event=event)
    assert [(p.title, p.vote_count) for p in listed] == [("Stuck rollouts", 3), ("Helm 3 hooks", 1)]
    assert [p.voted for p in listed] == [True, False]  # type: ignore[attr-defined]
    # Toggling takes the vote back.
    services.proposal_vote_toggle(actor=ben, proposal_id=second.pk)
    services.proposal_vote_toggle(actor=ben, proposal_id=first.pk)
    second.refresh_from_db()
    assert second.vote_count == 2 == ProposalVote.objects.filter(proposal=second).count()
    assert Proposal.objects.get(pk=first.pk).vote_count == 2


def test_no_topics_or_votes_once_the_event_has_started(org: Org, client_for: ClientFor) -> None:
    event = _event(org)
    proposal = services.proposal_add(actor=org.member, event_id=event.pk, title="Helm hooks")
    _started(event)
    with pytest.raises(Invalid, match="has started, so it takes no more topics or votes"):
        services.proposal_add(actor=org.member, event_id=event.pk, title="Too late")
    with pytest.raises(Invalid, match="has started"):
        services.proposal_vote_set(actor=org.facilitator, proposal_id=proposal.pk, voted=True)
    response = client_for(org.facilitator).post(
        reverse("agenda-vote", args=[proposal.pk]), follow=True
    )
    assert "has started, so it takes no more topics or votes" in response.content.decode()
    assert Proposal.objects.count() == 1
    assert ProposalVote.objects.count() == 1
    api = _api(org.member).post(
        f"/api/v1/events/{event.pk}/agenda/proposals",
        {"title": "Late"},
        content_type="application/json",
    )
    assert api.status_code == 409
    assert "has started" in api.json()["detail"]


def test_bad_topics_are_named_and_nothing_is_written(org: Org, client_for: ClientFor) -> None:
    event = _event(org)
    with pytest.raises(Invalid) as raised:
        services.proposal_add(actor=org.member, event_id=event.pk, title="   ")
    assert "Say in a few words" in raised.value.field_errors["title"]
    with pytest.raises(Invalid) as raised:
        services.proposal_add(actor=org.member, event_id=event.pk, title="x" * 201)
    assert raised.value.field_errors["title"] == "At most 200 characters."
    services.proposal_add(actor=org.member, event_id=event.pk, title="Helm hooks")
    services.proposal_add(
        actor=org.member, event_id=event.pk, title="<script>alert(1)</script> in values"
    )
    shown = client_for(org.member).get(reverse("agenda-detail", args=[event.pk])).content
    assert b"<script>alert(1)" not in shown and b"&lt;script&gt;alert(1)" in shown
    with pytest.raises(Invalid, match="already proposed"):
        services.proposal_add(actor=org.facilitator, event_id=event.pk, title="helm HOOKS")
    page = client_for(org.member).post(
        reverse("agenda-propose", args=[event.pk]), {"title": "", "note": "why"}
    )
    assert page.status_code == 400
    assert "This field is required" in page.content.decode()
    assert Proposal.objects.count() == 2
    api = _api(org.member).post(
        f"/api/v1/events/{event.pk}/agenda/proposals",
        {"title": "ok", "extra": 1},
        content_type="application/json",
    )
    assert api.status_code == 422
    assert Proposal.objects.count() == 2


def test_agendas_switched_off_take_no_topics(org: Org) -> None:
    event = _event(org)
    community_services_features(org, org.public, agendas=False)
    with pytest.raises(Invalid, match="switched off in this community"):
        services.proposal_add(actor=org.member, event_id=event.pk, title="Helm hooks")
    assert not Proposal.objects.exists()


# -- the draft ------------------------------------------------------------------------------


def test_the_wanted_score_in_sql_orders_as_documented(org: Org) -> None:
    specs = [
        ("Fresh and popular", 4, 30, 1),
        ("Old and quiet", 0, 10, 200),
        ("Much viewed", 1, 400, 20),
        ("Middle of the road", 2, 60, 35),
        ("A brand new question", 0, 0, 0),
    ]
    made = [_question(org, t, votes=v, views=w, days_old=d) for t, v, w, d in specs]
    now = timezone.now()
    expected = sorted(
        made,
        key=lambda q: (
            -scoring.wanted_score(
                votes=q.score, views=q.view_count, asked_at=q.created_at, now=now
            ),
            q.created_at,
        ),
    )
    found = selectors.wanted_questions(community=org.public, limit=5)
    assert [q.title for q in found] == [q.title for q in expected]
    assert found[0].title == "Much viewed"  # 3 + 16 + 2 weeks = 21


def test_the_draft_holds_top_topics_the_most_wanted_question_and_due_guides(org: Org) -> None:
    event = _event(org)
    services.proposal_add(actor=org.member, event_id=event.pk, title="Stuck rollouts")
    wanted = _question(org, "Why does my rollout hang at 50%?", votes=4, views=120, days_old=35)
    _question(org, "Quiet question", days_old=1)
    solved = _question(org, "Solved one", votes=9, views=900, days_old=60)
    answer = qa_services.answer_post(actor=org.facilitator, question=solved, body="Use maxSurge.")
    qa_services.answer_accept(actor=org.member, answer=answer)
    guide = library_services.resource_create(
        actor=org.leader, community=org.public, kind="guide", title="Helm checklist", body="1."
    )
    lapsed = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    Resource.objects.filter(pk=guide.pk).update(verify_by=lapsed)
    result = services.agenda_draft_build(actor=org.leader, event_id=event.pk)
    items = selectors.items(agenda=result.agenda)
    by_source = {(i.source, i.title): i.reason for i in items}
    assert by_source[(ItemSource.PROPOSAL, "Stuck rollouts")] == "1 vote, proposed by Mo Member"
    assert by_source[(ItemSource.QUESTION, wanted.title)] == (
        "4 votes, asked 5 weeks ago, 120 views, no answer yet"
    )
    assert next(i.title for i in items if i.source == ItemSource.QUESTION) == wanted.title
    assert "Solved one" not in by_source.values() and all(t != "Solved one" for _, t in by_source)
    since = scoring.day_words(lapsed, timezone.now())
    assert by_source[(ItemSource.RESOURCE, "Review: Helm checklist")] == (
        f"guide due for review since {since}"
    )
    assert [i.position for i in items] == list(range(1, len(items) + 1))


def test_the_facilitator_reorders_removes_adds_and_publishes(
    org: Org, client_for: ClientFor
) -> None:
    event = _event(org)
    Event.objects.filter(pk=event.pk).update(facilitator=org.member)  # a plain member runs it
    for title in ("Alpha", "Bravo", "Charlie"):
        services.proposal_add(actor=org.member, event_id=event.pk, title=title)
    services.agenda_draft_build(actor=org.member, event_id=event.pk)
    agenda = Agenda.objects.get(event=event)
    a, b, c = selectors.items(agenda=agenda)
    services.agenda_item_move(actor=org.member, item_id=c.pk, direction="up")
    assert [i.title for i in selectors.items(agenda=agenda)] == ["Alpha", "Charlie", "Bravo"]
    # The form without scripts: put Bravo first.
    member = client_for(org.member)
    member.post(reverse("agenda-item-update", args=[b.pk]), {"position": "1", "speaker": ""})
    assert [i.title for i in selectors.items(agenda=agenda)] == ["Bravo", "Alpha", "Charlie"]
    with pytest.raises(Invalid, match="between 1 and 3"):
        services.agenda_item_update(actor=org.member, item_id=a.pk, position=9)
    services.agenda_item_remove(actor=org.member, item_id=a.pk)
    services.agenda_item_add(
        actor=org.member, event_id=event.pk, title="Demo", speaker_email=org.facilitator.email
    )
    # Building again does not bring back what was taken off.
    services.agenda_draft_build(actor=org.member, event_id=event.pk)
    titles = [i.title for i in selectors.items(agenda=agenda)]
    assert titles == ["Bravo", "Charlie", "Demo"]
    # Others who see the event do not see the draft until it is published.
    other = client_for(org.facilitator).get(reverse("agenda-detail", args=[event.pk]))
    assert "Charlie" in other.content.decode()  # the facilitator role is core team: may edit
    page = client_for(org.newcomer).get(reverse("agenda-detail", args=[event.pk])).content.decode()
    assert "preparing the agenda" in page and "Led by" not in page
    member.post(reverse("agenda-publish", args=[event.pk]))
    page = client_for(org.newcomer).get(reverse("agenda-detail", args=[event.pk])).content.decode()
    assert "Published" in page
    assert page.index("Bravo") < page.index("Charlie") < page.index("Demo")
    assert "led by Femi Facilitator" in page


def test_only_those_who_run_the_event_change_its_agenda(org: Org, client_for: ClientFor) -> None:
    event = _event(org)
    proposal = services.proposal_add(actor=org.member, event_id=event.pk, title="Alpha")
    with pytest.raises(Forbidden, match="facilitator"):
        services.agenda_draft_build(actor=org.member, event_id=event.pk)
    with pytest.raises(Forbidden):
        services.agenda_publish(actor=org.sponsor, event_id=event.pk)
    services.agenda_draft_build(actor=org.leader, event_id=event.pk)
    item = AgendaItem.objects.get(proposal=proposal)
    assert client_for(org.member).post(
        reverse("agenda-item-remove", args=[item.pk])
    ).status_code == (403)
    assert AgendaItem.objects.get(pk=item.pk).removed_at is None
    with pytest.raises(Invalid, match="empty"):
        empty = _event(org, title="Empty circle")
        services.agenda_publish(actor=org.leader, event_id=empty.pk)


def test_a_private_events_agenda_names_no_speaker_who_may_not_see_it(org: Org) -> None:
    """The notes credit speakers and make them owners of the guide: never an outsider."""
    event = _event(org, private=True)
    with pytest.raises(Invalid, match="Nobody in the directory"):
        services.agenda_item_add(
            actor=org.leader, event_id=event.pk, title="Drill", speaker_email=org.outsider.email
        )
    assert not AgendaItem.objects.filter(title="Drill").exists()
    item = services.agenda_item_add(
        actor=org.leader, event_id=event.pk, title="Drill", speaker_email=org.member.email
    )
    assert item.speaker == org.member


def test_a_private_events_agenda_does_not_exist_for_the_outsider(
    org: Org, client_for: ClientFor
) -> None:
    event = _event(org, private=True)
    proposal = services.proposal_add(actor=org.member, event_id=event.pk, title="Vault keys")
    with pytest.raises(NotFound):
        services.proposal_add(actor=org.outsider, event_id=event.pk, title="Peek")
    with pytest.raises(NotFound):
        services.proposal_vote_set(actor=org.outsider, proposal_id=proposal.pk, voted=True)
    outsider = client_for(org.outsider)
    assert outsider.get(reverse("agenda-detail", args=[event.pk])).status_code == 404
    assert outsider.post(reverse("agenda-vote", args=[proposal.pk])).status_code == 404
    api = _api(org.outsider)
    for path in (f"/events/{event.pk}/agenda", f"/events/{event.pk}/agenda/proposals"):
        response = api.get(f"/api/v1{path}")
        assert response.status_code == 404
        assert "Vault keys" not in response.content.decode()
    assert client_for(org.member).get(reverse("agenda-detail", args=[event.pk])).status_code == 200


# -- after the event ------------------------------------------------------------------------


def test_notes_become_a_guide_credited_and_open_questions_are_followed_up_once(
    org: Org, client_for: ClientFor
) -> None:
    event = _event(org)
    Event.objects.filter(pk=event.pk).update(facilitator=org.facilitator)
    wanted = _question(org, "Why does my rollout hang at 50%?", votes=4, views=120, days_old=35)
    services.agenda_draft_build(actor=org.facilitator, event_id=event.pk)
    item = AgendaItem.objects.get(question=wanted)
    services.agenda_item_update(actor=org.leader, item_id=item.pk, speaker_email=org.member.email)
    with pytest.raises(Invalid, match="after the event has started"):
        services.agenda_notes_save(actor=org.facilitator, event_id=event.pk, notes="Early")
    _started(event, ended=True)
    client = client_for(org.facilitator)
    bad = client.post(
        reverse("agenda-notes", args=[event.pk]),
        {"notes": "Fine", "recording_url": "javascript:alert(1)", "action": "publish"},
    )
    assert bad.status_code == 400 and "full web address" in bad.content.decode()
    assert not Resource.objects.filter(title__startswith="Notes:").exists()
    notes = "We found the **readiness probe** was wrong.\n\n<script>alert(1)</script>"
    response = client.post(
        reverse("agenda-notes", args=[event.pk]),
        {"notes": notes, "recording_url": "https://video.example.com/r/42", "action": "publish"},
        follow=True,
    )
    assert "The notes are in the library" in response.content.decode()
    agenda = Agenda.objects.get(event=event)
    assert "<script>" not in agenda.notes_html and "<strong>readiness probe</strong>" in (
        agenda.notes_html
    )
    assert agenda.notes_resource_id is not None
    guide = Resource.objects.get(pk=agenda.notes_resource_id)
    assert guide.kind == "guide" and guide.community == org.public
    assert guide.url == "https://video.example.com/r/42"
    assert "readiness probe" in guide.body and "led by Mo Member" in guide.body
    owners = set(ResourceOwner.objects.filter(resource=guide).values_list("person_id", flat=True))
    assert owners == {org.facilitator.pk, org.member.pk}
    assert [(a["name"], a["role"]) for a in guide.attribution] == [
        ("Femi Facilitator", "facilitated"),
        ("Mo Member", "spoke"),
    ]
    comment = Comment.objects.get(post=wanted)
    assert f"Discussed at [{event.title}]" in comment.body and guide.title in comment.body
    assert Notification.objects.filter(recipient=org.member, kind=Kind.COMMENT).count() == 1
    # Publishing again updates the same guide and follows nobody up twice.
    result = services.agenda_notes_publish(actor=org.facilitator, event_id=event.pk)
    assert result.resource.pk == guide.pk and not result.created and result.followed_up == 0
    assert Comment.objects.filter(post=wanted).count() == 1
    assert Resource.objects.filter(title__startswith="Notes:").count() == 1
    # The agenda page links the notes.
    page = client_for(org.newcomer).get(reverse("agenda-detail", args=[event.pk]))
    assert reverse("resource-detail", args=[guide.pk]) in page.content.decode()


# -- start simple ---------------------------------------------------------------------------


def test_a_new_community_suggests_its_first_brown_bag_to_its_leaders(
    org: Org, client_for: ClientFor
) -> None:
    fresh = community_services.community_create(
        actor=org.leader, name="Platform Guild", domain="Our internal platform"
    )
    assert (fresh.events_enabled, fresh.agendas_enabled, fresh.rotation_enabled) == (
        True,
        False,
        False,
    )
    community_services.community_join(actor=org.member, community=fresh)
    for title, views in (("How do we get a sandbox cluster?", 80), ("Who owns DNS?", 5)):
        qa_services.question_ask(
            actor=org.member, community=fresh, title=title, body="Asking for my team."
        )
        Post.objects.filter(title=title).update(view_count=views)
    leader = client_for(org.leader).get(reverse("community-detail", args=[fresh.slug]))
    page = leader.content.decode()
    assert "Suggested first brown-bag" in page
    assert "How do we get a sandbox cluster?" in page
    assert (
        "/events/new/?community=platform-guild&amp;kind=brown_bag&amp;"
        "title=Brown-bag%3A+How+do+we+get+a+sandbox+cluster%3F" in page
    )
    member = client_for(org.member).get(reverse("community-detail", args=[fresh.slug]))
    assert "Suggested first brown-bag" not in member.content.decode()
    # Once the community has an event, the suggestion has done its job.
    start = datetime(2031, 5, 6, 12, 0)
    event_services.event_create(
        actor=org.leader,
        community=fresh,
        fields=EventFields(
            kind=EventKind.BROWN_BAG,
            title="Brown-bag: sandboxes",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            time_zone="UTC",
        ),
    )
    assert selectors.first_brown_bag(viewer=org.leader, community=fresh) is None


def test_leaders_switch_features_and_others_cannot(org: Org, client_for: ClientFor) -> None:
    url = reverse("community-features", args=[org.public.slug])
    assert client_for(org.member).get(url).status_code == 403
    assert (
        client_for(org.outsider)
        .get(reverse("community-features", args=[org.private.slug]))
        .status_code
        == 404
    )
    assert client_for(org.member).post(url, {"agendas_enabled": "on"}).status_code == 403
    org.public.refresh_from_db()
    assert not org.public.agendas_enabled
    leader = client_for(org.leader)
    # The leaders find the switches from the community's page and from its settings.
    community_page = leader.get(reverse("community-detail", args=[org.public.slug]))
    assert f'href="{url}"' in community_page.content.decode()
    assert (
        f'href="{url}"'
        not in client_for(org.member)
        .get(reverse("community-detail", args=[org.public.slug]))
        .content.decode()
    )
    settings_page = leader.get(reverse("community-settings", args=[org.public.slug]))
    assert "Member-driven agendas: off" in settings_page.content.decode()
    leader.post(url, {"events_enabled": "on", "agendas_enabled": "on", "rotation_enabled": "on"})
    org.public.refresh_from_db()
    assert (org.public.events_enabled, org.public.agendas_enabled, org.public.rotation_enabled) == (
        True,
        True,
        True,
    )
    # Agendas and rotation belong to events: off with them.
    leader.post(url, {"agendas_enabled": "on", "rotation_enabled": "on"})
    org.public.refresh_from_db()
    assert (org.public.events_enabled, org.public.agendas_enabled, org.public.rotation_enabled) == (
        False,
        False,
        False,
    )


# -- the API --------------------------------------------------------------------------------


def test_the_api_lists_proposes_votes_builds_and_publishes(org: Org) -> None:
    event = _event(org)
    _question(org, "Why does my rollout hang at 50%?", votes=4, views=120, days_old=35)
    member, leader = _api(org.member), _api(org.leader)
    base = f"/api/v1/events/{event.pk}/agenda"
    made = member.post(
        f"{base}/proposals", {"title": "Stuck rollouts"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["votes"] == 1
    pid = made.json()["id"]
    assert leader.put(f"/api/v1/agenda/proposals/{pid}/vote").json()["votes"] == 2
    assert leader.put(f"/api/v1/agenda/proposals/{pid}/vote").json()["votes"] == 2
    listed = leader.get(f"{base}/proposals").json()
    assert listed["open"] is True
    assert [(p["title"], p["votes"], p["you_voted"]) for p in listed["items"]] == [
        ("Stuck rollouts", 2, True)
    ]
    assert leader.delete(f"/api/v1/agenda/proposals/{pid}/vote").json()["votes"] == 1
    assert member.post(f"{base}/draft").status_code == 403
    draft = leader.post(f"{base}/draft").json()
    assert draft["status"] == "draft"
    assert [i["source"] for i in draft["items"]] == ["proposal", "question"]
    assert member.get(base).json()["items"] == []  # the draft is for those who run it
    published = leader.post(f"{base}/publish").json()
    assert published["status"] == "published"
    seen = member.get(base).json()
    assert [i["title"] for i in seen["items"]] == [
        "Stuck rollouts",
        "Why does my rollout hang at 50%?",
    ]
    assert seen["items"][1]["reason"] == "4 votes, asked 5 weeks ago, 120 views, no answer yet"
    assert json.loads(json.dumps(seen))["can_edit"] is False


def test_the_agenda_page_reads_in_flat_queries(org: Org, client_for: ClientFor) -> None:
    event = _event(org)
    services.agenda_draft_build(actor=org.leader, event_id=event.pk)
    client = client_for(org.leader)
    url = reverse("agenda-detail", args=[event.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(12):
        person = _person(org, f"Voter{n}")
        proposal = services.proposal_add(actor=person, event_id=event.pk, title=f"Topic {n}")
        services.proposal_vote_set(actor=org.member, proposal_id=proposal.pk, voted=True)
    services.agenda_draft_build(actor=org.leader, event_id=event.pk)
    assert queries() == few


def test_the_demo_has_a_circle_with_votes_and_notes_in_the_library(db: None) -> None:
    from trellis.ops.demo import demo_generate

    demo_generate(size=50)  # it calls ops.demo_agendas.demo_agendas_create
    assert Agenda.objects.count() >= 2
    upcoming = Agenda.objects.filter(published_at=None).select_related("event").first()
    assert upcoming is not None and upcoming.event.starts_at > timezone.now()
    assert Proposal.objects.filter(event=upcoming.event, vote_count__gte=2).count() >= 3
    sources = set(AgendaItem.objects.filter(agenda=upcoming).values_list("source", flat=True))
    assert {ItemSource.PROPOSAL, ItemSource.QUESTION} <= sources
    held = Agenda.objects.exclude(notes_resource=None).select_related("notes_resource").get()
    assert held.published_at is not None and held.event.ends_at < timezone.now()
    assert held.notes_resource is not None
    assert held.notes_resource.title.startswith("Notes: Problem-solving circle")
    assert Comment.objects.filter(body__startswith="Discussed at").exists()
