#!/usr/bin/env bash
# Quick start 2: set up and run every check: ruff, mypy, pytest on SQLite, then on PostgreSQL,
# with the browser tests (Debian's chromium) and schemathesis over the whole API.
# With CI=true nothing may be skipped: a missing chromium or PostgreSQL is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null \
      || echo "Could not install chromium; browser tests will skip (or fail under CI=true)." >&2
  fi
fi

echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy trellis
echo "== makemigrations --check"; DJANGO_SETTINGS_MODULE=trellis.settings TRELLIS_DATA_DIR="$(mktemp -d)" .venv/bin/django-admin makemigrations --check --dry-run >/dev/null

export TRELLIS_DATA_DIR="${TRELLIS_DATA_DIR:-$(mktemp -d)}"
echo "== pytest on SQLite"
env -u DATABASE_URL .venv/bin/pytest "$@"

pg_url="${TRELLIS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/trellis}"
if .venv/bin/python - "$pg_url" <<'PY' 2>/dev/null
import sys, psycopg
url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
psycopg.connect(url, connect_timeout=3).close()
PY
then
  echo "== pytest on PostgreSQL ($pg_url)"
  DATABASE_URL="$pg_url" .venv/bin/pytest "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL at $pg_url is not reachable and CI=true: failing." >&2
  exit 1
else
  echo "SKIPPED: PostgreSQL at $pg_url is not reachable; the PostgreSQL run did not happen." >&2
fi
echo "All checks passed."
