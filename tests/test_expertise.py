"""Expertise from evidence, "who knows about X?", and people's say in being asked."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import PRIVATE_QUESTION, Org, build_content
from tests.typing_helpers import ClientFor
from trellis.expertise import selectors
from trellis.expertise.models import TopicEvidence
from trellis.expertise.services import availability, evidence
from trellis.qa import services as qa_services


@pytest.fixture
def content(org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Org:
    """The personas' content, with its evidence refreshed by the tasks its services queue."""
    with django_capture_on_commit_callbacks(execute=True):
        build_content(org)
        qa_services.answer_accept(actor=org.member, answer=org.c.public_answer)
    return org


def names(experts: list[selectors.Expert]) -> list[str]:
    return [e.person.name for e in experts]


@pytest.mark.django_db
def test_evidence_counts_answers_accepts_and_guides_per_topic_and_scope(content: Org) -> None:
    rows = {
        (r.person_id, r.community_id, r.tag.name): r
        for r in TopicEvidence.objects.select_related("tag")
    }
    helm = rows[(content.facilitator.pk, content.public.pk, "helm")]
    assert (helm.answers, helm.accepted, helm.guides) == (1, 1, 0)
    guide = rows[(content.leader.pk, content.public.pk, "helm")]
    assert (guide.answers, guide.guides) == (0, 1)
    private = rows[(content.leader.pk, content.private.pk, "incident-response")]
    assert private.answers == 1
    before = {key: (r.answers, r.accepted, r.guides, round(r.score, 9)) for key, r in rows.items()}
    assert evidence.evidence_rebuild() == len(rows)  # the daily rebuild agrees with the increments
    after = {
        (r.person_id, r.community_id, r.tag.name): (r.answers, r.accepted, r.guides)
        for r in TopicEvidence.objects.select_related("tag")
    }
    assert after == {key: value[:3] for key, value in before.items()}


@pytest.mark.django_db
def test_evidence_decays_with_age(content: Org) -> None:
    fresh = TopicEvidence.objects.get(person=content.facilitator, tag__name="helm").score
    evidence.evidence_rebuild(
        person_ids=[content.facilitator.pk], now=timezone.now() + timedelta(days=365)
    )
    aged = TopicEvidence.objects.get(person=content.facilitator, tag__name="helm").score
    assert aged == pytest.approx(fresh / 2, rel=0.01)


@pytest.mark.django_db
def test_who_knows_ranks_the_people_with_evidence_and_says_why(content: Org) -> None:
    found = selectors.who_knows(viewer=content.member, text="helm rollback")
    assert names(found)[:2] == [content.facilitator.name, content.leader.name]
    facilitator = found[0]
    assert "answered 1 similar question, 1 accepted" in facilitator.reasons
    assert "on helm: 1 answer, 1 accepted" in facilitator.reasons
    assert "on helm: owns 1 guide" in found[1].reasons


@pytest.mark.django_db
def test_opted_out_or_away_people_are_never_listed(content: Org) -> None:
    availability.availability_set(
        actor=content.facilitator, person=content.facilitator, opted_out=True,
        away_until=None, weekly_cap=3,
    )  # fmt: skip
    assert content.facilitator.name not in names(
        selectors.who_knows(viewer=content.member, text="helm rollback")
    )
    availability.availability_set(
        actor=content.facilitator, person=content.facilitator, opted_out=False,
        away_until=timezone.localdate(), weekly_cap=3,
    )  # fmt: skip
    assert content.facilitator.name not in names(
        selectors.who_knows(viewer=content.member, text="helm rollback")
    )
    availability.availability_set(
        actor=content.facilitator, person=content.facilitator, opted_out=False,
        away_until=timezone.localdate() - timedelta(days=1), weekly_cap=3,
    )  # fmt: skip
    assert content.facilitator.name in names(
        selectors.who_knows(viewer=content.member, text="helm rollback")
    )


@pytest.mark.django_db
def test_private_evidence_never_shows_to_outsiders(content: Org, client_for: ClientFor) -> None:
    words = "breach drill vault keys incident-response"
    insiders = selectors.who_knows(viewer=content.member, text=words)
    leader = next(e for e in insiders if e.person == content.leader)
    assert any("similar question" in r for r in leader.reasons)
    assert any("incident-response" in r for r in leader.reasons)
    for viewer in (content.outsider, content.newcomer):
        outside = selectors.who_knows(viewer=viewer, text=words)
        assert content.leader.name not in names(outside)
        topics = selectors.person_topics(viewer=viewer, person=content.leader)
        assert [t.tag for t in topics] == ["helm"]  # the public guide only
    page = client_for(content.outsider).get(reverse("who-knows"), {"q": words})
    assert page.status_code == 200
    assert content.leader.name not in page.content.decode()
    profile = client_for(content.outsider).get(reverse("person-detail", args=[content.leader.pk]))
    assert "incident-response" not in profile.content.decode()
    assert PRIVATE_QUESTION not in profile.content.decode()


@pytest.mark.django_db
def test_availability_form_saves_and_names_bad_input(content: Org, client_for: ClientFor) -> None:
    client = client_for(content.facilitator)
    bad = client.post(reverse("availability-edit"), {"weekly_cap": "-1", "away_until": "soon"})
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "Enter a valid date" in body and "greater than or equal to 0" in body
    good = client.post(
        reverse("availability-edit"), {"weekly_cap": "2", "away_until": "2099-01-31"}
    )
    assert good.status_code == 302
    profile = client.get(reverse("person-detail", args=[content.facilitator.pk]))
    assert "Away until 31 January 2099" in profile.content.decode()


@pytest.mark.django_db
def test_who_knows_page_lists_people_with_reasons(content: Org, client_for: ClientFor) -> None:
    client = client_for(content.member)
    page = client.get(reverse("who-knows"), {"q": "helm rollback"}).content.decode()
    assert content.facilitator.name in page and "1 accepted" in page
    hidden = client.get(reverse("who-knows"), {"q": "helm", "community": "nope"})
    assert "No such community" in hidden.content.decode()
    for hostile in ['"', "helm*", "NEAR(", "\\", "a" * 5000, "<script>"]:
        assert client.get(reverse("who-knows"), {"q": hostile}).status_code == 200


@pytest.mark.django_db
def test_api_lists_experts_and_keeps_private_evidence_private(content: Org) -> None:
    from tests.test_api import Api, ok

    found = ok(Api(content.member).call("get", "/experts?q=helm+rollback"))
    assert found[0]["person"]["name"] == content.facilitator.name
    assert "answered 1 similar question, 1 accepted" in found[0]["reasons"]
    helm = {
        "tag": "helm",
        "kind": "tag",
        "answers": 1,
        "accepted": 1,
        "guides": 0,
        "endorsements": 0,
    }
    assert found[0]["topics"] == [helm]
    words = "breach+drill+vault+keys+incident-response"
    inside = ok(Api(content.member).call("get", f"/experts?q={words}"))
    assert content.leader.name in [e["person"]["name"] for e in inside]
    outside = ok(Api(content.outsider).call("get", f"/experts?q={words}"))
    assert content.leader.name not in [e["person"]["name"] for e in outside]


@pytest.mark.django_db
def test_api_availability_round_trip_and_named_errors(content: Org) -> None:
    from tests.test_api import Api, error, locs, ok

    api = Api(content.facilitator)
    assert ok(api.call("get", "/people/me/availability")) == {
        "opted_out": False, "away_until": None, "weekly_cap": 3,
    }  # fmt: skip
    saved = ok(api.call("put", "/people/me/availability",
                        {"opted_out": True, "away_until": None, "weekly_cap": 1}))  # fmt: skip
    assert saved["opted_out"] is True
    assert content.facilitator.name not in [
        e["person"]["name"] for e in ok(Api(content.member).call("get", "/experts?q=helm"))
    ]
    bad = error(api.call("put", "/people/me/availability", {"weekly_cap": 99, "x": 1}), 422)
    assert ("body", "weekly_cap") in locs(bad) and ("body", "x") in locs(bad)
    assert ok(api.call("get", "/people/me/availability"))["weekly_cap"] == 1  # unchanged


@pytest.mark.django_db
def test_routing_ranks_helpers_by_evidence_within_the_scope(content: Org) -> None:
    from trellis.core import access
    from trellis.expertise import routing

    draft = routing.Draft(
        title="Helm rollback left pods pending", tags=("helm",),
        community_id=content.public.pk, asker_id=content.member.pk,
    )  # fmt: skip
    found = routing.rank(draft, access.search_scope(content.member))
    assert found[0].person_id == content.facilitator.pk
    assert found[0].similar_answers == 1 and found[0].topics == [("helm", 1, 1)]
    assert content.member.pk not in {c.person_id for c in found}  # never the asker
    private = routing.Draft(title="breach drill keys vault", tags=("incident-response",))
    inside = routing.rank(private, access.search_scope(content.member))
    assert content.leader.pk in {c.person_id for c in inside}
    outside = routing.rank(private, access.search_scope(content.outsider))
    assert all(c.features["text"] == 0 and c.topics == [] for c in outside)
    past = routing.rank(draft, access.search_scope(content.member),
                        until=timezone.now() - timedelta(days=1))  # fmt: skip
    assert all(c.similar_answers == 0 for c in past)  # nothing answered before then
