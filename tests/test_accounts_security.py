"""Sign-in lockout, password-reset throttling and the host in emailed links (issue 13).

Sign-in: an account is locked after TRELLIS_SIGNIN_FAILURES_PER_ACCOUNT failures from anywhere
(as GitLab does), a client address after TRELLIS_SIGNIN_FAILURES_PER_CLIENT failures on any
accounts (as Discourse limits logins per IP), each for TRELLIS_SIGNIN_LOCK_MINUTES. A locked
attempt is refused before any password is hashed. Password reset: a few emails per address
and per client address an hour, counted in the database so that every web process agrees, and
the page says the same thing whether or not anything was sent.
"""

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from tests.personas import PASSWORD, Org
from tests.typing_helpers import ClientFor
from trellis.accounts.models import RequestThrottle
from trellis.people.models import Person

WRONG = "not-the-password"
LOCKED_TEXT = "Too many failed sign-ins for this account"


def sign_in(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, email: str, times: int) -> list[int]:
    return [sign_in(client, email, WRONG).status_code for _ in range(times)]


@pytest.fixture
def hashes() -> Iterator[list[str]]:
    """Every password hash computed: checking a password, or the dummy hash Django computes for
    an unknown account so that it takes as long as a known one (both go through encode)."""
    calls: list[str] = []
    encode = MD5PasswordHasher.encode

    def counting_encode(self: MD5PasswordHasher, password: str, salt: str) -> str:
        calls.append(password)
        return encode(self, password, salt)

    with mock.patch.object(MD5PasswordHasher, "encode", counting_encode):
        yield calls


# --- sign-in lockout ---------------------------------------------------------------------------


def test_ten_failures_lock_the_account_even_against_the_right_password(org: Org) -> None:
    client = Client()
    statuses = fail(client, org.member.email, 10)
    assert statuses == [200] * 9 + [429]  # the tenth failure is told about the lock
    response = sign_in(client, org.member.email, PASSWORD)
    assert response.status_code == 429
    assert not signed_in(client)
    text = response.content.decode()
    assert LOCKED_TEXT in text
    assert "try again in 15 minutes or ask an administrator to unlock it" in text
    assert 'name="password"' in text  # the sign-in page itself, with the message on it
    assert response["Retry-After"] == str(15 * 60)


def test_a_locked_attempt_never_runs_the_password_hasher(org: Org, hashes: list[str]) -> None:
    client = Client()
    fail(client, org.member.email, 10)
    assert len(hashes) == 10
    hashes.clear()
    for password in (WRONG, PASSWORD, WRONG):
        assert sign_in(client, org.member.email, password).status_code == 429
    assert hashes == []
    # An unknown account is locked the same way (and says nothing about whether it exists).
    fail(client, "nobody@example.com", 10)
    hashes.clear()
    response = sign_in(client, "nobody@example.com", WRONG)
    assert response.status_code == 429 and LOCKED_TEXT in response.content.decode()
    assert hashes == []


def test_the_lock_is_the_accounts_wherever_the_attempts_come_from(org: Org) -> None:
    fail(Client(REMOTE_ADDR="10.0.0.1"), org.member.email, 10)
    elsewhere = Client(REMOTE_ADDR="10.0.0.2")
    assert sign_in(elsewhere, org.member.email, PASSWORD).status_code == 429
    # Other people at the first address are not locked out by it.
    colleague = Client(REMOTE_ADDR="10.0.0.1")
    assert sign_in(colleague, org.leader.email, PASSWORD).status_code == 302
    assert signed_in(colleague)


def test_the_email_is_matched_whatever_its_case(org: Org) -> None:
    client = Client()
    for i in range(10):
        sign_in(client, org.member.email.upper() if i % 2 else org.member.email, WRONG)
    assert sign_in(client, org.member.email, PASSWORD).status_code == 429
    AccessAttempt.objects.all().delete()
    response = sign_in(client, "  " + org.member.email.upper(), PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_lock_ends_after_the_cool_off(org: Org) -> None:
    client = Client()
    fail(client, org.member.email, 10)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    response = sign_in(client, org.member.email, PASSWORD)
    assert response.status_code == 429
    assert "try again in 1 minute " in response.content.decode()
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, org.member.email, PASSWORD).status_code == 302
    assert signed_in(client)


def test_signing_in_starts_the_count_again(org: Org) -> None:
    client = Client()
    fail(client, org.member.email, 9)
    assert sign_in(client, org.member.email, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert fail(client, org.member.email, 9) == [200] * 9


def test_one_address_failing_on_many_accounts_is_locked_out(org: Org, hashes: list[str]) -> None:
    spray = Client(REMOTE_ADDR="10.0.0.9")
    for i in range(30):
        assert sign_in(spray, f"guess{i}@example.com", WRONG).status_code == 200
    hashes.clear()
    response = sign_in(spray, org.member.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins from your network address" in response.content.decode()
    assert hashes == []
    assert not signed_in(spray)
    # The member, anywhere else, is not affected.
    assert sign_in(Client(REMOTE_ADDR="10.0.0.10"), org.member.email, PASSWORD).status_code == 302


def test_the_client_address_is_read_behind_the_configured_proxies(
    org: Org, settings: Settings
) -> None:
    settings.TRELLIS_PROXY_COUNT = 1
    # Behind one proxy: the last X-Forwarded-For entry is the address the proxy saw; anything
    # before it the client wrote itself.
    for i in range(30):
        Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 10.0.0.9").post(
            reverse("login"), {"username": f"guess{i}@example.com", "password": WRONG}
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.9"}
    other = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.10")
    assert sign_in(other, org.member.email, PASSWORD).status_code == 302


def test_an_undeclared_proxy_is_logged_once(org: Org, caplog: pytest.LogCaptureFixture) -> None:
    from trellis.accounts import throttle

    throttle._warn_about_proxies.cache_clear()
    for _ in range(2):
        Client(HTTP_X_FORWARDED_FOR="10.0.0.9").post(
            reverse("password_reset"), {"email": "x@example.com"}
        )
    warnings = [r for r in caplog.records if "TRELLIS_PROXY_COUNT is 0" in r.getMessage()]
    assert len(warnings) == 1


def test_scripts_are_told_429_in_the_api_error_shape(org: Org) -> None:
    client = Client()
    fail(client, org.member.email, 10)
    response = sign_in(client, org.member.email, PASSWORD, HTTP_ACCEPT="application/json")
    assert response.status_code == 429
    body = response.json()
    assert body["errors"] == [] and LOCKED_TEXT in body["detail"]


def test_the_django_admin_sign_in_is_locked_too(org: Org, hashes: list[str]) -> None:
    client = Client()
    url = reverse("admin:login")
    for _ in range(10):
        client.post(url, {"username": org.admin.email, "password": WRONG})
    hashes.clear()
    response = client.post(url, {"username": org.admin.email, "password": PASSWORD})
    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert hashes == []


def test_an_org_admin_unlocks_sign_in_from_the_people_page(org: Org, client_for: ClientFor) -> None:
    fail(Client(), org.member.email, 10)
    admin = client_for(org.admin)
    page = admin.get(reverse("admin-people"), {"q": "Mo Member"}).content.decode()
    unlock = reverse("admin-unlock-signin", args=[org.member.pk])
    assert unlock in page and "Unlock sign-in" in page
    # Nobody else may.
    response = client_for(org.leader).post(unlock)
    assert response.status_code == 404
    assert sign_in(Client(), org.member.email, PASSWORD).status_code == 429
    response = admin.post(unlock)
    assert response.status_code == 302
    assert unlock not in admin.get(reverse("admin-people"), {"q": "Mo Member"}).content.decode()
    client = Client()
    assert sign_in(client, org.member.email, PASSWORD).status_code == 302
    assert signed_in(client)


def test_failed_attempts_are_listed_in_the_django_admin(org: Org, client_for: ClientFor) -> None:
    fail(Client(), org.member.email, 3)
    page = client_for(org.admin).get("/django-admin/axes/accessattempt/")
    assert page.status_code == 200
    assert org.member.email in page.content.decode()


def test_the_api_has_no_password_check(org: Org, hashes: list[str]) -> None:
    """The API takes a personal token or the browser's session; a password is never read, so
    there is nothing there to guess at or to spend CPU on."""
    import base64

    basic = base64.b64encode(f"{org.member.email}:{PASSWORD}".encode()).decode()
    for header in (f"Basic {basic}", f"Bearer {PASSWORD}"):
        response = Client(headers={"Authorization": header}).get("/api/v1/people/me")
        assert response.status_code == 401
    response = Client().post(
        "/api/v1/people/me",
        {"email": org.member.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code in (401, 405)
    assert hashes == []


# --- password reset ----------------------------------------------------------------------------


def request_reset(client: Client, email: str, **extra: Any) -> Any:
    return client.post(reverse("password_reset"), {"email": email}, **extra)


def test_at_most_three_reset_emails_an_hour_reach_one_address(org: Org) -> None:
    client = Client()
    responses = [request_reset(client, org.member.email) for _ in range(20)]
    assert len(mail.outbox) == 3
    # Sent or not, the answer is the same neutral redirect.
    assert {(r.status_code, r["Location"]) for r in responses} == {
        (302, reverse("password_reset_done"))
    }
    done = client.get(reverse("password_reset_done")).content.decode()
    assert "If an account uses that address" in done


def test_the_reset_limit_ignores_case_and_is_kept_in_the_database(org: Org) -> None:
    for i in range(5):
        # Another process (its own cache) and another address each time: still the same count.
        caches["default"].clear()
        client = Client(REMOTE_ADDR=f"10.0.1.{i}")
        request_reset(client, org.member.email.upper() if i % 2 else org.member.email)
    assert len(mail.outbox) == 3
    assert RequestThrottle.objects.exists()
    assert org.member.email not in str(list(RequestThrottle.objects.values()))  # only a keyed hash


def test_the_reset_limit_slides_with_the_hour(org: Org) -> None:
    client = Client()
    for _ in range(4):
        request_reset(client, org.member.email)
    assert len(mail.outbox) == 3
    hour_ago = (timezone.now() - timedelta(minutes=61)).timestamp()
    for row in RequestThrottle.objects.all():
        row.hits = [hour_ago for _ in row.hits]
        row.save()
    request_reset(client, org.member.email)
    assert len(mail.outbox) == 4


def test_one_client_address_sends_at_most_twenty_resets_an_hour(org: Org) -> None:
    for i in range(25):
        Person.objects.create_user(f"p{i}@example.com", PASSWORD, name=f"Person {i}")
    client = Client(REMOTE_ADDR="10.0.2.1")
    for i in range(25):
        assert request_reset(client, f"p{i}@example.com").status_code == 302
    assert len(mail.outbox) == 20
    request_reset(Client(REMOTE_ADDR="10.0.2.2"), "p24@example.com")
    assert len(mail.outbox) == 21


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one writer at a time (IMMEDIATE transactions); the test database is "
    "in memory, out of other threads' reach",
)
def test_requests_at_the_same_time_never_share_the_last_place(transactional_db: None) -> None:
    from trellis.accounts.throttle import password_reset_allowed

    start = threading.Barrier(8)
    answers: list[bool] = []

    def ask() -> None:
        try:
            start.wait()
            answers.append(password_reset_allowed(email="race@example.com", client=None))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False] * 5 + [True] * 3


def test_unknown_addresses_count_and_still_send_nothing(org: Org) -> None:
    client = Client()
    for _ in range(5):
        response = request_reset(client, "nobody@example.com")
        assert response.status_code == 302
    assert mail.outbox == []


# --- the host in emailed links ---------------------------------------------------------------


def test_reset_link_is_on_the_site_url_whatever_host_the_request_names(
    org: Org, settings: Settings
) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example", "testserver"]
    settings.SITE_URL = "https://trellis.example.org"
    request_reset(Client(), org.member.email, HTTP_HOST="evil.example")
    [message] = mail.outbox
    assert "evil.example" not in str(message.body) + str(message.subject)
    link = re.search(r"\S+/password-reset/\S+/", str(message.body))

    assert link and link.group(0).startswith("https://trellis.example.org/password-reset/")


def test_invitation_link_is_on_the_site_url(
    org: Org,
    settings: Settings,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "evil.example", "testserver"]
    settings.SITE_URL = "https://trellis.example.org"
    admin = client_for(org.admin)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("admin-invite", args=[org.newcomer.pk]), HTTP_HOST="evil.example")
    [message] = mail.outbox
    assert "evil.example" not in message.body
    assert "https://trellis.example.org/invite/" in message.body
