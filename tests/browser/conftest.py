"""Playwright driving Debian's chromium against a live server.

Locally the browser tests skip with a message when chromium is missing; with CI=true they fail.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("TRELLIS_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make for
# setup happen outside any request and are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f"chromium not found at {CHROMIUM}: apt-get install chromium"
        if IN_CI:
            pytest.fail(message + " (CI=true: browser tests may not skip)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _no_page_outlives_its_test(browser: Any) -> Iterator[None]:
    """Close every page a test left open. An open page keeps polling the bell, and the live
    server (one per session) would answer it during a later test of the same worker, one
    that may not touch the database: it then fails for another test's page."""
    yield
    for context in list(browser.contexts):
        context.close()


@pytest.fixture(scope="session", autouse=True)
def _collected_static() -> None:
    """The live server serves STATIC_ROOT, as a deployment does after collectstatic."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(
        os.environ.get("TRELLIS_SCREENSHOTS") or tempfile.mkdtemp(prefix="trellis-shots-")
    )
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder
