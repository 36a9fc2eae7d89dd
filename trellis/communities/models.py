"""Communities of practice, who belongs to them and in which role."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public — anyone in the organisation can see and join"
    PRIVATE = "private", "Private — only members see it; people join by invitation or request"


class Status(models.TextChoices):
    SEED = "seed", "Seed"
    GROWING = "growing", "Growing"
    THRIVING = "thriving", "Thriving"
    DORMANT = "dormant", "Dormant"
    ARCHIVED = "archived", "Archived"


class Role(models.TextChoices):
    LEADER = "leader", "Leader"
    FACILITATOR = "facilitator", "Facilitator"
    CORE = "core", "Core team"
    MEMBER = "member", "Member"


ROLE_ORDER = [Role.LEADER, Role.FACILITATOR, Role.CORE, Role.MEMBER]


class Community(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    domain = models.TextField(help_text="The shared concern or craft this community is about.")
    charter = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SEED)
    # Kept by the services that open and close memberships (F() updates in the same
    # transaction); `community_recount_members` rebuilds it after bulk loads.
    member_count = models.PositiveIntegerField(default=0)
    verification_interval_days = models.PositiveIntegerField(
        default=90, help_text="How often library resources must be checked again."
    )
    sponsors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Sponsorship", related_name="sponsored_communities"
    )
    # Start simple: a new community has its Q&A and events (its first brown-bag); leaders
    # switch on member-driven agendas and rotating facilitation when they want them.
    events_enabled = models.BooleanField(default=True)
    agendas_enabled = models.BooleanField(default=False)
    rotation_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "communities"
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values), name="community_visibility_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="community_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_private(self) -> bool:
        return self.visibility == Visibility.PRIVATE


class Sponsorship(models.Model):
    """An executive who backs the community and receives its value brief."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "person"], name="sponsorship_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} sponsors {self.community_id}"


class Membership(models.Model):
    """One stint of a person in a community; leaving closes it, rejoining opens a new one.

    The rows with `left_at` set are the membership history.
    """

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "person"],
                condition=Q(left_at__isnull=True),
                name="membership_one_active_per_person",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]
        indexes = [
            models.Index(fields=["person", "left_at"]),
            # The community page lists the newest members of each role.
            models.Index(
                fields=["community", "role", "-joined_at"],
                condition=Q(left_at__isnull=True),
                name="membership_active_by_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.community_id} as {self.role}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class JoinRequest(models.Model):
    """A request to join a private community, decided by its leaders."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="join_requests")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    message = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "person"],
                condition=Q(status="pending"),
                name="join_request_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} asks to join {self.community_id}: {self.status}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class CommunityInvitation(models.Model):
    """A leader's invitation of a person to a community (private ones included)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_invitations"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["community", "person"],
                condition=Q(status="pending"),
                name="community_invitation_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} invited to {self.community_id}: {self.status}"
