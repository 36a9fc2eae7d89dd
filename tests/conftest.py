import os
from collections.abc import Iterator

import pytest
from django.test import Client

from tests.personas import PASSWORD, Org, build_content, build_org
from tests.shared_org import SharedBuild, wanted_build

# Semantic search off unless a test brings an embedder (search.embedding.using): the model
# would otherwise embed every post every test writes.
os.environ.setdefault("TRELLIS_EMBEDDINGS", "off")

_shared: SharedBuild | None = None


def pytest_report_header() -> str:
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of this test: keep the shared build it wants, or roll it back (see
    tests/shared_org.py). The first time, `_shared_build` below makes it."""
    if _shared is not None:
        _shared.ensure(wanted_build(item))


@pytest.fixture(scope="session")
def _shared_build(
    request: pytest.FixtureRequest,
    django_db_setup: None,
    django_db_blocker: object,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SharedBuild]:
    """Session-scoped, so it is set up before any per-test transaction (`db`) opens."""
    global _shared
    _shared = SharedBuild(django_db_blocker, tmp_path_factory.mktemp("shared-org"))
    _shared.ensure(wanted_build(request._pyfuncitem))  # type: ignore[attr-defined]
    yield _shared
    _shared.release()
    _shared = None


@pytest.fixture
def org(db: None, _shared_build: SharedBuild) -> Org:
    """The persona organisation: a copy of the shared build, or built for this test when it
    cannot share (a transactional test)."""
    if _shared_build.key is None:
        return build_org()
    return _shared_build.copy()


@pytest.fixture
def org_with_content(org: Org) -> Org:
    """The persona organisation with `build_content`'s questions and resources."""
    if org.content is None:
        build_content(org)
    return org


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
