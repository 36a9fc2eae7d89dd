"""A member's first visit, in a real browser: sign in, find, join, request, get approved."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.personas import PASSWORD, Org, build_org

pytestmark = pytest.mark.browser


@pytest.fixture
def org(transactional_db: None) -> Org:
    return build_org()


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(base + "/login/?next=/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def test_join_a_community_and_request_the_private_one(
    browser: Browser,
    live_server: LiveServer,
    org: Org,
    screenshots: Path,
) -> None:
    base = live_server.url
    errors: list[str] = []
    member = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    page = member.new_page()
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "404 (Not Found)" not in m.text else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and f"/c/{org.private.slug}/" not in r.url
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))

    sign_in(page, base, org.outsider.email)
    expect(page.get_by_text("You haven't joined a community yet")).to_be_visible()
    page.screenshot(path=screenshots / "01-home-empty.png", full_page=True)

    # Find the community in the directory (search as you type, through htmx).
    page.get_by_role("link", name="Communities").click()
    page.get_by_label("Search").fill("containers")
    card = page.locator(".card", has_text="Kubernetes Guild")
    expect(card).to_be_visible()
    expect(page.locator(".card")).to_have_count(1)
    expect(page.get_by_text("Security Council")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=containers"))  # shareable search address
    page.screenshot(path=screenshots / "02-directory-search.png", full_page=True)

    # Join without a page reload.
    card.get_by_role("link", name="Kubernetes Guild").click()
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Join Kubernetes Guild").click()
    expect(page.get_by_text("You are a member")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=screenshots / "03-joined.png", full_page=True)

    # It is on the home page now.
    page.get_by_role("link", name="Home").click()
    expect(page.locator("#mine-h + .grid .card", has_text="Kubernetes Guild")).to_be_visible()

    # The private community, from a link a colleague shared: nothing of it shows, but one can ask.
    page.goto(f"{base}/c/{org.private.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This community is private or doesn't exist"
    )
    expect(page.get_by_text("Security Council")).to_have_count(0)
    page.get_by_label("Message to the leaders").fill("I run incident drills in Design.")
    page.get_by_role("button", name="Request to join").click()
    expect(page.get_by_text("Request sent.")).to_be_visible()
    page.screenshot(path=screenshots / "04-request-sent.png", full_page=True)

    # The leader approves, in another browser.
    leader = browser.new_context()
    leader_page = leader.new_page()
    sign_in(leader_page, base, org.leader.email)
    leader_page.goto(f"{base}/c/{org.private.slug}/settings/")
    request = leader_page.locator("li", has_text="Otto Outsider")
    expect(request).to_contain_text("I run incident drills in Design.")
    leader_page.screenshot(path=screenshots / "05-leader-sees-request.png", full_page=True)
    request.get_by_role("button", name="Approve").click()
    expect(request).to_contain_text("Approved")
    leader.close()

    # The requester now sees the private community, and is in it.
    page.goto(f"{base}/c/{org.private.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security Council")
    expect(page.get_by_text("You are a member")).to_be_visible()
    page.screenshot(path=screenshots / "06-private-joined.png", full_page=True)
    page.keyboard.press("Tab")  # keyboard users land on the skip link first
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    member.close()
    assert errors == [], errors  # no console errors, no CSP violations
