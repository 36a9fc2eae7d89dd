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
from trellis.qa import services as qa_services
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


def test_a_member_asking_sees_what_exists_with_its_state_or_no_close_match(
    browser: Browser,
    live_server: LiveServer,
    org: Org,
    screenshots: Path,
) -> None:
    """The member's journey: type a question that was asked before and see it, marked with
    how far it got (answered, or a guide), in the chosen community first; type one nobody
    asked and hear so; then ask it."""
    accepted = org.content.public_answer if org.content else None
    assert accepted is not None
    qa_services.answer_accept(actor=org.member, answer=accepted)
    errors: list[str] = []
    context, page = open_as(browser, live_server.url, org.newcomer.email, errors)
    page.goto(f"{live_server.url}/c/{org.public.slug}/")
    page.get_by_role("link", name="Ask a question").first.click()
    expect(page.get_by_label("Where")).to_have_value(org.public.slug)
    questions_before = Post.objects.count()
    page.get_by_label("Title").press_sequentially("Rolling back a helm release", delay=20)
    similar = page.get_by_test_id("similar")
    expect(similar).to_be_visible()
    question = similar.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="How do I roll back a Helm release safely?")
    )
    expect(question).to_contain_text("Accepted answer")
    expect(question).to_contain_text("in this community")
    guide = similar.get_by_role("listitem").filter(
        has=page.get_by_role("link", name="Helm release checklist")
    )
    expect(guide).to_contain_text("Library")
    assert "/questions/ask/" in page.url and Post.objects.count() == questions_before
    page.screenshot(path=screenshots / "member-01-already-asked-with-badges.png", full_page=True)

    page.get_by_label("Title").fill("")
    page.get_by_label("Title").press_sequentially("Purple elephant teleport banana", delay=10)
    expect(page.get_by_test_id("no-close-match")).to_be_visible()
    expect(page.get_by_text("Already asked or written up?")).to_have_count(0)
    page.screenshot(path=screenshots / "member-02-no-close-match.png", full_page=True)

    page.get_by_label("Title").fill("How do we size a staging cluster for load tests?")
    page.get_by_label("Details").fill("We want staging to resemble production for a day of tests.")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "How do we size a staging cluster for load tests?"
    )
    assert Post.objects.count() == questions_before + 1
    page.screenshot(path=screenshots / "member-03-asked.png", full_page=True)
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
