#!/usr/bin/env bash
# Quick start 1: set up and run Trellis on SQLite with a generated demo organisation.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export TRELLIS_SITE_URL="${TRELLIS_SITE_URL:-http://127.0.0.1:${TRELLIS_PORT:-8000}}"
.venv/bin/trellis migrate --verbosity 0
.venv/bin/trellis demo --if-empty
cat <<MSG

  Trellis: ${TRELLIS_SITE_URL}/
  Sign in as admin@demo.trellis.local with password trellis-demo
  (every demo person uses the same password). Ctrl-C stops it.

MSG
exec .venv/bin/trellis serve --no-migrate
