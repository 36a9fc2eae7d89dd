"""Routing in a real browser: a member asks, the expert Trellis routes it to sees the request
and why, answers it, and the community's leader sees the routed load per person."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_org
from trellis.qa import services as qa_services

pytestmark = pytest.mark.browser

TITLE = "Helm rollback stuck after a failed upgrade"


@pytest.fixture
def org(transactional_db: None) -> Org:
    """The facilitator answered a Helm question before: the evidence routing goes by."""
    org = build_org()
    earlier = qa_services.question_ask(
        actor=org.leader, community=org.public, title="How do I roll back a Helm release?",
        body="The release is broken after an upgrade.", tags="helm",
    )  # fmt: skip
    qa_services.answer_post(
        actor=org.facilitator, question=earlier,
        body="Run `helm history`, then `helm rollback <release> <revision>`.",
    )  # fmt: skip
    return org


def test_a_question_reaches_the_expert_who_answers_and_the_leader_sees_the_load(
    browser: Browser,
    live_server: LiveServer,
    org: Org,
    screenshots: Path,
) -> None:
    base = live_server.url
    errors: list[str] = []

    # The member asks in the Kubernetes Guild.
    asker, page = open_as(browser, base, org.member.email, errors)
    page.goto(base + "/questions/ask/")
    page.get_by_label("Where").select_option(label="Kubernetes Guild")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Details").fill("Helm rollback of the release hangs; how do I roll back?")
    page.get_by_label("Tags").fill("helm")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    # The asker sees who was asked to help.
    panel = page.get_by_test_id("routing-panel")
    expect(panel).to_contain_text("Femi Facilitator")
    asker.close()

    # The facilitator hears of it, sees why they were asked, and answers.
    expert, expert_page = open_as(browser, base, org.facilitator.email, errors)
    expert_page.goto(base + "/")
    expect(expert_page.locator("#bell")).to_have_attribute("aria-label", "Notifications: 1 unread")
    expert_page.get_by_role("link", name="Questions", exact=True).click()
    expert_page.get_by_role("link", name="Questions for you").click()
    request = expert_page.get_by_test_id("routing-request").filter(has_text=TITLE)
    expect(request.get_by_test_id("routing-reason")).to_contain_text("similar question")
    expert_page.screenshot(path=screenshots / "routing-01-request.png", full_page=True)
    request.get_by_role("link", name="Answer").click()
    expect(expert_page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(expert_page.get_by_test_id("routing-panel")).to_contain_text("similar question")
    expert_page.get_by_label("Your answer").fill("`helm rollback web 2 --wait`, then watch.")
    expert_page.get_by_role("button", name="Post your answer").click()
    expect(expert_page.locator(".post", has_text="helm rollback web 2")).to_be_visible()
    expert_page.goto(base + "/me/requests/")
    expect(expert_page.get_by_test_id("routing-request").filter(has_text=TITLE)).to_contain_text(
        "You answered"
    )
    expert.close()

    # The leader opens the community's routed questions: the load per person.
    leader, leader_page = open_as(browser, base, org.leader.email, errors)
    leader_page.goto(f"{base}/c/{org.public.slug}/")
    leader_page.get_by_role("link", name="Routed questions").click()
    row = leader_page.get_by_test_id("load-row").filter(has_text="Femi Facilitator")
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text("1")  # this week
    expect(cells.nth(1)).to_have_text("3")  # the default weekly cap
    expect(cells.nth(3)).to_have_text("1")  # answered
    leader_page.screenshot(path=screenshots / "routing-02-load.png", full_page=True)
    leader.close()
    assert errors == [], errors
