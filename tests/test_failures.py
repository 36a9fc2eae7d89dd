"""What a user sees when Trellis cannot answer properly: the database away, too many requests
at once, a body over the limit. Always a clear status with Retry-After where waiting helps,
never a 500, and never a page that needs the database to say the database is away."""

from typing import Any

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from pytest_django import Settings

from tests.personas import PASSWORD, Org
from trellis.accounts.services import api_token_create
from trellis.core import overload


def _client_for(org: Org) -> Client:
    client = Client(raise_request_exception=False)
    assert client.login(email=org.member.email, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("could not connect to server: Connection refused"),
        OperationalError("database is locked"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_page_whose_database_is_away_is_a_503_with_retry_after(
    org: Org, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    client = _client_for(org)

    def away(*args: Any, **kwargs: Any) -> None:
        raise failure

    # Sessions are the first thing every page reads from the database.
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", away)
    response = client.get("/questions/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"The database is not answering right now" in response.content


def test_a_bug_is_still_a_500(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _client_for(org)

    def bug(*args: Any, **kwargs: Any) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", bug)
    assert client.get("/questions/").status_code == 500


def test_an_api_call_whose_database_is_away_is_a_503_in_the_error_shape(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, raw = api_token_create(actor=org.member, name="script")
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")

    def away(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("trellis.qa.selectors.question_list", away)
    response = client.get("/api/v1/questions")
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body == {
        "detail": "The database is not answering right now; try again in a moment.",
        "errors": [],
    }


def test_a_json_body_over_the_limit_is_a_413_in_the_error_shape(
    org: Org, settings: Settings
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    _, raw = api_token_create(actor=org.admin, name="script")
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.post(
        "/api/v1/communities",
        '{"name": "' + "x" * 5000 + '"}',
        content_type="application/json",
    )
    assert response.status_code == 413, response.content
    body = response.json()
    assert body["detail"].startswith("The request body is larger than the limit")
    assert [(item["loc"], item["type"]) for item in body["errors"]] == [(["body"], "too_large")]


@pytest.mark.parametrize(
    ("path", "json_body"), [("/questions/", False), ("/api/v1/questions", True)]
)
def test_a_request_that_waited_too_long_for_a_thread_is_shed_with_503(
    org: Org, monkeypatch: pytest.MonkeyPatch, settings: Settings, path: str, json_body: bool
) -> None:
    settings.TRELLIS_SHED_AFTER_SECONDS = 1.0
    client = _client_for(org)
    monkeypatch.setattr(overload, "queue_wait_seconds", lambda: 1.5)
    response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    if json_body:
        assert response.json()["detail"].startswith("Trellis has more requests than it can")
    monkeypatch.setattr(overload, "queue_wait_seconds", lambda: 0.2)
    assert client.get(path).status_code == 200
