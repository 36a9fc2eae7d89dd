"""Ask the Expert in a real browser: ask, answer, accept, hear about it, promote to a guide."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_membership_journey import sign_in
from tests.personas import Org, build_org

pytestmark = pytest.mark.browser

TITLE = "How do we roll back a failed Helm upgrade?"


@pytest.fixture
def org(transactional_db: None) -> Org:
    return build_org()


def open_as(
    browser: Browser,
    base: str,
    email: str,
    errors: list[str],
    viewport: ViewportSize | None = None,
) -> tuple[BrowserContext, Page]:
    """A signed-in page in a context of its own, collecting console errors, failed responses
    and page errors (CSP violations included) into `errors`."""
    context = browser.new_context(viewport=viewport) if viewport else browser.new_context()
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, base, email)
    return context, page


def test_ask_answer_accept_and_promote_to_a_guide(
    browser: Browser,
    live_server: LiveServer,
    org: Org,
    screenshots: Path,
) -> None:
    base = live_server.url
    errors: list[str] = []

    # The member asks in the Kubernetes Guild.
    asker, page = open_as(browser, base, org.member.email, errors)
    page.get_by_role("link", name="Questions").click()
    page.get_by_role("link", name="Ask a question").click()
    page.get_by_label("Where").select_option(label="Kubernetes Guild")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Details").fill(
        "The upgrade failed halfway.\n\n```bash\nhelm history web\n```"
    )
    page.get_by_label("Tags").fill("helm kubernetes")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("pre code.language-bash")).to_have_text("helm history web")
    question_url = page.url
    page.screenshot(path=screenshots / "qa-01-asked.png", full_page=True)

    # The facilitator finds it in the unanswered queue and answers.
    helper, helper_page = open_as(browser, base, org.facilitator.email, errors)
    helper_page.goto(f"{base}/c/{org.public.slug}/questions/?sort=unanswered")
    helper_page.get_by_role("link", name=TITLE).click()
    helper_page.get_by_label("Your answer").fill("Run `helm rollback web 3`, then check the pods.")
    helper_page.get_by_role("button", name="Post your answer").click()
    expect(helper_page.locator(".post", has_text="helm rollback web 3")).to_be_visible()
    helper.close()

    # The asker sees the bell, opens the notification, and accepts the answer.
    page.goto(base + "/")
    bell = page.locator("#bell")
    expect(bell).to_have_attribute("aria-label", "Notifications: 1 unread")
    bell.click()
    item = page.locator(".notification", has_text="Femi Facilitator answered your question")
    expect(item).to_contain_text(TITLE)
    page.screenshot(path=screenshots / "qa-02-notification.png", full_page=True)
    item.get_by_role("button").click()
    expect(page).to_have_url(re.compile(re.escape(question_url) + r"#answer-\d+"))
    expect(page.locator("#bell")).to_have_attribute("aria-label", "Notifications")
    page.get_by_role("button", name="Accept this answer").click()
    expect(page.locator(".post--accepted")).to_contain_text("helm rollback web 3")
    expect(page.get_by_text("✓ Accepted answer")).to_be_visible()
    page.screenshot(path=screenshots / "qa-03-accepted.png", full_page=True)
    asker.close()

    # The leader up-votes (in place, through htmx) and promotes the thread to a guide.
    leader, leader_page = open_as(browser, base, org.leader.email, errors)
    leader_page.goto(question_url)
    leader_page.evaluate("window.__sameDocument = true")
    accepted = leader_page.locator(".post--accepted")
    accepted.get_by_role("button", name="Up-vote: this is useful").click()
    expect(accepted.locator(".vote__score")).to_have_text("1")
    assert leader_page.evaluate("window.__sameDocument") is True
    leader_page.get_by_role("link", name="Promote to a guide").click()
    leader_page.get_by_role("button", name="Create the guide").click()
    expect(leader_page.get_by_role("heading", level=1)).to_have_text(TITLE)
    credits = leader_page.locator(".attribution")
    expect(credits).to_contain_text("Mo Member asked")
    expect(credits).to_contain_text("Femi Facilitator answered")
    expect(credits.get_by_role("link", name=f"“{TITLE}”")).to_have_attribute(
        "href", re.compile(r"/questions/\d+/$")
    )
    expect(leader_page.locator(".prose")).to_contain_text("helm rollback web 3")
    leader_page.screenshot(path=screenshots / "qa-04-guide.png", full_page=True)
    leader.close()
    assert errors == [], errors
