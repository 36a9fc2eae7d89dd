"""Account secrets: personal API tokens and invitation links, both stored only as hashes."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="Shown to the owner to tell tokens apart.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AccountInvitation(models.Model):
    """A one-time link that lets a person added by an admin set their password."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation of {self.person_id}"


class RequestThrottle(models.Model):
    """The times of the latest requests of one kind from one key (an email address, a client
    address), for limits that must hold across every web process and machine.

    The key is stored only as a keyed hash, so the table holds no addresses. ``hits`` keeps at
    most the limit's number of times, in seconds since the epoch; the row is locked while it is
    read and written, so two processes never both take the last place.
    """

    scope = models.CharField(max_length=40)
    key_hash = models.CharField(max_length=64)
    hits = models.JSONField(default=list)
    last_hit_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_hash"], name="request_throttle_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}: {len(self.hits)} recent"
