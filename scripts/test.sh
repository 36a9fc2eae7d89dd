#!/usr/bin/env bash
# Quick start 2: set up and run every check: ruff, mypy, makemigrations --check, and pytest on
# SQLite and on PostgreSQL, with the browser tests (Debian's chromium) and schemathesis over the
# whole API. With CI=true nothing may be skipped: a missing chromium or PostgreSQL is a failure.
#
# To finish in minutes on two cores the three parts run at the same time, each into its own log
# (printed at the end, whole for a part that failed, its last lines otherwise):
#   - lint: ruff, ruff format --check, mypy (trellis and tests), lint-imports, makemigrations --check;
#   - pytest on SQLite: every test;
#   - pytest on PostgreSQL: every test except the database-independent ones (pure functions and
#     commands run as subprocesses on their own SQLite file: DB_INDEPENDENT_MODULES in
#     tests/conftest.py), which would only repeat the SQLite run. Schemathesis fuzzes in full
#     here, on the production database, and on a smaller budget on SQLite. Its module runs in a
#     process of its own after lint: schemathesis computes the full fuzz's coverage cases while
#     collecting (~18 s of a core), so every xdist worker that collected it paid that again.
# Extra arguments go to every pytest run (and keep the schemathesis module in the PostgreSQL
# run, so that an argument naming tests is not run twice). A run that collects no test fails
# (pytest's exit 5).
# TRELLIS_TEST_WORKERS_SQLITE / _POSTGRES set pytest-xdist workers per run ("0": no xdist).
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

# Byte-compiled modules kept between runs (every pytest process and subprocess imports Django
# and the app), outside the source tree; and the embedding model's ONNX files, built once.
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-$PWD/.venv/.cache/pycache}"
export TRELLIS_EMBEDDING_CACHE_DIR="${TRELLIS_EMBEDDING_CACHE_DIR:-$PWD/.venv/.cache/trellis-models}"
mkdir -p "$TRELLIS_EMBEDDING_CACHE_DIR"

pg_url="${TRELLIS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/trellis}"
pg_reachable=false
if .venv/bin/python - "$pg_url" <<'PY' 2>/dev/null
import sys, psycopg
url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
psycopg.connect(url, connect_timeout=3).close()
PY
then
  pg_reachable=true
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL at $pg_url is not reachable and CI=true: failing." >&2
  exit 1
fi

data_dir="${TRELLIS_DATA_DIR:-$(mktemp -d)}"
logs="$(mktemp -d -t trellis-test-logs.XXXXXX)"
workers() { # pytest-xdist options for N workers
  if [ "${1:-0}" = 0 ]; then echo "-p no:xdist"; else echo "-p xdist -n $1 --dist worksteal"; fi
}

lint() {
  set -e
  echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
  echo "== mypy"; .venv/bin/mypy trellis tests
  echo "== lint-imports (the layers in .importlinter)"; .venv/bin/lint-imports --no-cache
  echo "== makemigrations --check"
  DJANGO_SETTINGS_MODULE=trellis.settings TRELLIS_DATA_DIR="$(mktemp -d)" \
    .venv/bin/django-admin makemigrations --check --dry-run >/dev/null
}

schema_module=tests/test_api_schemathesis.py
apart=false # the schemathesis module on PostgreSQL in its own process (see the top)
if $pg_reachable && [ $# = 0 ]; then apart=true; fi

declare -A pids
start=$SECONDS
lint >"$logs/lint.log" 2>&1 &
pids[lint]=$!
if $apart; then
  mkdir -p "$data_dir/postgres-schema"
  # After lint (a sibling, so polled, not waited for): the two share one core's worth.
  (
    while kill -0 "${pids[lint]}" 2>/dev/null; do sleep 1; done
    DATABASE_URL="$pg_url" TRELLIS_DATA_DIR="$data_dir/postgres-schema" \
      .venv/bin/pytest -p no:xdist --durations=5 "$schema_module"
  ) >"$logs/schemathesis.log" 2>&1 &
  pids[schemathesis]=$!
fi
mkdir -p "$data_dir/sqlite" "$data_dir/postgres"
# shellcheck disable=SC2046  # the worker options are words on purpose
env -u DATABASE_URL TRELLIS_DATA_DIR="$data_dir/sqlite" \
  .venv/bin/pytest $(workers "${TRELLIS_TEST_WORKERS_SQLITE:-2}") --durations=15 "$@" >"$logs/sqlite.log" 2>&1 &
pids[sqlite]=$!
if $pg_reachable; then
  # shellcheck disable=SC2046
  ignore=()
  if $apart; then ignore=(--ignore "$schema_module"); fi
  DATABASE_URL="$pg_url" TRELLIS_DATA_DIR="$data_dir/postgres" TRELLIS_TEST_SKIP_DB_INDEPENDENT=1 \
    .venv/bin/pytest $(workers "${TRELLIS_TEST_WORKERS_POSTGRES:-2}") --durations=15 "${ignore[@]}" "$@" >"$logs/postgres.log" 2>&1 &
  pids[postgres]=$!
fi

failed=()
for part in lint sqlite postgres schemathesis; do
  [ -n "${pids[$part]:-}" ] || continue
  status=0
  wait "${pids[$part]}" || status=$?
  if [ "$status" = 0 ]; then
    echo "== $part: passed ($((SECONDS - start)) s since the start)"
    tail -n 4 "$logs/$part.log"
  else
    failed+=("$part")
    echo "== $part: FAILED (exit $status)"
    cat "$logs/$part.log"
  fi
done
echo "logs: $logs"
if ! $pg_reachable; then
  echo "SKIPPED: PostgreSQL at $pg_url is not reachable; the PostgreSQL run did not happen." >&2
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "All checks passed."
