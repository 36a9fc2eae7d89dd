"""Learned topics in a real browser: a member sees what a colleague knows beyond tags on their
profile, follows the topic to "who knows", and an outsider never sees a private community's
topic."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_org
from tests.test_learned_topics import SUBJECTS, VAULT, _questions
from tests.test_search import WordHashEmbedder
from trellis.expertise.models import LearnedTopic
from trellis.expertise.services import topics
from trellis.search import embeddings

pytestmark = pytest.mark.browser


@pytest.fixture
def org(transactional_db: None) -> Org:
    """Lena Leader answered the pandas questions, and the private community's vault ones."""
    org = build_org()
    _questions(org, SUBJECTS["helm"], 10, "public", org.facilitator)
    _questions(org, SUBJECTS["pandas"], 12, "public", org.leader)
    _questions(org, VAULT, 22, "private", org.leader)
    with embeddings.using(WordHashEmbedder()):
        embeddings.embed_pending()
        topics.topics_learn()
    return org


def test_a_profile_shows_learned_topics_and_keeps_private_ones_inside(
    browser: Browser,
    live_server: LiveServer,
    org: Org,
    screenshots: Path,
) -> None:
    base = live_server.url
    errors: list[str] = []
    private_labels = list(
        LearnedTopic.objects.filter(community=org.private).values_list("label", flat=True)
    )
    assert private_labels

    # A member of both communities sees Lena's learned topics, the private ones included.
    member, page = open_as(browser, base, org.member.email, errors)
    page.goto(f"{base}/people/{org.leader.pk}/")
    learned = page.get_by_test_id("learned-topics")
    expect(learned).to_contain_text("answers")
    expect(page.locator("body")).not_to_contain_text("No answers, guides or endorsements yet")
    expect(learned).to_contain_text(re.compile("|".join(map(re.escape, private_labels))))
    pandas = (
        learned.locator("a")
        .filter(has_text="pandas")
        .or_(learned.locator("a").filter(has_text="dataframe"))
    )
    page.screenshot(path=screenshots / "expertise-01-learned-topics.png", full_page=True)
    # Following a topic asks "who knows" about its words; Lena comes first, with the topic.
    pandas.first.click()
    first = page.locator(".expert").first
    expect(first).to_contain_text("Lena Leader")
    expect(first.locator(".reasons")).to_contain_text("on questions about")
    member.close()

    # The outsider sees her public topics, never the private community's or its words.
    outsider, outside_page = open_as(browser, base, org.outsider.email, errors)
    outside_page.goto(f"{base}/people/{org.leader.pk}/")
    outside_learned = outside_page.get_by_test_id("learned-topics")
    expect(outside_learned).to_be_visible()
    for label in private_labels:
        expect(outside_page.locator("body")).not_to_contain_text(label)
    for word in VAULT:
        expect(outside_learned).not_to_contain_text(word)
    outsider.close()
    assert errors == [], errors
