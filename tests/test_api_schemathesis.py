"""Schemathesis over every operation of the API, in-process against the WSGI application.

Each operation is one test in its own database transaction (pytest-django), on the persona
organisation, called as the org admin with a personal API token. Every built-in check runs:
server errors, status codes, content types, response schemas and headers, positive data
accepted, negative data rejected, missing headers, unsupported methods, ignored auth.

The full fuzz (schema examples, coverage cases, 25 generated cases per operation, 40 stateful
scenarios) runs on PostgreSQL, the production database; on SQLite the same operations and checks
run on a smaller budget (examples, 5 generated cases, 10 scenarios), since what fuzzing finds is
mostly the application's, not the database's. TRELLIS_SCHEMATHESIS=full or =light chooses.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.personas import Org
from trellis.accounts import services as accounts_services
from trellis.accounts.tokens import TOKEN_PREFIX


def _full_fuzz() -> bool:
    from django.conf import settings as django_settings

    chosen = os.environ.get("TRELLIS_SCHEMATHESIS", "")
    if chosen not in {"", "full", "light"}:
        raise ValueError(f"TRELLIS_SCHEMATHESIS={chosen!r}: full or light")
    if chosen:
        return chosen == "full"
    return "postgresql" in django_settings.DATABASES["default"]["ENGINE"]


FULL = _full_fuzz()
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20_240_601,  # reproducible runs; change it to explore other inputs
        "generation": {"max-examples": 25 if FULL else 5, "mode": "all"},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": FULL},
            "fuzzing": {"enabled": True},
        },
        # Every built-in check, none excluded. `object_level_authorization` needs a second
        # identity configured and does nothing here; the stateful ones (use_after_free,
        # ensure_resource_availability) act in `test_api_workflows`.
        "checks": {"enabled": True},
    }
)
# The WSGI app itself, not trellis.wsgi: that entry point refuses the tests' placeholder key.
application = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)
# Passed as configured headers, so the checks know the credentials are real (and probe what
# happens without them, or with made-up ones). The fixture mints exactly this token.
TOKEN_SECRET = "schemathesis-org-admin-token-0123456789abcdef"
schema.config.update(headers={"Authorization": f"Bearer {TOKEN_PREFIX}{TOKEN_SECRET}"})


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Calling the WSGI application directly (not through Django's test client) fires
    request_started/finished, whose `close_old_connections` would close the connection that
    holds the test's transaction (on PostgreSQL). Django's test client unhooks it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(org: Org, monkeypatch: pytest.MonkeyPatch) -> str:
    """The org admin's personal API token, made the normal way (with a known secret)."""
    monkeypatch.setattr(
        "trellis.accounts.services.secrets.token_urlsafe", lambda nbytes: TOKEN_SECRET
    )
    _, raw = accounts_services.api_token_create(actor=org.admin, name="schemathesis")
    assert raw == f"{TOKEN_PREFIX}{TOKEN_SECRET}"
    return raw


@pytest.mark.schema
@pytest.mark.django_db
@schema.parametrize()
@settings(
    deadline=None,
    database=None,  # no saved examples between runs: the seed alone decides
    # One transaction per operation: rows made by one example stay for the next, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api(case: schemathesis.Case[Any], admin_token: str) -> None:
    case.call_and_validate()


class APIWorkflow(schema.as_state_machine()):  # type: ignore[misc]  # schemathesis makes the base at run time
    """Each scenario starts from the persona organisation: its writes roll back at the end, so
    Hypothesis can replay (and shrink) a scenario against the same data."""

    def setup(self) -> None:
        self._scenario = transaction.atomic()
        self._scenario.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._scenario.__exit__(None, None, None)


@pytest.mark.schema
@pytest.mark.django_db
def test_api_workflows(admin_token: str) -> None:
    """Sequences linked by the responses (create a community, then join it, list its members,
    change a role...): the stateful checks (use after free, resource availability) run here."""
    APIWorkflow.run(
        settings=settings(
            max_examples=40 if FULL else 10,
            stateful_step_count=6,
            derandomize=True,  # the same scenarios every run, like the seed above
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
