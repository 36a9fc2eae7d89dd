"""Reads about accounts."""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from trellis.accounts import throttle
from trellis.accounts.models import AccountInvitation, ApiToken
from trellis.accounts.tokens import TOKEN_PREFIX, hash_secret
from trellis.core import access
from trellis.core.errors import NotFound
from trellis.people.models import Person


def signin_locked_ids(*, viewer: Person, people: Iterable[Person]) -> set[int]:
    """Which of these people cannot sign in now after too many failures (for the org admin's
    people page, where they can be unlocked); nobody else is told."""
    if not access.can_manage_people(viewer):
        return set()
    people = list(people)
    locked = throttle.signin_locked(emails=[p.email for p in people])
    return {p.pk for p in people if p.email.lower() in locked}


def api_token_live(*, raw: str) -> ApiToken | None:
    """The token this secret is, with its person, if it is not revoked and the person may
    still sign in; otherwise None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    return (
        ApiToken.objects.select_related("person")
        .filter(token_hash=hash_secret(raw), revoked_at__isnull=True, person__is_active=True)
        .first()
    )


def api_tokens_live(*, viewer: Person) -> QuerySet[ApiToken]:
    """The viewer's own tokens that still work, newest first."""
    return ApiToken.objects.filter(person_id=viewer.pk, revoked_at__isnull=True).order_by(
        "-created_at"
    )


def account_invitation_get(*, raw: str) -> AccountInvitation:
    """The open invitation (not used, not expired) this link secret is, with its person."""
    invitation = (
        AccountInvitation.objects.select_related("person")
        .filter(
            token_hash=hash_secret(raw), accepted_at__isnull=True, expires_at__gt=timezone.now()
        )
        .first()
    )
    if invitation is None:
        raise NotFound(
            "This invitation link is invalid, used or expired. Ask an admin for a "
            "new one, or reset your password from the sign-in page."
        )
    return invitation
