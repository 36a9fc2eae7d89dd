"""The HTML pages a member relies on, rendered through the real URL conf."""

import re
from datetime import timedelta

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.communities.models import (
    CommunityInvitation,
    InvitationStatus,
    JoinRequest,
    Membership,
    RequestStatus,
    Role,
)
from trellis.people.models import Person


def test_home_lists_my_communities_and_suggestions(org: Org, client_for: ClientFor) -> None:
    page = client_for(org.member).get(reverse("home")).content.decode()
    assert "Kubernetes Guild" in page and "Security Council" in page
    newcomer_page = client_for(org.newcomer).get(reverse("home")).content.decode()
    assert "joined a community yet" in newcomer_page
    assert "Kubernetes Guild" in newcomer_page  # suggested
    assert "Security Council" not in newcomer_page


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(reverse("community-directory"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_directory_search_filters(org: Org, client_for: ClientFor) -> None:
    client = client_for(org.outsider)
    page = client.get(reverse("community-directory"), {"q": "containers"}).content.decode()
    assert "Kubernetes Guild" in page
    page = client.get(reverse("community-directory"), {"q": "nothing-like-this"}).content.decode()
    assert "No community matches" in page


def test_join_and_leave_with_htmx_returns_the_panel(org: Org, client_for: ClientFor) -> None:
    client = client_for(org.newcomer)
    url = reverse("community-join", args=[org.public.slug])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="membership"' in response.content.decode()
    assert "You are a member" in response.content.decode()
    assert Membership.objects.filter(person=org.newcomer, left_at__isnull=True).count() == 1
    left = client.post(reverse("community-leave", args=[org.public.slug]), HTTP_HX_REQUEST="true")
    assert left.status_code == 200 and "Join Kubernetes Guild" in left.content.decode()
    assert "You left Kubernetes Guild." in left.content.decode()  # messages show in the panel
    assert not Membership.objects.filter(person=org.newcomer, left_at__isnull=True).exists()
    # history kept
    assert Membership.objects.filter(person=org.newcomer, left_at__isnull=False).count() == 1


def _without_secrets(html: str, slug: str) -> str:
    html = re.sub(r'value="[A-Za-z0-9]{64}"', "", html)  # csrf form tokens
    html = re.sub(r'"X-CSRFToken": "[A-Za-z0-9]{64}"', "", html)
    html = re.sub(r'nonce="[^"]+"', "", html)
    return html.replace(slug, "SLUG")


def test_private_community_page_is_the_same_404_as_a_missing_one(
    org: Org, client_for: ClientFor
) -> None:
    client = client_for(org.outsider)
    private = client.get(reverse("community-detail", args=[org.private.slug]))
    missing = client.get(reverse("community-detail", args=["no-such-community"]))
    assert private.status_code == missing.status_code == 404
    assert org.private.name not in private.content.decode()
    assert _without_secrets(private.content.decode(), org.private.slug) == _without_secrets(
        missing.content.decode(), "no-such-community"
    )


def test_request_to_join_private_then_leader_approves(org: Org, client_for: ClientFor) -> None:
    outsider = client_for(org.outsider)
    response = outsider.post(
        reverse("community-request", args=[org.private.slug]),
        {"message": "I handle incidents in Design"},
    )
    assert response.status_code == 200 and "Request sent" in response.content.decode()
    request = JoinRequest.objects.get(person=org.outsider, status=RequestStatus.PENDING)
    settings_page = client_for(org.leader).get(
        reverse("community-settings", args=[org.private.slug])
    )
    assert "I handle incidents in Design" in settings_page.content.decode()
    client_for(org.leader).post(
        reverse("join-request-decide", args=[request.pk]), {"decision": "approve"}
    )
    page = outsider.get(reverse("community-detail", args=[org.private.slug]))
    assert page.status_code == 200 and "Security Council" in page.content.decode()


def test_request_for_missing_slug_answers_the_same(org: Org, client_for: ClientFor) -> None:
    response = client_for(org.outsider).post(reverse("community-request", args=["nope"]))
    assert response.status_code == 200 and "Request sent" in response.content.decode()
    assert not JoinRequest.objects.exists()


def test_member_cannot_open_settings(org: Org, client_for: ClientFor) -> None:
    """A member is told who may (the page exists for them to know of); an outsider of a
    private community gets the 404 of a community that does not exist."""
    response = client_for(org.member).get(reverse("community-settings", args=[org.public.slug]))
    assert response.status_code == 403
    assert "Only this community&#x27;s leaders can open its settings." in response.content.decode()
    hidden = client_for(org.outsider).get(reverse("community-settings", args=[org.private.slug]))
    assert hidden.status_code == 404


def test_leader_invites_and_email_is_sent(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_for(org.leader).post(
            reverse("community-invite", args=[org.private.slug]),
            {"email": org.newcomer.email, "role": "member"},
        )
    assert [m.to for m in mail.outbox] == [[org.newcomer.email]]
    assert "Security Council" in mail.outbox[0].subject
    home = client_for(org.newcomer).get(reverse("home")).content.decode()
    assert "invited you to" in home


def test_person_page_hides_private_membership_from_outsider(
    org: Org, client_for: ClientFor
) -> None:
    url = reverse("person-detail", args=[org.member.pk])
    assert "Security Council" not in client_for(org.outsider).get(url).content.decode()
    assert "Security Council" in client_for(org.leader).get(url).content.decode()


def test_create_community_with_missing_fields_shows_errors(org: Org, client_for: ClientFor) -> None:
    response = client_for(org.member).post(reverse("community-create"), {"name": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()


def test_people_directory_shows_the_department_tree(org: Org, client_for: ClientFor) -> None:
    from trellis.people.models import Department

    Department.objects.create(name="Platform", slug="platform", parent=org.engineering)
    page = client_for(org.member).get(reverse("person-directory")).content.decode()
    assert "Engineering / Platform (0)" in page
    assert page.index("Design (") < page.index("Engineering (") < page.index("Engineering / ")


def test_leaving_a_private_community_with_htmx_redirects_the_whole_page(
    org: Org, client_for: ClientFor
) -> None:
    response = client_for(org.member).post(
        reverse("community-leave", args=[org.private.slug]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response["HX-Redirect"] == reverse("home")


def test_asking_about_a_private_and_a_missing_address_leaves_the_same_trace(
    org: Org, client_for: ClientFor
) -> None:
    client = client_for(org.outsider)
    empty_home = client.get(reverse("home")).content.decode()
    for slug in (org.private.slug, "no-such-community"):
        client.post(reverse("community-request", args=[slug]))
    home = client.get(reverse("home")).content.decode()
    assert _without_secrets(home, "-") == _without_secrets(empty_home, "-")
    assert org.private.slug not in home


def test_join_request_ids_say_nothing_to_non_leaders(org: Org, client_for: ClientFor) -> None:
    request = JoinRequest.objects.create(community=org.private, person=org.newcomer)
    client = client_for(org.outsider)
    existing = client.post(
        reverse("join-request-decide", args=[request.pk]), {"decision": "approve"}
    )
    missing = client.post(
        reverse("join-request-decide", args=[request.pk + 1000]), {"decision": "approve"}
    )
    assert existing.status_code == missing.status_code == 404
    assert _without_secrets(existing.content.decode(), "-") == _without_secrets(
        missing.content.decode(), "-"
    )
    assert org.private.slug not in existing.content.decode()


def test_a_leader_hands_over_the_lead_then_can_leave(org: Org, client_for: ClientFor) -> None:
    leader = client_for(org.leader)
    leader.post(
        reverse("community-invite", args=[org.public.slug]),
        {"email": org.member.email, "role": "leader"},
    )
    assert (
        Membership.objects.get(community=org.public, person=org.member, left_at__isnull=True).role
        == "leader"
    )
    leader.post(reverse("community-leave", args=[org.public.slug]))
    assert not Membership.objects.filter(
        community=org.public, person=org.leader, left_at__isnull=True
    ).exists()


def test_core_team_invites_from_the_community_page(
    org: Org,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    """A facilitator (core team, not a leader) invites from the community page: the invitation
    is made by them, the invitee is emailed and can accept it from their home page."""
    client = client_for(org.facilitator)
    page = client.get(reverse("community-detail", args=[org.public.slug])).content.decode()
    assert "Invite a colleague" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("community-invite", args=[org.public.slug]),
            {"email": org.newcomer.email, "role": "member"},
        )
    assert response["Location"] == reverse("community-detail", args=[org.public.slug])
    invitation = CommunityInvitation.objects.get(community=org.public, person=org.newcomer)
    assert (invitation.status, invitation.role, invitation.invited_by) == (
        InvitationStatus.PENDING,
        Role.MEMBER,
        org.facilitator,
    )
    assert [m.to for m in mail.outbox] == [[org.newcomer.email]]
    assert "Kubernetes Guild" in mail.outbox[0].subject
    newcomer = client_for(org.newcomer)
    assert "invited you to" in newcomer.get(reverse("home")).content.decode()
    newcomer.post(reverse("invitation-respond", args=[invitation.pk]), {"decision": "accept"})
    assert (
        Membership.objects.get(community=org.public, person=org.newcomer, left_at__isnull=True).role
        == Role.MEMBER
    )


def test_directory_pages_keep_the_filters(org: Org, client_for: ClientFor) -> None:
    from trellis.communities import services

    for i in range(30):
        services.community_create(actor=org.member, name=f"Guild {i:02}", domain="Crafts")
    page = (
        client_for(org.member)
        .get(reverse("community-directory"), {"q": "guild", "status": "seed"})
        .content.decode()
    )
    assert "Page 1 of 2" in page
    assert 'href="?q=guild&amp;status=seed&amp;page=2"' in page


def test_asking_who_knows_and_mentors_are_one_click_away(org: Org, client_for: ClientFor) -> None:
    Person.objects.filter(pk=org.newcomer.pk).update(
        start_date=timezone.localdate() - timedelta(days=10)
    )
    newcomer = client_for(org.newcomer)
    home = newcomer.get(reverse("home")).content.decode()
    assert f'href="{reverse("question-ask")}"' in home
    assert f'href="{reverse("who-knows")}"' in home and f'href="{reverse("mentor-find")}"' in home
    assert 'data-testid="newcomer-mentoring"' in home  # the newcomer's home points to mentoring
    veteran = client_for(org.leader).get(reverse("home")).content.decode()
    assert 'data-testid="newcomer-mentoring"' not in veteran
    page = newcomer.get(reverse("community-detail", args=[org.public.slug])).content.decode()
    assert f"{reverse('question-ask')}?community={org.public.slug}" in page
