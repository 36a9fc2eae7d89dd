"""An org admin edits, deactivates and reactivates people; leadership is handed over."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.personas import PASSWORD, Org
from tests.typing_helpers import ClientFor
from trellis.accounts.services import api_token_create
from trellis.communities import handover
from trellis.communities import services as community_services
from trellis.communities.models import Community, Membership, Role
from trellis.core.models import Activity
from trellis.people.models import Person
from trellis.qa import services as qa_services


def _role(community: Community, person: Person) -> str | None:
    return (
        Membership.objects.filter(community=community, person=person, left_at__isnull=True)
        .values_list("role", flat=True)
        .first()
    )


def _deactivate_url(person: Person) -> str:
    return reverse("admin-person-deactivate", args=[person.pk])


def _successors(org: Org, successor: Person) -> dict[str, str]:
    """The confirmation form's fields, handing both of the leader's communities to one person."""
    return {
        handover.successor_field(org.public.pk): str(successor.pk),
        handover.successor_field(org.private.pk): str(successor.pk),
    }


def _fresh(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)


# -- editing -----------------------------------------------------------------------------


def test_admin_edits_a_persons_details(org: Org, client_for: ClientFor) -> None:
    url = reverse("admin-person-edit", args=[org.member.pk])
    admin = client_for(org.admin)
    page = admin.get(url).content.decode()
    assert 'value="Mo Member"' in page and 'value="leader@example.com"' in page

    response = admin.post(
        url,
        {
            "name": "Mo Member-Smith",
            "email": "mo.smith@example.com",
            "title": "Platform engineer",
            "department": str(org.engineering.pk),
            "manager": org.sponsor.email,
            "location": "Lisbon",
            "start_date": "2024-02-01",
        },
    )

    assert response.status_code == 302 and response["Location"] == reverse("admin-people")
    member = _fresh(org.member)
    assert (member.name, member.email, member.title, member.location) == (
        "Mo Member-Smith",
        "mo.smith@example.com",
        "Platform engineer",
        "Lisbon",
    )
    assert member.department == org.engineering and member.manager == org.sponsor
    assert Activity.objects.filter(
        actor=org.admin, verb="person.update", object_id=member.pk
    ).exists()
    shown = admin.get(reverse("admin-people")).content.decode()
    assert "Mo Member-Smith&#x27;s details saved." in shown or "Mo Member-Smith's details" in shown


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"email": "leader@example.com"}, "Another person uses it."),
        ({"manager": "nobody@example.com"}, "Nobody with the email nobody@example.com works here"),
        ({"name": "\u200b"}, "Enter a name with visible letters"),
        ({"email": "not an email"}, "Enter a valid email address."),
    ],
)
def test_editing_says_what_is_wrong_and_saves_nothing(
    org: Org, client_for: ClientFor, change: dict[str, str], error: str
) -> None:
    url = reverse("admin-person-edit", args=[org.member.pk])
    data = {"name": "Mo Member", "email": org.member.email, "manager": org.leader.email} | change
    response = client_for(org.admin).post(url, data)
    assert response.status_code == 200
    assert error in response.content.decode()
    member = _fresh(org.member)
    assert (member.name, member.email) == ("Mo Member", "member@example.com")


def test_a_reporting_loop_is_refused(org: Org, client_for: ClientFor) -> None:
    """Mo reports to Lena: Lena cannot report to Mo."""
    url = reverse("admin-person-edit", args=[org.leader.pk])
    data = {"name": org.leader.name, "email": org.leader.email, "manager": org.member.email}
    response = client_for(org.admin).post(url, data)
    assert "Mo Member reports (indirectly) to Lena Leader." in response.content.decode()
    assert _fresh(org.leader).manager is None


# -- who may ----------------------------------------------------------------------------

ADMIN_ACTIONS: list[tuple[str, str]] = [
    ("GET", "admin-person-edit"),
    ("POST", "admin-person-edit"),
    ("GET", "admin-person-deactivate"),
    ("POST", "admin-person-deactivate"),
    ("GET", "admin-person-reactivate"),
    ("POST", "admin-person-reactivate"),
]


@pytest.mark.parametrize("persona", ["outsider", "member", "leader", "sponsor", "newcomer"])
def test_only_org_admins_edit_deactivate_or_reactivate(
    org: Org, client_for: ClientFor, persona: str
) -> None:
    client = client_for(getattr(org, persona))
    target = org.facilitator
    before = list(Person.objects.order_by("pk").values_list("name", "email", "is_active"))
    for method, name in ADMIN_ACTIONS:
        url = reverse(name, args=[target.pk])
        data = {"name": "Taken over", "email": target.email} | _successors(org, org.member)
        response = client.post(url, data) if method == "POST" else client.get(url)
        assert response.status_code == 403, (method, name, response.status_code)
    assert list(Person.objects.order_by("pk").values_list("name", "email", "is_active")) == before
    assert _role(org.public, org.leader) == Role.LEADER


def test_signed_out_visitors_are_sent_to_sign_in(org: Org, client: Client) -> None:
    for _, name in ADMIN_ACTIONS:
        response = client.get(reverse(name, args=[org.member.pk]))
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_admin_cannot_deactivate_themselves(org: Org, client_for: ClientFor) -> None:
    admin = client_for(org.admin)
    page = admin.get(reverse("admin-people")).content.decode()
    assert _deactivate_url(org.admin) not in page
    assert _deactivate_url(org.member) in page
    response = admin.post(_deactivate_url(org.admin), {})
    assert "You can&#x27;t deactivate your own account" in response.content.decode()
    assert _fresh(org.admin).is_active


# -- deactivating -----------------------------------------------------------------------


def test_the_confirmation_lists_what_they_lead_and_proposes_successors(
    org: Org, client_for: ClientFor
) -> None:
    page = client_for(org.admin).get(_deactivate_url(org.leader)).content.decode()
    assert "Communities Lena Leader leads" in page
    assert "Who leads Kubernetes Guild next?" in page
    assert "Who leads Security Council next?" in page
    # Femi is the only other one on the core team of both: proposed, and selected.
    assert f'<option value="{org.facilitator.pk}" selected>Femi Facilitator (Facilitator' in page
    assert "Femi Facilitator, who is on its core team." in page
    assert f'<option value="{org.member.pk}">Mo Member (Member)' in page


def test_deactivating_a_leader_hands_over_and_closes_their_access(
    org_with_content: Org, client_for: ClientFor
) -> None:
    org = org_with_content
    leaders_browser = client_for(org.leader)
    _, token = api_token_create(actor=org.leader, name="deploy script")
    bearer = {"Authorization": f"Bearer {token}"}
    assert leaders_browser.get("/api/v1/people/me", headers=bearer).status_code == 200

    response = client_for(org.admin).post(
        _deactivate_url(org.leader),
        {
            handover.successor_field(org.public.pk): str(org.facilitator.pk),
            handover.successor_field(org.private.pk): str(org.member.pk),
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Lena Leader is deactivated: they can no longer sign in." in page
    assert "Femi Facilitator now leads Kubernetes Guild." in page
    assert "Mo Member now leads Security Council." in page
    assert _role(org.public, org.facilitator) == Role.LEADER
    assert _role(org.private, org.member) == Role.LEADER
    assert _role(org.public, org.leader) == Role.MEMBER  # still there, no longer leading
    assert _role(org.private, org.leader) == Role.MEMBER
    assert not _fresh(org.leader).is_active
    assert Activity.objects.filter(
        actor=org.admin, verb="person.deactivate", object_id=org.leader.pk
    ).exists()
    assert Activity.objects.filter(
        actor=org.admin, verb="membership.role.leader", community=org.private
    ).exists()

    # Access is gone: the open session, a new sign-in, the API token.
    stale = leaders_browser.get(reverse("home"))
    assert stale.status_code == 302 and stale["Location"].startswith("/login/")
    assert not Client().login(email=org.leader.email, password=PASSWORD)
    signin = Client().post(reverse("login"), {"username": org.leader.email, "password": PASSWORD})
    assert signin.status_code == 200 and "_auth_user_id" not in signin.client.session
    assert Client().get("/api/v1/people/me", headers=bearer).status_code == 401

    # What they wrote stays, credited to them, and their profile says they left.
    member = client_for(org.member)
    question = member.get(reverse("question-detail", args=[org.c.private_question.pk]))
    assert "The offline one in room 4." in question.content.decode()
    assert "Lena Leader" in question.content.decode()
    profile = member.get(reverse("person-detail", args=[org.leader.pk])).content.decode()
    assert "Lena Leader (former member)" in profile
    assert "no longer has an account here" in profile
    guide = member.get(reverse("resource-detail", args=[org.c.public_resource.pk]))
    assert guide.status_code == 200 and "Lena Leader" in guide.content.decode()


def test_a_successor_who_is_not_a_member_is_refused_and_nothing_changes(
    org: Org, client_for: ClientFor
) -> None:
    response = client_for(org.admin).post(
        _deactivate_url(org.leader),
        {
            handover.successor_field(org.public.pk): str(org.facilitator.pk),
            handover.successor_field(org.private.pk): str(org.outsider.pk),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Otto Outsider is not a member of Security Council: choose one of its members." in page
    assert _fresh(org.leader).is_active
    assert _role(org.public, org.leader) == Role.LEADER
    assert _role(org.public, org.facilitator) == Role.FACILITATOR  # the valid half was not done
    assert not Activity.objects.filter(verb="person.deactivate").exists()


def test_a_successor_must_be_named_where_others_could_lead(org: Org) -> None:
    from trellis.core.errors import Invalid

    with pytest.raises(Invalid) as refused:
        handover.person_deactivate(
            actor=org.admin, person=org.leader, successors={org.public.pk: org.facilitator}
        )
    field = handover.successor_field(org.private.pk)
    assert refused.value.field_errors == {field: "Choose who leads Security Council next."}
    assert _fresh(org.leader).is_active


def test_a_community_with_nobody_else_is_left_without_a_leader_and_flagged(
    org: Org, client_for: ClientFor
) -> None:
    alone = community_services.community_create(
        actor=org.newcomer, name="Calligraphy Club", domain="Beautiful letters"
    )
    admin = client_for(org.admin)
    page = admin.get(_deactivate_url(org.newcomer)).content.decode()
    assert "Nobody else is in Calligraphy Club, so it will be left without a leader." in page

    response = admin.post(_deactivate_url(org.newcomer), {}, follow=True)

    page = response.content.decode()
    assert "Calligraphy Club has no leader now: nobody else is in it." in page
    assert "Communities without a leader" in page
    assert not _fresh(org.newcomer).is_active
    assert _role(alone, org.newcomer) == Role.MEMBER
    assert handover.leaderless_communities(viewer=org.admin) == [alone]
    assert Activity.objects.filter(verb="community.leaderless", community=alone).exists()


def test_the_proposal_is_the_most_active_of_the_core_team(org: Org) -> None:
    """Femi (facilitator) and a core member who answered a question: the one who did more."""
    keen = Person.objects.create_user("keen@example.com", PASSWORD, name="Kim Keen")
    community_services.community_join(actor=keen, community=org.public)
    community_services.membership_set_role(
        actor=org.leader, community=org.public, person=keen, role=Role.CORE
    )
    question = qa_services.question_ask(
        actor=org.member, community=org.public, title="How do we pin chart versions?", body=""
    )
    qa_services.answer_post(actor=keen, question=question, body="In the lock file.")

    led = {
        item.community: item
        for item in handover.communities_led_by(viewer=org.admin, person=org.leader)
    }

    public = led[org.public]
    assert public.proposed is not None and public.proposed.person == keen
    assert public.proposal_reason == "most_active"
    assert [c.person for c in public.candidates] == [keen, org.facilitator, org.member]


def test_a_co_leader_is_proposed_first(org: Org) -> None:
    community_services.membership_set_role(
        actor=org.leader, community=org.public, person=org.member, role=Role.LEADER
    )
    led = handover.communities_led_by(viewer=org.admin, person=org.leader)
    public = next(item for item in led if item.community == org.public)
    assert public.proposed is not None and public.proposed.person == org.member
    assert public.proposal_reason == "co_leader"


# -- reactivating -----------------------------------------------------------------------


def test_reactivating_restores_sign_in_but_not_leadership(org: Org, client_for: ClientFor) -> None:
    handover.person_deactivate(
        actor=org.admin,
        person=org.leader,
        successors={org.public.pk: org.facilitator, org.private.pk: org.facilitator},
    )
    admin = client_for(org.admin)
    url = reverse("admin-person-reactivate", args=[org.leader.pk])
    page = admin.get(url).content.decode()
    assert "They don't lead the communities they led before" in page

    response = admin.post(url, follow=True)

    assert "Lena Leader can sign in again." in response.content.decode()
    assert Client().login(email=org.leader.email, password=PASSWORD)
    leader = _fresh(org.leader)
    assert leader.is_active and leader.deactivated_at is None
    assert _role(org.public, org.leader) == Role.MEMBER
    assert _role(org.public, org.facilitator) == Role.LEADER
    assert Activity.objects.filter(verb="person.reactivate", object_id=leader.pk).exists()
    assert "Lena Leader" in client_for(org.member).get(reverse("person-directory")).content.decode()


def test_reactivating_someone_active_changes_nothing(org: Org, client_for: ClientFor) -> None:
    url = reverse("admin-person-reactivate", args=[org.member.pk])
    response = client_for(org.admin).post(url, follow=True)
    assert "Mo Member is already active." in response.content.decode()


# -- where deactivated people show ------------------------------------------------------


def test_deactivated_people_leave_the_directory_and_are_marked_for_admins(
    org: Org, client_for: ClientFor
) -> None:
    handover.person_deactivate(actor=org.admin, person=org.newcomer, successors={})
    directory = client_for(org.member).get(reverse("person-directory"), {"q": "Nia"})
    assert "Nia Newcomer" not in directory.content.decode()

    admin = client_for(org.admin)
    listed = admin.get(reverse("admin-people")).content.decode()
    assert "Nia Newcomer" in listed and ">Deactivated</span>" in listed
    assert reverse("admin-person-reactivate", args=[org.newcomer.pk]) in listed
    assert _deactivate_url(org.newcomer) not in listed
    only_them = admin.get(reverse("admin-people"), {"state": "deactivated"}).content.decode()
    assert "Nia Newcomer" in only_them and "Mo Member" not in only_them


def test_a_former_members_profile_never_shows_an_outsider_their_private_communities(
    org: Org, client_for: ClientFor
) -> None:
    handover.person_deactivate(
        actor=org.admin,
        person=org.leader,
        successors={org.public.pk: org.facilitator, org.private.pk: org.facilitator},
    )
    outsider = client_for(org.outsider)
    profile = outsider.get(reverse("person-detail", args=[org.leader.pk])).content.decode()
    assert "Lena Leader (former member)" in profile
    assert "Kubernetes Guild" in profile
    assert org.private.name not in profile and org.private.slug not in profile


def test_imported_people_still_have_no_profile(org: Org, client_for: ClientFor) -> None:
    """Known only from imported posts (inactive, never deactivated): nothing to show."""
    imported = Person.objects.create_user("se-123@import.invalid", None, name="SE user")
    Person.objects.filter(pk=imported.pk).update(is_active=False)
    response = client_for(org.member).get(reverse("person-detail", args=[imported.pk]))
    assert response.status_code == 404


# -- queries ----------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def _grow(org: Org, start: int, n: int) -> None:
    """More people, more communities the leader leads, more members in each."""
    for i in range(start, start + n):
        person = Person.objects.create_user(
            f"grow{i}@example.com", None, name=f"Person {i}", manager=org.leader
        )
        community = community_services.community_create(
            actor=org.leader, name=f"Guild {i}", domain="Things"
        )
        for joiner in (person, org.member):
            community_services.community_join(actor=joiner, community=community)
        community_services.community_join(actor=person, community=org.public)
        if i % 2:
            community_services.membership_set_role(
                actor=org.leader, community=community, person=person, role=Role.CORE
            )
    handover.person_deactivate(
        actor=org.admin, person=Person.objects.get(email=f"grow{start}@example.com"), successors={}
    )


def test_the_admin_pages_query_count_is_flat(org: Org, client_for: ClientFor) -> None:
    admin = client_for(org.admin)
    former = Person.objects.create_user("former@example.com", None, name="Fay Former")
    handover.person_deactivate(actor=org.admin, person=former, successors={})
    urls: list[Callable[[], str]] = [
        lambda: reverse("admin-people"),
        lambda: reverse("admin-people") + "?state=deactivated",
        lambda: reverse("admin-person-edit", args=[org.member.pk]),
        lambda: _deactivate_url(org.leader),
        lambda: reverse("admin-person-reactivate", args=[former.pk]),
        lambda: reverse("person-detail", args=[former.pk]),
    ]
    _grow(org, 0, 2)
    small = [_queries(admin, url()) for url in urls]
    _grow(org, 100, 12)
    large = [_queries(admin, url()) for url in urls]
    assert small == large, list(zip(small, large, strict=True))


def test_a_deactivated_person_leaves_member_lists_and_counts_until_reactivated(
    org: Org, client_for: ClientFor
) -> None:
    def listed_and_counted() -> tuple[bool, int]:
        page = client_for(org.leader).get(reverse("community-detail", args=[org.public.slug]))
        return "Mo Member" in page.content.decode(), _fresh_community(org.public).member_count

    before = listed_and_counted()
    handover.person_deactivate(actor=org.admin, person=org.member, successors={})
    gone = listed_and_counted()
    handover.person_reactivate(actor=org.admin, person=org.member)

    assert before[0] and not gone[0] and gone[1] == before[1] - 1
    assert listed_and_counted() == before


def _fresh_community(community: Community) -> Community:
    return Community.objects.get(pk=community.pk)
