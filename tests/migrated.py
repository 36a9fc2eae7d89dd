"""Migrated, empty databases to copy: a SQLite file and a PostgreSQL template database.

Migrating a new database takes 12 s of one core (Django renders the model state of about a
hundred migrations), and every pytest worker's test database, the fault tests' sites and half
a dozen command tests each began with one. They copy these instead: migrated once per set of
migrations (the key below), the SQLite file kept between runs like the byte-compiled modules,
the PostgreSQL template kept on the server. `trellis migrate` on a new database is run here the
first time for each (so on every change of the migrations, and on every clean checkout: every CI
run), and whoever copies still runs migrate, with nothing left to do.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import django
import psycopg
from psycopg import sql

REPOSITORY = Path(__file__).resolve().parent.parent
DATABASE_NAME = "trellis.sqlite3"  # TRELLIS_DATA_DIR/trellis.sqlite3, as settings.py names it


def _migrations_key() -> str:
    digest = hashlib.sha256(django.__version__.encode())
    digest.update((REPOSITORY / "constraints.txt").read_bytes())  # third-party apps' versions
    for path in sorted((REPOSITORY / "trellis").glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(REPOSITORY)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_dir() -> Path:
    chosen = os.environ.get("TRELLIS_TEST_CACHE_DIR")
    folder = Path(chosen) if chosen else REPOSITORY / ".venv" / ".cache" / "trellis-tests"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _build(target: Path) -> None:
    """Migrate a new data folder, then write its database as one file (no WAL beside it);
    the rename makes it appear whole to a concurrent worker."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(TRELLIS_DATA_DIR=scratch, DJANGO_SETTINGS_MODULE="trellis.settings")
        subprocess.run([sys.executable, "-m", "trellis.cli", "migrate", "-v0"], env=env, check=True)
        partial = target.with_suffix(f".{os.getpid()}.partial")
        partial.unlink(missing_ok=True)
        source = sqlite3.connect(Path(scratch) / DATABASE_NAME)
        try:
            source.execute("VACUUM INTO ?", (str(partial),))
        finally:
            source.close()
        os.replace(partial, target)


def sqlite_template() -> Path:
    """The migrated, empty SQLite file (made the first time)."""
    template = _cache_dir() / f"migrated-{_migrations_key()}.sqlite3"
    if not template.exists():
        _build(template)
    return template


def migrated_sqlite(data_dir: Path) -> Path:
    """Put a migrated, empty Trellis database into `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(sqlite_template(), data_dir / DATABASE_NAME))


# PostgreSQL ---------------------------------------------------------------------------------

TEMPLATE_PREFIX = "trellis_migrated_"
_TEMPLATE_LOCK = 7_301_017  # pg_advisory_lock key: one process builds, the others wait


def _admin(server_url: str) -> psycopg.Connection[tuple[object, ...]]:
    from tests.fault_tools import with_database

    return psycopg.connect(
        with_database(server_url, "postgres"), autocommit=True, connect_timeout=5
    )


def migrated_postgres(server_url: str) -> str:
    """The name of a migrated, empty database on this server to copy with
    CREATE DATABASE ... TEMPLATE (made the first time; concurrent callers wait for it)."""
    from tests.fault_tools import with_database

    name = f"{TEMPLATE_PREFIX}{_migrations_key()}"
    with _admin(server_url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_TEMPLATE_LOCK,))
        try:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return name
            scratch = f"{name}_partial"  # left by a run that stopped half-way: start again
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
            with tempfile.TemporaryDirectory() as data:
                env = {**os.environ, "TRELLIS_DATA_DIR": data}
                env.update(
                    DATABASE_URL=with_database(server_url, scratch),
                    DJANGO_SETTINGS_MODULE="trellis.settings",
                )
                subprocess.run(
                    [sys.executable, "-m", "trellis.cli", "migrate", "-v0"], env=env, check=True
                )
            # The rename makes it appear whole, under its final name, to the next caller.
            conn.execute(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(scratch), sql.Identifier(name)
                )
            )
            return name
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_TEMPLATE_LOCK,))


def copy_postgres(server_url: str, name: str) -> None:
    """(Re)create database `name` as a copy of the migrated template."""
    template = migrated_postgres(server_url)
    with _admin(server_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )


def drop_postgres(server_url: str, name: str) -> None:
    with _admin(server_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
