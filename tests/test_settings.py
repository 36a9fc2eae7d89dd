"""Settings as an operator meets them: each checked in a fresh process, as it starts."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from tests.migrated import sqlite_template

TRELLIS = [sys.executable, "-m", "trellis.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "TRELLIS_SECRET_KEY", "TRELLIS_DEBUG"}
    }
    env.update(TRELLIS_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="trellis.settings")
    env.update(extra)
    return env


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


# Eight threads each read, then write, in one transaction: the shape of posting an answer.
# A deferred transaction that upgrades to a writer while another writes fails at once with
# "database is locked" (SQLite does not wait then); an immediate one queues for the lock.
CONCURRENT_WRITES = """
import threading, time, django
django.setup()
from django.db import connection, transaction
from trellis.core.models import ScheduledJob
errors = []
def post(n):
    try:
        with transaction.atomic():
            ScheduledJob.objects.count()
            time.sleep(0.05)
            ScheduledJob.objects.create(name=f"job-{n}")
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()
threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
with connection.cursor() as cursor:
    mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
print(json.dumps({"errors": errors, "rows": ScheduledJob.objects.count(), "journal": mode,
                  "options": connection.settings_dict["OPTIONS"]}))
""".replace("import threading", "import json, threading")


def test_a_sqlite_database_url_keeps_wal_immediate_transactions_and_the_busy_timeout(
    tmp_path: Path,
) -> None:
    database = tmp_path / "from-url.sqlite3"
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{database}")
    shutil.copyfile(sqlite_template(), database)  # migrated once (tests/migrated.py)
    subprocess.run([*TRELLIS, "migrate", "-v0"], env=env, check=True)  # nothing left to do
    done = _python(CONCURRENT_WRITES, env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["errors"] == []
    assert result["rows"] == 8
    assert result["journal"] == "wal"
    assert result["options"]["transaction_mode"] == "IMMEDIATE"
    assert result["options"]["timeout"] >= 20


def test_the_web_server_refuses_the_placeholder_key_and_the_demo_writes_a_key_of_its_own(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    refused = _python("import trellis.wsgi", env)
    assert refused.returncode != 0
    assert "TRELLIS_SECRET_KEY" in refused.stderr

    assert _python("import trellis.wsgi", {**env, "TRELLIS_DEBUG": "true"}).returncode == 0
    assert _python("import trellis.wsgi", {**env, "TRELLIS_SECRET_KEY": "k" * 60}).returncode == 0

    wrote = subprocess.run(
        [*TRELLIS, "secret-key"], env=env, capture_output=True, text=True, check=True
    )
    key_file = tmp_path / "secret_key"
    assert "Wrote a new secret key" in wrote.stdout
    key = key_file.read_text().strip()
    assert len(key) >= 60
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    subprocess.run([*TRELLIS, "secret-key"], env=env, check=True, capture_output=True)
    assert key_file.read_text().strip() == key  # never overwritten

    started = _python(
        "import trellis.wsgi; from django.conf import settings; print(settings.SECRET_KEY)", env
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == key


def test_secure_cookies_bring_hsts_the_https_redirect_and_a_named_proxy_header(
    tmp_path: Path,
) -> None:
    show = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE, 'testserver' in s.ALLOWED_HOSTS]))"
    )
    plain = _python(show, _env(tmp_path))
    assert json.loads(plain.stdout) == [0, False, None, False, False]
    secure = _python(
        show,
        _env(tmp_path, TRELLIS_SECURE_COOKIES="true", TRELLIS_PROXY_SSL_HEADER="X-Forwarded-Proto"),
    )
    assert json.loads(secure.stdout) == [
        31536000,
        True,
        ["HTTP_X_FORWARDED_PROTO", "https"],
        True,
        False,
    ]
