"""Each pytest worker's test database, copied from the migrated templates of tests/migrated.py
instead of migrated by the worker: 12 s of a core per worker and database otherwise.

pytest-django then sets the database up as usual with `keepdb` (Django's own path): migrate
finds nothing left to do. The copy is dropped here at the end of the session, since keepdb
leaves it.
"""

import os
import sqlite3
from collections.abc import Iterator

from django.conf import settings
from django.db import connections

from tests.migrated import copy_postgres, drop_postgres, sqlite_template


def copied_test_database(worker: str) -> Iterator[None]:
    """Make the test database from the template, yield while the session runs, then drop it."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        yield from _sqlite_in_memory(worker, database)
    else:
        yield from _postgres_copy(database)


def _sqlite_in_memory(worker: str, database: dict[str, object]) -> Iterator[None]:
    """A shared-cache in-memory database, as Django makes for SQLite tests, filled from the
    template file; this process keeps a connection open so it lives for the session."""
    uri = f"file:trellis_test_{worker}?mode=memory&cache=shared"
    keeper = sqlite3.connect(uri, uri=True)
    template = sqlite3.connect(sqlite_template())
    try:
        template.backup(keeper)
    finally:
        template.close()
    test = database.setdefault("TEST", {})
    assert isinstance(test, dict)
    test["NAME"] = uri
    try:
        yield
    finally:
        connections.close_all()
        keeper.close()


def _postgres_copy(database: dict[str, object]) -> Iterator[None]:
    server = os.environ["DATABASE_URL"]
    test = database.setdefault("TEST", {})
    assert isinstance(test, dict)
    name = str(test.get("NAME") or f"test_{database['NAME']}")  # pytest-django's, per worker
    test["NAME"] = name
    copy_postgres(server, name)
    try:
        yield
    finally:
        connections.close_all()
        drop_postgres(server, name)
