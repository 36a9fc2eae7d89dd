"""People and the organisation they work in."""

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower

from trellis.core.text import clean_name


class Department(models.Model):
    """A node of the organisation's department tree."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PersonManager(BaseUserManager["Person"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "Person":
        if "name" in fields:  # every way in (services, imports, createadmin) gets the same rule
            fields["name"] = clean_name(str(fields["name"]))
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "Person":
        fields.update(is_staff=True, is_superuser=True, is_org_admin=True)
        return self.create_user(email, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    """An employee. Also the login account: one identity, one email."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    location = models.CharField(max_length=120, blank=True)
    start_date = models.DateField(null=True, blank=True)
    skills = models.JSONField(default=list, blank=True)
    interests = models.JSONField(default=list, blank=True)
    bio = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    # Set when an org admin deactivates someone who had an account (they left, say): unlike a
    # person known only from an import, they stay on their profile and on their posts.
    deactivated_at = models.DateTimeField(null=True, blank=True)
    is_staff = models.BooleanField(default=False)
    is_org_admin = models.BooleanField(default=False)
    # False: left out of every named list in analytics (champions, who is moving inward, lost
    # regulars...) while still counted in the figures. The person's own choice.
    named_in_insights = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[PersonManager] = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    class Meta:
        indexes = [models.Index(fields=["name", "id"], name="person_name_id")]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="person_email_ci_unique"),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("pk")), name="person_not_own_manager"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def is_former_member(self) -> bool:
        """Deactivated by an org admin: what they wrote stays, credited to them."""
        return not self.is_active and self.deactivated_at is not None

    @property
    def display_name(self) -> str:
        """The name as pages credit it: a former member's says so."""
        return f"{self.name} (former member)" if self.is_former_member else self.name

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class ExternalIdentity(models.Model):
    """Who a person is in another system (a Stack Exchange site, a Slack workspace, a Zulip).

    Imports find authors through this table, so importing twice never duplicates a person.
    People known only from an import get an inactive Person (they cannot sign in) until an
    organisation admin links the identity to a real account.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="identities")
    source = models.CharField(max_length=80, help_text="e.g. stackexchange:quantumcomputing")
    external_id = models.CharField(max_length=64)
    display_name = models.CharField(max_length=200, blank=True)
    profile_url = models.URLField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="external_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id} → {self.person_id}"
