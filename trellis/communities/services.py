"""Every write to communities and memberships: checked, transactional, recorded."""

from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify

from trellis.communities import hooks as community_hooks
from trellis.communities.models import (
    ROLE_ORDER,
    Community,
    CommunityInvitation,
    InvitationStatus,
    JoinRequest,
    Membership,
    RequestStatus,
    Role,
    Sponsorship,
    Status,
    Visibility,
)
from trellis.core import access, hooks
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.people.models import Person

EDITABLE_FIELDS = (
    "name",
    "domain",
    "charter",
    "visibility",
    "status",
    "verification_interval_days",
)
TEXT_FIELDS = ("name", "domain", "charter")


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "community"
    slug, n = base, 2
    while Community.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _validate(fields: dict[str, str | int]) -> None:
    errors: dict[str, str] = {}
    interval = fields.get("verification_interval_days", 90)
    if not isinstance(interval, int) or not 1 <= interval <= 3650:
        errors["verification_interval_days"] = "Between 1 and 3,650 days."
    if "name" in fields and not str(fields["name"]).strip():
        errors["name"] = "Give the community a name."
    if "domain" in fields and not str(fields["domain"]).strip():
        errors["domain"] = "Say in a sentence what the community is about."
    if "visibility" in fields and fields["visibility"] not in Visibility.values:
        errors["visibility"] = f"Choose one of: {', '.join(Visibility.values)}."
    if "status" in fields and fields["status"] not in Status.values:
        errors["status"] = f"Choose one of: {', '.join(Status.values)}."
    if errors:
        raise Invalid("Some fields need attention.", field_errors=errors)


@transaction.atomic
def community_create(
    *,
    actor: Person,
    name: str,
    domain: str,
    charter: str = "",
    visibility: str = Visibility.PUBLIC,
    status: str = Status.SEED,
    slug: str | None = None,
    verification_interval_days: int = 90,
) -> Community:
    if not access.can_create_community(actor):
        raise Forbidden("Sign in to start a community.")
    _validate(
        {
            "name": name,
            "domain": domain,
            "visibility": visibility,
            "status": status,
            "verification_interval_days": verification_interval_days,
        }
    )
    if slug is not None:
        slug = slugify(slug)
        if not slug:
            raise Invalid("Invalid slug.", field_errors={"slug": "Use letters, digits and -."})
        if Community.objects.filter(slug=slug).exists():
            raise Invalid("Slug taken.", field_errors={"slug": "Another community uses it."})
    try:
        with transaction.atomic():  # the unique slug decides a race, not the check above
            community = Community.objects.create(
                name=name.strip(),
                slug=slug or _unique_slug(name),
                domain=domain.strip(),
                charter=charter.strip(),
                visibility=visibility,
                status=status,
                verification_interval_days=verification_interval_days,
            )
    except IntegrityError as error:
        raise Invalid("Slug taken.", field_errors={"slug": "Another community uses it."}) from error
    _open_membership(community, actor, Role.LEADER)
    hooks.content_changed(kind=hooks.ContentKind.COMMUNITY, ids=[community.pk])
    activity_record(actor=actor, verb="community.create", obj=community, community_id=community.pk)
    return community


@transaction.atomic
def community_update(*, actor: Person, community: Community, **changes: str | int) -> Community:
    if not access.can_manage_community(actor, community):
        raise Forbidden("Only the community's leaders can change its settings.")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid(f"Unknown fields: {', '.join(sorted(unknown))}.")
    _validate(changes)
    was_public = community.visibility == Visibility.PUBLIC
    for field, value in changes.items():
        setattr(
            community,
            field,
            value.strip() if isinstance(value, str) and field in TEXT_FIELDS else value,
        )
    community.save(update_fields=[*changes, "updated_at"])  # never a stale member_count
    hooks.content_changed(kind=hooks.ContentKind.COMMUNITY, ids=[community.pk])
    if was_public != (community.visibility == Visibility.PUBLIC):
        hooks.community_visibility_changed(community_id=community.pk)
    activity_record(actor=actor, verb="community.update", obj=community, community_id=community.pk)
    return community


def _open_membership(community: Community, person: Person, role: str) -> Membership:
    try:
        with transaction.atomic():
            membership = Membership.objects.create(community=community, person=person, role=role)
    except IntegrityError:
        # Already a member (a double click, or a race): joining twice changes nothing.
        return Membership.objects.get(community=community, person=person, left_at__isnull=True)
    Community.objects.filter(pk=community.pk).update(member_count=F("member_count") + 1)
    return membership


def _lock_roster(community: Community) -> None:
    """Serialise changes to a community's leaders: two co-leaders stepping down at once must
    not both see the other one still there."""
    Community.objects.select_for_update().filter(pk=community.pk).values_list("pk").first()


def community_recount_members(*, community_ids: list[int] | None = None) -> None:
    """Rebuild the stored member counts from the memberships (after bulk loads or imports, or
    a person deactivated: they no longer count)."""
    active = Membership.objects.filter(
        community=OuterRef("pk"), left_at__isnull=True, person__is_active=True
    )
    counts = active.order_by().values("community").annotate(n=Count("pk")).values("n")
    communities = Community.objects.all()
    if community_ids is not None:
        communities = communities.filter(pk__in=community_ids)
    communities.update(member_count=Coalesce(Subquery(counts), 0))


@transaction.atomic
def community_join(*, actor: Person, community: Community) -> Membership:
    if not access.can_view_community(actor, community):
        raise NotFound("No such community.")
    if access.active_role(actor, community) is not None:
        return Membership.objects.get(community=community, person=actor, left_at__isnull=True)
    if not access.can_join(actor, community):
        if community.visibility == Visibility.PRIVATE:
            raise Forbidden("This community is private: ask to join instead.")
        raise Forbidden("This community is archived and no longer takes members.")
    membership = _open_membership(community, actor, Role.MEMBER)
    actor.__dict__.pop("_trellis_roles", None)
    activity_record(actor=actor, verb="community.join", obj=community, community_id=community.pk)
    return membership


@transaction.atomic
def community_leave(*, actor: Person, community: Community) -> None:
    _lock_roster(community)
    membership = (
        Membership.objects.select_for_update()
        .filter(community=community, person=actor, left_at__isnull=True)
        .first()
    )
    if membership is None:
        return
    if membership.role == Role.LEADER:
        leaders = Membership.objects.filter(
            community=community, role=Role.LEADER, left_at__isnull=True
        ).count()
        others = Membership.objects.filter(community=community, left_at__isnull=True).count() - 1
        if leaders == 1 and others > 0:
            raise Invalid("You are the only leader: hand the lead to someone else before leaving.")
    membership.left_at = timezone.now()
    membership.save(update_fields=["left_at"])
    Community.objects.filter(pk=community.pk).update(member_count=F("member_count") - 1)
    actor.__dict__.pop("_trellis_roles", None)
    activity_record(actor=actor, verb="community.leave", obj=community, community_id=community.pk)


@transaction.atomic
def membership_set_role(
    *, actor: Person, community: Community, person: Person, role: str
) -> Membership:
    if not access.can_manage_community(actor, community):
        raise Forbidden("Only the community's leaders can change roles.")
    if role not in Role.values:
        raise Invalid("Unknown role.", field_errors={"role": f"One of: {', '.join(Role.values)}."})
    _lock_roster(community)
    membership = (
        Membership.objects.select_for_update()
        .filter(community=community, person=person, left_at__isnull=True)
        .first()
    )
    if membership is None:
        raise NotFound(f"{person.name} is not a member of {community.name}.")
    if membership.role == Role.LEADER and role != Role.LEADER:
        leaders = Membership.objects.filter(
            community=community, role=Role.LEADER, left_at__isnull=True
        ).count()
        if leaders == 1:
            raise Invalid("A community needs at least one leader: appoint another one first.")
    membership.role = role
    membership.save(update_fields=["role"])
    person.__dict__.pop("_trellis_roles", None)
    activity_record(
        actor=actor, verb=f"membership.role.{role}", obj=membership, community_id=community.pk
    )
    return membership


@transaction.atomic
def join_request_create(*, actor: Person, community: Community, message: str = "") -> JoinRequest:
    if not access.can_request_to_join(actor, community):
        raise Invalid("You can join this community directly, or you are already a member.")
    request, created = JoinRequest.objects.get_or_create(
        community=community,
        person=actor,
        status=RequestStatus.PENDING,
        defaults={"message": message.strip()[:2000]},
    )
    activity_record(actor=actor, verb="join_request.create", obj=request, community_id=community.pk)
    if created:  # asking twice tells the team once
        community_hooks.join_requested(join_request=request)
    return request


@transaction.atomic
def join_request_decide(*, actor: Person, join_request: JoinRequest, approve: bool) -> JoinRequest:
    community = join_request.community
    if not access.can_manage_community(actor, community):
        raise Forbidden("Only the community's leaders can decide join requests.")
    locked = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if locked.status != RequestStatus.PENDING:
        raise Invalid(f"This request was already {locked.get_status_display().lower()}.")
    locked.status = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
    locked.decided_at = timezone.now()
    locked.decided_by = actor
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    if approve:
        _open_membership(community, locked.person, Role.MEMBER)
        locked.person.__dict__.pop("_trellis_roles", None)
    activity_record(
        actor=actor, verb=f"join_request.{locked.status}", obj=locked, community_id=community.pk
    )
    locked.community = community
    community_hooks.join_request_decided(join_request=locked)
    return locked


@transaction.atomic
def membership_remove(*, actor: Person, community: Community, person: Person) -> None:
    """A leader takes someone out of the community: from this moment they see no more of a
    private community than an outsider does. A community keeps at least one leader."""
    if not access.can_remove_member(actor, community, person.pk):
        raise Forbidden("Only the community's leaders can remove members.")
    _lock_roster(community)
    membership = (
        Membership.objects.select_for_update()
        .filter(community=community, person=person, left_at__isnull=True)
        .first()
    )
    if membership is None:
        raise NotFound(f"{person.name} is not a member of {community.name}.")
    if membership.role == Role.LEADER:
        leaders = Membership.objects.filter(
            community=community, role=Role.LEADER, left_at__isnull=True
        ).count()
        if leaders == 1:
            raise Invalid(
                f"{person.name} is the only leader: appoint another leader before removing them."
            )
    membership.left_at = timezone.now()
    membership.save(update_fields=["left_at"])
    Community.objects.filter(pk=community.pk).update(member_count=F("member_count") - 1)
    person.__dict__.pop("_trellis_roles", None)
    activity_record(
        actor=actor, verb="membership.remove", obj=membership, community_id=community.pk
    )


def _raises(role: str, to: str) -> bool:
    """Whether `to` is a higher role than `role` (leader > facilitator > core > member)."""
    return ROLE_ORDER.index(Role(to)) < ROLE_ORDER.index(Role(role))


@transaction.atomic
def invitation_create(
    *, actor: Person, community: Community, person: Person, role: str = Role.MEMBER
) -> CommunityInvitation:
    from trellis.communities.tasks import send_community_invitation

    if not access.can_invite_to_community(actor, community):
        raise Forbidden("Only the community's core team can invite people.")
    if not access.can_invite_with_role(actor, community, role):
        raise Forbidden("Only leaders can invite someone into a role.")
    if role not in Role.values:
        raise Invalid("Unknown role.", field_errors={"role": f"One of: {', '.join(Role.values)}."})
    current = (
        Membership.objects.filter(community=community, person=person, left_at__isnull=True)
        .values_list("role", flat=True)
        .first()
    )
    if current is not None and not _raises(current, role):
        raise Invalid(f"{person.name} is already a member.")
    invitation, created = CommunityInvitation.objects.get_or_create(
        community=community,
        person=person,
        status=InvitationStatus.PENDING,
        defaults={"invited_by": actor, "role": role},
    )
    if created:
        activity_record(
            actor=actor, verb="invitation.create", obj=invitation, community_id=community.pk
        )
        transaction.on_commit(lambda: send_community_invitation.enqueue(invitation.pk))
    return invitation


@transaction.atomic
def invitation_respond(
    *, actor: Person, invitation: CommunityInvitation, accept: bool
) -> CommunityInvitation:
    locked = CommunityInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not access.is_self(actor, locked.person_id):
        raise NotFound("No such invitation.")
    if locked.status != InvitationStatus.PENDING:
        raise Invalid("You already answered this invitation.")
    locked.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    locked.responded_at = timezone.now()
    locked.save(update_fields=["status", "responded_at"])
    if accept:
        membership = _open_membership(locked.community, actor, locked.role)
        if _raises(membership.role, locked.role):
            # a member invited into the team (the radar's core-team fix): the role rises
            membership.role = locked.role
            membership.save(update_fields=["role"])
            activity_record(
                actor=actor,
                verb=f"membership.role.{locked.role}",
                obj=membership,
                community_id=locked.community_id,
            )
        JoinRequest.objects.filter(
            community=locked.community, person=actor, status=RequestStatus.PENDING
        ).update(status=RequestStatus.APPROVED, decided_at=timezone.now())
        actor.__dict__.pop("_trellis_roles", None)
    activity_record(
        actor=actor,
        verb=f"invitation.{locked.status}",
        obj=locked,
        community_id=locked.community_id,
    )
    return locked


@transaction.atomic
def sponsor_add(*, actor: Person, community: Community, person: Person) -> Sponsorship:
    if not access.can_manage_community(actor, community):
        raise Forbidden("Only leaders and org admins can name sponsors.")
    sponsorship, _ = Sponsorship.objects.get_or_create(community=community, person=person)
    activity_record(actor=actor, verb="sponsor.add", obj=sponsorship, community_id=community.pk)
    return sponsorship


@transaction.atomic
def sponsor_remove(*, actor: Person, community: Community, person: Person) -> None:
    if not access.can_manage_community(actor, community):
        raise Forbidden("Only leaders and org admins can change sponsors.")
    Sponsorship.objects.filter(community=community, person=person).delete()
    activity_record(actor=actor, verb="sponsor.remove", obj=community, community_id=community.pk)
