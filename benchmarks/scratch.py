"""What the benchmarks share: scratch databases, children that run on them, percentiles.

Settings read DATABASE_URL at import, so each database is measured in a child process of
its own: the parent makes a scratch database (a temporary SQLite file, or a PostgreSQL
database created for the run and dropped after), runs the child with the right environment,
and reads the child's last JSON line.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=100, method="inclusive")
    return {
        "p50_ms": round(statistics.median(samples_ms), 2),
        "p95_ms": round(cuts[94], 2),
        "max_ms": round(max(samples_ms), 2),
    }


class ScratchError(RuntimeError):
    pass


@contextmanager
def scratch_environment(
    database: str, label: str, postgres_url: str = DEFAULT_POSTGRES
) -> Iterator[dict[str, str]]:
    """The environment of a child that works on a fresh, empty database of this kind."""
    with tempfile.TemporaryDirectory(prefix="trellis-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["TRELLIS_DATA_DIR"] = tmp
        if database == "sqlite":
            env["TRELLIS_SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
            yield env
            return
        import psycopg

        parts = urlsplit(postgres_url)
        admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
        name = f"trellis_bench_{label}_{os.getpid()}"
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as error:
            message = f"cannot create a scratch database at {admin_url}: {error}"
            raise ScratchError(message) from error
        try:
            env["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
            yield env
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_json_child(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run a child and return its last JSON line (or what went wrong)."""
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"child exited {proc.returncode}", "stderr": proc.stderr[-3000:]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def in_scratch_database(
    database: str, label: str, command: list[str], postgres_url: str = DEFAULT_POSTGRES
) -> dict[str, Any]:
    try:
        with scratch_environment(database, label, postgres_url) as env:
            return run_json_child(command, env)
    except ScratchError as error:
        return {"error": str(error)}


def setup_django_child() -> str:
    """In a child: Django set up on the scratch database, migrated; returns the server name."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"
