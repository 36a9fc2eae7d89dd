"""Question routing: who is asked, why, never past their say or their cap, and escalation."""

from datetime import timedelta
from typing import TypedDict

import pytest
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from tests.personas import Org, build_content
from tests.typing_helpers import ClientFor
from trellis.communities import services as community_services
from trellis.communities.models import Role
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.expertise import selectors
from trellis.expertise.models import RoutedQuestion, RoutingDecision, RoutingStage
from trellis.expertise.services import availability, routing
from trellis.notifications.models import Kind, Notification
from trellis.people.models import Person
from trellis.qa import services as qa_services
from trellis.qa.models import Post


@pytest.fixture
def content(org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Org:
    """The personas' content with evidence current; routing of those questions undone."""
    with django_capture_on_commit_callbacks(execute=True):
        build_content(org)
    RoutingDecision.objects.all().delete()
    RoutedQuestion.objects.all().delete()
    Notification.objects.filter(kind=Kind.ROUTED).delete()
    return org


def ask(
    org: Org,
    captured: DjangoCaptureOnCommitCallbacks,
    *,
    actor: Person | None = None,
    community: str | None = "public",
    title: str,
    body: str = "",
    tags: str = "",
) -> Post:
    """Ask through the service; routing runs as the task its commit queues."""
    with captured(execute=True):
        return qa_services.question_ask(
            actor=actor or org.newcomer,
            community=getattr(org, community) if community else None,
            title=title,
            body=body,
            tags=tags,
        )


def routed(question: Post) -> dict[int, RoutingDecision]:
    return {d.person_id: d for d in RoutingDecision.objects.filter(question=question)}


class Asked(TypedDict):
    title: str
    tags: str
    body: str


HELM: Asked = {"title":
 "Helm rollback left a release half upgraded", "tags": "helm",
        "body": "How do I roll back a helm release when the upgrade failed?"}  # fmt: skip


@pytest.mark.django_db
def test_a_new_question_reaches_the_person_who_answered_a_similar_one_with_the_reason(
    content: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    question = ask(content, django_capture_on_commit_callbacks, **HELM)
    decisions = routed(question)
    assert content.facilitator.pk in decisions
    best = min(decisions.values(), key=lambda d: d.position)
    assert best.person_id == content.facilitator.pk and best.stage == RoutingStage.EXPERT
    assert "similar question" in best.reason or "on helm" in best.reason
    assert content.newcomer.pk not in decisions  # never the asker
    assert len(decisions) <= routing.routing_k()
    note = Notification.objects.get(recipient=content.facilitator, kind=Kind.ROUTED)
    assert note.target_id == question.pk and note.title == question.title
    state = RoutedQuestion.objects.get(pk=question.pk)
    assert state.round == 1 and state.next_step_at is not None


@pytest.mark.django_db
def test_opted_out_and_away_people_are_never_routed(
    content: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    availability.availability_set(actor=content.facilitator, person=content.facilitator,
                              opted_out=True, away_until=None, weekly_cap=3)  # fmt: skip
    tomorrow = timezone.localdate() + timedelta(days=1)
    availability.availability_set(actor=content.leader, person=content.leader,
                              opted_out=False, away_until=tomorrow, weekly_cap=3)  # fmt: skip
    question = ask(content, django_capture_on_commit_callbacks, **HELM)
    assert not {content.facilitator.pk, content.leader.pk} & set(routed(question))
    # escalation asks the next people and then the leaders: still never them
    later = timezone.now() + routing.escalate_after() * 3
    for step in (1, 2, 3):
        routing.routing_escalate_due(now=later + routing.escalate_after() * step)
    assert not {content.facilitator.pk, content.leader.pk} & set(routed(question))
    with pytest.raises(Invalid, match="away or prefers not"):
        routing.question_connect(actor=content.admin, question=question,
                                  person=content.facilitator)  # fmt: skip


@pytest.mark.django_db
def test_the_weekly_cap_is_never_exceeded(
    content: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    availability.availability_set(actor=content.facilitator, person=content.facilitator,
                              opted_out=False, away_until=None, weekly_cap=1)  # fmt: skip
    first = ask(content, django_capture_on_commit_callbacks, **HELM)
    other: Asked = {**HELM, "title": "Helm rollback hangs on a failed hook"}
    second = ask(content, django_capture_on_commit_callbacks, **other)
    assert content.facilitator.pk in routed(first)
    assert content.facilitator.pk not in routed(second)
    with pytest.raises(Invalid, match="as often as they allow"):
        routing.question_connect(actor=content.leader, question=second,
                                  person=content.facilitator)  # fmt: skip
    # a week later there is room again
    routing.routing_escalate_due(now=timezone.now() + timedelta(days=8))
    assert routed(first)[content.facilitator.pk].stage == RoutingStage.EXPERT
    assert RoutingDecision.objects.filter(person=content.facilitator).count() <= 2


@pytest.mark.django_db
def test_a_private_question_is_routed_only_to_people_who_can_see_it(
    content: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    question = ask(content, django_capture_on_commit_callbacks, actor=content.member,
                   community="private", title="Breach drill keys rotation schedule",
                   body="Who rotates the vault keys for the breach drill?",
                   tags="incident-response")  # fmt: skip
    for step in (1, 2):
        routing.routing_escalate_due(now=timezone.now() + routing.escalate_after() * step * 1.01)
    people = set(routed(question))
    assert people and people <= {content.leader.pk, content.facilitator.pk, content.admin.pk,
                                 content.sponsor.pk}  # fmt: skip
    assert not {content.outsider.pk, content.newcomer.pk} & people
    with pytest.raises(Invalid, match="cannot see this question"):
        routing.question_connect(actor=content.leader, question=question, person=content.outsider)


@pytest.mark.django_db
def test_evidence_from_a_private_community_never_routes_or_explains_an_open_question(
    content: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """The leader's only evidence on the vault question is in the private community."""
    question = ask(content, django_capture_on_commit_callbacks, community=None,
                   title="Which vault holds the breach drill keys?",
                   body="Asking for the tabletop exercise.", tags="incident-response")  # fmt: skip
    decisions = routed(question)
    assert decisions, "routed to nobody: the checks below would check nothing"
    assert content.leader.pk not in decisions
    for decision in decisions.values():
        assert "incident-response" not in decision.reason
        assert "similar" not in decision.reason  # the only similar answer is private
    # the routed person's page and the asker's view show nothing more
    assert selectors.routing_of(viewer=content.newcomer, question=question)  # the asker's view
    for viewer in (content.newcomer, content.outsider):
        for decision in selectors.routing_of(viewer=viewer, question=question):
            assert "incident-response" not in decision.reason


@pytest.mark.django_db
def test_escalation_fires_after_the_delay_to_the_next_people_then_the_leaders(
    content: Org,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    settings: Settings,
) -> None:
    settings.TRELLIS_ROUTING_K = 1
    settings.TRELLIS_ROUTING_ESCALATE_HOURS = 24
    community_services.membership_set_role(actor=content.leader, community=content.public,
                                           person=content.member, role=Role.LEADER)  # fmt: skip
    asked_at = timezone.now()
    question = ask(content, django_capture_on_commit_callbacks, **HELM)
    assert len(routed(question)) == 1
    assert routing.routing_escalate_due(now=asked_at + timedelta(hours=23)) == 0
    assert len(routed(question)) == 1
    assert routing.routing_escalate_due(now=asked_at + timedelta(hours=25)) == 1
    stages = sorted(d.stage for d in routed(question).values())
    assert len(stages) == 2 and RoutingStage.EXPERT in stages
    assert RoutedQuestion.objects.get(pk=question.pk).round >= 2
    assert routing.routing_escalate_due(now=asked_at + timedelta(hours=48)) == 0  # not yet
    assert routing.routing_escalate_due(now=asked_at + timedelta(hours=50)) == 1
    leaders = [d for d in routed(question).values() if d.stage == RoutingStage.LEADER]
    # the leaders not asked before: Lena Leader was already asked as a next-best expert
    assert [d.person_id for d in leaders] == [content.member.pk]
    assert "Nobody has answered yet" in leaders[0].reason
    assert RoutedQuestion.objects.get(pk=question.pk).next_step_at is None  # the last round
    assert routing.routing_escalate_due(now=asked_at + timedelta(days=30)) == 0


@pytest.mark.django_db
def test_an_answer_is_recorded_on_the_decision_and_stops_escalation(
    content: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    question = ask(content, django_capture_on_commit_callbacks, **HELM)
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.answer_post(actor=content.facilitator, question=question, body="helm rollback")
    decision = routed(question)[content.facilitator.pk]
    assert decision.answered_at is not None
    assert RoutedQuestion.objects.get(pk=question.pk).next_step_at is None
    count = RoutingDecision.objects.filter(question=question).count()
    assert routing.routing_escalate_due(now=timezone.now() + timedelta(days=3)) == 0
    assert RoutingDecision.objects.filter(question=question).count() == count


@pytest.mark.django_db
def test_leaders_connect_by_hand_and_others_cannot(
    content: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    question = ask(content, django_capture_on_commit_callbacks, **HELM)
    with pytest.raises(Forbidden):
        routing.question_connect(actor=content.member, question=question, person=content.sponsor)
    decision = routing.question_connect(
        actor=content.leader, question=question, person=content.sponsor, note="You ran helm at Acme"
    )
    assert decision.stage == RoutingStage.MANUAL and "You ran helm at Acme" in decision.reason
    assert Notification.objects.filter(recipient=content.sponsor, kind=Kind.ROUTED).exists()
    with pytest.raises(Invalid, match="already been asked"):
        routing.question_connect(actor=content.leader, question=question, person=content.sponsor)
    with pytest.raises(Invalid, match="who asked"):
        routing.question_connect(actor=content.leader, question=question, person=content.newcomer)
    with pytest.raises(Invalid, match="At most"):
        routing.question_connect(actor=content.leader, question=question,
                                  person=content.outsider, note="x" * 201)  # fmt: skip


@pytest.mark.django_db
def test_passing_asks_someone_else(
    content: Org,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    settings: Settings,
) -> None:
    settings.TRELLIS_ROUTING_K = 1
    question = ask(content, django_capture_on_commit_callbacks, **HELM)
    (first,) = routed(question).values()
    person = first.person
    passed = routing.routing_pass(actor=person, decision_id=first.pk)
    after = routed(question)
    assert after[person.pk].passed_at is not None
    assert len(after) == 2  # somebody else was asked in their place
    assert passed.replaced_by in after and passed.replaced_by != person.pk
    with pytest.raises(Invalid, match="already answered or passed"):
        routing.routing_pass(actor=person, decision_id=first.pk)
    with pytest.raises(NotFound, match="No such request"):
        routing.routing_pass(actor=content.outsider, decision_id=first.pk)


@pytest.mark.django_db
def test_pages_requests_panel_connect_and_routed_load(
    content: Org,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    client_for: ClientFor,
) -> None:
    question = ask(content, django_capture_on_commit_callbacks, **HELM)
    expert = client_for(content.facilitator)
    page = expert.get(reverse("routing-requests"))
    assert page.status_code == 200
    reason = routed(question)[content.facilitator.pk].reason
    assert question.title in page.content.decode() and reason in page.content.decode()
    detail = expert.get(reverse("question-detail", args=[question.pk])).content.decode()
    assert 'data-testid="routing-panel"' in detail and reason in detail
    assert "Connect someone" not in detail  # not a leader

    outsider = client_for(content.outsider)
    assert question.title not in outsider.get(reverse("routing-requests")).content.decode()
    assert (
        'data-testid="routing-panel"'
        not in outsider.get(reverse("question-detail", args=[question.pk])).content.decode()
    )  # asked nobody's business but the asker's, the routed and the leaders'

    leader = client_for(content.leader)
    response = leader.post(reverse("question-connect", args=[question.pk]),
                           {"email": content.sponsor.email, "note": "helm at Acme"})  # fmt: skip
    assert response.status_code == 302
    assert content.sponsor.pk in routed(question)
    bad = leader.post(reverse("question-connect", args=[question.pk]), {"email": "nope"},
                      follow=True)  # fmt: skip
    assert "Enter a valid email address" in bad.content.decode()
    unknown = leader.post(reverse("question-connect", args=[question.pk]),
                          {"email": "nobody@example.com"}, follow=True)  # fmt: skip
    assert "Nobody in the directory has that email" in unknown.content.decode()
    load = leader.get(reverse("routing-load", args=[content.public.slug]))
    assert load.status_code == 200
    body = load.content.decode()
    assert content.facilitator.name in body and content.sponsor.name in body
    assert question.title in body  # still waiting for an answer
    member = client_for(content.member)
    assert member.get(reverse("routing-load", args=[content.public.slug])).status_code == 403
    assert outsider.get(reverse("routing-load", args=[content.private.slug])).status_code == 404
    assert outsider.get(reverse("routing-load-org")).status_code == 403
    assert client_for(content.admin).get(reverse("routing-load-org")).status_code == 200
    assert outsider.post(reverse("question-connect", args=[question.pk]),
                         {"email": content.sponsor.email}).status_code == 403  # fmt: skip


@pytest.mark.django_db
def test_routed_load_counts_per_person(
    content: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    question = ask(content, django_capture_on_commit_callbacks, **HELM)
    with django_capture_on_commit_callbacks(execute=True):
        qa_services.answer_post(actor=content.facilitator, question=question, body="rollback")
    lines = {line.person.pk: line for line in
             selectors.routed_load(viewer=content.leader, community=content.public)}  # fmt: skip
    line = lines[content.facilitator.pk]
    assert (line.this_week, line.last_30_days, line.answered, line.passed) == (1, 1, 1, 0)
    assert line.cap == 3
    with pytest.raises(Forbidden):
        selectors.routed_load(viewer=content.member, community=content.public)
    with pytest.raises(Forbidden):
        selectors.routed_load(viewer=content.leader, community=None)


@pytest.mark.django_db
def test_api_requests_pass_routing_connect_and_load_with_named_errors(
    content: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    from tests.test_api import Api, error, locs, ok

    question = ask(content, django_capture_on_commit_callbacks, **HELM)
    expert = Api(content.facilitator)
    (mine,) = [r for r in ok(expert.call("get", "/routing/requests"))
               if r["question"]["id"] == question.pk]  # fmt: skip
    assert (
        mine["stage"] == "expert"
        and mine["reason"] == routed(question)[content.facilitator.pk].reason
    )
    assert mine["question"]["community"] == content.public.slug
    assert ok(Api(content.outsider).call("get", "/routing/requests")) == []

    # who was asked: all of them for the asker, only their own for a routed person
    everyone_asked = ok(Api(content.newcomer).call("get", f"/questions/{question.pk}/routing"))
    assert {d["person"]["id"] for d in everyone_asked} == set(routed(question))
    own = ok(expert.call("get", f"/questions/{question.pk}/routing"))
    assert [d["person"]["id"] for d in own] == [content.facilitator.pk]
    assert ok(Api(content.outsider).call("get", f"/questions/{question.pk}/routing")) == []

    leader = Api(content.leader)
    path = f"/questions/{question.pk}/connect"
    made = ok(leader.post(path, {"person_id": content.sponsor.pk, "note": "helm at Acme"}), 201)
    assert made["stage"] == "manual" and "helm at Acme" in made["reason"]
    assert (
        "already been asked"
        in error(leader.post(path, {"person_id": content.sponsor.pk}), 409)["detail"]
    )
    assert locs(error(leader.post(path, {"person_id": 10**12}), 404)) == {("body", "person_id")}
    bad = error(leader.post(path, {"person_id": "7", "note": "x" * 201, "extra": 1}), 422)
    assert {("body", "person_id"), ("body", "note"), ("body", "extra")} <= locs(bad)
    assert error(leader.post(path, "{not json"), 400)
    assert error(Api(content.member).post(path, {"person_id": content.sponsor.pk}), 403)
    assert error(Api(content.outsider).post(f"/questions/{content.c.private_question.pk}/connect",
                                            {"person_id": content.sponsor.pk}), 404)  # fmt: skip

    passed = ok(expert.post(f"/routing/requests/{mine['id']}/pass"))
    assert passed["passed_at"] is not None
    assert error(expert.post(f"/routing/requests/{mine['id']}/pass"), 409)
    assert error(Api(content.outsider).post(f"/routing/requests/{mine['id']}/pass"), 404)

    load = ok(leader.call("get", f"/routing/load?community={content.public.slug}"))
    line = next(x for x in load if x["person"]["id"] == content.facilitator.pk)
    assert (line["this_week"], line["passed"], line["cap"]) == (1, 1, 3)
    assert error(
        Api(content.member).call("get", f"/routing/load?community={content.public.slug}"), 403
    )
    assert error(Api(content.outsider).call("get", "/routing/load?community=security-council"), 404)
    assert error(leader.call("get", "/routing/load"), 403)  # org-wide: org admins
    assert ok(Api(content.admin).call("get", "/routing/load")) == []


@pytest.mark.django_db
def test_questions_written_in_bulk_are_routed_once_afterwards(content: Org) -> None:
    """The demo writes its questions without `question_ask`: the open ones are routed after."""
    waiting = content.c.org_question
    routing.routing_waiting(limit=10)
    assert RoutedQuestion.objects.filter(pk=waiting.pk).exists()
    answered = content.c.public_question
    assert not RoutedQuestion.objects.filter(pk=answered.pk).exists()  # it has an answer
    before = RoutingDecision.objects.count()
    assert routing.routing_waiting(limit=10) == 0
    assert RoutingDecision.objects.count() == before


@pytest.mark.django_db
def test_routed_load_never_counts_routings_in_a_private_community_the_leader_cannot_see(
    content: Org,
) -> None:
    from trellis.communities.models import Visibility

    hidden = community_services.community_create(
        actor=content.sponsor, name="Deal Room", slug="deal-room", domain="Acquisitions",
        visibility=Visibility.PRIVATE,
    )  # fmt: skip
    invitation = community_services.invitation_create(
        actor=content.sponsor, community=hidden, person=content.member, role=Role.MEMBER
    )
    community_services.invitation_respond(actor=content.member, invitation=invitation, accept=True)
    secret = qa_services.question_ask(actor=content.sponsor, community=hidden,
                                      title="Which target are we buying?", body="")  # fmt: skip
    for question, community in ((content.c.public_question, content.public), (secret, hidden)):
        RoutingDecision.objects.create(question=question, person=content.member,
                                       community=community, stage="expert", reason="r")  # fmt: skip
    lines = selectors.routed_load(viewer=content.leader, community=content.public)
    (line,) = [x for x in lines if x.person == content.member]
    assert (line.this_week, line.last_30_days) == (1, 1)  # the Deal Room's routing is not told
    mine = selectors.routed_load(viewer=content.sponsor, community=hidden)
    assert [(x.person, x.this_week) for x in mine] == [(content.member, 2)]  # sees both places
