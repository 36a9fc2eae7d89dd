import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from pytest_django import Settings

from tests.personas import PASSWORD, Org, build_content, build_org
from tests.shared_org import TRANSACTIONAL_FIXTURES, SharedBuild, wanted_build
from tests.typing_helpers import ClientFor
from tests.worker_databases import copied_test_database
from trellis.people.models import Person

# Semantic search off unless a test brings an embedder (search.embeddings.using): the model
# would otherwise embed every post every test writes. The environment carries the choice to the
# commands tests run as subprocesses; this process read its settings before this file (pytest-
# django sets Django up first), so it takes the choice from here.
os.environ.setdefault("TRELLIS_EMBEDDINGS", "off")
settings.TRELLIS_EMBEDDINGS = os.environ["TRELLIS_EMBEDDINGS"]

_shared: SharedBuild | None = None

# Modules that never touch the database under test, so scripts/test.sh runs them once (in the
# SQLite run) and the PostgreSQL run deselects them (TRELLIS_TEST_SKIP_DB_INDEPENDENT=1): pure
# functions (text, the import readers and their safety limits, embeddings, templates read as
# files, the supervisor with fake processes), and the commands run as subprocesses that drop
# DATABASE_URL, so they run on a SQLite file of their own whichever database the run is on.
# A test in one of them that asks for a database fixture fails the collection.
DB_INDEPENDENT_MODULES = {
    "tests/test_text.py",
    "tests/imports/test_safety.py",
    "tests/imports/test_shared_data.py",
    "tests/imports/test_slack_reader.py",
    "tests/imports/test_stackexchange_reader.py",
    "tests/imports/test_zulip_reader.py",
    "tests/test_embeddings.py",
    "tests/test_template_policy.py",
    "tests/test_supervisor.py",
    "tests/test_cli.py",
    "tests/test_access_log.py",
    "tests/test_settings.py",
    "tests/test_facilitation_rotation.py",
    "tests/test_insights_scores.py",
    "tests/test_bench_participation_ceiling.py",
    "tests/test_radar_signals.py",
    "tests/test_radar_replay.py",
    "tests/test_radar_discovery.py",
}
# Modules (or single tests, by node id) that use the database but test something no database
# changes, so they run on one of the two: the other run deselects them. Each says which and why.
ONE_DATABASE_MODULES = {
    # Escaping is the templates' and the sanitiser's job: the text reaches them unchanged from
    # either database (the round trips of tests/test_text.py and the API tests run on both).
    "tests/test_xss_pages.py": "sqlite",
    # The demo's written knowledge and what Trellis infers from it (topics, "who knows"): the
    # inference reads the same rows from either database, and its queries are tested on both
    # by the expertise and search tests.
    "tests/test_first_contact.py": "sqlite",
    # The demo's histories raise the pitfalls they were written to (the radar's reads and
    # services are tested on both databases by test_radar_reads and test_radar_services).
    "tests/test_radar_demo.py": "sqlite",
    # A real browser on the pages: their views' reads and writes are tested on both databases
    # by the view tests; here it is the pages' behaviour, on the production database.
    "tests/browser/": "postgresql",
    # A calendar client's parser reads the .ics bytes: the same from either database (the
    # feeds' privacy is tested on both by the events tests and the permission matrix).
    "tests/test_calendar_client.py": "sqlite",
    # That a seed makes the same organisation twice and another seed a different one is the
    # generator's determinism (its plan is pure: test_plan_is_pure_and_seeded); the demo's
    # writes on each database are tested on both by the default demo's test.
    "tests/test_demo.py::test_same_seed_gives_the_same_organisation": "sqlite",
}
DATABASE_FIXTURES = TRANSACTIONAL_FIXTURES | {"db", "org", "org_with_content", "_django_db_helper"}


def _other_database(nodeid: str) -> bool:
    """Whether this test runs on the other database only (ONE_DATABASE_MODULES)."""
    engine = settings.DATABASES["default"]["ENGINE"]
    vendor = "postgresql" if "postgresql" in engine else "sqlite"
    return any(
        nodeid.startswith(module) and runs_on != vendor
        for module, runs_on in ONE_DATABASE_MODULES.items()
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    elsewhere = [item for item in items if _other_database(item.nodeid)]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if not _other_database(item.nodeid)]
    once, kept = [], []
    for item in items:
        if item.nodeid.split("::")[0] not in DB_INDEPENDENT_MODULES:
            kept.append(item)
            continue
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker(
            "django_db"
        ):
            raise pytest.UsageError(
                f"{item.nodeid} uses the database: take its module out of DB_INDEPENDENT_MODULES"
            )
        item.add_marker(pytest.mark.db_independent)
        once.append(item)
    if os.environ.get("TRELLIS_TEST_SKIP_DB_INDEPENDENT") == "1" and once:
        config.hook.pytest_deselected(items=once)
        items[:] = kept


def pytest_report_header() -> str:
    from django.conf import settings

    return f"database: {settings.DATABASES['default']['ENGINE']}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, request: pytest.FixtureRequest
) -> Iterator[None]:
    """The test database, copied from a migrated template (tests/worker_databases.py)."""
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    yield from copied_test_database(worker)


@pytest.fixture(scope="session")
def django_db_keepdb() -> bool:
    """Django keeps the copy above as the test database (migrate has nothing left to do);
    `django_db_modify_db_settings` drops it at the end."""
    return True


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
    _shared.ensure(wanted_build(request._pyfuncitem))
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
def client_for(client: Client) -> ClientFor:
    """A logged-in test client for a persona."""

    def login(person: Person) -> Client:
        new = Client()
        assert new.login(email=person.email, password=PASSWORD)
        return new

    return login


@pytest.fixture(autouse=True)
def _fast_and_immediate(settings: Settings, tmp_path: Path) -> None:
    """Cheap password hashing, tasks run in-process (the worker has its own test), files
    (import uploads) go to a temporary folder, and static files are looked up when asked for.

    WhiteNoise otherwise reads every static file each time a handler is built, and every test
    client builds one: 30 ms a client, a quarter of a permission-matrix test. `trellis serve`
    (tests/test_cli.py, tests/test_access_log.py) still runs the production path."""
    settings.DATA_DIR = tmp_path
    settings.WHITENOISE_AUTOREFRESH = True
    from django.core.cache import cache

    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


IN_CI = os.environ.get("CI", "").lower() == "true"
