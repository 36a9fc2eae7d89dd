"""An org admin deactivates a community leader, in a real browser: choose who takes over,
confirm, and see the community led by the successor and the person marked as deactivated."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_membership_journey import sign_in
from tests.personas import Org, build_org

pytestmark = pytest.mark.browser


@pytest.fixture
def org(transactional_db: None) -> Org:
    return build_org()


def test_deactivate_a_leader_and_hand_over_their_community(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    base = live_server.url
    errors: list[str] = []
    # The leader is signed in elsewhere: that session must stop working.
    leaders_context = browser.new_context()
    leaders_page = leaders_context.new_page()
    sign_in(leaders_page, base, org.leader.email)

    context = browser.new_context()
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, base, org.admin.email)

    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    page.screenshot(path=screenshots / "admin-01-people.png", full_page=True)

    page.get_by_role("link", name="Deactivate Lena Leader").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deactivate Lena Leader")
    expect(page.get_by_role("heading", name="Kubernetes Guild")).to_be_visible()
    expect(page.get_by_role("heading", name="Security Council")).to_be_visible()
    kubernetes = page.get_by_label("Who leads Kubernetes Guild next?")
    expect(kubernetes.locator("option:checked")).to_contain_text("Femi Facilitator")
    kubernetes.select_option(label="Mo Member (Member)")  # the admin picks someone else
    page.screenshot(path=screenshots / "admin-02-choose-successors.png", full_page=True)

    page.get_by_role("button", name="Deactivate Lena Leader").click()
    expect(page.get_by_text("Mo Member now leads Kubernetes Guild.")).to_be_visible()
    expect(page.get_by_text("Femi Facilitator now leads Security Council.")).to_be_visible()
    row = page.locator("tr", has_text="Lena Leader")
    expect(row.locator(".badge")).to_have_text("Deactivated")
    expect(row.get_by_role("link", name="Reactivate Lena Leader")).to_be_visible()
    page.screenshot(path=screenshots / "admin-03-deactivated.png", full_page=True)

    page.goto(f"{base}/c/{org.public.slug}/")
    members = page.locator("#members li.person")
    expect(members.filter(has_text="Mo Member").locator(".badge")).to_have_text("Leader")
    expect(members.filter(has_text="Lena Leader")).to_have_count(0)  # no longer a member
    page.screenshot(path=screenshots / "admin-04-community-new-leader.png", full_page=True)

    page.goto(f"{base}/people/{org.leader.pk}/")  # where her posts still link
    expect(page.get_by_role("heading", level=1)).to_have_text("Lena Leader (former member)")
    expect(page.get_by_test_id("former-member")).to_contain_text("no longer has an account here")
    page.screenshot(path=screenshots / "admin-05-former-member-profile.png", full_page=True)

    # The leader's open session is refused at their next request.
    leaders_page.reload()
    expect(leaders_page).to_have_url(base + "/login/?next=/")
    leaders_context.close()
    context.close()
    assert errors == [], errors
