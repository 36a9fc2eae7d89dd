"""The radar's further one-click fixes: several offers per pitfall, invitations of the people
the participation insights name to the core team, an outside speaker found by their evidence
in communities the leader may see, and a challenge set from the questions nobody answered.

Each new fix is previewed before the click (who it reaches, with why) and the click reaches
exactly them; none is for anyone but the community's leaders; none tells anyone of a private
community's people who cannot see it.
"""

from datetime import timedelta
from itertools import count

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.personas import Org, person
from trellis.communities import services as community_services
from trellis.communities.models import (
    Community,
    CommunityInvitation,
    InvitationStatus,
    Membership,
    Role,
    Visibility,
)
from trellis.core.errors import Forbidden, Invalid
from trellis.core.models import Tag
from trellis.events.models import Event, EventKind
from trellis.expertise.models import Availability, TopicEvidence
from trellis.insights.counts import add_months, month_of
from trellis.insights.levels import ACTIVE, INACTIVE, OCCASIONAL
from trellis.insights.models import MonthlyLevel
from trellis.insights.services.champions import champions_refresh
from trellis.notifications.models import Kind, Notification
from trellis.people.models import Department, Person
from trellis.qa.models import Post, PostKind, PostTag
from trellis.radar import fixes
from trellis.radar.signals import BURNOUT, MEETINGS, PITFALLS, SPONSOR, STAGNATION

_ids = count(1)

NEW_FIXES = [
    (STAGNATION, fixes.CORE_TEAM),
    (BURNOUT, fixes.CORE_TEAM),
    (STAGNATION, fixes.OUTSIDE_SPEAKER),
    (MEETINGS, fixes.OUTSIDE_SPEAKER),
    (STAGNATION, fixes.CHALLENGE),
]


# -- the offers ------------------------------------------------------------------------------


def test_each_pitfall_offers_its_fixes_the_main_one_first() -> None:
    for pitfall in PITFALLS:
        offers = fixes.offers_for(pitfall)
        assert offers and offers[0] == fixes.offer_for(pitfall)
        keys = [offer.key for offer in offers]
        assert len(set(keys)) == len(keys) and all(keys)
        assert all(offer.pitfall == pitfall and offer.label and offer.does for offer in offers)
    keys_of = {p: [o.key for o in fixes.offers_for(p)] for p in PITFALLS}
    assert keys_of[BURNOUT] == [fixes.ROTATION, fixes.CORE_TEAM]
    assert keys_of[STAGNATION] == [
        fixes.RENEWAL_CIRCLE,
        fixes.CORE_TEAM,
        fixes.OUTSIDE_SPEAKER,
        fixes.CHALLENGE,
    ]
    assert keys_of[MEETINGS] == [fixes.WORKING_CIRCLE, fixes.OUTSIDE_SPEAKER]
    assert keys_of[SPONSOR] == [fixes.SHOW_AND_TELL]
    assert fixes.offers_for("gloom") == [] and fixes.offer_for("gloom") is None


@pytest.mark.django_db
def test_an_unknown_fix_is_invalid_and_does_nothing(org: Org) -> None:
    for pitfall, fix in ((SPONSOR, "challenge"), (BURNOUT, "nap"), (MEETINGS, fixes.CORE_TEAM)):
        with pytest.raises(Invalid, match="no fix called"):
            fixes.fix_apply(actor=org.leader, community=org.public, pitfall=pitfall, fix=fix)
        with pytest.raises(Invalid, match="no fix called"):
            fixes.fix_preview(viewer=org.leader, community=org.public, pitfall=pitfall, fix=fix)
    with pytest.raises(Invalid, match="no one-click fix"):
        fixes.fix_apply(actor=org.leader, community=org.public, pitfall="gloom", fix="challenge")
    assert (
        not Event.objects.exists()
        and not CommunityInvitation.objects.filter(role=Role.CORE).exists()
    )


@pytest.mark.django_db
def test_the_main_fix_is_taken_when_none_is_named(org: Org) -> None:
    done = fixes.fix_apply(
        actor=org.leader, community=org.private, pitfall=SPONSOR, fix=fixes.SHOW_AND_TELL
    )
    assert done.startswith("A show & tell is planned for ")
    preview = fixes.fix_preview(
        viewer=org.leader, community=org.private, pitfall=SPONSOR, fix=fixes.SHOW_AND_TELL
    )
    assert [p.name for p in preview.people] == ["Sam Sponsor"]


@pytest.mark.django_db
@pytest.mark.parametrize(("pitfall", "fix"), NEW_FIXES)
def test_only_the_leaders_take_or_preview_a_fix(org: Org, pitfall: str, fix: str) -> None:
    for who in (org.member, org.sponsor, org.outsider, org.newcomer):
        with pytest.raises(Forbidden):
            fixes.fix_apply(actor=who, community=org.public, pitfall=pitfall, fix=fix)
        with pytest.raises(Forbidden):
            fixes.fix_preview(viewer=who, community=org.public, pitfall=pitfall, fix=fix)
    assert not Event.objects.exists()
    assert not Notification.objects.filter(kind=Kind.INVITATION).exists()


# -- invitations to the core team ------------------------------------------------------------


def _levels(who: Person, community: Community, level: str, *, before: int, now: int) -> None:
    """`who`'s stored levels in the last two whole months: `before` then `now` contributions."""
    last = add_months(month_of(timezone.now()), -1)
    for month, made in ((add_months(last, -1), before), (last, now)):
        MonthlyLevel.objects.create(
            person=who,
            community=community,
            month=month,
            level=level,
            contributions=made,
            answers=made,
            actions_to_date=before + made,
        )


def _member(community: Community, email: str, name: str, role: str = Role.MEMBER) -> Person:
    who = person(email, name, Department.objects.get_or_create(name="Platform")[0])
    Membership.objects.create(community=community, person=who, role=role)
    return who


def _rising(org: Org) -> dict[str, Person]:
    """People on the public guild's "ready to move inward" list, some of whom the fix must
    leave out; the ones it invites are not members yet (they answer in the public guild)."""
    guild = org.public
    people = {
        "nat": person("nat@example.com", "Nat Nearby", org.design),
        "ola": person("ola@example.com", "Ola Onlooker", org.engineering),
        "cal": _member(guild, "cal@example.com", "Cal Core", Role.CORE),
        "opal": _member(guild, "opal@example.com", "Opal Optout"),
        "lee": _member(guild, "lee@example.com", "Lee Left"),
        "gone": person("gone@example.com", "Gil Gone", org.design),
    }
    Person.objects.filter(pk=people["opal"].pk).update(named_in_insights=False)
    Membership.objects.filter(person=people["lee"]).update(left_at=timezone.now())
    for key, who in people.items():
        _levels(who, guild, ACTIVE, before=2, now=8 if key == "nat" else 6)
    _levels(org.facilitator, guild, ACTIVE, before=2, now=9)  # already on the team
    _levels(org.leader, guild, ACTIVE, before=2, now=9)  # the actor
    Person.objects.filter(pk=people["gone"].pk).update(is_active=False)
    champions_refresh()
    return people


@pytest.mark.django_db
def test_the_core_team_fix_invites_whom_the_preview_names(org: Org) -> None:
    people = _rising(org)
    preview = fixes.fix_preview(
        viewer=org.leader, community=org.public, pitfall=STAGNATION, fix=fixes.CORE_TEAM
    )
    assert [p.name for p in preview.people] == ["Nat Nearby", "Ola Onlooker"]
    nat = preview.people[0]
    assert nat.evidence.startswith("Answered 8 questions in ")
    assert "up from 2 in" in nat.evidence and "(15, in every month, make a core member)" in (
        nat.evidence
    )
    assert preview.lines[0] == f"Nat Nearby: {nat.evidence}"

    done = fixes.fix_apply(
        actor=org.leader, community=org.public, pitfall=STAGNATION, fix=fixes.CORE_TEAM
    )
    invited = CommunityInvitation.objects.filter(community=org.public, role=Role.CORE)
    assert sorted(invited.values_list("person__name", flat=True)) == [
        "Nat Nearby",
        "Ola Onlooker",
    ]
    assert set(invited.values_list("invited_by", flat=True)) == {org.leader.pk}
    assert done.startswith("Nat Nearby and Ola Onlooker have been invited to join")
    # asked once: a second click has nobody left to ask
    with pytest.raises(Invalid, match="Nobody in Kubernetes Guild is ready"):
        fixes.fix_apply(
            actor=org.leader, community=org.public, pitfall=BURNOUT, fix=fixes.CORE_TEAM
        )
    # accepting makes them core
    invitation = invited.get(person=people["nat"])
    community_services.invitation_respond(actor=people["nat"], invitation=invitation, accept=True)
    assert Membership.objects.get(community=org.public, person=people["nat"]).role == Role.CORE


@pytest.mark.django_db
def test_the_core_team_fix_invites_five_at_most(org: Org) -> None:
    rising = [person(f"r{i}@example.com", f"Rising {i}", org.design) for i in range(7)]
    for i, who in enumerate(rising):
        _levels(who, org.public, OCCASIONAL, before=1, now=2 + i)
    champions_refresh()
    preview = fixes.fix_preview(
        viewer=org.leader, community=org.public, pitfall=BURNOUT, fix=fixes.CORE_TEAM
    )
    assert len(preview.people) == fixes.CORE_INVITES == 5
    fixes.fix_apply(actor=org.leader, community=org.public, pitfall=BURNOUT, fix=fixes.CORE_TEAM)
    invited = CommunityInvitation.objects.filter(community=org.public, role=Role.CORE)
    assert set(invited.values_list("person_id", flat=True)) == {p.person_id for p in preview.people}


@pytest.mark.django_db
def test_a_member_growing_inward_is_invited_to_the_core_team_and_accepting_raises_the_role(
    org: Org,
) -> None:
    rae = _member(org.public, "rae@example.com", "Rae Rising")
    _levels(rae, org.public, ACTIVE, before=2, now=7)
    champions_refresh()
    preview = fixes.fix_preview(
        viewer=org.leader, community=org.public, pitfall=STAGNATION, fix=fixes.CORE_TEAM
    )
    assert [p.name for p in preview.people] == ["Rae Rising"]
    fixes.fix_apply(actor=org.leader, community=org.public, pitfall=STAGNATION, fix=fixes.CORE_TEAM)
    invitation = CommunityInvitation.objects.get(
        community=org.public, person=rae, status=InvitationStatus.PENDING
    )
    assert invitation.role == Role.CORE
    community_services.invitation_respond(actor=rae, invitation=invitation, accept=True)
    assert Membership.objects.get(community=org.public, person=rae, left_at=None).role == Role.CORE


@pytest.mark.django_db
def test_the_core_team_fix_says_so_when_nobody_qualifies(org: Org) -> None:
    _levels(org.facilitator, org.public, ACTIVE, before=2, now=9)  # on the team already
    champions_refresh()
    with pytest.raises(Invalid, match="Nobody in Kubernetes Guild is ready to be invited"):
        fixes.fix_preview(
            viewer=org.leader, community=org.public, pitfall=STAGNATION, fix=fixes.CORE_TEAM
        )
    with pytest.raises(Invalid, match="Nobody in Kubernetes Guild is ready to be invited"):
        fixes.fix_apply(
            actor=org.leader, community=org.public, pitfall=STAGNATION, fix=fixes.CORE_TEAM
        )
    assert not CommunityInvitation.objects.filter(role=Role.CORE).exists()


@pytest.mark.django_db
def test_the_core_team_fix_reads_the_levels_when_no_champions_are_stored(org: Org) -> None:
    nat = person("nat@example.com", "Nat Nearby", org.design)
    _levels(nat, org.public, ACTIVE, before=2, now=8)
    preview = fixes.fix_preview(
        viewer=org.leader, community=org.public, pitfall=STAGNATION, fix=fixes.CORE_TEAM
    )
    assert [p.name for p in preview.people] == ["Nat Nearby"]


# -- an outside speaker ----------------------------------------------------------------------


def _evidence(who: Person, community: Community, tag: str, answers: int, accepted: int) -> None:
    TopicEvidence.objects.create(
        person=who,
        community=community,
        tag=Tag.objects.get_or_create(name=tag)[0],
        answers=answers,
        accepted=accepted,
        score=float(answers + accepted),
        last_at=timezone.now() - timedelta(days=20),
    )


def _asked(community: Community, tags: list[str], author: Person, n: int = 2) -> None:
    for _ in range(n):
        k = next(_ids)
        question = Post.objects.create(
            community=community,
            author=author,
            kind=PostKind.QUESTION,
            title=f"How do we drain node pool {k}?",
            body="Asking.",
        )
        for tag in tags:
            PostTag.objects.create(post=question, tag=Tag.objects.get_or_create(name=tag)[0])


def _speakers(org: Org) -> tuple[Community, Person]:
    """A new public guild led by the newcomer (who cannot see the private council), asking
    about kubernetes; the outsider answered kubernetes questions in the public Kubernetes
    Guild; Priya answered more of them, but only inside the private Security Council."""
    cloud = community_services.community_create(
        actor=org.newcomer, name="Cloud Guild", domain="Cloud platforms", slug="cloud"
    )
    _asked(cloud, ["kubernetes", "helm"], org.newcomer, n=3)
    _asked(org.public, ["kubernetes"], org.member, n=2)
    priya = person("priya@example.com", "Priya Private", org.engineering)
    Membership.objects.create(community=org.private, person=priya)
    _evidence(org.outsider, org.public, "kubernetes", answers=3, accepted=1)
    _evidence(priya, org.private, "kubernetes", answers=12, accepted=5)
    _evidence(org.member, org.private, "helm", answers=9, accepted=0)
    return cloud, priya


@pytest.mark.django_db
def test_the_speaker_is_found_only_in_communities_the_leader_can_see(org: Org) -> None:
    cloud, priya = _speakers(org)
    preview = fixes.fix_preview(
        viewer=org.newcomer, community=cloud, pitfall=STAGNATION, fix=fixes.OUTSIDE_SPEAKER
    )
    assert [p.name for p in preview.people] == ["Otto Outsider"]
    assert preview.people[0].evidence == (
        "answered 3 questions tagged kubernetes (1 accepted) in Kubernetes Guild."
    )
    assert all("Security Council" not in line and "Priya" not in line for line in preview.lines)

    done = fixes.fix_apply(
        actor=org.newcomer, community=cloud, pitfall=MEETINGS, fix=fixes.OUTSIDE_SPEAKER
    )
    event = Event.objects.get(community=cloud)
    assert event.kind == EventKind.BROWN_BAG
    assert event.title == "Brown bag: Otto Outsider on kubernetes"
    assert event.starts_at.date() >= timezone.localdate() + timedelta(days=20)
    assert event.starts_at.weekday() in (1, 2, 3)
    assert "in Kubernetes Guild" in event.description
    cloud.refresh_from_db()
    assert cloud.events_enabled
    note = Notification.objects.get(recipient=org.outsider, kind=Kind.INVITATION)
    assert note.url == f"/events/{event.pk}/" and note.community == cloud
    assert "kubernetes" in note.title
    # the outsider learns nothing of the private council or its people
    told = note.title + event.title + event.description + done
    assert "Security Council" not in told and "Priya" not in told and "Mo Member" not in told
    assert not Notification.objects.filter(recipient=priya).exists()
    assert done.startswith("A brown bag is planned for ") and "Otto Outsider" in done


@pytest.mark.django_db
def test_a_leader_who_sees_the_private_community_may_be_given_its_people(org: Org) -> None:
    cloud, priya = _speakers(org)
    community_services.membership_set_role(
        actor=org.newcomer, community=cloud, person=org.newcomer, role=Role.LEADER
    )
    Membership.objects.create(community=cloud, person=org.leader, role=Role.LEADER)
    preview = fixes.fix_preview(
        viewer=org.leader, community=cloud, pitfall=STAGNATION, fix=fixes.OUTSIDE_SPEAKER
    )
    assert [p.name for p in preview.people] == ["Priya Private"]
    assert preview.people[0].evidence.startswith(
        "answered 12 questions tagged kubernetes (5 accepted) in Security Council"
    )
    fixes.fix_apply(
        actor=org.leader, community=cloud, pitfall=STAGNATION, fix=fixes.OUTSIDE_SPEAKER
    )
    event = Event.objects.get(community=cloud, kind=EventKind.BROWN_BAG)
    # the public guild's event names the speaker, never the private council's evidence
    assert "Priya Private" in event.title and "Security Council" not in event.description
    assert Notification.objects.filter(recipient=priya, kind=Kind.INVITATION).count() == 1


@pytest.mark.django_db
def test_no_speaker_who_opted_out_is_a_member_or_for_a_private_community(org: Org) -> None:
    cloud, _ = _speakers(org)
    Availability.objects.create(person=org.outsider, opted_out=True)
    with pytest.raises(Invalid, match="Nobody outside the community"):
        fixes.fix_preview(
            viewer=org.newcomer, community=cloud, pitfall=MEETINGS, fix=fixes.OUTSIDE_SPEAKER
        )
    Availability.objects.filter(person=org.outsider).update(opted_out=False)
    community_services.community_join(actor=org.outsider, community=cloud)
    with pytest.raises(Invalid, match="Nobody outside the community"):
        fixes.fix_apply(
            actor=org.newcomer, community=cloud, pitfall=MEETINGS, fix=fixes.OUTSIDE_SPEAKER
        )
    cloud.visibility = Visibility.PRIVATE
    cloud.save(update_fields=["visibility"])
    with pytest.raises(Invalid, match="Cloud Guild is private"):
        fixes.fix_apply(
            actor=org.newcomer, community=cloud, pitfall=MEETINGS, fix=fixes.OUTSIDE_SPEAKER
        )
    assert not Event.objects.filter(community=cloud).exists()


# -- a new challenge -------------------------------------------------------------------------


def _question(
    community: Community, title: str, days: int, *, author: Person, **extra: object
) -> Post:
    return Post.objects.create(
        community=community,
        author=author,
        kind=PostKind.QUESTION,
        title=title,
        body="Still waiting.",
        created_at=timezone.now() - timedelta(days=days),
        **extra,
    )


@pytest.mark.django_db
def test_the_challenge_is_set_on_the_oldest_questions_nobody_answered(org: Org) -> None:
    guild = org.public
    oldest = _question(guild, "Why do pods restart at 3am?", 200, author=org.member)
    older = _question(guild, "Which CNI for the edge clusters?", 90, author=org.member)
    old = _question(guild, "How do we rotate etcd certificates?", 30, author=org.member)
    _question(guild, "Answered already", 300, author=org.member, answer_count=1)
    _question(guild, "Asked yesterday", 1, author=org.member)
    _question(guild, "Closed", 400, author=org.member, closed_at=timezone.now())
    _question(org.private, "Private and unanswered", 500, author=org.member)
    _levels(org.member, guild, ACTIVE, before=2, now=3)
    _levels(org.facilitator, guild, INACTIVE, before=0, now=0)

    preview = fixes.fix_preview(
        viewer=org.leader, community=guild, pitfall=STAGNATION, fix=fixes.CHALLENGE
    )
    assert [line.split(" (asked")[0] for line in preview.items] == [
        oldest.title,
        older.title,
        old.title,
    ]
    assert preview.audience == "1 active member will be told."

    done = fixes.fix_apply(actor=org.leader, community=guild, pitfall=STAGNATION, fix="challenge")
    event = Event.objects.get(community=guild)
    assert event.kind == EventKind.WORKSHOP
    assert event.title == "Challenge: the questions nobody could answer"
    assert event.starts_at.date() >= timezone.localdate() + timedelta(days=28)
    links = [f"[{q.title}](/questions/{q.pk}/)" for q in (oldest, older, old)]
    assert all(link in event.description for link in links)
    assert [event.description.index(link) for link in links] == sorted(
        event.description.index(link) for link in links
    )
    assert "Answered already" not in event.description and "Private" not in event.description
    items = list(event.agenda.items.order_by("position").values_list("title", "reason"))
    assert [title for title, _ in items] == [oldest.title, older.title, old.title]
    assert all(reason.endswith("no answer yet") for _, reason in items)
    guild.refresh_from_db()
    assert guild.events_enabled and guild.agendas_enabled
    told = Notification.objects.filter(kind=Kind.INVITATION, target_id=event.pk)
    assert list(told.values_list("recipient", flat=True)) == [org.member.pk]
    assert told.get().url == f"/events/{event.pk}/"
    assert done.startswith("A challenge workshop is planned for ")
    assert "3 unanswered questions" in done and "1 active member has been told" in done


@pytest.mark.django_db
def test_with_no_levels_every_member_hears_of_the_challenge(org: Org) -> None:
    _question(org.private, "Who holds the spare HSM?", 40, author=org.member)
    fixes.fix_apply(actor=org.leader, community=org.private, pitfall=STAGNATION, fix="challenge")
    told = Notification.objects.filter(kind=Kind.INVITATION, community=org.private)
    assert set(told.values_list("recipient", flat=True)) == {org.member.pk, org.facilitator.pk}


@pytest.mark.django_db
def test_no_challenge_without_a_question_nobody_answered(org: Org) -> None:
    _question(org.public, "Answered", 100, author=org.member, answer_count=2)
    with pytest.raises(Invalid, match="no open question that has waited a week"):
        fixes.fix_preview(
            viewer=org.leader, community=org.public, pitfall=STAGNATION, fix=fixes.CHALLENGE
        )
    with pytest.raises(Invalid, match="no open question that has waited a week"):
        fixes.fix_apply(
            actor=org.leader, community=org.public, pitfall=STAGNATION, fix=fixes.CHALLENGE
        )
    assert not Event.objects.exists()


def test_a_question_or_two_answered_does_not_make_an_outside_speaker(org: Org) -> None:
    cloud, _ = _speakers(org)
    TopicEvidence.objects.filter(person=org.outsider).update(answers=2, accepted=1)
    with pytest.raises(Invalid, match="3 questions or more"):
        fixes.fix_preview(
            viewer=org.newcomer, community=cloud, pitfall=STAGNATION, fix=fixes.OUTSIDE_SPEAKER
        )


@pytest.mark.django_db
def test_the_radar_page_shows_each_fix_with_whom_it_involves_and_takes_the_one_clicked(
    org: Org, client: Client
) -> None:
    from trellis.radar.models import RadarSignal

    _rising(org)
    RadarSignal.objects.create(
        community=org.public, pitfall=STAGNATION, month=timezone.localdate().replace(day=1),
        score=0.8, threshold=0.55, raised=True, computed_at=timezone.now(),
        evidence=[{"key": "unanswered", "strength": 1.0, "weight": 0.3, "figures": {},
                   "text": "80% of recent questions are still unanswered, against 10% before."}],
    )  # fmt: skip
    client.force_login(org.leader)
    url = reverse("community-radar", args=[org.public.slug])
    page = client.get(url).content.decode()
    assert "Invite active members to the core team" in page
    assert "Nat Nearby: Answered 8 questions in " in page  # named before the click
    assert 'data-fix="challenge"' in page  # refused or offered, said either way
    client.post(reverse("radar-fix", args=[org.public.slug, STAGNATION]), {"fix": fixes.CORE_TEAM})
    invited = CommunityInvitation.objects.filter(community=org.public, role=Role.CORE)
    assert sorted(invited.values_list("person__name", flat=True)) == ["Nat Nearby", "Ola Onlooker"]
    client.force_login(org.member)  # not a leader: no fix, no names
    assert client.get(url).status_code == 403
