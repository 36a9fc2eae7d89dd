"""Search in a real browser: the ask form shows what already exists while the asker types,
and a leader merges a cluster of duplicate guides whose old addresses then redirect."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_content, build_org
from trellis.library import services as library_services
from trellis.library.models import Resource
from trellis.qa.models import Post

pytestmark = pytest.mark.browser

GUIDE = (
    "Before you deploy to production, freeze the release branch, run the smoke tests "
    "against staging, tell the on-call engineer, and keep the rollback command ready. "
    "After the deploy, watch the error dashboard for thirty minutes."
)


@pytest.fixture
def org(transactional_db: None) -> Org:
    org = build_org()
    build_content(org)  # real commits: the index follows, as in production
    return org


def test_typing_a_question_that_exists_shows_it_before_posting(
    browser: Browser,
    live_server: LiveServer,
    org: Org,
    screenshots: Path,
) -> None:
    errors: list[str] = []
    context, page = open_as(browser, live_server.url, org.newcomer.email, errors)
    page.goto(f"{live_server.url}/questions/ask/")
    questions_before = Post.objects.count()
    page.get_by_label("Title").press_sequentially("Rolling back a helm release", delay=20)
    similar = page.get_by_test_id("similar")
    expect(similar).to_be_visible()
    expect(
        similar.get_by_role("link", name="How do I roll back a Helm release safely?")
    ).to_be_visible()
    expect(similar.get_by_role("link", name="Helm release checklist")).to_be_visible()
    assert "/questions/ask/" in page.url and Post.objects.count() == questions_before
    page.screenshot(path=screenshots / "search-01-similar-while-typing.png", full_page=True)
    context.close()
    assert errors == []


def test_leader_merges_a_duplicate_cluster_and_old_urls_redirect(
    browser: Browser,
    live_server: LiveServer,
    org: Org,
    screenshots: Path,
) -> None:
    titles = ["Production deploy checklist", "Deploying to prod: checklist", "Deploy checklist (B)"]
    bodies = [GUIDE, GUIDE.replace("thirty minutes", "half an hour"), GUIDE + " Ask in #deploys."]
    guides = [
        library_services.resource_create(
            actor=org.leader, community=org.public, kind="guide", title=t, body=b
        )
        for t, b in zip(titles, bodies, strict=True)
    ]
    errors: list[str] = []
    context, page = open_as(browser, live_server.url, org.leader.email, errors)
    page.goto(f"{live_server.url}/c/{org.public.slug}/")
    page.get_by_role("link", name="Possible duplicates").click()
    cluster = page.get_by_test_id("cluster")
    expect(cluster).to_have_count(1)
    for title in titles:
        expect(cluster).to_contain_text(title)
    page.screenshot(path=screenshots / "search-02-duplicate-queue.png", full_page=True)
    cluster.get_by_label("Production deploy checklist").check()
    cluster.get_by_role("button", name="Merge into the chosen one").click()
    expect(page.get_by_text("Merged into “Production deploy checklist”.")).to_be_visible()
    expect(page.get_by_text("Nothing to curate")).to_be_visible()

    canonical_url = f"{live_server.url}/library/{guides[0].pk}/"
    for old in guides[1:]:
        page.goto(f"{live_server.url}/library/{old.pk}/")
        assert page.url == canonical_url
        expect(page.get_by_role("heading", level=1)).to_have_text("Production deploy checklist")
        expect(page.get_by_text(f"“{old.title}” was merged into this resource.")).to_be_visible()
    expect(page.locator(".attribution")).to_contain_text("merged here")
    page.screenshot(path=screenshots / "search-03-merged.png", full_page=True)
    assert Resource.objects.filter(canonical_id=guides[0].pk).count() == 2
    context.close()
    assert errors == []
