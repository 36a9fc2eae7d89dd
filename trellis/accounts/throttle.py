"""Throttling sign-in and password reset, with counts in the database that every process shares.

Sign-in (django-axes keeps the failures, one row per account, client address and user agent):

- an account is locked after ``TRELLIS_SIGNIN_FAILURES_PER_ACCOUNT`` failures from anywhere, as
  GitLab locks a user after 10 (guessing one password from many addresses gets nowhere);
- a client address is locked after ``TRELLIS_SIGNIN_FAILURES_PER_CLIENT`` failures on any
  accounts, as Discourse limits sign-ins per address (one address trying a password on many
  accounts, or hammering the CPU with hashes, gets nowhere). It is higher than the account's,
  since a whole office may sign in from one address;
- each lock lasts ``TRELLIS_SIGNIN_LOCK_MINUTES`` from the last failure, and a successful
  sign-in starts the account's count again. An org admin can unlock an account at once.

``SignInThrottleBackend`` comes first in ``AUTHENTICATION_BACKENDS``: a locked attempt is refused
there, before any backend hashes the password, so it costs two indexed queries. Unknown accounts
are counted and locked like known ones, so a lock says nothing about whether an account exists.

Password reset: at most ``TRELLIS_RESET_EMAILS_PER_HOUR`` emails an hour to one address, and
``TRELLIS_RESET_REQUESTS_PER_CLIENT`` requests an hour from one client address, over a sliding
hour, in ``RequestThrottle`` rows (a keyed hash of the key, never the address itself). Not in
Django's cache: the default one is per process (each gunicorn worker would count alone), and the
database cache needs a table that ``migrate`` does not create and increments without a lock.
"""

import functools
import ipaddress
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.crypto import salted_hmac

from trellis.accounts.models import RequestThrottle

log = logging.getLogger(__name__)

HOUR = timedelta(hours=1)


# --- who is asking -------------------------------------------------------------------------------


def _ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The address the request came from (axes' ``AXES_CLIENT_IP_CALLABLE``).

    With ``TRELLIS_PROXY_COUNT`` proxies in front, each appends to X-Forwarded-For the address it
    was reached from, so the one the outermost proxy wrote, that many from the end, is the
    client's; anything to its left the client may have written itself. None when unknown (then
    only the account is counted).
    """
    count = settings.TRELLIS_PROXY_COUNT
    forwarded = [p for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p]
    if count > 0:
        if len(forwarded) >= count:
            return _ip(forwarded[-count])
    elif forwarded:
        _warn_about_proxies()
    return _ip(str(request.META.get("REMOTE_ADDR", "")))


@functools.cache
def _warn_about_proxies() -> None:
    """Once per process: behind a proxy that nobody declared, every client has the proxy's
    address, and the per-client limits count the whole site as one client."""
    log.warning(
        "A request came with X-Forwarded-For but TRELLIS_PROXY_COUNT is 0: sign-in and "
        "password-reset limits per client address count the connection's address. Behind a "
        "reverse proxy, set TRELLIS_PROXY_COUNT to the number of proxies."
    )


def signin_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """The account a sign-in names, as axes counts it (``AXES_USERNAME_CALLABLE``): the email,
    trimmed and lower-cased, so "Ana@X" and "ana@x " are one account."""
    raw = None
    if credentials:
        raw = credentials.get("username") or credentials.get("email")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    if not isinstance(raw, str):
        return None
    return raw.strip().lower()[:255] or None


# --- sign-in locks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInLock:
    kind: Literal["account", "client"]
    seconds: int  # until it ends, at most

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))

    @property
    def message(self) -> str:
        when = f"{self.minutes} minute{'' if self.minutes == 1 else 's'}"
        if self.kind == "account":
            return (
                f"Too many failed sign-ins for this account; try again in {when} or ask an "
                "administrator to unlock it."
            )
        return (
            f"Too many failed sign-ins from your network address; try again in {when} or ask "
            "an administrator."
        )


def _cool_off() -> timedelta:
    cool_off: timedelta = settings.AXES_COOLOFF_TIME
    return cool_off


def _recent(attempts: "QuerySet[Any]") -> "QuerySet[Any]":
    return attempts.filter(attempt_time__gte=timezone.now() - _cool_off())


def _seconds_left(attempts: "QuerySet[Any]") -> int:
    """Until the last failure is older than the cool-off (the lock may end sooner, when older
    failures leave the window first)."""
    last: datetime | None = attempts.aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return int(_cool_off().total_seconds())
    return max(0, math.ceil((last + _cool_off() - timezone.now()).total_seconds()))


def _client_failures(address: str | None) -> int:
    if address is None:
        return 0
    found = _recent(AccessAttempt.objects.filter(ip_address=address))
    total: int | None = found.aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def _signin_lock(request: HttpRequest, username: str | None) -> SignInLock | None:
    if not AxesProxyHandler.is_allowed(request, get_credentials(username=username)):
        account = signin_username(request, {"username": username})
        return SignInLock("account", _seconds_left(AccessAttempt.objects.filter(username=account)))
    address = getattr(request, "axes_ip_address", None)
    if _client_failures(address) >= settings.TRELLIS_SIGNIN_FAILURES_PER_CLIENT:
        return SignInLock("client", _seconds_left(AccessAttempt.objects.filter(ip_address=address)))
    return None


class SignInThrottleBackend(AxesStandaloneBackend):  # type: ignore[misc]  # axes is untyped
    """First of ``AUTHENTICATION_BACKENDS``: refuses a locked account or client address before
    any backend checks (hashes) the password. It never signs anyone in itself."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None or not getattr(settings, "AXES_ENABLED", True):
            # Not an HTTP sign-in (the test client's login(), a script): every view that checks
            # a password passes its request, and so is throttled.
            return None
        lock = _signin_lock(request, username)
        if lock is None:
            return None
        # Flags the request for axes: its middleware answers with lockout_response, and its
        # failure handler records nothing (so the lock ends when the message says).
        request.axes_locked_out = True  # type: ignore[attr-defined]
        request.trellis_signin_lock = lock  # type: ignore[attr-defined]
        raise AxesBackendPermissionDenied(lock.message)


def signin_lock_of(request: HttpRequest) -> SignInLock | None:
    """The lock that refused this request's sign-in, if one did: found by the backend, or set by
    axes when this very attempt was the failure that locked the account."""
    lock: SignInLock | None = getattr(request, "trellis_signin_lock", None)
    if lock is None and getattr(request, "axes_locked_out", False):
        account = signin_username(request, getattr(request, "axes_credentials", None))
        lock = SignInLock("account", _seconds_left(AccessAttempt.objects.filter(username=account)))
        request.trellis_signin_lock = lock  # type: ignore[attr-defined]
    return lock


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponseBase | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponseBase:
    """429 for a refused sign-in (axes' ``AXES_LOCKOUT_CALLABLE``): the sign-in page itself with
    the message on its form, a page saying so for other sign-in forms (the Django admin's), or the
    API's error shape for a client that does not take HTML."""
    lock = signin_lock_of(request) or SignInLock("account", int(_cool_off().total_seconds()))
    response: HttpResponseBase
    if not request.accepts("text/html"):
        response = JsonResponse({"detail": lock.message, "errors": []}, status=429)
    elif original_response is not None and original_response.status_code == 429:
        response = original_response
    else:
        response = render(request, "accounts/locked_out.html", {"lock": lock}, status=429)
    response["Retry-After"] = str(lock.seconds)
    return response


def signin_unlock(*, email: str) -> int:
    """Forget an account's failed sign-ins (what unlocks it); the number of rows removed."""
    account = signin_username(None, {"username": email})
    if account is None:
        return 0
    removed: int = reset(username=account)
    return removed


def signin_locked(*, emails: Iterable[str]) -> set[str]:
    """Which of these accounts are locked now."""
    accounts = {a for a in (signin_username(None, {"username": e}) for e in emails) if a}
    rows = (
        _recent(AccessAttempt.objects.filter(username__in=accounts))
        .values("username")
        .annotate(total=Sum("failures_since_start"))
        .filter(total__gte=settings.AXES_FAILURE_LIMIT)
    )
    return {row["username"] for row in rows}


# --- password reset ------------------------------------------------------------------------------


def _take(*, scope: str, key: str, limit: int, period: timedelta = HOUR) -> bool:
    """Take one of ``limit`` places per sliding ``period`` for ``key``; False when none is left
    (and then nothing is recorded)."""
    now = timezone.now()
    RequestThrottle.objects.filter(last_hit_at__lt=now - HOUR).delete()  # rows nothing can read
    key_hash = salted_hmac(
        "trellis.accounts.throttle", f"{scope}\n{key}", algorithm="sha256"
    ).hexdigest()
    horizon = (now - period).timestamp()
    with transaction.atomic():
        row, _ = RequestThrottle.objects.select_for_update().get_or_create(
            scope=scope, key_hash=key_hash, defaults={"last_hit_at": now}
        )
        recent = [t for t in row.hits if t > horizon]
        if len(recent) >= limit:
            return False
        row.hits = [*recent, now.timestamp()]
        row.last_hit_at = now
        row.save(update_fields=["hits", "last_hit_at"])
    return True


def password_reset_allowed(*, email: str, client: str | None) -> bool:
    """Whether a reset email may go to ``email`` now, counting this request against both the
    client address and the email address. Asked the same way whether or not an account uses
    the address, so the answer reveals nothing."""
    per_client = settings.TRELLIS_RESET_REQUESTS_PER_CLIENT
    if client is not None and not _take(scope="reset-client", key=client, limit=per_client):
        log.warning("Password reset not sent: %s requests this hour from one address", per_client)
        return False
    per_email = settings.TRELLIS_RESET_EMAILS_PER_HOUR
    if not _take(scope="reset-email", key=email.strip().lower(), limit=per_email):
        log.warning("Password reset not sent: %s emails this hour to one address", per_email)
        return False
    return True
