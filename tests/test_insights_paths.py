"""Paths: the one next step a member sees on their home page, checked against a small scene
on the persona organisation, each sentence and item computed by hand.

The scene is dated: everything the personas did while the organisation was built is moved to
OLD (January 2030), and the scene happens in the 90 days before NOW (Monday 10 March 2031),
so every figure is fixed whatever day the tests run.

This module is also the URL configuration of the template's test (`pytest.mark.urls`): the
include links to `my-insights`, a page the home view's integrator adds.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import path
from lxml import html
from pytest_django import DjangoAssertNumQueries

from tests.personas import Org
from trellis.communities.models import Community, Membership, Status
from trellis.core.models import Activity, Tag
from trellis.events.models import Event, EventKind
from trellis.insights import paths
from trellis.insights.levels import LEVEL_LABELS, LEVEL_MEANINGS, Thresholds
from trellis.insights.models import MonthlyLevel
from trellis.insights.participation_page import rules_in_words
from trellis.insights.paths import NextStep, StepItem, home_card, next_step
from trellis.insights.selectors import PersonStanding, standing_of
from trellis.mentoring.models import MentorOffer
from trellis.people.models import Person
from trellis.qa.models import Post, PostKind, PostTag

NOW = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)  # a Monday
OLD = datetime(2030, 1, 5, 12, 0, tzinfo=UTC)  # when the personas did what the build did


def _my_insights(request: HttpRequest) -> HttpResponse:
    return HttpResponse("{}")


urlpatterns = [path("me/insights/", _my_insights, name="my-insights")]


def _ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def _fresh(person: Person) -> Person:
    """The person read again: the persona copies carry roles cached during the build."""
    return Person.objects.get(pk=person.pk)


def _standing(level: str) -> PersonStanding:
    return PersonStanding(
        month=date(2031, 3, 1),
        level=level,
        label=LEVEL_LABELS[level],
        meaning=LEVEL_MEANINGS[level],
        reasons=(),
    )


def _question(
    author: Person,
    community: Community | None,
    title: str,
    tags: tuple[str, ...],
    *,
    days_ago: int,
    answered: bool = False,
    closed: bool = False,
) -> Post:
    question = Post.objects.create(
        kind=PostKind.QUESTION,
        community=community,
        author=author,
        title=title,
        created_at=_ago(days_ago),
        answer_count=1 if answered else 0,
        closed_at=_ago(days_ago - 1) if closed else None,
    )
    for name in tags:
        tag, _ = Tag.objects.get_or_create(name=name)
        PostTag.objects.create(post=question, tag=tag)
    return question


def _read(person: Person, question: Post, *, days_ago: int) -> None:
    Activity.objects.create(
        actor=person,
        verb="post.view",
        object_type="post",
        object_id=question.pk,
        community=question.community,
        created_at=_ago(days_ago),
    )


def _answer(person: Person, question: Post, *, days_ago: int) -> None:
    answer = Post.objects.create(
        kind=PostKind.ANSWER,
        question=question,
        community=question.community,
        author=person,
        body="An answer.",
        created_at=_ago(days_ago),
    )
    Activity.objects.create(
        actor=person,
        verb="answer.post",
        object_type="post",
        object_id=answer.pk,
        community=question.community,
        created_at=_ago(days_ago),
    )


def _event(community: Community, title: str, *, days_ahead: int, **extra: object) -> Event:
    starts = NOW.replace(hour=16) + timedelta(days=days_ahead)
    return Event.objects.create(
        community=community,
        kind=EventKind.CIRCLE,
        title=title,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        time_zone="Europe/London",
        **extra,
    )


def _url(step: NextStep | None) -> str:
    assert step is not None
    return step.link


@pytest.fixture
def scene(org_with_content: Org) -> Org:
    """The personas' own history moved to OLD; questions on helm in and around the
    Kubernetes Guild, one of them in the private Security Council."""
    org = org_with_content
    Activity.objects.update(created_at=OLD)
    Post.objects.update(created_at=OLD - timedelta(days=1))
    Membership.objects.update(joined_at=OLD - timedelta(days=30))
    return org


@pytest.fixture
def helm(scene: Org) -> dict[str, Post]:
    """The newcomer reads helm questions in the Kubernetes Guild (not a member of it) and asks
    one of their own; two helm questions wait for an answer there."""
    org = scene
    c = org.c
    questions = {
        "answered": _question(
            org.facilitator, org.public, "Helm values per environment?", ("helm",),
            days_ago=20, answered=True,
        ),
        "waiting_older": _question(
            org.facilitator, org.public, "Helm hooks run twice", ("helm",), days_ago=4
        ),
        "waiting_newer": _question(
            org.leader, org.public, "Pinning chart versions in Helm", ("helm", "ci"), days_ago=2
        ),
        "own": _question(org.newcomer, None, "Is Helm 2 still allowed?", ("helm",), days_ago=10),
        "private": _question(
            org.member, org.private, "Helm secrets for the breach drill", ("helm",), days_ago=1
        ),
        "closed": _question(
            org.facilitator, org.public, "Helm on Windows", ("helm",), days_ago=3, closed=True
        ),
        "terraform": _question(
            org.facilitator, org.public, "Terraform state locks", ("terraform",), days_ago=120
        ),
    }  # fmt: skip
    newcomer = org.newcomer
    _read(newcomer, c.public_question, days_ago=30)  # tagged helm and kubernetes
    _read(newcomer, c.public_question, days_ago=29)  # the same question again: one question
    _read(newcomer, questions["answered"], days_ago=19)
    _read(newcomer, questions["waiting_older"], days_ago=3)
    _read(newcomer, questions["terraform"], days_ago=100)  # before the 90 days: not an interest
    return questions


def test_a_reader_sees_the_questions_waiting_on_what_they_read(
    helm: dict[str, Post], scene: Org, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    newcomer = _fresh(scene.newcomer)
    # Two for the interests; the tag's newest questions, the waiting ones, the two shown.
    with django_assert_num_queries(5):
        step = next_step(person=newcomer, standing=_standing("peripheral"), now=NOW)
    assert step == NextStep(
        kind=paths.ANSWER,
        sentence=(
            "You read 3 questions about helm and asked 1 in the last 90 days: "
            "these 2 are waiting for an answer."
        ),
        link="/questions/?tag=helm&sort=unanswered",
        link_label="Unanswered questions about helm",
        items=(
            StepItem(
                "Pinning chart versions in Helm",
                f"/questions/{helm['waiting_newer'].pk}/",
                "in Kubernetes Guild",
                _ago(2),
                "asked",
            ),
            StepItem(
                "Helm hooks run twice",
                f"/questions/{helm['waiting_older'].pk}/",
                "in Kubernetes Guild",
                _ago(4),
                "asked",
            ),
        ),
    )
    # The occasional and the transactional follow the same path.
    for level in ("occasional", "transactional"):
        assert next_step(person=newcomer, standing=_standing(level), now=NOW) == step


def test_with_more_waiting_questions_than_shown_the_newest_are_named(
    helm: dict[str, Post], scene: Org
) -> None:
    _question(scene.leader, None, "Helm and the proxy", ("helm",), days_ago=1)
    step = next_step(person=_fresh(scene.newcomer), standing=_standing("peripheral"), now=NOW)
    assert step is not None
    assert step.sentence == (
        "You read 3 questions about helm and asked 1 in the last 90 days: "
        "these 2 and more are waiting for an answer."
    )
    assert [(i.title, i.detail) for i in step.items] == [
        ("Helm and the proxy", "for the whole organisation"),
        ("Pinning chart versions in Helm", "in Kubernetes Guild"),
    ]


def test_only_a_tags_newest_questions_are_looked_at(
    helm: dict[str, Post], scene: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three newer helm questions, all answered, push the waiting ones out of the newest
    three the path looks at (RECENT_PER_TAG, 1000 in use): nothing on helm is suggested."""
    monkeypatch.setattr(paths, "RECENT_PER_TAG", 3)
    for n in range(3):
        _question(
            scene.leader, scene.public, f"Helm note {n}", ("helm",), days_ago=1, answered=True
        )
    step = next_step(person=_fresh(scene.newcomer), standing=_standing("peripheral"), now=NOW)
    assert step is not None and step.kind == paths.JOIN


def test_their_own_question_is_never_suggested(helm: dict[str, Post], scene: Org) -> None:
    """With the two others answered, only their own helm question waits: the path falls back
    to the community they read in without belonging to it."""
    Post.objects.filter(pk__in=[helm["waiting_older"].pk, helm["waiting_newer"].pk]).update(
        answer_count=1
    )
    step = next_step(person=_fresh(scene.newcomer), standing=_standing("peripheral"), now=NOW)
    assert step == NextStep(
        kind=paths.JOIN,
        sentence=(
            "You read 4 pages in Kubernetes Guild in the last 90 days: "
            "join it to hear about its questions and sessions."
        ),
        link="/c/kubernetes/",
        link_label="Join Kubernetes Guild",
    )


def test_a_private_question_is_never_suggested_to_the_outsider(scene: Org) -> None:
    """The outsider and the member read the same public question on incident response; the
    only one waiting on it is in the private Security Council: the member, who belongs
    there, is shown it, the outsider never."""
    org = scene
    public = _question(
        org.facilitator,
        org.public,
        "Paging policy for incidents",
        ("incident-response",),
        days_ago=10,
        answered=True,
    )
    private = _question(
        org.leader, org.private, "Who holds the pager this week?", ("incident-response",),
        days_ago=2,
    )  # fmt: skip
    for reader in (org.outsider, org.member):
        _read(reader, public, days_ago=5)
    member_step = next_step(person=_fresh(org.member), standing=_standing("peripheral"), now=NOW)
    assert member_step is not None and member_step.kind == paths.ANSWER
    assert member_step.sentence == (
        "You read 1 question about incident-response in the last 90 days: "
        "this one is waiting for an answer."
    )
    assert [i.url for i in member_step.items] == [f"/questions/{private.pk}/"]

    outsider_step = next_step(
        person=_fresh(org.outsider), standing=_standing("peripheral"), now=NOW
    )
    assert outsider_step == NextStep(
        kind=paths.JOIN,
        sentence=(
            "You read 1 page in Kubernetes Guild in the last 90 days: "
            "join it to hear about its questions and sessions."
        ),
        link="/c/kubernetes/",
        link_label="Join Kubernetes Guild",
    )
    assert "Security Council" not in repr(outsider_step)
    assert "pager" not in repr(outsider_step)


def test_an_organisation_wide_question_is_suggested_and_an_archived_communitys_is_not(
    scene: Org,
) -> None:
    org = scene
    archived = Community.objects.create(
        name="Old Guild", slug="old-guild", domain="Gone", status=Status.ARCHIVED
    )
    _question(org.leader, archived, "Onboarding in the old days", ("onboarding",), days_ago=1)
    _read(org.member, org.c.org_question, days_ago=6)  # the newcomer's travel policy question
    step = next_step(person=_fresh(org.member), standing=_standing("occasional"), now=NOW)
    assert step is not None
    assert step.sentence == (
        "You read 1 question about onboarding in the last 90 days: "
        "this one is waiting for an answer."
    )
    assert [(i.title, i.detail) for i in step.items] == [
        ("Where do I find the travel policy?", "for the whole organisation")
    ]


def test_nothing_waiting_on_their_subject_invites_a_member_to_ask(scene: Org) -> None:
    """The member belongs to the Guild they read in, and nothing on terraform waits."""
    org = scene
    answered = _question(
        org.facilitator, org.public, "Terraform plans drift", ("terraform",), days_ago=8,
        answered=True,
    )  # fmt: skip
    _read(org.member, answered, days_ago=7)
    step = next_step(person=_fresh(org.member), standing=_standing("peripheral"), now=NOW)
    assert step == NextStep(
        kind=paths.ASK,
        sentence=(
            "You read 1 question about terraform in the last 90 days. No one else's question about "
            "terraform is waiting for an answer just now: when something about terraform "
            "puzzles you, ask, and colleagues who know it will see it."
        ),
        link="/questions/ask/",
        link_label="Ask a question",
    )


def test_a_reader_with_nothing_to_go_on_is_suggested_nothing(
    helm: dict[str, Post], scene: Org
) -> None:
    """The sponsor read nothing and asked nothing in the 90 days: no step rather than one
    that does not fit (the helm questions wait, but nothing says they care about helm)."""
    assert (
        next_step(person=_fresh(scene.sponsor), standing=_standing("peripheral"), now=NOW) is None
    )
    assert next_step(person=_fresh(scene.sponsor), standing=None, now=NOW) is None


# -- active ---------------------------------------------------------------------------------


@pytest.fixture
def answers(scene: Org) -> Org:
    """The facilitator answered twice in the Kubernetes Guild and commented three times in the
    Security Council in the 90 days; one answer of theirs is older than that."""
    org = scene
    for days_ago in (12, 40, 200):
        _answer(org.facilitator, org.c.public_question, days_ago=days_ago)
    for days_ago in (3, 5, 9):
        Activity.objects.create(
            actor=org.facilitator,
            verb="comment.add",
            object_type="comment",
            object_id=1,
            community=org.private,
            created_at=_ago(days_ago),
        )
    return org


def test_an_active_member_is_shown_the_next_session_where_they_contribute_most(
    answers: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    org = answers
    _event(org.private, "Tabletop exercise", days_ahead=5)
    _event(org.public, "Helm clinic", days_ahead=3, place="Room 4")
    _event(org.private, "Cancelled drill", days_ahead=1, cancelled_at=_ago(1))
    facilitator = _fresh(org.facilitator)
    with django_assert_max_num_queries(4):
        step = next_step(person=facilitator, standing=_standing("active"), now=NOW)
    assert step is not None
    assert step.kind == paths.SESSION
    assert step.sentence == (
        "You answered 2 questions in the last 90 days: Security Council's next session is "
        "“Tabletop exercise” on Saturday 15 March."
    )


def test_the_session_of_a_community_they_left_is_not_suggested(answers: Org) -> None:
    """The facilitator contributed most in the private Security Council, then left it: its
    session is not theirs to see any more; the Kubernetes Guild's is."""
    org = answers
    tabletop = _event(org.private, "Tabletop exercise", days_ahead=2)
    clinic = _event(org.public, "Helm clinic", days_ahead=3, place="Room 4")
    Membership.objects.filter(person=org.facilitator, community=org.private).update(left_at=_ago(1))
    step = next_step(person=_fresh(org.facilitator), standing=_standing("active"), now=NOW)
    assert step == NextStep(
        kind=paths.SESSION,
        sentence=(
            "You answered 2 questions in the last 90 days: Kubernetes Guild's next session is "
            "“Helm clinic” on Thursday 13 March."
        ),
        link=f"/events/{clinic.pk}/",
        link_label="Say whether you're coming",
        items=(StepItem("Helm clinic", f"/events/{clinic.pk}/", "Thursday 13 March, Room 4"),),
    )
    assert str(tabletop.pk) not in _url(step)


def test_without_a_session_an_active_member_is_asked_to_facilitate_where_the_rotation_is_on(
    answers: Org,
) -> None:
    org = answers
    Community.objects.filter(pk=org.public.pk).update(rotation_enabled=True)
    step = next_step(person=_fresh(org.facilitator), standing=_standing("active"), now=NOW)
    assert step == NextStep(
        kind=paths.FACILITATE,
        sentence=(
            "You answered 2 questions in the last 90 days: Kubernetes Guild shares out "
            "facilitating its sessions. Would you take one?"
        ),
        link="/c/kubernetes/rotation/",
        link_label="Volunteer to facilitate",
    )


def test_an_active_member_without_answers_is_told_how_often_they_contributed(
    scene: Org,
) -> None:
    org = scene
    for days_ago in (2, 4, 6, 8, 10):
        Activity.objects.create(
            actor=org.member, verb="post.vote", object_type="post", object_id=1,
            community=org.public, created_at=_ago(days_ago),
        )  # fmt: skip
    _event(org.public, "Helm clinic", days_ahead=3)
    step = next_step(person=_fresh(org.member), standing=_standing("active"), now=NOW)
    assert step is not None
    assert step.sentence == (
        "You contributed 5 times in the last 90 days: Kubernetes Guild's next session is "
        "“Helm clinic” on Thursday 13 March."
    )


def test_an_active_member_with_no_session_no_rotation_and_nothing_waiting_gets_nothing(
    answers: Org,
) -> None:
    assert (
        next_step(person=_fresh(answers.facilitator), standing=_standing("active"), now=NOW) is None
    )


# -- core -----------------------------------------------------------------------------------


def test_a_core_member_is_asked_to_welcome_who_joined_their_community(
    answers: Org, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    """The facilitator contributes most in the Security Council (three comments against two
    answers), but nobody joined it lately; two people joined the Guild, one more 40 days ago
    and one who joined and left."""
    org = answers
    Membership.objects.create(community=org.public, person=org.newcomer, joined_at=_ago(5))
    Membership.objects.create(community=org.public, person=org.outsider, joined_at=_ago(2))
    Membership.objects.create(community=org.public, person=org.sponsor, joined_at=_ago(40))
    Membership.objects.create(
        community=org.public, person=org.admin, joined_at=_ago(6), left_at=_ago(4)
    )
    facilitator = _fresh(org.facilitator)
    with django_assert_max_num_queries(4):
        step = next_step(person=facilitator, standing=_standing("core"), now=NOW)
    assert step == NextStep(
        kind=paths.WELCOME,
        sentence=(
            "2 people joined Kubernetes Guild in the last 30 days. You know how things work "
            "there: a welcome from you helps them find their feet."
        ),
        link="/c/kubernetes/",
        link_label="Meet Kubernetes Guild's members",
        items=(
            StepItem("Otto Outsider", f"/people/{org.outsider.pk}/", "Design", _ago(2), "joined"),
            StepItem("Nia Newcomer", f"/people/{org.newcomer.pk}/", "Design", _ago(5), "joined"),
        ),
    )


def test_where_they_contribute_most_comes_first_among_communities_with_newcomers(
    answers: Org,
) -> None:
    org = answers
    Membership.objects.create(community=org.public, person=org.newcomer, joined_at=_ago(5))
    Membership.objects.create(community=org.public, person=org.outsider, joined_at=_ago(2))
    Membership.objects.create(community=org.private, person=org.sponsor, joined_at=_ago(1))
    step = next_step(person=_fresh(org.facilitator), standing=_standing("core"), now=NOW)
    assert step is not None
    assert step.sentence.startswith("1 person joined Security Council in the last 30 days.")
    assert [i.title for i in step.items] == ["Sam Sponsor"]


def test_a_newcomer_to_a_community_they_do_not_belong_to_is_not_named(answers: Org) -> None:
    """The newcomer joined the Security Council; the outsider, a core member elsewhere in
    this story, does not belong to it and is offered mentoring instead."""
    org = answers
    Membership.objects.create(community=org.private, person=org.newcomer, joined_at=_ago(5))
    step = next_step(person=_fresh(org.outsider), standing=_standing("core"), now=NOW)
    assert step == NextStep(
        kind=paths.MENTOR,
        sentence=(
            "You contributed every month for the last 3 months. Newcomers look for mentors "
            "from other teams: say what you would be glad to help with."
        ),
        link="/me/mentoring/",
        link_label="Offer to mentor",
    )


def test_a_core_member_who_already_offers_mentoring_or_declined_it_gets_nothing(
    scene: Org,
) -> None:
    offer = MentorOffer.objects.create(person=scene.leader, note="Helm, incident reviews")
    assert next_step(person=_fresh(scene.leader), standing=_standing("core"), now=NOW) is None
    MentorOffer.objects.filter(pk=offer.pk).update(note="", open=False)
    assert next_step(person=_fresh(scene.leader), standing=_standing("core"), now=NOW) is None


# -- inactive -------------------------------------------------------------------------------


def test_an_inactive_member_is_welcomed_back_with_what_changed_in_their_communities(
    scene: Org, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """The member was last here in January 2030 (everything the build did them is dated
    then). Since: three questions in the Guild (one answered), one in the Security Council;
    one outside their communities, which they are not told about."""
    org = scene
    _question(org.leader, org.public, "Helm 4 upgrade notes", ("helm",), days_ago=100)
    _question(org.leader, org.public, "Kind vs minikube", ("kubernetes",), days_ago=50,
              answered=True)  # fmt: skip
    _question(org.facilitator, org.public, "Ingress timeouts", ("kubernetes",), days_ago=5)
    _question(org.leader, org.private, "Rotate the drill keys?", ("security",), days_ago=3)
    _question(org.leader, None, "Expenses for conferences", ("travel",), days_ago=3)
    member = _fresh(org.member)
    with django_assert_num_queries(2):
        step = next_step(person=member, standing=_standing("inactive"), now=NOW)
    assert step == NextStep(
        kind=paths.CATCH_UP,
        sentence=(
            "Welcome back. Since your last visit in January 2030, 4 questions were asked in "
            "your communities, 3 still waiting for an answer."
        ),
        link="/c/kubernetes/questions/",
        link_label="See what's new in Kubernetes Guild",
        items=(
            StepItem("Kubernetes Guild", "/c/kubernetes/questions/", "3 new questions, 2 waiting"),
            StepItem(
                "Security Council", "/c/security-council/questions/", "1 new question, 1 waiting"
            ),
        ),
    )


def test_an_inactive_person_with_no_community_or_nothing_new_gets_nothing(scene: Org) -> None:
    org = scene
    _question(org.leader, org.public, "Ingress timeouts", ("kubernetes",), days_ago=5)
    assert next_step(person=_fresh(org.outsider), standing=_standing("inactive"), now=NOW) is None
    Post.objects.filter(created_at__gt=OLD).delete()
    assert next_step(person=_fresh(org.member), standing=_standing("inactive"), now=NOW) is None


# -- the stored standing, and the home page's include ---------------------------------------


def test_the_stored_standing_leads_to_the_step(helm: dict[str, Post], scene: Org) -> None:
    """The newcomer's organisation-wide level, read back by standing_of, is peripheral
    (reads only), and the home card carries it with the step and the rules."""
    MonthlyLevel.objects.create(
        person=scene.newcomer, community=None, month=date(2031, 3, 1), level="peripheral",
        reads=4, actions_to_date=4,
    )  # fmt: skip
    newcomer = _fresh(scene.newcomer)
    standing = standing_of(person=newcomer, community=None)
    assert standing is not None and standing.level == "peripheral"
    card = home_card(person=newcomer, now=NOW)
    assert card["standing"] == standing
    assert card["next_step"] == next_step(person=newcomer, standing=standing, now=NOW)
    assert card["next_step"].kind == paths.ANSWER
    assert card["rules"] == rules_in_words(Thresholds())


def test_without_a_computed_level_the_card_has_no_standing_and_no_step(scene: Org) -> None:
    card = home_card(person=_fresh(scene.member), now=NOW)
    assert card["standing"] is None and card["next_step"] is None


def _render(**context: object) -> html.HtmlElement:
    return html.fromstring(
        f"<div>{render_to_string('insights/_where_you_stand.html', context)}</div>"
    )


@pytest.mark.urls("tests.test_insights_paths")
def test_the_include_shows_the_level_in_plain_words_the_step_the_rules_and_the_download() -> None:
    standing = PersonStanding(
        month=date(2031, 3, 1),
        level="peripheral",
        label="Peripheral",
        meaning="read and come to sessions, without writing",
        reasons=("In the last 3 months: read 12 pages.", "Read without writing: that counts too."),
    )
    step = NextStep(
        kind=paths.ANSWER,
        sentence="You read 12 questions about helm in the last 90 days: this one is waiting.",
        link="/questions/?tag=helm&sort=unanswered",
        link_label="Unanswered questions about helm",
        items=(StepItem("Helm hooks run twice", "/questions/7/", "in Kubernetes Guild"),),
    )
    card = _render(standing=standing, next_step=step, rules=rules_in_words(Thresholds()))
    text = " ".join(card.text_content().split())
    assert "Your level lately: Peripheral (read and come to sessions, without writing)." in text
    assert "Read without writing: that counts too." in text
    assert "You read 12 questions about helm in the last 90 days: this one is waiting." in text
    links = {a.text_content().strip(): a.get("href") for a in card.iter("a")}
    assert links["Helm hooks run twice"] == "/questions/7/"
    assert links["Unanswered questions about helm"] == "/questions/?tag=helm&sort=unanswered"
    assert links["Download everything Trellis infers about you"] == "/me/insights/"
    assert "Transactional: new, with at most 3 actions in all" in text
    assert "Core: at least 15 contributions, in every month" in text
    assert card.xpath("//details/summary")[0].text_content() == "How levels are decided"

    nothing_to_suggest = _render(standing=standing, next_step=None, rules=None)
    assert not nothing_to_suggest.xpath("//*[@data-testid='next-step']")
    assert "Peripheral" in nothing_to_suggest.text_content()
    assert _render(standing=None, next_step=None).text_content().strip() == ""
