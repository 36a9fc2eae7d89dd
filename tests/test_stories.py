"""Value stories: told when value happens, bounded estimates, the teller's audience, the
leaders' curation, business goals, and the figures the sponsor's report reads."""

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.personas import PRIVATE_QUESTION, Org
from tests.typing_helpers import ClientFor
from trellis.accounts.services import api_token_create
from trellis.core import access
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.events.models import EventKind, Rsvp
from trellis.events.services import EventFields, event_create
from trellis.notifications.models import Notification
from trellis.people.models import Person
from trellis.qa import services as qa_services
from trellis.stories import selectors, services
from trellis.stories.models import Audience, Cycle, Dismissal, Goal, Source, Story
from trellis.stories.services import StoryFields

PRIVATE_STORY = "The vault drill saved our audit"


def _accepted(org: Org, *, private: bool = False) -> int:
    """The member accepts the answer to their question; the answer's id."""
    answer = org.c.private_answer if private else org.c.public_answer
    qa_services.answer_accept(actor=org.member, answer=answer)
    return answer.pk


def _tell(org: Org, *, private: bool = False, **fields: Any) -> Story:
    answer_id = _accepted(org, private=private)
    values: dict[str, object] = {
        "cycle": Cycle.APPLIED,
        "text": PRIVATE_STORY if private else "Rolled back in ten minutes instead of a rebuild.",
        "hours_saved": "6",
    }
    values.update(fields)
    return services.story_tell(
        actor=org.member,
        source=Source.ACCEPTED,
        source_id=answer_id,
        fields=StoryFields(**values),  # type: ignore[arg-type]
    )


def _api(person: Person) -> Client:
    _, raw = api_token_create(actor=person, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


# -- telling ---------------------------------------------------------------------------------


def test_a_story_is_told_about_an_answer_once_it_is_accepted(org_with_content: Org) -> None:
    org = org_with_content
    answer = org.c.public_answer
    with pytest.raises(Invalid, match="once you accepted it"):
        services.story_tell(
            actor=org.member,
            source=Source.ACCEPTED,
            source_id=answer.pk,
            fields=StoryFields(cycle=Cycle.IMMEDIATE),
        )
    story = _tell(org, hours_saved="6.25", cost_avoided="2,500", risk_reduced="high")
    assert story.community == org.public
    assert story.hours_saved == Decimal("6.2") or story.hours_saved == Decimal("6.3")
    assert story.cost_avoided == 2500
    # Stored for every reader, not only the teller ("you accepted" would misread for a leader).
    assert story.source_title == (
        "the answer they accepted on “How do I roll back a Helm release safely?”"
    )
    assert selectors.estimate_words(story).startswith("saved about 6.")
    assert "avoided about £2,500 in costs; reduced a high risk" in selectors.estimate_words(story)
    with pytest.raises(Invalid, match="already told"):
        _tell(org)
    # Someone who did not accept the answer has nothing to tell about it.
    with pytest.raises(Invalid):
        services.story_tell(
            actor=org.leader,
            source=Source.ACCEPTED,
            source_id=answer.pk,
            fields=StoryFields(cycle=Cycle.IMMEDIATE),
        )
    assert Story.objects.count() == 1


ABSURD = [
    ({"hours_saved": "2001"}, "hours_saved", "At most 2,000 hours"),
    ({"hours_saved": "-3"}, "hours_saved", "can't be negative"),
    ({"hours_saved": "lots"}, "hours_saved", "must be a number"),
    ({"hours_saved": "NaN"}, "hours_saved", "must be a number"),
    ({"cost_avoided": "10000001"}, "cost_avoided", "At most £10,000,000"),
    ({"cost_avoided": "-1"}, "cost_avoided", "can't be negative"),
    ({"cost_avoided": "12.5"}, "cost_avoided", "whole amount"),
    ({"text": "x" * 2001}, "text", "At most 2,000 characters"),
    ({"made_possible": "y" * 301}, "made_possible", "At most 300 characters"),
    ({"cycle": "amazing"}, "cycle", "Choose what it helped you do"),
    ({"audience": "the press"}, "audience", "Choose who may read"),
    ({"risk_reduced": "extreme"}, "risk_reduced", "low, medium or high"),
]


@pytest.mark.parametrize(("change", "field", "words"), ABSURD)
def test_absurd_estimates_are_named_and_nothing_is_written(
    org_with_content: Org, change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(Invalid) as raised:
        _tell(org_with_content, **change)
    assert words in raised.value.field_errors[field]
    assert not Story.objects.exists()


def test_the_api_refuses_absurd_estimates_with_the_field_named(org_with_content: Org) -> None:
    org = org_with_content
    answer_id = _accepted(org)
    api = _api(org.member)
    body = {"source": "accepted", "source_id": answer_id, "cycle": "realised"}
    for bad in ({"hours_saved": 5000}, {"hours_saved": -1}, {"cost_avoided": 10**8}):
        response = api.post("/api/v1/stories", body | bad, content_type="application/json")
        assert response.status_code == 422, bad
        assert next(iter(bad)) in json.dumps(response.json()["errors"])
    assert not Story.objects.exists()
    made = api.post(
        "/api/v1/stories", body | {"hours_saved": 12.5}, content_type="application/json"
    )
    assert made.status_code == 201
    assert made.json()["estimate"] == "saved about 12.5 hours"
    assert made.json()["teller"] == org.member.name


# -- the prompt where value happens ----------------------------------------------------------


def test_accepting_an_answer_asks_once_and_the_prompt_works_with_htmx(
    org_with_content: Org, client_for: ClientFor
) -> None:
    org = org_with_content
    client = client_for(org.member)
    answer = org.c.public_answer
    question_url = reverse("question-detail", args=[org.c.public_question.pk])
    assert "What did this help you do?" not in client.get(question_url).content.decode()
    client.post(reverse("answer-accept", args=[answer.pk]))
    page = client.get(question_url).content.decode()
    assert "What did this help you do?" in page
    assert "I changed how I work" in page and "It changed how we think about success" in page
    assert "What did this help you do?" not in client.get(question_url).content.decode()

    tell = reverse("story-tell", args=[Source.ACCEPTED, answer.pk])
    htmx = {"HX-Request": "true"}
    bad = client.post(
        tell, {"cycle": "applied", "hours_saved": "9000", "audience": "members"}, headers=htmx
    )
    assert bad.status_code == 200
    assert "At most 2,000 hours for one story" in bad.content.decode()
    assert 'id="story-prompt"' in bad.content.decode()
    assert not Story.objects.exists()
    done = client.post(
        tell,
        {
            "cycle": "applied",
            "text": "Rolled back before the standup.",
            "hours_saved": "3",
            "audience": "everyone",
            "named": "on",
        },
        headers=htmx,
    )
    assert done.status_code == 200
    assert "Thank you: your story is told" in done.content.decode()
    story = Story.objects.get()
    assert story.audience == Audience.EVERYONE and story.named and story.hours_saved == 3


def test_the_prompt_works_without_javascript(org_with_content: Org, client_for: ClientFor) -> None:
    org = org_with_content
    client = client_for(org.member)
    answer_id = _accepted(org)
    tell = reverse("story-tell", args=[Source.ACCEPTED, answer_id])
    assert "What did this help you do?" in client.get(tell).content.decode()
    bad = client.post(tell, {"cycle": "applied", "cost_avoided": "-40", "audience": "members"})
    assert bad.status_code == 200 and "can&#x27;t be negative" in bad.content.decode()
    assert not Story.objects.exists()
    done = client.post(tell, {"cycle": "potential", "audience": "leaders"})
    assert done.status_code == 302 and done["Location"].startswith(
        reverse("question-detail", args=[org.c.public_question.pk])
    )
    story = Story.objects.get()
    assert story.audience == Audience.LEADERS and not story.named  # the box was left unticked


def test_not_now_is_never_asked_again(org_with_content: Org, client_for: ClientFor) -> None:
    org = org_with_content
    client = client_for(org.member)
    answer_id = _accepted(org)
    assert selectors.prompt_for(viewer=org.member, source=Source.ACCEPTED, source_id=answer_id)
    response = client.post(
        reverse("story-dismiss", args=[Source.ACCEPTED, answer_id]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and response.content == b""
    assert Dismissal.objects.filter(person=org.member).count() == 1
    assert (
        selectors.prompt_for(viewer=org.member, source=Source.ACCEPTED, source_id=answer_id) is None
    )


def test_thanking_and_a_guide_that_helped_are_moments_too(
    org_with_content: Org, client_for: ClientFor
) -> None:
    org = org_with_content
    client = client_for(org.member)
    # Thanks: the question page asks right after.
    client.post(reverse("post-thank", args=[org.c.public_answer.pk]))
    page = client.get(reverse("question-detail", args=[org.c.public_question.pk])).content
    assert "the answer you thanked" in page.decode()
    # A guide: "This helped me", then the prompt in place.
    resource = org.c.public_resource
    detail = client.get(reverse("resource-detail", args=[resource.pk])).content.decode()
    assert "This helped me" in detail
    helped = client.post(
        reverse("resource-helped", args=[resource.pk]), headers={"HX-Request": "true"}
    )
    assert "It helped you" in helped.content.decode()
    assert "What did this help you do?" in helped.content.decode()
    story = services.story_tell(
        actor=org.member,
        source=Source.RESOURCE,
        source_id=resource.pk,
        fields=StoryFields(cycle=Cycle.POTENTIAL, made_possible="A checklist for the on-call"),
    )
    assert story.community == org.public
    # The outsider cannot mark a private guide, and learns nothing of it.
    outsider = client_for(org.outsider)
    assert (
        outsider.post(reverse("resource-helped", args=[org.c.private_resource.pk])).status_code
        == 404
    )


def test_after_an_event_those_who_went_are_asked(org: Org, client_for: ClientFor) -> None:
    start = timezone.now().replace(microsecond=0, tzinfo=None) + timedelta(days=1)
    event = event_create(
        actor=org.leader,
        community=org.public,
        fields=EventFields(
            kind=EventKind.BROWN_BAG,
            title="Karpenter brown-bag",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            time_zone="UTC",
        ),
    )
    Rsvp.objects.create(event=event, person=org.member, reply="going")
    Rsvp.objects.create(event=event, person=org.facilitator, reply="going", attended=False)
    url = reverse("story-event-prompt", args=[event.pk])
    assert client_for(org.member).get(url).content == b""  # not over yet
    type(event).objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    assert "What did this help you do?" in client_for(org.member).get(url).content.decode()
    assert client_for(org.facilitator).get(url).content == b""  # marked absent
    assert client_for(org.newcomer).get(url).content == b""  # did not reply
    story = services.story_tell(
        actor=org.member,
        source=Source.EVENT,
        source_id=event.pk,
        fields=StoryFields(cycle=Cycle.REFRAMING, text="We now count drain time, not node count."),
    )
    assert story.source_title == "“Karpenter brown-bag”, which they went to"
    assert client_for(org.member).get(url).content == b""  # told: not asked again


# -- who may read a story --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "readers"),
    [
        (Audience.LEADERS, {"member", "leader", "sponsor", "admin"}),
        (Audience.MEMBERS, {"member", "leader", "sponsor", "admin", "facilitator"}),
        (
            Audience.EVERYONE,
            {"member", "leader", "sponsor", "admin", "facilitator", "newcomer", "outsider"},
        ),
    ],
)
def test_the_teller_chooses_who_reads_it(
    org_with_content: Org, audience: str, readers: set[str]
) -> None:
    org = org_with_content
    story = _tell(org, audience=audience)
    for name in ("member", "leader", "sponsor", "admin", "facilitator", "newcomer", "outsider"):
        person = getattr(org, name)
        listed = story.pk in {
            s.pk for s in selectors.community_stories(viewer=person, community=None)
        }
        assert listed == (name in readers), (audience, name)
        assert access.can_view_story(person, story, story.community) == listed


def test_a_private_communitys_stories_never_reach_an_outsider(
    org_with_content: Org, client_for: ClientFor
) -> None:
    org = org_with_content
    story = _tell(org, private=True, audience=Audience.EVERYONE)
    services.story_curate(actor=org.leader, story_id=story.pk, action="feature")
    outsider = client_for(org.outsider)
    for url in (
        reverse("story-detail", args=[story.pk]),
        reverse("community-stories", args=[org.private.slug]),
        reverse("story-tell", args=[Source.ACCEPTED, org.c.private_answer.pk]),
    ):
        assert outsider.get(url).status_code == 404, url
    api = _api(org.outsider)
    assert api.get("/api/v1/stories").json()["count"] == 0
    assert api.get(f"/api/v1/stories/{story.pk}").status_code == 404
    assert api.get(f"/api/v1/communities/{org.private.slug}/goals").status_code == 404
    start, end = timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    assert (
        selectors.featured_stories(viewer=org.outsider, community=None, start=start, end=end) == []
    )
    shown = selectors.featured_stories(viewer=org.sponsor, community=None, start=start, end=end)
    assert [s.text for s in shown] == [PRIVATE_STORY]
    page = client_for(org.member).get(reverse("community-stories", args=[org.private.slug]))
    assert PRIVATE_STORY in page.content.decode()
    assert PRIVATE_QUESTION in story.source_title


# -- curation --------------------------------------------------------------------------------


def test_leaders_feature_hide_and_ask_for_detail(
    org_with_content: Org, client_for: ClientFor
) -> None:
    org = org_with_content
    story = _tell(org, audience=Audience.EVERYONE)
    for who in (org.member, org.sponsor, org.facilitator):
        with pytest.raises(Forbidden):
            services.story_curate(actor=who, story_id=story.pk, action="feature")
    with pytest.raises(NotFound):  # a story the outsider may not read does not exist for them
        services.story_curate(actor=org.outsider, story_id=_tell_other(org).pk, action="feature")
    services.story_curate(actor=org.leader, story_id=story.pk, action="feature")
    services.story_ask_detail(
        actor=org.leader, story_id=story.pk, request="Roughly how long would a rebuild take?"
    )
    told = Notification.objects.get(recipient=org.member, target_type="story")
    assert told.url == reverse("story-detail", args=[story.pk])
    assert "Roughly how long would a rebuild take?" in told.headline
    page = client_for(org.member).get(told.url).content.decode()
    assert "Roughly how long would a rebuild take?" in page and "Add the detail" in page
    client_for(org.member).post(
        reverse("story-add-detail", args=[story.pk]), {"detail": "A rebuild is half a day."}
    )
    story.refresh_from_db()
    assert story.detail == "A rebuild is half a day." and story.detail_added_at is not None
    with pytest.raises(Forbidden):
        services.story_add_detail(actor=org.leader, story_id=story.pk, detail="Not mine")

    start, end = timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    (featured,) = selectors.featured_stories(
        viewer=org.sponsor, community=org.public, start=start, end=end
    )
    assert featured.cycle_label == "Applied value: I changed how I work"
    assert featured.teller_name == org.member.name
    assert "A rebuild is half a day." in featured.text
    services.story_curate(actor=org.leader, story_id=story.pk, action="hide")
    assert (
        selectors.featured_stories(viewer=org.sponsor, community=org.public, start=start, end=end)
        == []
    )
    with pytest.raises(Invalid, match="hidden"):
        services.story_curate(actor=org.leader, story_id=story.pk, action="feature")
    newcomer = client_for(org.newcomer)
    assert newcomer.get(reverse("story-detail", args=[story.pk])).status_code == 404
    assert client_for(org.member).get(reverse("story-detail", args=[story.pk])).status_code == 200
    listing = client_for(org.leader).get(reverse("community-stories", args=[org.public.slug]))
    assert "Show again" in listing.content.decode()


def _tell_other(org: Org) -> Story:
    return _tell(org, private=True, audience=Audience.MEMBERS)


# -- goals and the report's figures ---------------------------------------------------------


def test_sponsors_and_leaders_name_goals_and_stories_link_to_them(org_with_content: Org) -> None:
    org = org_with_content
    with pytest.raises(Forbidden):
        services.goal_create(actor=org.member, community=org.public, name="Ship faster")
    with pytest.raises(NotFound):
        services.goal_create(actor=org.outsider, community=org.private, name="Leak")
    with pytest.raises(Invalid) as raised:
        services.goal_create(actor=org.sponsor, community=org.public, name="  ")
    assert "Name the goal" in raised.value.field_errors["name"]
    goal = services.goal_create(
        actor=org.sponsor, community=org.public, name="Reduce onboarding time", measure="onboarding"
    )
    other = services.goal_create(actor=org.leader, community=org.private, name="Pass the audit")
    assert selectors.goals_of(community=org.public) == [goal]
    story = _tell(org, goal_id=goal.pk)
    assert story.goal == goal
    with pytest.raises(Invalid):  # another community's goal
        services.story_set_goal(actor=org.member, story_id=story.pk, goal_id=other.pk)
    services.story_set_goal(actor=org.leader, story_id=story.pk, goal_id=None)
    services.goal_retire(actor=org.sponsor, goal_id=goal.pk)
    assert selectors.goals_of(community=org.public) == []
    with pytest.raises(Invalid):
        services.story_set_goal(actor=org.member, story_id=story.pk, goal_id=goal.pk)
    assert Goal.objects.count() == 2


def test_hours_saved_counts_what_members_estimated_and_says_how(org_with_content: Org) -> None:
    org = org_with_content
    _tell(org, hours_saved="6")
    _tell(org, private=True, hours_saved="", named=False)
    qa_services.post_thank(actor=org.newcomer, post=org.c.public_answer)
    hidden = services.story_tell(
        actor=org.newcomer,
        source=Source.THANKS,
        source_id=org.c.public_answer.pk,
        fields=StoryFields(cycle=Cycle.IMMEDIATE, hours_saved="40"),
    )
    services.story_curate(actor=org.leader, story_id=hidden.pk, action="hide")
    start, end = timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)
    org_wide = selectors.hours_saved(community=None, start=start, end=end)
    assert (org_wide.total_hours, org_wide.stories_with_hours, org_wide.stories) == (6.0, 1, 2)
    assert "in 1 of the 2 value stories told between" in org_wide.method
    assert "without an estimate count as zero" in org_wide.method
    public = selectors.hours_saved(community=org.public, start=start, end=end)
    assert (public.total_hours, public.stories) == (6.0, 1)
    later = selectors.hours_saved(community=None, start=end, end=end + timedelta(days=30))
    assert (later.total_hours, later.stories) == (0.0, 0)
    assert Story.objects.filter(named=False).count() == 1


def test_the_community_page_reads_in_a_constant_number_of_queries(
    org_with_content: Org, client_for: ClientFor
) -> None:
    org = org_with_content
    client = client_for(org.leader)
    url = reverse("community-stories", args=[org.public.slug])
    _tell(org)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for index in range(5):
        person = Person.objects.create_user(
            f"p{index}@example.com", "pw-123456789", name=f"P {index}", department=org.design
        )
        qa_services.post_thank(actor=person, post=org.c.public_answer)
        services.story_tell(
            actor=person,
            source=Source.THANKS,
            source_id=org.c.public_answer.pk,
            fields=StoryFields(cycle=Cycle.IMMEDIATE, audience=Audience.EVERYONE),
        )
    with CaptureQueriesContext(connection) as six:
        response = client.get(url)
    assert response.content.decode().count('data-testid="story-row"') == 6
    assert len(six.captured_queries) == len(one.captured_queries)


def test_the_demo_stories_hang_on_answered_questions_of_the_default_demo() -> None:
    """Every demo story names a question the default demo writes with an accepted answer,
    every default community has a few, and a private community's stay inside it."""
    from collections import Counter

    from trellis.ops.demo import MAIN_COMMUNITIES
    from trellis.ops.demo_corpus import load_corpus
    from trellis.ops.demo_stories import GOALS, STORIES

    corpus = load_corpus()
    for told in STORIES:
        answered = {
            q.title for q in corpus[told.slug].questions if any(a.accepted for a in q.answers)
        }
        assert told.title in answered, (told.slug, told.title)
        assert told.hours is None or Decimal("0.5") <= Decimal(told.hours) <= 40
    shown = Counter(told.slug for told in STORIES if not told.hidden)
    assert {spec.slug for spec in MAIN_COMMUNITIES} == set(shown) == set(GOALS)
    assert all(2 <= n <= 3 for n in shown.values()), shown
    private = {spec.slug for spec in MAIN_COMMUNITIES if spec.visibility == "private"}
    assert private
    assert all(t.audience != Audience.EVERYONE for t in STORIES if t.slug in private)
    assert 8 <= sum(t.featured for t in STORIES) <= 12
    assert len({(t.slug, t.title) for t in STORIES}) == len(STORIES)
