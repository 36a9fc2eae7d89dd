"""Account secrets: API tokens and invitation links. Only hashes are stored."""

import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from trellis.accounts import selectors, throttle
from trellis.accounts.models import AccountInvitation, ApiToken
from trellis.accounts.tokens import TOKEN_PREFIX, hash_secret
from trellis.core import access
from trellis.core.activity import activity_record
from trellis.core.errors import Forbidden, Invalid, NotFound
from trellis.people.models import Person
from trellis.people.services import person_create

INVITATION_DAYS = 14


@transaction.atomic
def api_token_create(*, actor: Person, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the raw secret, which is shown once and never stored."""
    if not access.is_signed_in(actor):
        raise Forbidden("Sign in to create a token.")
    name = name.strip()[:100]
    if not name:
        raise Invalid("Name the token after what will use it.", field_errors={"name": "Required."})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        person=actor, name=name, prefix=raw[: len(TOKEN_PREFIX) + 6], token_hash=hash_secret(raw)
    )
    activity_record(actor=actor, verb="api_token.create", obj=token)
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Person, token_id: int) -> None:
    token = ApiToken.objects.filter(pk=token_id, person=actor, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound("No such token.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    activity_record(actor=actor, verb="api_token.revoke", obj=token)


def api_token_authenticate(*, raw: str) -> Person | None:
    """The person a token signs in as, or None. A write as well as a read: it notes when the
    token was last used (at most every five minutes, so a busy script writes little)."""
    token = selectors.api_token_live(raw=raw)
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.person


@transaction.atomic
@transaction.atomic
def person_add(*, actor: Person, send_invitation: bool = False, **fields: Any) -> Person:
    """Add someone to the directory (people.services.person_create's fields) and, if asked,
    invite them to set a password: one transaction, so no invitation goes to someone who
    was not added."""
    person = person_create(actor=actor, **fields)
    if send_invitation:
        account_invitation_send(actor=actor, person=person)
    return person


def account_invitation_send(*, actor: Person, person: Person) -> AccountInvitation:
    """Queue the invitation email; the worker mints the link so no secret sits in the queue."""
    from trellis.accounts.tasks import send_account_invitation

    if not access.can_manage_people(actor):
        raise Forbidden("Only org admins send account invitations.")
    invitation = AccountInvitation.objects.create(
        person=person,
        invited_by=actor,
        token_hash=f"pending-{secrets.token_hex(16)}",
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    activity_record(actor=actor, verb="account_invitation.create", obj=invitation)
    transaction.on_commit(lambda: send_account_invitation.enqueue(invitation.pk))
    return invitation


def account_invitation_mint(*, invitation: AccountInvitation) -> str:
    """A fresh one-time link secret for the invitation (only its hash is kept), marked sent."""
    raw = secrets.token_urlsafe(32)
    invitation.token_hash = hash_secret(raw)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["token_hash", "sent_at"])
    return raw


@transaction.atomic
def account_invitation_accept(*, raw_token: str, password: str) -> Person:
    found = selectors.account_invitation_get(raw=raw_token)
    # Locked and re-checked: the same link submitted twice at once sets one password.
    invitation = (
        AccountInvitation.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=found.pk)
    )
    if invitation.accepted_at is not None:
        raise NotFound("This invitation link was already used.")
    person = invitation.person
    try:
        validate_password(password, person)
    except ValidationError as error:
        raise Invalid(
            "Choose a stronger password.", field_errors={"password": " ".join(error.messages)}
        ) from error
    person.set_password(password)
    person.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    activity_record(actor=person, verb="account_invitation.accept", obj=invitation)
    return person


@transaction.atomic
def account_signin_unlock(*, actor: Person, person: Person) -> int:
    """Let a person locked out by failed sign-ins try again now (their failures are forgotten);
    the number of failure records removed."""
    if not access.can_manage_people(actor):
        raise Forbidden("Only org admins unlock sign-in.")
    removed = throttle.signin_unlock(email=person.email)
    activity_record(actor=actor, verb="account.signin_unlock", obj=person)
    return removed
