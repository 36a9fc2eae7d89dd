"""Schemathesis over every operation of the API, in-process against the WSGI application.

Each operation is one test in its own database transaction (pytest-django), on the persona
organisation, called as the org admin with a personal API token. Every built-in check runs:
server errors, status codes, content types, response schemas and headers, positive data
accepted, negative data rejected, missing headers, unsupported methods, ignored auth.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.personas import Org
from trellis.accounts.services import api_token_create
from trellis.wsgi import application

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20_240_601,  # reproducible runs; change it to explore other inputs
        "generation": {"max-examples": 25, "mode": "all"},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
                   "fuzzing": {"enabled": True}},
        # `stateful` is a separate phase (the CLI's); these tests run the per-operation ones.
        "checks": {"enabled": True},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


@pytest.fixture
def admin_token(org: Org) -> str:
    _, raw = api_token_create(actor=org.admin, name="schemathesis")
    return raw


@pytest.mark.schema
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    # One transaction per operation: rows made by one example stay for the next, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api(case: schemathesis.Case, admin_token: str) -> None:
    r = case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"})
    import collections, json
    with open("/tmp/st_stats.txt", "a") as f:
        f.write(json.dumps([case.operation.label, str(case.meta.generation.mode) if case.meta else None, str(case.meta.phase.name) if case.meta else None, r.status_code]) + "\n")
