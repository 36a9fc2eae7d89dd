"""Mentors for newcomers: suggestions with reasons, capacity, privacy, cohort assignment,
accept/decline, and the pages and API."""

import itertools
import random
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from tests.personas import PRIVATE_QUESTION, Org, build_content, person
from tests.typing_helpers import ClientFor
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.expertise.services import availability as expertise_availability
from trellis.mentoring import matching, selectors, services
from trellis.mentoring.models import Cohort, MentorOffer, Mentorship, MentorshipStatus
from trellis.mentoring.reasons import Reader
from trellis.notifications.models import Kind, Notification
from trellis.people.models import Department, Person
from trellis.qa import services as qa_services

PRIVATE_TAG = "incident-response"


@pytest.fixture
def content(org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Org:
    """The personas' content with evidence; the newcomer started ten days ago and is
    interested in helm and in the private community's topic; the sponsor lists Helm."""
    with django_capture_on_commit_callbacks(execute=True):
        build_content(org)
        qa_services.answer_accept(actor=org.member, answer=org.c.public_answer)
    today = timezone.localdate()
    Person.objects.filter(pk=org.newcomer.pk).update(
        start_date=today - timedelta(days=10),
        title="Platform engineer",
        interests=["helm", PRIVATE_TAG],
    )
    Person.objects.filter(pk=org.outsider.pk).update(interests=["helm", PRIVATE_TAG])
    Person.objects.filter(pk=org.member.pk).update(interests=[PRIVATE_TAG])
    Person.objects.filter(pk=org.sponsor.pk).update(skills=["Helm", "Terraform"])
    for persona in ("newcomer", "outsider", "member", "sponsor"):
        getattr(org, persona).refresh_from_db()
    return org


def names(found: list[selectors.Suggestion]) -> list[str]:
    return [s.mentor.name for s in found]


def reasons_of(found: list[selectors.Suggestion], who: Person) -> list[str]:
    return next(s.reasons for s in found if s.mentor.pk == who.pk)


def away(who: Person, **changes: Any) -> None:
    values = {"opted_out": False, "away_until": None, "weekly_cap": 3} | changes
    expertise_availability.availability_set(actor=who, person=who, **values)


# -- suggestions --------------------------------------------------------------------------


@pytest.mark.django_db
def test_suggestions_are_ranked_by_topic_fit_reach_and_room_with_reasons(content: Org) -> None:
    found = selectors.suggestions(viewer=content.newcomer)
    # The leader owns the helm guide and works in another department; the facilitator answered
    # (accepted) but sits in the newcomer's own department; the sponsor only lists Helm.
    assert names(found) == [content.leader.name, content.facilitator.name, content.sponsor.name]
    assert found[0].score > found[1].score > found[2].score
    assert reasons_of(found, content.leader) == [
        "knows helm: owns 1 guide",
        "in Engineering, a department you are not in yet",
        "in 1 community with people from 2 departments",
        "has room for 2 more mentees",
    ]
    assert "knows helm: 1 answer, 1 accepted" in reasons_of(found, content.facilitator)
    assert "in your department, Design" in reasons_of(found, content.facilitator)
    assert "lists Helm among their skills" in reasons_of(found, content.sponsor)
    # Nobody without topic fit (the admin), never the newcomer themselves.
    assert content.admin.name not in names(found) and content.newcomer.name not in names(found)


@pytest.mark.django_db
def test_mentee_terms_read_title_skills_and_interests() -> None:
    somebody = Person(
        title="Senior Site Reliability Engineer",
        skills=["Incident response", "Go"],
        interests=["Kubernetes"],
    )
    terms = selectors.mentee_terms(somebody)
    assert {"incident-response", "incident", "response", "go", "kubernetes"} <= terms
    assert {"site", "reliability"} <= terms
    assert not {"senior", "engineer"} & terms


@pytest.mark.django_db
def test_private_evidence_never_counts_or_shows_for_non_members(content: Org) -> None:
    # The member belongs to the private community: the leader's answer there counts.
    inside = selectors.suggestions(viewer=content.member)
    leader = reasons_of(inside, content.leader)
    assert f"knows {PRIVATE_TAG}: 1 answer" in leader
    assert "in 2 communities with people from 2 departments" in leader
    for outsider in (content.outsider, content.newcomer):
        found = selectors.suggestions(viewer=outsider)
        text = " ".join(r for s in found for r in s.reasons)
        assert PRIVATE_TAG not in text
        assert "2 communities" not in text  # the private one is not counted either
        assert all(t.tag != PRIVATE_TAG for s in found for t in s.topics)
    # Only the private evidence would fit: nobody is suggested to the outsider for it.
    Person.objects.filter(pk=content.outsider.pk).update(interests=[PRIVATE_TAG])
    content.outsider.refresh_from_db()
    assert selectors.suggestions(viewer=content.outsider) == []
    assert content.leader.name in names(selectors.suggestions(viewer=content.member))


@pytest.mark.django_db
def test_opted_out_away_closed_and_newcomer_mentors_are_never_suggested(content: Org) -> None:
    away(content.leader, opted_out=True)
    assert content.leader.name not in names(selectors.suggestions(viewer=content.newcomer))
    away(content.leader, away_until=timezone.localdate())
    assert content.leader.name not in names(selectors.suggestions(viewer=content.newcomer))
    away(content.leader, away_until=timezone.localdate() - timedelta(days=1))
    assert content.leader.name in names(selectors.suggestions(viewer=content.newcomer))

    services.mentor_offer_set(actor=content.sponsor, person=content.sponsor, open=False, capacity=2)
    assert content.sponsor.name not in names(selectors.suggestions(viewer=content.newcomer))

    Person.objects.filter(pk=content.facilitator.pk).update(
        start_date=timezone.localdate() - timedelta(days=30)
    )
    assert content.facilitator.name not in names(selectors.suggestions(viewer=content.newcomer))


@pytest.mark.django_db
def test_capacity_counts_open_mentorships_only(content: Org) -> None:
    services.mentor_offer_set(
        actor=content.leader, person=content.leader, open=True, capacity=1, note="Helm, k8s"
    )
    taken = services.mentorship_propose(
        actor=content.admin, mentor=content.leader, mentee=content.outsider
    )
    assert content.leader.name not in names(selectors.suggestions(viewer=content.newcomer))
    with pytest.raises(Invalid, match="no room left"):
        services.mentorship_propose(
            actor=content.newcomer, mentor=content.leader, mentee=content.newcomer
        )
    services.mentorship_respond(actor=content.leader, mentorship_id=taken.pk, accept=False)
    found = selectors.suggestions(viewer=content.newcomer)
    assert "has room for 1 more mentee" in reasons_of(found, content.leader)


# -- proposing, accepting, declining, ending ----------------------------------------------


@pytest.mark.django_db
def test_accept_decline_state_machine_and_its_errors(content: Org) -> None:
    newcomer, leader = content.newcomer, content.leader
    asked = services.mentorship_propose(
        actor=newcomer, mentor=leader, mentee=newcomer, message="Helm please"
    )
    assert asked.status == MentorshipStatus.PROPOSED and asked.mentee_accepted_at is not None
    assert "knows helm: owns 1 guide" in asked.reason_list
    assert PRIVATE_TAG not in asked.reasons
    with pytest.raises(Invalid, match="already have an open mentorship"):
        services.mentorship_propose(actor=newcomer, mentor=leader, mentee=newcomer)
    with pytest.raises(Invalid, match="already accepted; waiting for Lena Leader"):
        services.mentorship_respond(actor=newcomer, mentorship_id=asked.pk, accept=True)
    for stranger in (content.outsider, content.admin):  # not theirs: it does not exist
        with pytest.raises(NotFound):
            services.mentorship_respond(actor=stranger, mentorship_id=asked.pk, accept=True)
    with pytest.raises(Invalid, match="only an active one"):
        services.mentorship_end(actor=leader, mentorship_id=asked.pk)

    active = services.mentorship_respond(actor=leader, mentorship_id=asked.pk, accept=True)
    assert active.status == MentorshipStatus.ACCEPTED and active.decided_at is not None
    with pytest.raises(Invalid, match="This mentorship is active"):
        services.mentorship_respond(actor=leader, mentorship_id=asked.pk, accept=False)
    ended = services.mentorship_end(actor=newcomer, mentorship_id=asked.pk)
    assert ended.status == MentorshipStatus.ENDED and ended.ended_at is not None
    with pytest.raises(Invalid, match="This mentorship is ended"):
        services.mentorship_end(actor=leader, mentorship_id=asked.pk)

    # A new proposal for the same pair is fine once the old one ended; the mentor declines.
    again = services.mentorship_propose(actor=leader, mentor=leader, mentee=newcomer)
    declined = services.mentorship_respond(
        actor=newcomer, mentorship_id=again.pk, accept=False, reason="Found someone"
    )
    assert declined.status == MentorshipStatus.DECLINED and declined.declined_by_id == newcomer.pk
    third = services.mentorship_propose(actor=newcomer, mentor=leader, mentee=newcomer)
    services.mentorship_respond(actor=leader, mentorship_id=third.pk, accept=False)
    with pytest.raises(Invalid, match="declined a mentorship with you before"):
        services.mentorship_propose(actor=newcomer, mentor=leader, mentee=newcomer)
    assert content.leader.name not in names(selectors.suggestions(viewer=newcomer))


@pytest.mark.django_db
def test_whoever_was_declined_cannot_propose_the_same_pair_again(content: Org) -> None:
    newcomer, leader, sponsor = content.newcomer, content.leader, content.sponsor
    told = Notification.objects.filter(kind=Kind.MENTORING, recipient=newcomer)
    # The leader offers to mentor the newcomer, who declines: the leader may not offer again
    # (each offer would notify the newcomer once more).
    offered = services.mentorship_propose(actor=leader, mentor=leader, mentee=newcomer)
    services.mentorship_respond(actor=newcomer, mentorship_id=offered.pk, accept=False)
    assert told.count() == 1
    with pytest.raises(Invalid, match="Nia Newcomer declined a mentorship with you before") as e:
        services.mentorship_propose(actor=leader, mentor=leader, mentee=newcomer)
    assert set(e.value.field_errors) == {"mentee"}
    assert told.count() == 1 and Mentorship.objects.count() == 1
    # The one who declined may change their mind, and an org admin may still pair them.
    asked = services.mentorship_propose(actor=newcomer, mentor=leader, mentee=newcomer)
    services.mentorship_respond(actor=newcomer, mentorship_id=asked.pk, accept=False)  # withdrawn
    paired = services.mentorship_propose(actor=content.admin, mentor=leader, mentee=newcomer)
    assert paired.status == MentorshipStatus.PROPOSED

    # The other way round: the sponsor declines the newcomer's request; the newcomer may not
    # ask again, and the sponsor may still offer.
    request = services.mentorship_propose(actor=newcomer, mentor=sponsor, mentee=newcomer)
    services.mentorship_respond(actor=sponsor, mentorship_id=request.pk, accept=False)
    with pytest.raises(Invalid, match="Sam Sponsor declined a mentorship with you before"):
        services.mentorship_propose(actor=newcomer, mentor=sponsor, mentee=newcomer)
    assert services.mentorship_propose(actor=sponsor, mentor=sponsor, mentee=newcomer).pk


@pytest.mark.django_db
def test_api_refuses_a_declined_mentors_new_offer(content: Org) -> None:
    from tests.test_api import Api, error, locs, ok

    leader = Api(content.leader)
    body = {"mentor_id": content.leader.pk, "mentee_id": content.newcomer.pk}
    made = ok(leader.post("/mentorships", body), 201)
    ok(Api(content.newcomer).post(f"/mentorships/{made['id']}/decline", {"reason": "No"}))
    refused = error(leader.post("/mentorships", body), 409)
    assert ("body", "mentee_id") in locs(refused)
    assert "declined a mentorship with you before" in refused["detail"]


@pytest.mark.django_db
def test_who_may_propose_and_what_is_refused(content: Org) -> None:
    with pytest.raises(Forbidden):
        services.mentorship_propose(
            actor=content.member, mentor=content.leader, mentee=content.newcomer
        )
    with pytest.raises(Invalid, match="Nobody can mentor themselves"):
        services.mentorship_propose(
            actor=content.leader, mentor=content.leader, mentee=content.leader
        )
    with pytest.raises(Invalid, match="is a newcomer too"):
        services.mentorship_propose(
            actor=content.leader, mentor=content.newcomer, mentee=content.leader
        )
    with pytest.raises(Invalid) as error:
        services.mentor_offer_set(
            actor=content.leader, person=content.leader, open=True, capacity=11
        )
    assert error.value.field_errors == {"capacity": "Between 0 and 10 mentees."}
    with pytest.raises(Forbidden):
        services.mentor_offer_set(
            actor=content.member, person=content.leader, open=False, capacity=1
        )
    assert Mentorship.objects.count() == 0 and MentorOffer.objects.count() == 0


@pytest.mark.django_db
def test_database_refuses_self_mentoring_and_two_open_per_pair(content: Org) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Mentorship.objects.create(mentor=content.leader, mentee=content.leader)
    Mentorship.objects.create(mentor=content.leader, mentee=content.newcomer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Mentorship.objects.create(
            mentor=content.leader, mentee=content.newcomer, status=MentorshipStatus.ACCEPTED,
            mentor_accepted_at=timezone.now(), mentee_accepted_at=timezone.now(),
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Mentorship.objects.create(
            mentor=content.sponsor, mentee=content.newcomer, status=MentorshipStatus.ACCEPTED
        )  # active without both saying yes
    Mentorship.objects.create(mentor=content.leader, mentee=content.newcomer, status="declined")


@pytest.mark.django_db
def test_both_sides_are_notified_of_a_proposal(content: Org) -> None:
    services.mentorship_propose(actor=content.admin, mentor=content.leader, mentee=content.newcomer)
    told = Notification.objects.filter(kind=Kind.MENTORING).order_by("recipient_id")
    assert {(n.recipient_id, n.title) for n in told} == {
        (content.leader.pk, "you as mentor of Nia Newcomer"),
        (content.newcomer.pk, "Lena Leader as your mentor"),
    }
    services.mentorship_propose(
        actor=content.newcomer, mentor=content.facilitator, mentee=content.newcomer
    )
    # the one who asked is not told of their own request
    assert not told.filter(recipient=content.newcomer, title__startswith="Femi").exists()
    assert told.filter(recipient=content.facilitator).count() == 1


# -- cohorts ------------------------------------------------------------------------------


def brute_force(scores: dict[tuple[int, int], float], capacity: dict[int, int]) -> float:
    mentees = sorted({m for m, _ in scores})
    best = 0.0
    for choice in itertools.product(*[[None, *capacity] for _ in mentees]):
        load: dict[int, int] = {}
        total = 0.0
        feasible = True
        for mentee, mentor in zip(mentees, choice, strict=True):
            if mentor is None:
                continue
            if (mentee, mentor) not in scores:
                feasible = False
                break
            load[mentor] = load.get(mentor, 0) + 1
            total += scores[(mentee, mentor)]
        if feasible and all(n <= capacity[m] for m, n in load.items()):
            best = max(best, total)
    return best


def test_assignment_is_optimal_where_greedy_is_not() -> None:
    # Mentee 1 goes first with a greedy pick and takes mentor 10, which mentee 2 needs.
    scores = {(1, 10): 3.0, (1, 20): 2.9, (2, 10): 2.5, (3, 20): 1.0, (3, 30): 0.9}
    capacity = {10: 1, 20: 1, 30: 1}
    matched = matching.assign(scores, capacity)
    assert matched == {1: 20, 2: 10, 3: 30}
    assert sum(scores[(m, t)] for m, t in matched.items()) == pytest.approx(
        brute_force(scores, capacity)
    )


def test_assignment_matches_brute_force_on_random_small_cohorts() -> None:
    rand = random.Random(7)
    for _ in range(60):
        mentees = range(1, rand.randint(1, 5) + 1)
        mentors = range(100, 100 + rand.randint(1, 3))
        capacity = {m: rand.randint(0, 2) for m in mentors}
        scores = {
            (a, b): round(rand.uniform(0.1, 3.0), 3)
            for a in mentees
            for b in mentors
            if rand.random() < 0.7
        }
        if not scores:
            continue
        matched = matching.assign(scores, capacity)
        load: dict[int, int] = {}
        for mentor in matched.values():
            load[mentor] = load.get(mentor, 0) + 1
        assert all(n <= capacity[m] for m, n in load.items())
        assert all((a, b) in scores for a, b in matched.items())
        total = sum(scores[(a, b)] for a, b in matched.items())
        assert total == pytest.approx(brute_force(scores, capacity)), (scores, capacity)


def _cohort(org: Org) -> dict[str, Person]:
    """Three newcomers in Design who all want helm; the leader has one place, the facilitator
    one, the sponsor one; a fourth newcomer names nothing on their profile."""
    started = timezone.localdate() - timedelta(days=5)
    design = org.design
    people = {
        name: person(
            f"{name.lower()}@example.com",
            f"{name} New",
            design,
            start_date=started,
            interests=["helm"],
        )
        for name in ("Ana", "Ben", "Cleo")
    }
    people["Dan"] = person("dan@example.com", "Dan New", design, start_date=started)
    for mentor in (org.leader, org.facilitator, org.sponsor):
        services.mentor_offer_set(actor=mentor, person=mentor, open=True, capacity=1)
    return people


@pytest.mark.django_db
def test_cohort_plan_respects_capacity_and_says_who_is_left_and_why(content: Org) -> None:
    new = _cohort(content)
    with pytest.raises(Forbidden):
        matching.cohort_plan(viewer=content.leader)
    plan = matching.cohort_plan(viewer=content.admin)
    mentors = [p.mentor.pk for p in plan.pairs]
    assert len(mentors) == len(set(mentors)) == 3  # one place each
    assert {p.mentee.pk for p in plan.pairs} <= {content.newcomer.pk} | {p.pk for p in new.values()}
    why = {u.mentee.name: u.why for u in plan.unmatched}
    assert "names no title, skills or interests" in why["Dan New"]
    left = [name for name in why if name != "Dan New"]
    assert len(left) == 1 and "no place left" in why[left[0]]
    assert plan.newcomers == 5
    for pair in plan.pairs:
        assert all(PRIVATE_TAG not in r for r in pair.suggestion.reasons)


@pytest.mark.django_db
def test_cohort_confirm_creates_proposals_or_nothing(content: Org) -> None:
    new = _cohort(content)
    plan = matching.cohort_plan(viewer=content.admin)
    pairs = [services.PairIn(p.mentee.pk, p.mentor.pk) for p in plan.pairs]
    too_many = [*pairs, services.PairIn(new["Dan"].pk, plan.pairs[0].mentor.pk)]
    with pytest.raises(Invalid) as error:
        services.cohort_confirm(actor=content.admin, pairs=too_many)
    assert "Pair 4" in error.value.field_errors["pairs"]
    assert (
        "has 1 free place, and this cohort gives them 2 mentees"
        in error.value.message + (error.value.field_errors["pairs"])
    )
    not_new = [services.PairIn(content.member.pk, content.leader.pk)]
    with pytest.raises(Invalid, match="Nothing was created"):
        services.cohort_confirm(actor=content.admin, pairs=not_new)
    assert Mentorship.objects.count() == 0 and Cohort.objects.count() == 0
    with pytest.raises(Forbidden):
        services.cohort_confirm(actor=content.leader, pairs=pairs)

    cohort = services.cohort_confirm(actor=content.admin, pairs=pairs, note="Welcome!")
    made = list(cohort.mentorships.all())
    assert len(made) == 3 and all(m.status == MentorshipStatus.PROPOSED for m in made)
    assert all(m.mentor_accepted_at is None and m.mentee_accepted_at is None for m in made)
    assert Notification.objects.filter(kind=Kind.MENTORING).count() == 6
    again = matching.cohort_plan(viewer=content.admin)
    assert again.pairs == []  # everyone matched is busy; the rest have nobody left
    assert again.with_mentor == 3 and again.without_mentor == 2  # the busy are counted, not listed
    with pytest.raises(Invalid, match="already has an open mentorship"):
        services.cohort_confirm(actor=content.admin, pairs=pairs[:1])


def _newcomers_and_mentors(org: Org, n: int, batch: str) -> list[Person]:
    """n newcomers who want helm and a topic of their own, and n mentors (one place each) who
    list Helm and that topic; the newcomers."""
    started = timezone.localdate() - timedelta(days=5)
    made = []
    for i in range(n):
        topic = f"topic-{batch}{i}"
        who = f"{batch}{i}"
        mentor = person(f"mentor-{who}@example.com", f"Mentor {who}", org.engineering)
        Person.objects.filter(pk=mentor.pk).update(skills=["Helm", topic])
        services.mentor_offer_set(actor=mentor, person=mentor, open=True, capacity=1)
        mentee = person(f"new-{who}@example.com", f"New {who}", org.design, start_date=started)
        Person.objects.filter(pk=mentee.pk).update(interests=["helm", topic], skills=["Kanban"])
        mentee.refresh_from_db()
        made.append(mentee)
    return made


def _skill_scans(captured: CaptureQueriesContext) -> int:
    return sum('"skills"' in q["sql"] and "LIKE" in q["sql"] for q in captured.captured_queries)


@pytest.mark.django_db
def test_cohort_preview_and_confirm_cost_a_few_queries_per_pair_not_a_scan_each(
    content: Org,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    """Before: the preview cost ~4 queries per newcomer and the confirmation ~15 per pair (a
    new ranker, a skills scan and an evidence query per pair, under lock on the whole cohort)."""
    costs = {}
    for n, batch in ((5, "a"), (10, "b")):
        mine = {p.pk for p in _newcomers_and_mentors(content, n, batch)}
        with django_assert_max_num_queries(40) as preview:
            plan = matching.cohort_plan(viewer=content.admin)
        pairs = [
            services.PairIn(p.mentee.pk, p.mentor.pk) for p in plan.pairs if p.mentee.pk in mine
        ]
        assert len(pairs) == n
        with django_assert_max_num_queries(80) as confirm:
            cohort = services.cohort_confirm(actor=content.admin, pairs=pairs)
        assert cohort.mentorships.count() == n
        assert Notification.objects.filter(target_type="mentorship").count() == 2 * (
            Mentorship.objects.count()
        )
        # One read of the skills everyone lists for the whole cohort, not one per newcomer.
        assert _skill_scans(preview) == 1 and _skill_scans(confirm) == 1
        costs[n] = (len(preview), len(confirm))
    extra = 5  # newcomers (pairs) more in the second run
    # Per newcomer of the preview: the communities they may see; per pair of the confirmation:
    # that, and its activity row and two notifications.
    assert costs[10][0] - costs[5][0] <= 1 * extra, costs
    assert costs[10][1] - costs[5][1] <= 4 * extra, costs


@pytest.mark.django_db
def test_cohort_confirm_keeps_the_previews_reasons_and_counts_room_down(content: Org) -> None:
    new = _cohort(content)
    plan = matching.cohort_plan(viewer=content.admin)
    pairs = [services.PairIn(p.mentee.pk, p.mentor.pk) for p in plan.pairs]
    cohort = services.cohort_confirm(actor=content.admin, pairs=pairs)
    made = {m.mentee_id: m.reasons for m in cohort.mentorships.all()}
    assert made == {p.mentee.pk: "\n".join(p.suggestion.reasons) for p in plan.pairs}
    assert all(PRIVATE_TAG not in reasons for reasons in made.values())
    # A mentor given two mentees at once: the second is told of the room left after the first.
    services.mentor_offer_set(actor=content.sponsor, person=content.sponsor, open=True, capacity=3)
    ana, ben = new["Ana"], new["Ben"]
    Mentorship.objects.filter(mentee__in=[ana, ben]).delete()
    second = services.cohort_confirm(
        actor=content.admin,
        pairs=[
            services.PairIn(ana.pk, content.sponsor.pk),
            services.PairIn(ben.pk, content.sponsor.pk),
        ],
    )
    said = {m.mentee_id: m.reason_list for m in second.mentorships.all()}
    taken = Mentorship.objects.filter(mentor=content.sponsor, cohort=cohort).count()
    assert f"has room for {3 - taken} more mentees" in said[ana.pk]
    left = 2 - taken
    assert f"has room for {left} more mentee{'s' if left != 1 else ''}" in said[ben.pk]


# -- pages --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_find_page_lists_suggestions_and_requests_a_mentor(
    content: Org, client_for: ClientFor
) -> None:
    client = client_for(content.newcomer)
    page = client.get(reverse("mentor-find")).content.decode()
    assert "Welcome!" in page and content.leader.name in page
    assert "in Engineering, a department you are not in yet" in page
    assert PRIVATE_TAG not in page and content.private.name not in page
    bad = client.post(reverse("mentorship-propose"), {"mentor": "999999", "message": "Hi there"})
    assert bad.status_code == 200
    assert "Nobody with that id can mentor you." in bad.content.decode()
    assert Mentorship.objects.count() == 0
    self_ask = client.post(
        reverse("mentorship-propose"), {"mentor": content.newcomer.pk, "message": "Keep me"}
    )
    body = self_ask.content.decode()
    assert "Nobody can mentor themselves" in body and "Keep me" in body  # nothing lost
    good = client.post(
        reverse("mentorship-propose"), {"mentor": content.leader.pk, "message": "Helm?"}
    )
    assert good.status_code == 302 and good["Location"] == reverse("mentorship-list")
    listing = client.get(reverse("mentorship-list")).content.decode()
    assert "Lena Leader</a> mentors you" in listing and "Helm?" in listing


@pytest.mark.django_db
def test_mentorships_page_accepts_declines_and_ends(content: Org, client_for: ClientFor) -> None:
    asked = services.mentorship_propose(
        actor=content.newcomer, mentor=content.leader, mentee=content.newcomer
    )
    leader = client_for(content.leader)
    page = leader.get(reverse("mentorship-list")).content.decode()
    assert "You mentor" in page and "Accept" in page
    url = reverse("mentorship-respond", args=[asked.pk])
    assert client_for(content.outsider).post(url, {"decision": "accept"}).status_code == 404
    assert leader.post(url, {"decision": "maybe"}).status_code == 302
    assert Mentorship.objects.get(pk=asked.pk).status == MentorshipStatus.PROPOSED
    leader.post(url, {"decision": "accept"})
    assert Mentorship.objects.get(pk=asked.pk).status == MentorshipStatus.ACCEPTED
    again = leader.post(url, {"decision": "decline"}, follow=True).content.decode()
    assert "This mentorship is active" in again
    leader.post(reverse("mentorship-end", args=[asked.pk]))
    assert Mentorship.objects.get(pk=asked.pk).status == MentorshipStatus.ENDED


@pytest.mark.django_db
def test_offer_page_saves_and_names_bad_input(content: Org, client_for: ClientFor) -> None:
    client = client_for(content.leader)
    bad = client.post(reverse("mentor-offer-edit"), {"capacity": "11", "note": "k8s"})
    body = bad.content.decode()
    assert bad.status_code == 200 and "less than or equal to 10" in body and "k8s" in body
    good = client.post(reverse("mentor-offer-edit"), {"open": "on", "capacity": "3"})
    assert good.status_code == 302
    assert selectors.offer_of(content.leader).capacity == 3
    assert "up to 3 mentees" in client.get(reverse("mentorship-list")).content.decode()


@pytest.mark.django_db
def test_cohort_page_previews_then_confirms(content: Org, client_for: ClientFor) -> None:
    _cohort(content)
    assert client_for(content.leader).get(reverse("mentoring-cohort")).status_code == 404
    admin = client_for(content.admin)
    page = admin.get(reverse("mentoring-cohort")).content.decode()
    assert "Not matched" in page and "names no title, skills or interests" in page
    assert Mentorship.objects.count() == 0  # a preview writes nothing
    plan = matching.cohort_plan(viewer=content.admin)
    keys = [f"{p.mentee.pk}:{p.mentor.pk}" for p in plan.pairs]
    broken = admin.post(reverse("mentoring-cohort"), {"pair": ["12:x"], "note": "Hi"})
    assert broken.status_code == 200 and "is not a pair of ids" in broken.content.decode()
    nothing = admin.post(reverse("mentoring-cohort"), {"note": "Hi"})
    assert "Tick at least one pair" in nothing.content.decode()
    done = admin.post(reverse("mentoring-cohort"), {"pair": keys[:2], "note": "Welcome"})
    assert done.status_code == 302
    assert Mentorship.objects.filter(cohort__isnull=False).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("²:3", "is not a pair of ids"),  # "²".isdigit() is True, int("²") a ValueError
        ("3:٣", "is not a pair of ids"),  # an Arabic-Indic digit: int() would read it
        ("1" * 23 + ":3", "is not a pair of ids"),  # 23 digits overflowed SQLite's lookup
        ("3:" + "9" * 19, "ids run from 1 to 9223372036854775807"),
        (f"{2**63}:3", "ids run from 1 to 9223372036854775807"),
        ("0:3", "ids run from 1 to 9223372036854775807"),
        ("3:4\n", "is not a pair of ids"),
        ("+3:4", "is not a pair of ids"),
    ],
)
def test_cohort_page_names_odd_pair_ids_instead_of_failing(
    content: Org, client_for: ClientFor, value: str, problem: str
) -> None:
    _cohort(content)
    admin = client_for(content.admin)
    good = f"{content.newcomer.pk}:{content.leader.pk}"
    page = admin.post(reverse("mentoring-cohort"), {"pair": [good, value], "note": "Hi"})
    assert page.status_code == 200
    assert problem in page.content.decode()
    assert Mentorship.objects.count() == 0 and Cohort.objects.count() == 0


@pytest.mark.django_db
def test_cohort_confirm_refuses_ids_out_of_range(content: Org) -> None:
    for pair in (
        services.PairIn(2**70, content.leader.pk),
        services.PairIn(content.newcomer.pk, 0),
    ):
        with pytest.raises(Invalid, match="Pair 1: ids are whole numbers"):
            services.cohort_confirm(actor=content.admin, pairs=[pair])
    assert Mentorship.objects.count() == 0 and Cohort.objects.count() == 0


@pytest.mark.django_db
def test_profile_and_directory_link_to_mentoring(content: Org, client_for: ClientFor) -> None:
    client = client_for(content.newcomer)
    profile = client.get(reverse("person-detail", args=[content.newcomer.pk])).content.decode()
    assert reverse("mentor-find") in profile and reverse("mentorship-list") in profile
    assert reverse("mentor-find") in client.get(reverse("person-directory")).content.decode()


# -- API ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_suggestions_and_privacy(content: Org) -> None:
    from tests.test_api import Api, ok

    found = ok(Api(content.newcomer).get("/mentoring/suggestions"))
    assert [s["mentor"]["name"] for s in found][:2] == [
        content.leader.name,
        content.facilitator.name,
    ]
    assert found[0]["reasons"][0] == "knows helm: owns 1 guide"
    assert found[0]["other_department"] is True and found[0]["free_places"] == 2
    for persona in (content.newcomer, content.outsider):
        text = str(ok(Api(persona).get("/mentoring/suggestions")))
        assert PRIVATE_TAG not in text and content.private.name not in text
    inside = str(ok(Api(content.member).get("/mentoring/suggestions")))
    assert PRIVATE_TAG in inside


@pytest.mark.django_db
def test_api_propose_accept_decline_end_and_named_errors(content: Org) -> None:
    from tests.test_api import Api, error, locs, ok

    newcomer, leader = Api(content.newcomer), Api(content.leader)
    made = ok(newcomer.post("/mentorships", {"mentor_id": content.leader.pk, "message": "Hi"}), 201)
    assert made["status"] == "proposed" and made["your_role"] == "mentee"
    assert made["mentee_accepted"] is True and made["mentor_accepted"] is False
    conflict = error(newcomer.post("/mentorships", {"mentor_id": content.leader.pk}), 409)
    assert ("body", "mentor_id") in locs(conflict)
    missing = error(newcomer.post("/mentorships", {"mentor_id": 999999}), 404)
    assert missing["detail"] == "No such person."
    bad = error(newcomer.post("/mentorships", {"mentor_id": "x", "extra": 1}), 422)
    assert ("body", "mentor_id") in locs(bad) and ("body", "extra") in locs(bad)
    error(newcomer.post("/mentorships", "{not json"), 400)
    error(Api(content.member).post("/mentorships", {
        "mentor_id": content.leader.pk, "mentee_id": content.newcomer.pk}), 403)  # fmt: skip

    mine = ok(leader.get("/mentorships"))
    assert mine["count"] == 1 and mine["items"][0]["your_role"] == "mentor"
    assert ok(leader.get("/mentorships", status="ended"))["count"] == 0
    error(leader.get("/mentorships", status="nope"), 422)
    pk = made["id"]
    error(Api(content.outsider).post(f"/mentorships/{pk}/accept"), 404)
    error(newcomer.post(f"/mentorships/{pk}/accept"), 409)  # accepted already, by asking
    active = ok(leader.post(f"/mentorships/{pk}/accept"))
    assert active["status"] == "accepted"
    error(leader.post(f"/mentorships/{pk}/decline", {"reason": "late"}), 409)
    error(leader.post(f"/mentorships/{pk}/decline", {"reason": 3}), 422)
    assert ok(newcomer.post(f"/mentorships/{pk}/end"))["status"] == "ended"
    error(newcomer.post(f"/mentorships/{pk}/end"), 409)
    error(newcomer.post("/mentorships/0/end"), 422)

    other = ok(newcomer.post("/mentorships", {"mentor_id": content.facilitator.pk}), 201)
    declined = ok(Api(content.facilitator).post(
        f"/mentorships/{other['id']}/decline", {"reason": "Full this month"}))  # fmt: skip
    assert declined["status"] == "declined" and declined["decline_reason"] == "Full this month"
    assert declined["declined_by"]["name"] == content.facilitator.name


@pytest.mark.django_db
def test_api_offer_round_trip(content: Org) -> None:
    from tests.test_api import Api, error, locs, ok

    api = Api(content.leader)
    assert ok(api.get("/people/me/mentoring")) == {"open": True, "capacity": 2, "note": ""}
    saved = ok(api.put("/people/me/mentoring", {"open": True, "capacity": 4, "note": "Helm"}))
    assert saved == {"open": True, "capacity": 4, "note": "Helm"}
    bad = error(api.put("/people/me/mentoring", {"capacity": 11, "open": "yes"}), 422)
    assert ("body", "capacity") in locs(bad) and ("body", "open") in locs(bad)
    error(api.put("/people/me/mentoring", {"capacity": True}), 422)
    assert ok(api.get("/people/me/mentoring"))["capacity"] == 4  # unchanged


@pytest.mark.django_db
def test_api_cohort_preview_and_confirm(content: Org) -> None:
    from tests.test_api import Api, error, locs, ok

    _cohort(content)
    error(Api(content.leader).get("/mentoring/cohort"), 403)
    admin = Api(content.admin)
    plan = ok(admin.get("/mentoring/cohort"))
    assert plan["newcomers"] == 5 and len(plan["pairs"]) == 3 and len(plan["unmatched"]) == 2
    assert Mentorship.objects.count() == 0
    pairs = [
        {"mentee_id": p["mentee"]["id"], "mentor_id": p["mentor"]["id"]} for p in plan["pairs"]
    ]
    error(Api(content.leader).post("/mentoring/cohorts", {"pairs": pairs}), 403)
    empty = error(admin.post("/mentoring/cohorts", {"pairs": []}), 422)
    assert ("body", "pairs") in locs(empty)
    wrong = error(admin.post("/mentoring/cohorts", {"pairs": [{"mentee_id": 1}]}), 422)
    assert ("body", "pairs", 0, "mentor_id") in locs(wrong)
    doubled = error(admin.post("/mentoring/cohorts", {"pairs": [*pairs, pairs[0]]}), 409)
    assert "Pair 4" in doubled["errors"][0]["msg"]
    assert Mentorship.objects.count() == 0
    made = ok(admin.post("/mentoring/cohorts", {"pairs": pairs, "note": "Welcome"}), 201)
    assert len(made["mentorships"]) == 3 and made["note"] == "Welcome"
    assert all(m["your_role"] is None and m["status"] == "proposed" for m in made["mentorships"])


@pytest.mark.django_db
def test_outsider_pages_never_show_the_private_community(
    content: Org, client_for: ClientFor
) -> None:
    services.mentorship_propose(
        actor=content.outsider, mentor=content.leader, mentee=content.outsider
    )
    client = client_for(content.outsider)
    for name in ("mentor-find", "mentorship-list", "mentor-offer-edit"):
        body = client.get(reverse(name)).content.decode()
        assert content.private.name not in body and PRIVATE_QUESTION not in body
        assert PRIVATE_TAG not in body
    assert client.get(reverse("mentoring-cohort")).status_code == 404


@pytest.mark.django_db
def test_departments_with_no_people_do_not_break_reach(content: Org) -> None:
    Department.objects.create(name="Empty", slug="empty")
    assert selectors.suggestions(viewer=content.newcomer)


# -- reasons worded for whoever reads them ---------------------------------------------------

MENTEE_WORDING = "a department you are not in yet"


@pytest.mark.django_db
def test_each_side_reads_the_reasons_about_the_other(content: Org, client_for: ClientFor) -> None:
    newcomer, leader = content.newcomer, content.leader
    found = selectors.suggestions(viewer=newcomer)
    # The mentee reads about the mentor, in the second person.
    assert reasons_of(found, leader)[:2] == [
        "knows helm: owns 1 guide",
        f"in Engineering, {MENTEE_WORDING}",
    ]
    page = client_for(newcomer).get(reverse("mentor-find")).content.decode()
    assert f"in Engineering, {MENTEE_WORDING}" in page

    asked = services.mentorship_propose(actor=newcomer, mentor=leader, mentee=newcomer)
    # The mentor reads about the mentee: who they are, what they want, what the mentor did.
    mentor_reads = asked.reasons_for(
        Reader.MENTOR,
        today=timezone.localdate(),
        newcomer_since=selectors.newcomer_since(),
    )
    assert mentor_reads == [
        "Nia joined Design 1 week ago and is interested in helm",
        "you own 1 guide on helm",
        "Nia works in Design, outside your department",
        "you are in 1 community with people from 2 departments",
    ]
    as_mentor = client_for(leader).get(reverse("mentorship-list")).content.decode()
    assert "Nia joined Design 1 week ago and is interested in helm" in as_mentor
    assert "you own 1 guide on helm" in as_mentor
    assert MENTEE_WORDING not in as_mentor and "knows helm" not in as_mentor
    # The API words them the same way for each side.
    api = client_for(leader).get("/api/v1/mentorships").json()["items"]
    assert api[0]["reasons"] == mentor_reads
    api = client_for(newcomer).get("/api/v1/mentorships").json()["items"]
    assert f"in Engineering, {MENTEE_WORDING}" in api[0]["reasons"]
    # ... while the mentee still reads about the mentor.
    as_mentee = client_for(newcomer).get(reverse("mentorship-list")).content.decode()
    assert f"in Engineering, {MENTEE_WORDING}" in as_mentee and "Nia joined" not in as_mentee
    assert PRIVATE_TAG not in as_mentor + as_mentee


@pytest.mark.django_db
def test_an_admin_reads_about_both_by_name(content: Org, client_for: ClientFor) -> None:
    _cohort(content)
    plan = matching.cohort_plan(viewer=content.admin)
    for pair in plan.pairs:
        said = " | ".join(pair.suggestion.reasons_for_admin)
        assert pair.mentee.get_short_name() in said and pair.mentor.get_short_name() in said
        assert " you " not in f" {said} " and "your " not in said, said
    page = client_for(content.admin).get(reverse("mentoring-cohort")).content.decode()
    assert MENTEE_WORDING not in page and "in your department" not in page


@pytest.mark.django_db
def test_cohort_mentorships_keep_the_facts_for_the_mentor(content: Org) -> None:
    _cohort(content)
    plan = matching.cohort_plan(viewer=content.admin)
    pairs = [services.PairIn(p.mentee.pk, p.mentor.pk) for p in plan.pairs]
    cohort = services.cohort_confirm(actor=content.admin, pairs=pairs)
    for made in cohort.mentorships.select_related("mentor__department", "mentee__department"):
        mentor_reads = made.reasons_for(
            Reader.MENTOR,
            today=timezone.localdate(),
            newcomer_since=selectors.newcomer_since(),
        )
        assert mentor_reads[0].startswith(f"{made.mentee.get_short_name()} joined Design")
        assert all(MENTEE_WORDING not in r and "knows " not in r for r in mentor_reads)


@pytest.mark.django_db
def test_a_mentorship_without_kept_facts_shows_the_mentor_nothing_misworded(
    content: Org, client_for: ClientFor
) -> None:
    asked = services.mentorship_propose(
        actor=content.newcomer, mentor=content.leader, mentee=content.newcomer
    )
    Mentorship.objects.filter(pk=asked.pk).update(why={})  # as proposed before facts were kept
    as_mentor = client_for(content.leader).get(reverse("mentorship-list")).content.decode()
    assert MENTEE_WORDING not in as_mentor and "Nia Newcomer" in as_mentor
    as_mentee = client_for(content.newcomer).get(reverse("mentorship-list")).content.decode()
    assert f"in Engineering, {MENTEE_WORDING}" in as_mentee


# -- the admin's matching page stays fast as the organisation grows --------------------------


def _cohort_page_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("mentoring-cohort"))
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_cohort_page_query_count_is_flat_as_people_grow(
    content: Org, client_for: ClientFor
) -> None:
    admin = client_for(content.admin)
    _newcomers_and_mentors(content, 3, "a")
    admin.get(reverse("mentoring-cohort"))  # warm: sessions, caches
    small = _cohort_page_queries(admin)
    _newcomers_and_mentors(content, 12, "b")
    for i in range(10):  # and people who are neither
        person(f"more-{i}@example.com", f"More {i}", content.engineering, skills=["Helm"])
    assert _cohort_page_queries(admin) == small


@pytest.mark.django_db
def test_cohort_is_matched_a_page_at_a_time_longest_waiting_first(
    content: Org, client_for: ClientFor
) -> None:
    _newcomers_and_mentors(content, 6, "a")
    first = matching.cohort_plan(viewer=content.admin, size=4)
    assert first.newcomers == 4 and first.without_mentor == 7 and first.pages == 2
    second = matching.cohort_plan(viewer=content.admin, size=4, page=2)
    assert second.newcomers == 3
    seen = [p.mentee.pk for p in first.pairs + second.pairs] + [
        u.mentee.pk for u in first.unmatched + second.unmatched
    ]
    assert len(seen) == len(set(seen)) == 7
    # The persona newcomer started ten days ago, the others five: first in line.
    assert content.newcomer.pk in [p.mentee.pk for p in first.pairs + first.unmatched]
    past_the_end = client_for(content.admin).get(reverse("mentoring-cohort") + "?page=9")
    assert past_the_end.status_code == 200  # the last page (here the only one)


def test_batched_scopes_are_each_persons_own_scope(org: Org) -> None:
    """The cohort page reads what each newcomer may see in one go (`access.search_scopes`):
    it must be exactly what `access.search_scope` says for each, private communities
    included."""
    from trellis.core import access

    personas = [org.admin, org.leader, org.facilitator, org.member, org.sponsor, org.newcomer]
    people = list(Person.objects.filter(pk__in=[p.pk for p in [*personas, org.outsider]]))
    assert len(people) == 7
    assert access.search_scopes(people) == {p.pk: access.search_scope(p) for p in people}
