"""Leaders hear of requests to join and act on them; sponsors see what their communities do."""

from datetime import datetime, timedelta

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
from trellis.communities import selectors, services
from trellis.communities.models import (
    Community,
    JoinRequest,
    Membership,
    RequestStatus,
    Role,
    Visibility,
)
from trellis.core.errors import Forbidden, Invalid
from trellis.notifications.models import Kind, Notification
from trellis.people.models import Person
from trellis.qa.community_figures import community_figures, duration_words
from trellis.qa.models import Comment, Post, PostKind, Vote


def _request_to_join(
    org: Org, capture: DjangoCaptureOnCommitCallbacks, person: Person | None = None
) -> JoinRequest:
    """`person` (the outsider by default) asks to join the private community; what waits for
    the commit (the emails) is run."""
    with capture(execute=True):
        return services.join_request_create(
            actor=person or org.outsider,
            community=org.private,
            message="I run incident drills in Design.",
        )


# --- Requests to join: who hears of them ---------------------------------------------------


def test_a_request_to_join_tells_the_core_team_by_bell_and_email_and_nobody_else(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(org.outsider).post(
            reverse("community-request", args=[org.private.slug]), {"message": "Drills"}
        )
    request = JoinRequest.objects.get(person=org.outsider, status=RequestStatus.PENDING)
    told = set(
        Notification.objects.filter(kind=Kind.JOIN_REQUEST, target_id=request.pk).values_list(
            "recipient_id", flat=True
        )
    )
    # The leader and the facilitator (core team) hear; a plain member, the sponsor, an org
    # admin and the outsider who asked do not.
    assert told == {org.leader.pk, org.facilitator.pk}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([org.leader.email, org.facilitator.email])
    assert mail.outbox[0].subject == "Otto Outsider asked to join Security Council"
    assert f"/c/{org.private.slug}/#requests" in mail.outbox[0].body

    bell = client_for(org.leader).get(reverse("notifications")).content.decode()
    assert "<strong>Otto Outsider</strong> asked to join Security Council" in bell
    for person in (org.member, org.sponsor, org.outsider, org.admin):
        page = client_for(person).get(reverse("notifications")).content.decode()
        assert "asked to join" not in page


def test_asking_twice_tells_the_team_once(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    _request_to_join(org, django_capture_on_commit_callbacks)
    _request_to_join(org, django_capture_on_commit_callbacks)
    assert Notification.objects.filter(kind=Kind.JOIN_REQUEST, recipient=org.leader).count() == 1


def test_an_approval_tells_the_requester_who_can_then_open_the_community(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    request = _request_to_join(org, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.leader).post(
            reverse("join-request-decide", args=[request.pk]),
            {"decision": "approve", "back": "community"},
        )
    assert response["Location"] == reverse("community-detail", args=[org.private.slug])
    notice = Notification.objects.get(recipient=org.outsider, kind=Kind.JOIN_APPROVED)
    assert notice.title == "Your request to join Security Council was approved"
    assert [m.to for m in mail.outbox] == [[org.outsider.email]]
    assert mail.outbox[0].subject == "Your request to join Security Council was approved"

    outsider = client_for(org.outsider)
    bell = outsider.get(reverse("notifications")).content.decode()
    assert "Your request to join Security Council was approved" in bell
    opened = outsider.post(reverse("notification-open", args=[notice.pk]))
    assert opened["Location"] == reverse("community-detail", args=[org.private.slug])
    assert outsider.get(opened["Location"]).status_code == 200


def test_a_decline_tells_the_requester_without_naming_the_private_community(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    request = _request_to_join(org, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.join_request_decide(actor=org.leader, join_request=request, approve=False)
    notice = Notification.objects.get(recipient=org.outsider, kind=Kind.JOIN_DECLINED)
    assert notice.title == (
        f"Your request to join the private community at /c/{org.private.slug}/ was declined"
    )
    assert notice.actor is None and notice.community is None  # no leader, no name
    assert [m.to for m in mail.outbox] == [[org.outsider.email]]
    email = f"{mail.outbox[0].subject}\n{mail.outbox[0].body}"
    assert "Security Council" not in email and "Lena Leader" not in email
    bell = client_for(org.outsider).get(reverse("notifications")).content.decode()
    assert "was declined" in bell and "Security Council" not in bell


def test_a_sponsor_who_asked_hears_the_decline_by_name(
    org: Org, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    request = _request_to_join(org, django_capture_on_commit_callbacks, person=org.sponsor)
    with django_capture_on_commit_callbacks(execute=True):
        services.join_request_decide(actor=org.leader, join_request=request, approve=False)
    notice = Notification.objects.get(recipient=org.sponsor, kind=Kind.JOIN_DECLINED)
    assert notice.title == "Your request to join Security Council was declined"


# --- Pending requests on the home and community pages --------------------------------------


def test_a_leader_sees_requests_waiting_on_home_and_beside_the_actions(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _request_to_join(org, django_capture_on_commit_callbacks)
    _request_to_join(org, django_capture_on_commit_callbacks, person=org.newcomer)
    home = client_for(org.leader).get(reverse("home")).content.decode()
    link = reverse("community-detail", args=[org.private.slug]) + "#requests"
    assert f'<a href="{link}"><strong>2 requests to join Security Council</strong></a>' in home

    page = client_for(org.leader).get(reverse("community-detail", args=[org.private.slug]))
    html = page.content.decode()
    assert "2 requests to join waiting" in html
    assert html.index('id="requests"') < html.index('id="members"')
    assert html.count('name="decision" value="approve"') == 2
    # The facilitator (core team) sees the count; only leaders decide.
    facilitator = client_for(org.facilitator).get(
        reverse("community-detail", args=[org.private.slug])
    )
    assert "2 requests to join waiting" in facilitator.content.decode()
    assert 'value="approve"' not in facilitator.content.decode()


def test_nobody_outside_the_core_team_sees_pending_counts(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _request_to_join(org, django_capture_on_commit_callbacks)
    for person in (org.member, org.sponsor):
        page = client_for(person).get(reverse("community-detail", args=[org.private.slug]))
        assert "request to join waiting" not in page.content.decode()
        assert selectors.pending_request_count(viewer=person, community=org.private) == 0
    for person in (org.member, org.sponsor, org.outsider, org.facilitator):
        assert selectors.requests_waiting_for_me(viewer=person) == []
        home = client_for(person).get(reverse("home")).content.decode()
        assert "requests-to-decide" not in home
    outsider_home = client_for(org.outsider).get(reverse("home")).content.decode()
    assert "Security Council" not in outsider_home


# --- Removing members -------------------------------------------------------------------------


def test_a_leader_removes_a_member_who_loses_access_at_once(
    org: Org, client_for: ClientFor
) -> None:
    member = client_for(org.member)
    assert member.get(reverse("community-detail", args=[org.private.slug])).status_code == 200
    leader = client_for(org.leader)
    page = leader.get(reverse("community-detail", args=[org.private.slug])).content.decode()
    remove_url = reverse("membership-remove", args=[org.private.slug, org.member.pk])
    assert f'action="{remove_url}"' in page
    assert "Remove Mo Member from Security Council?" in page  # asked to confirm first

    response = leader.post(remove_url, follow=True)
    assert "Mo Member is no longer a member of Security Council and can no longer see it." in (
        response.content.decode()
    )
    assert not Membership.objects.filter(
        community=org.private, person=org.member, left_at__isnull=True
    ).exists()
    assert Community.objects.get(pk=org.private.pk).member_count == 2
    assert member.get(reverse("community-detail", args=[org.private.slug])).status_code == 404
    assert leader.get(remove_url).status_code == 405  # never by following a link


def test_only_leaders_remove_members(org: Org, client_for: ClientFor) -> None:
    for actor in (org.facilitator, org.member, org.sponsor):
        with pytest.raises(Forbidden):
            services.membership_remove(actor=actor, community=org.public, person=org.member)
        client_for(actor).post(reverse("membership-remove", args=[org.public.slug, org.member.pk]))
    assert Membership.objects.filter(
        community=org.public, person=org.member, left_at__isnull=True
    ).exists()
    page = client_for(org.facilitator).get(reverse("community-detail", args=[org.public.slug]))
    assert "membership-remove" not in page.content.decode()
    assert "/remove/" not in page.content.decode()


def test_the_last_leader_cannot_be_removed(org: Org) -> None:
    with pytest.raises(Forbidden):  # nobody removes themselves: they leave
        services.membership_remove(actor=org.leader, community=org.public, person=org.leader)
    with pytest.raises(Invalid, match="only leader"):
        services.membership_remove(actor=org.admin, community=org.public, person=org.leader)
    services.membership_set_role(
        actor=org.leader, community=org.public, person=org.facilitator, role=Role.LEADER
    )
    services.membership_remove(actor=org.facilitator, community=org.public, person=org.leader)
    assert selectors.community_team(community=org.public) == [org.facilitator]


# --- Searching the member list ------------------------------------------------------------------


def test_the_member_list_is_searched_by_name_title_or_department_and_paged(
    org: Org, client_for: ClientFor
) -> None:
    for i in range(30):
        person = Person.objects.create_user(
            f"eng{i}@example.com", None, name=f"Engineer {i:02}", department=org.engineering
        )
        services.community_join(actor=person, community=org.public)
    client = client_for(org.member)
    url = reverse("community-detail", args=[org.public.slug])
    everyone = client.get(url).content.decode()
    assert "Page 1 of 2" in everyone

    by_title = client.get(url, {"q": "staff engineer"}).content.decode()
    assert "Lena Leader" in by_title and "Engineer 01" not in by_title
    by_department = client.get(url, {"q": "design"}).content.decode()
    assert "Mo Member" in by_department and "Femi Facilitator" in by_department
    assert "Engineer 01" not in by_department and "Lena Leader" not in by_department
    by_name = client.get(url, {"q": "engineer 2"}).content.decode()
    assert "12 members match" in by_name and "Page 1 of" not in by_name
    paged = client.get(url, {"q": "engineer", "page": "2"}).content.decode()
    assert "Page 2 of 2" in paged and 'href="?q=engineer&amp;page=1"' in paged

    # As you type, htmx swaps only the list.
    partial = client.get(url, {"q": "mo"}, headers={"HX-Request": "true", "HX-Target": "members"})
    html = partial.content.decode()
    assert "Mo Member" in html and "<html" not in html and "Charter" not in html
    nobody = client.get(url, {"q": "zzz"}).content.decode()
    assert "Nobody in Kubernetes Guild matches" in nobody


def test_an_outsider_cannot_search_a_private_member_list(org: Org, client_for: ClientFor) -> None:
    response = client_for(org.outsider).get(
        reverse("community-detail", args=[org.private.slug]),
        {"q": "mo"},
        headers={"HX-Request": "true", "HX-Target": "members"},
    )
    assert response.status_code == 404 and "Mo Member" not in response.content.decode()


# --- Sponsors -----------------------------------------------------------------------------------


def test_a_sponsor_sees_you_sponsor_this_instead_of_join(org: Org, client_for: ClientFor) -> None:
    sponsor = client_for(org.sponsor)
    for community in (org.public, org.private):
        page = sponsor.get(reverse("community-detail", args=[community.slug])).content.decode()
        assert "You sponsor this" in page
        assert f"Join {community.name}" not in page and "Request to join" not in page
    member_page = client_for(org.newcomer).get(reverse("community-detail", args=[org.public.slug]))
    assert "You sponsor this" not in member_page.content.decode()


NOW = timezone.make_aware(datetime(2026, 3, 15, 12, 0))


def _at(month: int, day: int, hour: int = 0) -> datetime:
    return timezone.make_aware(datetime(2026, month, day, hour, 0))


def _question(community: Community, author: Person, asked: datetime) -> Post:
    return Post.objects.create(
        kind=PostKind.QUESTION, community=community, author=author, title="Q", created_at=asked
    )


def _answer(question: Post, author: Person, at: datetime) -> Post:
    return Post.objects.create(
        kind=PostKind.ANSWER,
        community=question.community,
        question=question,
        author=author,
        created_at=at,
    )


def _scripted_history(org: Org) -> None:
    """March 2026, seen on the 15th at noon, in the Kubernetes Guild (and one private post)."""
    kube = org.public
    q1 = _question(kube, org.member, _at(3, 10, 10))
    _answer(q1, org.facilitator, _at(3, 10, 12))  # 2 hours
    _answer(q1, org.leader, _at(3, 11))  # not the first answer
    q2 = _question(kube, org.member, _at(3, 12))
    _answer(q2, org.leader, _at(3, 12, 4))  # 4 hours
    q6 = _question(kube, org.member, _at(2, 25))
    _answer(q6, org.facilitator, _at(3, 1, 1))  # first answered in March: 97 hours
    q3 = _question(kube, org.newcomer, _at(2, 20))
    _answer(q3, org.facilitator, _at(2, 21))  # 24 hours
    q4 = _question(kube, org.outsider, _at(1, 30))
    _answer(q4, org.leader, _at(2, 2))  # 72 hours
    q5 = _question(kube, org.admin, _at(1, 5))
    _answer(q5, org.facilitator, _at(1, 6))  # January: counts nowhere
    _question(kube, org.newcomer, _at(3, 14))  # waiting
    Comment.objects.create(post=q1, author=org.sponsor, body="+1", created_at=_at(3, 10))
    Vote.objects.create(post=q1, voter=org.outsider, value=1, created_at=_at(3, 11))
    secret = _question(org.private, org.member, _at(3, 5))
    _answer(secret, org.leader, _at(3, 5, 1))


def test_sponsor_figures_compare_the_last_30_days_with_the_30_before(org: Org) -> None:
    _scripted_history(org)
    figures = community_figures(viewer=org.sponsor, communities=[org.public, org.private], now=NOW)
    kube, council = figures
    # Since February 13th at noon: first answers on March 10, 12 and 1 and February 21; in
    # the 30 days before, February 2 (January 6 counts nowhere).
    assert (kube.answered_recently, kube.answered_before) == (4, 1)
    assert kube.median_wait_recently == timedelta(hours=14)  # of 2, 4, 24 and 97 hours
    assert kube.median_wait_before == timedelta(hours=72)
    assert (kube.wait_recently, kube.wait_before) == ("14 hours", "3 days")
    # Posted, answered, commented or voted: the last 30 days against the 30 before.
    assert (kube.active_recently, kube.active_before) == (6, 2)
    assert (council.answered_recently, council.answered_before) == (1, 0)
    assert (council.wait_recently, council.wait_before) == ("1 hour", "no answers")
    assert (council.active_recently, council.active_before) == (2, 0)


def test_durations_read_as_a_person_says_them() -> None:
    assert duration_words(timedelta(seconds=20)) == "1 minute"
    assert duration_words(timedelta(minutes=40)) == "40 minutes"
    assert duration_words(timedelta(hours=47)) == "47 hours"
    assert duration_words(timedelta(days=3)) == "3 days"
    assert duration_words(None) == "no answers"


def test_the_sponsor_home_lists_the_communities_they_back_with_figures(
    org: Org, client_for: ClientFor
) -> None:
    question = _question(org.public, org.member, timezone.now() - timedelta(hours=3))
    _answer(question, org.leader, timezone.now() - timedelta(hours=1))
    home = client_for(org.sponsor).get(reverse("home")).content.decode()
    assert "Communities you sponsor" in home
    assert "Kubernetes Guild" in home and "Security Council" in home
    assert "the last 30 days against the 30 days before" in home
    assert "<strong>1</strong> question answered, 0 before" in home
    assert "Median wait for a first answer: <strong>2 hours</strong>, no answers before" in home
    assert "<strong>2</strong> active members, 0 before" in home
    assert (
        "Communities you sponsor"
        not in client_for(org.member).get(reverse("home")).content.decode()
    )


def test_an_outsider_never_gets_figures_of_a_private_community(org: Org) -> None:
    _scripted_history(org)
    assert community_figures(viewer=org.outsider, communities=[org.private], now=NOW) == []
    assert selectors.sponsored_communities(viewer=org.outsider) == []
    assert [c.slug for c in selectors.sponsored_communities(viewer=org.sponsor)] == [
        "kubernetes",
        "security-council",
    ]


# --- No N+1 -------------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def _grow(org: Org, n: int, start: int) -> None:
    """More private communities led by the leader and backed by the sponsor, each with a
    request waiting, a member, and an answered question."""
    for i in range(start, start + n):
        community = services.community_create(
            actor=org.leader, name=f"Circle {i}", domain="Things", visibility=Visibility.PRIVATE
        )
        services.sponsor_add(actor=org.leader, community=community, person=org.sponsor)
        asker = Person.objects.create_user(f"c{i}@example.com", None, name=f"Asker {i}")
        services.join_request_create(actor=asker, community=community)
        joiner = Person.objects.create_user(f"j{i}@example.com", None, name=f"Joiner {i}")
        services.join_request_create(actor=joiner, community=community)
        services.join_request_decide(
            actor=org.leader,
            join_request=JoinRequest.objects.get(person=joiner),
            approve=True,
        )
        question = _question(community, joiner, timezone.now() - timedelta(hours=2))
        _answer(question, org.leader, timezone.now() - timedelta(hours=1))
        services.join_request_create(
            actor=Person.objects.create_user(f"p{i}@example.com", None, name=f"P {i}"),
            community=org.private,
        )


def test_home_and_community_pages_query_counts_stay_flat(org: Org, client_for: ClientFor) -> None:
    clients = {
        "leader": client_for(org.leader),
        "sponsor": client_for(org.sponsor),
    }
    urls = [
        ("leader", reverse("home")),
        ("sponsor", reverse("home")),
        ("leader", reverse("community-detail", args=[org.private.slug])),
        ("sponsor", reverse("community-detail", args=[org.private.slug])),
        ("leader", reverse("community-detail", args=[org.private.slug]) + "?q=asker"),
    ]
    _grow(org, 2, 0)
    small = [_queries(clients[who], url) for who, url in urls]
    _grow(org, 6, 100)
    large = [_queries(clients[who], url) for who, url in urls]
    assert small == large, list(zip(urls, small, large, strict=True))
