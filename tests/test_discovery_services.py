"""Domain discovery on the database: a topic the organisation keeps asking about with no home
is proposed as a community, with its likely core and audience; an org admin starting it invites
them; a dismissed or accepted proposal does not come back; spin-offs, merges and joint events
are shown only to whoever may see every community they name (the outsider sees nothing)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import PASSWORD, Org, person
from tests.test_search import WordHashEmbedder
from trellis.communities import services as community_services
from trellis.communities.models import (
    Community,
    CommunityInvitation,
    InvitationStatus,
    Membership,
    Role,
    Visibility,
)
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.notifications.models import Notification
from trellis.people.models import Department, Person
from trellis.qa import services as qa_services
from trellis.qa.models import Post
from trellis.radar import discovery_selectors, discovery_services
from trellis.radar.models import DomainProposal, ProposalKind, ProposalStatus
from trellis.search import embeddings
from trellis.search.models import Document

LOCALISATION = ["localisation", "translation", "plural", "locale", "rtl", "glossary", "icu"]
HELM = ["helm", "chart", "release", "rollback", "values", "tiller"]
VAULT = ["vault", "unseal", "keyring", "rotation", "hsm", "breakglass"]


def _ask(
    asker: Person, answerers: list[Person], words: list[str], n: int, community: Community | None
) -> list[Post]:
    asked = []
    for i in range(n):
        w = [words[(i + j) % len(words)] for j in range(4)]
        question = qa_services.question_ask(
            actor=asker if i % 2 else answerers[0] if asker is None else asker,
            community=community,
            title=f"{w[0]} {w[1]} {w[2]} question {i}",
            body=f"Our {w[3]} and {w[1]} setup fails with {w[2]}.",
        )
        qa_services.answer_post(
            actor=answerers[i % len(answerers)],
            question=question,
            body=f"Check the {w[0]} {w[3]} settings.",
        )
        asked.append(question)
    return asked


def _age(questions: list[Post], months_back: int) -> None:
    """Spread the questions over the last `months_back` months (one a fortnight back each)."""
    now = timezone.now()
    for i, question in enumerate(questions):
        when = now - timedelta(days=15 * (i % (2 * months_back)) + 3)
        Post.objects.filter(pk=question.pk).update(created_at=when)
        Document.objects.filter(kind="question", object_id=question.pk).update(created_at=when)


def seed_localisation(org: Org) -> None:
    """Localisation asked organisation-wide by four people of three departments, answered by
    three people of two; helm held by the public community, vault by the private one. Run
    where commit callbacks run (they index the questions)."""
    marketing = Department.objects.create(name="Marketing", slug="marketing")
    askers = [
        person(f"asker{i}@example.com", f"Asker {i}", dept)
        for i, dept in enumerate([marketing, marketing, org.design, org.engineering])
    ]
    experts = [
        person("loc1@example.com", "Lou Translator", org.design),
        person("loc2@example.com", "Kim Frontend", org.engineering),
        person("loc3@example.com", "Ravi Content", org.design),
    ]
    localisation = []
    for i, asker in enumerate(askers):
        localisation += _ask(asker, experts, LOCALISATION[i:] + LOCALISATION[:i], 4, None)
    helm = _ask(org.member, [org.facilitator, org.leader], HELM, 14, org.public)
    vault = _ask(org.member, [org.leader, org.facilitator], VAULT, 14, org.private)
    for questions in (localisation, helm, vault):
        _age(questions, 5)


@pytest.fixture
def asked(org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Org:
    with django_capture_on_commit_callbacks(execute=True):
        seed_localisation(org)
    with embeddings.using(WordHashEmbedder(dim=256)):
        embeddings.embed_pending()
    return org


def _refresh() -> int:
    with embeddings.using(WordHashEmbedder(dim=256)):
        return discovery_services.discovery_refresh()


def _proposed() -> list[DomainProposal]:
    return list(DomainProposal.objects.filter(status=ProposalStatus.OPEN, kind="community"))


@pytest.mark.django_db
def test_a_topic_with_no_home_is_proposed_with_its_core_and_audience(asked: Org) -> None:
    assert _refresh() >= 1
    proposed = _proposed()
    assert len(proposed) == 1, [p.name for p in proposed]  # helm and vault have a home
    proposal = proposed[0]
    assert any(word in proposal.name.lower() for word in LOCALISATION), proposal.name
    core = {Person.objects.get(pk=e["person_id"]).name for e in proposal.core}
    assert core == {"Lou Translator", "Kim Frontend", "Ravi Content"}
    audience = {Person.objects.get(pk=e["person_id"]).name for e in proposal.audience}
    assert audience <= {f"Asker {i}" for i in range(4)} | core
    assert proposal.evidence["months"] >= 3
    view = discovery_selectors.org_proposals(viewer=asked.admin)[0]
    assert any("in no community" in reason for reason in view.reasons)
    assert any("from 2 departments" in reason for reason in view.reasons)


@pytest.mark.django_db
def test_nobody_but_org_admins_sees_proposed_communities(asked: Org, client: Client) -> None:
    _refresh()
    for someone in (asked.outsider, asked.member, asked.leader, asked.sponsor):
        assert discovery_selectors.org_proposals(viewer=someone) == []
        client.force_login(someone)
        assert client.get(reverse("discover")).status_code == 403
        assert client.get("/api/v1/discovery/proposals").status_code == 403
        pk = _proposed()[0].pk
        assert client.post(reverse("proposal-accept", args=[pk])).status_code == 403
        assert DomainProposal.objects.get(pk=pk).status == ProposalStatus.OPEN
        with pytest.raises(Forbidden):
            discovery_services.proposal_accept(actor=someone, proposal_id=pk)
    client.force_login(asked.admin)
    page = client.get(reverse("discover")).content.decode()
    assert "Lou Translator" in page and "Start this community" in page


@pytest.mark.django_db
def test_starting_a_proposed_community_invites_its_likely_core(
    asked: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _refresh()
    proposal = _proposed()[0]
    with django_capture_on_commit_callbacks(execute=True):
        decision = discovery_services.proposal_accept(actor=asked.admin, proposal_id=proposal.pk)
    community = decision.community
    assert community is not None and community.name == proposal.name
    assert community.domain == proposal.domain and community.visibility == Visibility.PUBLIC
    assert Membership.objects.get(community=community, person=asked.admin).role == Role.LEADER
    invited = {
        (i.person.name, i.role)
        for i in CommunityInvitation.objects.filter(
            community=community, status=InvitationStatus.PENDING
        )
    }
    assert {("Lou Translator", Role.CORE), ("Kim Frontend", Role.CORE)} <= invited
    assert all(role == Role.MEMBER for name, role in invited if name.startswith("Asker"))
    assert "invited" in decision.message
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.created_community == community
    with pytest.raises(Invalid, match="already accepted"):
        discovery_services.proposal_accept(actor=asked.admin, proposal_id=proposal.pk)
    _refresh()  # accepted: not proposed again
    assert _proposed() == []


@pytest.mark.django_db
def test_a_dismissed_proposal_needs_a_reason_and_stays_away(asked: Org) -> None:
    _refresh()
    pk = _proposed()[0].pk
    with pytest.raises(Invalid, match="Say why"):
        discovery_services.proposal_dismiss(actor=asked.admin, proposal_id=pk, reason="  ")
    discovery_services.proposal_dismiss(
        actor=asked.admin, proposal_id=pk, reason="Marketing runs this with the vendor."
    )
    _refresh()
    assert _proposed() == []
    assert DomainProposal.objects.get(pk=pk).reason == "Marketing runs this with the vendor."


@pytest.mark.django_db
def test_without_an_embedder_yesterdays_proposals_stay(asked: Org) -> None:
    _refresh()
    before = [p.pk for p in _proposed()]
    with embeddings.using(None):
        assert discovery_services.discovery_refresh() == 0
    assert [p.pk for p in _proposed()] == before


def _stored(kind: str, community: Community, other: Community | None = None) -> DomainProposal:
    return DomainProposal.objects.create(
        kind=kind,
        key=f"{kind}:{community.pk}:{other.pk if other else 'edge'}",
        name="Vault rotation drills" if kind == ProposalKind.SPIN_OFF else "vault",
        domain="Vault rotation drills: questions on unseal and keyring." if other is None else "",
        tags=[["vault", 9]],
        core=[],
        audience=[],
        evidence={
            "questions": 16,
            "months": 4,
            "first_month": "2026-08-01",
            "last_month": "2026-11-01",
            "askers": 4,
            "answerers": 3,
            "answered": 15,
            "answerer_departments": 2,
            "asker_departments": 2,
            "in_communities": [],
            "emergence": {"recent": 9, "recent_total": 20, "before": 7, "before_total": 60},
            "overlap": 0.4,
            "shared_people": 0.1,
            "shared_topics": [["vault", 6, 8]],
        },
        community=community,
        other_community=other,
        computed_at=timezone.now(),
    )


@pytest.mark.django_db
def test_a_private_communitys_spin_off_stays_private(asked: Org, client: Client) -> None:
    proposal = _stored(ProposalKind.SPIN_OFF, asked.private)
    for someone in (asked.outsider, asked.member, asked.sponsor):
        assert (
            discovery_selectors.community_proposals(viewer=someone, community=asked.private) == []
        )
        with pytest.raises((NotFound, Forbidden)):
            discovery_services.proposal_accept(actor=someone, proposal_id=proposal.pk)
    client.force_login(asked.outsider)
    assert client.get(f"/api/v1/communities/{asked.private.slug}/proposals").status_code == 404
    client.force_login(asked.leader)
    page = client.get(reverse("community-radar", args=[asked.private.slug])).content.decode()
    assert "Vault rotation drills" in page and "an edge of the practice that is growing" in page
    decision = discovery_services.proposal_accept(actor=asked.leader, proposal_id=proposal.pk)
    assert decision.community is not None
    assert decision.community.visibility == Visibility.PRIVATE


@pytest.mark.django_db
def test_a_merge_with_a_private_community_is_not_named_to_who_cannot_see_it(
    asked: Org, client: Client
) -> None:
    helm = community_services.community_create(
        actor=asked.newcomer, name="Helm Users", domain="Packaging apps for Kubernetes"
    )
    proposal = _stored(ProposalKind.MERGE, helm, asked.private)
    # the newcomer leads Helm Users but cannot see the Security Council: nothing shown
    assert discovery_selectors.community_proposals(viewer=asked.newcomer, community=helm) == []
    client.force_login(asked.newcomer)
    page = client.get(reverse("community-radar", args=[helm.slug])).content.decode()
    assert "Security Council" not in page
    assert client.get(f"/api/v1/communities/{helm.slug}/proposals").json() == []
    with pytest.raises(NotFound):
        discovery_services.proposal_accept(actor=asked.newcomer, proposal_id=proposal.pk)
    # the Security Council's leader sees both, and suggesting it tells Helm Users' leaders
    # only if they may see both: here nobody is told a private community's name
    shown = discovery_selectors.community_proposals(viewer=asked.leader, community=asked.private)
    assert [p.id for p in shown] == [proposal.pk]
    discovery_services.proposal_accept(actor=asked.leader, proposal_id=proposal.pk)
    assert not Notification.objects.filter(recipient=asked.newcomer).exists()


@pytest.mark.django_db
def test_the_proposals_api_starts_a_community(asked: Org, client: Client) -> None:
    _refresh()
    client.force_login(asked.admin)
    listed = client.get("/api/v1/discovery/proposals").json()
    community = [p for p in listed if p["kind"] == "community"]
    assert len(community) == 1 and community[0]["can_decide"]
    assert {p["name"] for p in community[0]["core"]} >= {"Lou Translator"}
    reply = client.post(f"/api/v1/discovery/proposals/{community[0]['id']}/accept")
    assert reply.status_code == 200, reply.content
    assert Community.objects.filter(slug=reply.json()["community"]).exists()
    again = client.post(f"/api/v1/discovery/proposals/{community[0]['id']}/accept")
    assert again.status_code == 409
    bad = client.post(
        f"/api/v1/discovery/proposals/{community[0]['id']}/dismiss",
        data={"reason": ""},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert PASSWORD  # the personas sign in with it in the browser journeys
