"""A value story in a real browser: a member accepts the answer to their question and says,
in the prompt that appears, what it helped them do; a leader features it for the sponsor."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_content, build_org
from trellis.stories.models import Story

pytestmark = pytest.mark.browser


@pytest.fixture
def org(transactional_db: None) -> Org:
    made = build_org()
    build_content(made)
    return made


def test_a_member_tells_a_story_and_a_leader_features_it(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    base = live_server.url
    errors: list[str] = []
    question = org.c.public_question

    # The member accepts the answer that solved their question: the prompt appears below it.
    _, member = open_as(browser, base, org.member.email, errors, {"width": 1280, "height": 900})
    member.goto(f"{base}/questions/{question.pk}/")
    member.get_by_role("button", name="Accept this answer").click()
    prompt = member.get_by_test_id("story-prompt")
    expect(prompt).to_contain_text("What did this help you do?")
    member.screenshot(path=screenshots / "stories-01-prompt-after-accepting.png", full_page=True)

    # An absurd estimate is named, in place, and nothing is saved.
    prompt.get_by_label("I changed how I work").check()
    prompt.get_by_label("In a sentence or two (optional)").fill(
        "Rolled back the failed upgrade before the standup instead of rebuilding the cluster."
    )
    prompt.locator("summary", has_text="Add an estimate").click()
    prompt.get_by_label("Hours saved").fill("20000")
    prompt.get_by_role("button", name="Tell the story").click()
    prompt = member.get_by_test_id("story-prompt")
    expect(prompt).to_contain_text("At most 2,000 hours for one story")
    assert not Story.objects.exists()
    member.screenshot(path=screenshots / "stories-02-absurd-estimate.png", full_page=True)

    prompt.get_by_label("Hours saved").fill("6")
    prompt.get_by_label("Everyone who can see the community").check()
    prompt.get_by_role("button", name="Tell the story").click()
    expect(member.get_by_test_id("story-told")).to_contain_text("Thank you: your story is told")
    member.screenshot(path=screenshots / "stories-03-story-told.png", full_page=True)
    story = Story.objects.get()
    assert story.hours_saved == 6 and story.cycle == "applied"

    # The leader features it on the community's stories page.
    _, leader = open_as(browser, base, org.leader.email, errors, {"width": 1280, "height": 900})
    leader.goto(f"{base}/c/{org.public.slug}/stories/")
    row = leader.get_by_test_id("story-row")
    expect(row).to_contain_text("Rolled back the failed upgrade")
    expect(row.get_by_test_id("estimate")).to_contain_text("saved about 6 hours")
    row.get_by_role("button", name="Feature").click()
    expect(leader.get_by_test_id("story-row")).to_contain_text("Featured")
    leader.screenshot(path=screenshots / "stories-04-leader-features.png", full_page=True)
    story.refresh_from_db()
    assert story.featured_at is not None

    assert not errors, "\n".join(errors)
