"""A migrated SQLite database for the tests that run Trellis's commands as processes.

Migrating a new SQLite file takes 12 s of one core (Django renders the model state of about a
hundred migrations), and half a dozen such tests each began with one. They copy this file
instead: migrated once per set of migrations and kept between runs, like the byte-compiled
modules. `trellis migrate` on a new file is still run by this module the first time and by
tests/test_settings.py every time, and `trellis serve` still migrates (nothing left to do).
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


def migrated_sqlite(data_dir: Path) -> Path:
    """Put a migrated, empty Trellis database into `data_dir` (made the first time)."""
    template = _cache_dir() / f"migrated-{_migrations_key()}.sqlite3"
    if not template.exists():
        _build(template)
    data_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copyfile(template, data_dir / DATABASE_NAME))
