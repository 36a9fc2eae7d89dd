"""Colleagues' endorsements: peer evidence on a profile and in "who knows", with its limits."""

import pytest
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import Org, build_content
from tests.typing_helpers import ClientFor
from trellis.core.errors import Invalid
from trellis.expertise import selectors
from trellis.expertise.models import Endorsement
from trellis.expertise.services import endorsements


@pytest.fixture
def content(org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Org:
    with django_capture_on_commit_callbacks(execute=True):
        build_content(org)
    return org


@pytest.mark.django_db
def test_endorsements_count_on_the_profile_and_in_who_knows(content: Org) -> None:
    # Nobody has answered on terraform: only colleagues' word puts the sponsor forward.
    assert selectors.who_knows(viewer=content.member, text="terraform modules") == []
    for colleague in (content.member, content.leader):
        endorsements.endorsement_add(actor=colleague, person=content.sponsor, tag="Terraform")
    endorsements.endorsement_add(actor=content.member, person=content.sponsor, tag="terraform")
    assert Endorsement.objects.filter(person=content.sponsor).count() == 2  # twice is once
    found = selectors.who_knows(viewer=content.outsider, text="terraform modules")
    assert [e.person for e in found] == [content.sponsor]
    assert found[0].reasons == ["on terraform: endorsed by 2 colleagues"]
    (line,) = selectors.person_topics(viewer=content.member, person=content.sponsor)
    assert (line.tag, line.endorsements, line.endorsed_by_viewer) == ("terraform", 2, True)
    assert (
        selectors.person_topics(viewer=content.outsider, person=content.sponsor)[
            0
        ].endorsed_by_viewer
        is False
    )
    # endorsements add to answers: the facilitator's helm evidence gains a line, not a rival
    endorsements.endorsement_add(actor=content.leader, person=content.facilitator, tag="helm")
    topics = selectors.person_topics(viewer=content.member, person=content.facilitator)
    helm = next(t for t in topics if t.tag == "helm")
    assert (helm.answers, helm.endorsements) == (1, 1)
    assert endorsements.endorsement_withdraw(
        actor=content.leader, person=content.facilitator, tag="helm"
    )
    assert not endorsements.endorsement_withdraw(
        actor=content.leader, person=content.facilitator, tag="helm"
    )


@pytest.mark.django_db
def test_bad_endorsements_are_refused_with_the_reason(content: Org) -> None:
    with pytest.raises(Invalid, match="yourself"):
        endorsements.endorsement_add(actor=content.member, person=content.member, tag="helm")
    with pytest.raises(Invalid, match="not a topic"):
        endorsements.endorsement_add(
            actor=content.member, person=content.leader, tag="no spaces allowed!"
        )
    with pytest.raises(Invalid, match="one topic"):
        endorsements.endorsement_add(actor=content.member, person=content.leader, tag="   ")
    assert not Endorsement.objects.exists()


@pytest.mark.django_db
def test_profile_page_endorses_and_withdraws(content: Org, client_for: ClientFor) -> None:
    client = client_for(content.member)
    url = reverse("person-detail", args=[content.leader.pk])
    page = client.post(reverse("endorse", args=[content.leader.pk]), {"tag": "vault"}, follow=True)
    assert "You endorsed Lena Leader on vault" in page.content.decode()
    assert "endorsed by 1 colleague" in client.get(url).content.decode()
    bad = client.post(reverse("endorse", args=[content.leader.pk]), {"tag": "!!"}, follow=True)
    assert "That is not a topic." in bad.content.decode() and "is not a tag" in bad.content.decode()
    own = client_for(content.leader).get(url).content.decode()
    assert "Endorse Lena Leader" not in own  # nobody endorses themselves
    client.post(reverse("endorse-withdraw", args=[content.leader.pk]), {"tag": "vault"})
    assert not Endorsement.objects.exists()


@pytest.mark.django_db
def test_api_endorsements_round_trip_and_errors(content: Org) -> None:
    from tests.test_api import Api, error, locs, ok

    api = Api(content.member)
    path = f"/people/{content.leader.pk}/endorsements"
    made = ok(api.post(path, {"tag": "vault"}), 201)
    assert made == [{"tag": "vault", "endorsements": 1, "by_you": True}]
    assert ok(Api(content.outsider).call("get", path)) == [
        {"tag": "vault", "endorsements": 1, "by_you": False}
    ]
    assert "yourself" in error(Api(content.leader).post(path, {"tag": "vault"}), 409)["detail"]
    bad = error(api.post(path, {"tag": "", "x": 1}), 422)
    assert {("body", "tag"), ("body", "x")} <= locs(bad)
    # the schema refuses what the tag rule would (it once took "comment_by_post", then 400)
    assert ("body", "tag") in locs(error(api.post(path, {"tag": "comment_by_post"}), 422))
    assert error(api.post("/people/999999/endorsements", {"tag": "vault"}), 404)
    assert ok(api.call("delete", f"{path}/vault")) == []
    assert error(api.call("delete", f"{path}/vault"), 404)
