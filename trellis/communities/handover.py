"""Handing a community's lead on when an org admin deactivates one of its leaders.

People sit below communities, so the people app cannot do this itself: here the successors
take the lead, then `people.services.person_set_active` closes the account, in one transaction.
A community where nobody else is left to lead goes without a leader, and is listed by
`leaderless_communities` until someone is appointed.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone

from trellis.communities import services as community_services
from trellis.communities.models import ROLE_ORDER, Community, Membership, Role, Status
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid
from trellis.core.models import Activity
from trellis.people.models import Person
from trellis.people.services import person_set_active

# How far back "most active" looks, and how many members the successor list offers at most.
ACTIVITY_DAYS = 180
MAX_CANDIDATES = 100
# What counts as being active in a community: writing, voting, curating and inviting, not
# reading or joining.
CONTRIBUTION_VERBS = ("question.", "answer.", "comment.", "post.", "resource.", "duplicates.")
CONTRIBUTION_EXTRA = ("invitation.create",)


@dataclass(frozen=True)
class Candidate:
    """A member who could take over the lead."""

    person: Person
    role: str
    role_label: str
    contributions: int  # posts, answers, votes... in the community in the last ACTIVITY_DAYS


@dataclass
class LedCommunity:
    """A community the person leads, with who could lead it next: co-leaders first, then the
    rest of the core team, most active first, then members, longest-standing first. The first
    one is the proposal; none means nobody else is left in it."""

    community: Community
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def proposed(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def proposal_reason(self) -> str:
        """Why the first candidate is proposed: co_leader, most_active, core_team or member."""
        first = self.proposed
        if first is None:
            return ""
        if first.role == Role.LEADER:
            return "co_leader"
        if access.is_team_role(first.role):
            return "most_active" if first.contributions else "core_team"
        return "member"

    @property
    def field_name(self) -> str:
        return successor_field(self.community.pk)


@dataclass(frozen=True)
class Handover:
    """What a deactivation did to leadership, for the admin's confirmation message."""

    person: Person
    successors: list[tuple[Community, Person]]
    leaderless: list[Community]


def successor_field(community_id: int) -> str:
    """The form field (and error key) naming a community's successor."""
    return f"successor_{community_id}"


def _led_memberships(person: Person) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(person=person, role=Role.LEADER, left_at__isnull=True)
        .select_related("community")
        .order_by("community__name", "community_id")
    )


def _others(community_ids: list[int], person: Person) -> QuerySet[Membership]:
    """The other active people in these communities, at most MAX_CANDIDATES per community:
    team roles before members, longest-standing first (one query however many communities)."""
    role_rank = Case(
        *(When(role=role, then=Value(i)) for i, role in enumerate(ROLE_ORDER)),
        output_field=IntegerField(),
    )
    return (
        Membership.objects.filter(
            community_id__in=community_ids, left_at__isnull=True, person__is_active=True
        )
        .exclude(person_id=person.pk)
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("community_id")],
                order_by=[role_rank.asc(), F("joined_at").asc(), F("pk").asc()],
            )
        )
        .filter(place__lte=MAX_CANDIDATES)
        .select_related("person")
    )


def _contributions(community_ids: list[int], person_ids: set[int]) -> dict[tuple[int, int], int]:
    """How much each of these people contributed to each community lately."""
    if not person_ids:
        return {}
    since = timezone.now() - timedelta(days=ACTIVITY_DAYS)
    contributed = Q(verb__in=CONTRIBUTION_EXTRA)
    for prefix in CONTRIBUTION_VERBS:
        contributed |= Q(verb__startswith=prefix)
    rows = (
        Activity.objects.filter(
            contributed,
            community_id__in=community_ids,
            actor_id__in=person_ids,
            created_at__gte=since,
        )
        .exclude(verb__endswith=".view")
        .values_list("community_id", "actor_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(community_id, actor_id): n for community_id, actor_id, n in rows}


def _proposal_order(candidate: Candidate, joined_at: float) -> tuple[int, int, float]:
    if candidate.role == Role.LEADER:
        group = 0  # a co-leader simply carries on
    elif access.is_team_role(candidate.role):
        group = 1
    else:
        group = 2
    activity = -candidate.contributions if group < 2 else 0
    return (group, activity, joined_at)


def communities_led_by(*, viewer: access.Viewer, person: Person) -> list[LedCommunity]:
    """The communities this person leads, each with its possible successors, for the org
    admin who is about to deactivate them."""
    if not access.can_manage_people(viewer):
        raise Forbidden("Only org admins deactivate people.")
    led = {m.community_id: LedCommunity(m.community) for m in _led_memberships(person)}
    if not led:
        return []
    others = list(_others(list(led), person))
    team_ids = {m.person_id for m in others if access.is_team_role(m.role)}
    contributions = _contributions(list(led), team_ids)
    ranked: dict[int, list[tuple[tuple[int, int, float], Candidate]]] = {}
    for membership in others:
        candidate = Candidate(
            person=membership.person,
            role=membership.role,
            role_label=membership.get_role_display(),
            contributions=contributions.get((membership.community_id, membership.person_id), 0),
        )
        order = _proposal_order(candidate, membership.joined_at.timestamp())
        ranked.setdefault(membership.community_id, []).append((order, candidate))
    for community_id, item in led.items():
        item.candidates = [c for _, c in sorted(ranked.get(community_id, []), key=lambda r: r[0])]
    return list(led.values())


def leaderless_communities(*, viewer: access.Viewer, limit: int = 50) -> list[Community]:
    """Communities (not archived) with no active leader, for the org admin to see to."""
    if not access.can_manage_people(viewer):
        return []
    leaders = Membership.objects.filter(
        community=OuterRef("pk"), role=Role.LEADER, left_at__isnull=True, person__is_active=True
    )
    return list(
        Community.objects.exclude(status=Status.ARCHIVED)
        .filter(~Exists(leaders))
        .order_by("name", "pk")[:limit]
    )


def _check_successors(
    person: Person, led: list[Membership], successors: dict[int, Person]
) -> dict[int, str]:
    """Each successor's current role in the community they are to lead; Invalid, naming each
    community's field, when one cannot take over or a community that needs one has none."""
    led_ids = [m.community_id for m in led]
    stray = set(successors) - set(led_ids)
    if stray:
        raise Invalid(f"{person.name} doesn't lead every community given a successor.")
    roles = {
        (community_id, person_id): role
        for community_id, person_id, role in Membership.objects.filter(
            community_id__in=led_ids,
            person_id__in=[s.pk for s in successors.values()],
            left_at__isnull=True,
            person__is_active=True,
        ).values_list("community_id", "person_id", "role")
    }
    with_others = set(
        Membership.objects.filter(
            community_id__in=led_ids, left_at__isnull=True, person__is_active=True
        )
        .exclude(person_id=person.pk)
        .values_list("community_id", flat=True)
    )
    errors: dict[str, str] = {}
    current: dict[int, str] = {}
    for membership in led:
        community = membership.community
        key = successor_field(community.pk)
        successor = successors.get(community.pk)
        if successor is None:
            if community.pk in with_others:
                errors[key] = f"Choose who leads {community.name} next."
        elif successor.pk == person.pk:
            errors[key] = f"Choose someone other than {person.name} to lead {community.name}."
        elif not successor.is_active:
            errors[key] = f"{successor.name} is deactivated: choose an active member."
        elif (community.pk, successor.pk) not in roles:
            errors[key] = (
                f"{successor.name} is not a member of {community.name}: choose one of its members."
            )
        else:
            current[community.pk] = roles[(community.pk, successor.pk)]
    if errors:
        raise Invalid(
            f"Choose who takes over each community {person.name} leads.", field_errors=errors
        )
    return current


def _leave_without_leader(*, actor: Person, membership: Membership) -> None:
    """Nobody else is in the community: the leader becomes a plain member (so the community
    shows no leader) and the log says it was left leaderless."""
    community = membership.community
    Membership.objects.filter(pk=membership.pk).update(role=Role.MEMBER)
    activity_record(
        actor=actor, verb="community.leaderless", obj=community, community_id=community.pk
    )


@transaction.atomic
def person_deactivate(*, actor: Person, person: Person, successors: dict[int, Person]) -> Handover:
    """Deactivate a person, handing each community they lead to the successor chosen for it
    (community id → person). Nothing changes unless every successor can take over."""
    if not access.can_manage_people(actor):
        raise Forbidden("Only org admins deactivate people.")
    if access.is_self(actor, person.pk):
        raise Invalid("You can't deactivate your own account: ask another org admin.")
    # Locked: a leader stepping down at the same moment waits for the handover.
    led = list(_led_memberships(person).select_for_update(of=("self",)))
    current_roles = _check_successors(person, led, successors)
    handed: list[tuple[Community, Person]] = []
    leaderless: list[Community] = []
    for membership in led:
        community = membership.community
        successor = successors.get(community.pk)
        if successor is None:
            _leave_without_leader(actor=actor, membership=membership)
            leaderless.append(community)
            continue
        if current_roles[community.pk] != Role.LEADER:
            community_services.membership_set_role(
                actor=actor, community=community, person=successor, role=Role.LEADER
            )
        community_services.membership_set_role(
            actor=actor, community=community, person=person, role=Role.MEMBER
        )
        handed.append((community, successor))
    person_set_active(actor=actor, person=person, active=False)
    _recount_communities_of(person)
    return Handover(person=person, successors=handed, leaderless=leaderless)


@transaction.atomic
def person_reactivate(*, actor: Person, person: Person) -> None:
    """Access back; the communities they are still in count them again (leadership stays
    with the successors)."""
    person_set_active(actor=actor, person=person, active=True)
    _recount_communities_of(person)


def _recount_communities_of(person: Person) -> None:
    """Member counts leave out deactivated people, as the member lists do."""
    community_ids = list(
        Membership.objects.filter(person=person, left_at__isnull=True).values_list(
            "community_id", flat=True
        )
    )
    community_services.community_recount_members(community_ids=community_ids)
