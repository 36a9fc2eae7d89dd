"""A newcomer's first week, in a real browser: home points to mentoring, the Mentors page
suggests colleagues with reasons about them, the newcomer asks one, and the mentor, signed in,
reads why about the newcomer and accepts."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_membership_journey import sign_in
from tests.personas import Org, build_content, build_org
from trellis.mentoring.models import Mentorship, MentorshipStatus
from trellis.people.models import Person

pytestmark = pytest.mark.browser


@pytest.fixture
def org(transactional_db: None) -> Org:
    """The personas with their content; the newcomer started ten days ago and wants helm."""
    built = build_org()
    build_content(built)
    Person.objects.filter(pk=built.newcomer.pk).update(
        start_date=timezone.localdate() - timedelta(days=10),
        title="Platform engineer",
        interests=["helm"],
    )
    return built


def test_a_newcomer_finds_a_mentor_who_accepts(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    base = live_server.url
    errors: list[str] = []

    def watch(page: Page) -> None:
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None
        )

    newcomer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    watch(newcomer)
    sign_in(newcomer, base, org.newcomer.email)
    pointer = newcomer.get_by_test_id("newcomer-mentoring")
    expect(pointer).to_contain_text("Find a mentor")
    newcomer.screenshot(path=screenshots / "newcomer-01-home.png", full_page=True)

    newcomer.get_by_role("link", name="Mentors").click()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Find a mentor")
    leader = newcomer.locator(".expert", has_text=org.leader.name)
    # Reasons about the mentor, addressed to the newcomer.
    expect(leader.locator(".reasons")).to_contain_text("knows helm")
    expect(leader.locator(".reasons")).to_contain_text("a department you are not in yet")
    newcomer.screenshot(path=screenshots / "newcomer-02-suggestions.png", full_page=True)

    leader.get_by_label("A few words for Lena (optional)").fill(
        "Could you show me our helm charts?"
    )
    leader.get_by_role("button", name="Ask Lena to mentor me").click()
    expect(newcomer.get_by_text("Asked Lena Leader")).to_be_visible()
    expect(newcomer.get_by_text("Lena Leader mentors you")).to_be_visible()
    newcomer.screenshot(path=screenshots / "newcomer-03-asked.png", full_page=True)

    mentor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    watch(mentor)
    sign_in(mentor, base, org.leader.email)
    mentor.goto(base + "/me/mentorships/")
    card = mentor.locator(".card", has_text="You mentor Nia Newcomer")
    # Reasons about the newcomer, addressed to the mentor.
    expect(card.locator(".reasons")).to_contain_text("Nia joined Design")
    expect(card.locator(".reasons")).to_contain_text("is interested in helm")
    expect(card.locator(".reasons")).to_contain_text("you own 1 guide on helm")
    expect(card).not_to_contain_text("a department you are not in yet")
    expect(card).to_contain_text("Could you show me our helm charts?")
    mentor.screenshot(path=screenshots / "newcomer-04-mentor-reads.png", full_page=True)

    card.get_by_role("button", name="Accept").click()
    expect(mentor.get_by_text("Accepted: the mentorship is active.")).to_be_visible()
    mentor.screenshot(path=screenshots / "newcomer-05-accepted.png", full_page=True)
    assert Mentorship.objects.get(mentee=org.newcomer).status == MentorshipStatus.ACCEPTED
    assert errors == []
