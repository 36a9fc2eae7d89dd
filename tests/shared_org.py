"""The persona organisation built once and rolled back to, like Django's `setUpTestData`.

Building it takes ~200 queries (~300 more with its content), and ~1,300 tests use it. So the
build runs inside an outer transaction that stays open while consecutive tests want the same
build; each test runs in its own savepoint inside it (pytest-django's per-test atomic nests)
and gets a deep copy of the built objects, so a test changing an instance in memory changes
nothing for the next one.

The outer transaction is rolled back before any test that does not want that build: a test
without `org` still finds an empty database, and a transactional test (`transactional_db`,
`live_server`, `django_db(transaction=True)`) never runs inside it. Those get the old
behaviour: `org` builds it for them.
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.first_contact import FirstContact, build_first_contact
from tests.personas import Org, build_content, build_org

ORG = "org"
ORG_WITH_CONTENT = "org_with_content"
FIRST_CONTACT = "first_contact"  # the default demo organisation (tests/first_contact.py)
TRANSACTIONAL_FIXTURES = {
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@contextmanager
def fast_test_settings(data_dir: Path) -> Iterator[None]:
    """What every test runs with (conftest's autouse fixture applies the same per test): cheap
    password hashing, tasks run in-process, files in a temporary folder, an empty cache."""
    from django.core.cache import cache
    from django.test import override_settings

    cache.clear()
    with override_settings(
        DATA_DIR=data_dir,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}},
    ):
        yield


def is_transactional(item: pytest.Item) -> bool:
    if TRANSACTIONAL_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return False
    from pytest_django.fixtures import validate_django_db

    transaction, reset_sequences, _, serialized_rollback, _ = validate_django_db(marker)
    return bool(transaction or reset_sequences or serialized_rollback)


def wanted_build(item: pytest.Item) -> str | None:
    """Which shared build this test runs on (None: an empty database, as without sharing)."""
    names = set(getattr(item, "fixturenames", ()))
    if is_transactional(item):
        return None
    if FIRST_CONTACT in names:
        return FIRST_CONTACT
    if ORG_WITH_CONTENT in names:
        return ORG_WITH_CONTENT
    if ORG in names:
        return ORG
    return None


class SharedBuild:
    """At most one build alive, inside an outer atomic block per database."""

    def __init__(self, blocker: Any, data_dir: Path) -> None:
        self._blocker = blocker
        self._data_dir = data_dir
        self._atomics: list[tuple[str, Any]] = []
        self.key: str | None = None
        self._org: Org | None = None
        self.first_contact: FirstContact | None = None
        self._index_batch: object = None
        self.builds = 0

    def ensure(self, key: str | None) -> None:
        if key == self.key:
            return
        self.release()
        if key is None:
            return
        from django.db import connections, transaction

        with self._blocker.unblock(), fast_test_settings(self._data_dir):
            try:
                for alias in connections:
                    atomic = transaction.atomic(using=alias)
                    # Durable blocks in tests nest in it, as in TestCase's. django-stubs do not
                    # declare Atomic's private _from_testcase.
                    atomic._from_testcase = True  # type: ignore[attr-defined]

                    atomic.__enter__()
                    self._atomics.append((alias, atomic))
                if key == FIRST_CONTACT:
                    org = None
                    self.first_contact = build_first_contact(self._data_dir)
                else:
                    org = build_org()
                    if key == ORG_WITH_CONTENT:
                        build_content(org)
            except BaseException:
                self.release()
                raise
        self.key, self._org = key, org
        self._index_batch = copy.deepcopy(_index_batch())
        self.builds += 1

    def release(self) -> None:
        """Roll the database back to empty (the state before the build)."""
        if not self._atomics:
            return
        from django.db import connections, transaction

        with self._blocker.unblock():
            for alias, atomic in reversed(self._atomics):
                if not connections[alias].in_atomic_block:
                    # The connection was closed under it (seen once, at the end of a session):
                    # its uncommitted build went with it, so there is nothing to roll back.
                    continue
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)
        self._atomics, self.key, self._org, self.first_contact = [], None, None, None

    def copy(self) -> Org:
        """A test's own copy, with the state outside the database as the build left it."""
        assert self._org is not None
        _set_index_batch(copy.deepcopy(self._index_batch))
        return copy.deepcopy(self._org)


def _index_batch() -> object:
    """What the build queued for indexing on commit: search keeps it per thread, not in the
    database, and a test's first flush takes it (as it did when every test built the org)."""
    from trellis.search import services

    return getattr(services._pending, "batch", None)


def _set_index_batch(batch: object) -> None:
    from trellis.search import services

    services._pending.batch = batch
