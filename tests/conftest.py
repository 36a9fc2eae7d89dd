import os

import pytest
from django.test import Client

from tests.personas import PASSWORD, Org, build_org

# Semantic search off unless a test brings an embedder (search.embedding.using): the model
# would otherwise embed every post every test writes.
os.environ.setdefault("TRELLIS_EMBEDDINGS", "off")


def pytest_report_header() -> str:
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture
def org(db: None) -> Org:
    return build_org()


@pytest.fixture
def client_for(client: Client):  # type: ignore[no-untyped-def]
    """A logged-in test client for a persona."""

    def login(person):  # type: ignore[no-untyped-def]
        new = Client()
        assert new.login(email=person.email, password=PASSWORD)
        return new

    return login


@pytest.fixture(autouse=True)
def _fast_and_immediate(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Cheap password hashing, tasks run in-process (the worker has its own test), and files
    (import uploads) go to a temporary folder."""
    settings.DATA_DIR = tmp_path
    from django.core.cache import cache

    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


IN_CI = os.environ.get("CI", "").lower() == "true"
