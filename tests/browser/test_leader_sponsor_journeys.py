"""Leaders and sponsors in a real browser: a sponsor's figures, a leader answering a request to
join from the bell and removing a member, and the community page's actions on a phone."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_org
from trellis.communities import services
from trellis.communities.models import Membership
from trellis.qa.models import Post, PostKind

pytestmark = pytest.mark.browser


@pytest.fixture
def org(transactional_db: None) -> Org:
    return build_org()


WIDE: ViewportSize = {"width": 1280, "height": 900}


def _signed_in(
    browser: Browser, base: str, email: str, errors: list[str], viewport: ViewportSize = WIDE
) -> tuple[BrowserContext, Page]:
    return open_as(browser, base, email, errors, viewport)


def test_a_sponsor_sees_the_communities_they_back_with_figures(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    now = timezone.now()
    question = Post.objects.create(
        kind=PostKind.QUESTION,
        community=org.public,
        author=org.member,
        title="How do we roll back a Helm release?",
        created_at=now - timedelta(hours=3),
    )
    Post.objects.create(
        kind=PostKind.ANSWER,
        community=org.public,
        question=question,
        author=org.facilitator,
        created_at=now - timedelta(hours=1),
    )
    errors: list[str] = []
    context, page = _signed_in(browser, live_server.url, org.sponsor.email, errors)

    sponsored = page.get_by_test_id("sponsored")
    expect(sponsored.get_by_role("heading", name="Communities you sponsor")).to_be_visible()
    kube = sponsored.locator(".card", has_text="Kubernetes Guild")
    expect(sponsored).to_contain_text("the last 30 days against the 30 days before")
    expect(kube).to_contain_text("1 question answered, 0 before")
    expect(kube).to_contain_text("Median wait for a first answer: 2 hours, no answers before")
    expect(kube).to_contain_text("2 active members, 0 before")
    expect(sponsored.locator(".card", has_text="Security Council")).to_contain_text(
        "0 questions answered, 0 before"
    )
    page.screenshot(path=screenshots / "leader-01-sponsor-home-figures.png", full_page=True)

    kube.get_by_role("link", name="Kubernetes Guild").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kubernetes Guild")
    expect(page.get_by_text("You sponsor this")).to_be_visible()
    expect(page.get_by_role("button", name="Join Kubernetes Guild")).to_have_count(0)
    page.screenshot(path=screenshots / "leader-02-sponsor-community-page.png", full_page=True)
    context.close()
    assert errors == [], errors


def test_a_leader_answers_a_request_from_the_bell_and_removes_a_member(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    base = live_server.url
    errors: list[str] = []
    newcomer_context, newcomer = _signed_in(browser, base, org.newcomer.email, errors)
    # A colleague shared the address: the private community shows nothing, but one can ask.
    newcomer.goto(f"{base}/c/{org.private.slug}/")
    errors.clear()  # that page is a deliberate 404
    newcomer.get_by_label("Message to the leaders").fill("I run incident drills in Design.")
    newcomer.get_by_role("button", name="Request to join").click()
    expect(newcomer.get_by_text("Request sent.")).to_be_visible()

    leader_context, leader = _signed_in(browser, base, org.leader.email, errors)
    expect(leader.locator("#bell")).to_have_attribute("aria-label", "Notifications: 1 unread")
    waiting = leader.get_by_test_id("requests-to-decide")
    expect(waiting).to_contain_text("1 request to join Security Council waiting for your answer.")
    leader.screenshot(path=screenshots / "leader-03-leader-home-requests.png", full_page=True)

    leader.locator("#bell").click()
    notice = leader.get_by_role("button", name="Nia Newcomer asked to join Security Council")
    expect(notice).to_be_visible()
    leader.screenshot(path=screenshots / "leader-04-leader-bell.png", full_page=True)
    notice.click()
    expect(leader.get_by_role("heading", level=1)).to_have_text("Security Council")
    requests = leader.locator("#requests")
    expect(requests).to_contain_text("1 request to join waiting")
    expect(requests).to_contain_text("I run incident drills in Design.")
    leader.screenshot(path=screenshots / "leader-05-community-page-request.png", full_page=True)
    requests.get_by_role("button", name="Approve").click()
    expect(requests).to_contain_text("Approved")

    newcomer.goto(base + "/")
    expect(newcomer.locator("#bell")).to_have_attribute("aria-label", "Notifications: 1 unread")
    newcomer.locator("#bell").click()
    approved = newcomer.get_by_role(
        "button", name="Your request to join Security Council was approved"
    )
    expect(approved).to_be_visible()
    newcomer.screenshot(path=screenshots / "leader-06-requester-approved.png", full_page=True)
    approved.click()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Security Council")
    expect(newcomer.get_by_text("You are a member")).to_be_visible()

    # The leader removes Mo Member, after confirming; Mo loses access at once.
    leader.reload()
    leader.get_by_label("Find a member").fill("mo")
    row = leader.locator("#members .person", has_text="Mo Member")
    expect(row).to_be_visible()
    expect(leader.locator("#members .person")).to_have_count(1)
    leader.screenshot(path=screenshots / "leader-07-member-search.png", full_page=True)
    dialogs: list[str] = []

    def confirm(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    leader.once("dialog", confirm)
    row.get_by_role("button", name="Remove Mo Member from the community").click()
    removed = leader.get_by_text("Mo Member is no longer a member of Security Council")
    expect(removed).to_be_visible()
    assert dialogs == [
        "Remove Mo Member from Security Council? They will no longer see anything in it."
    ]
    expect(leader.locator("#members .person", has_text="Mo Member")).to_have_count(0)
    leader.screenshot(path=screenshots / "leader-08-member-removed.png", full_page=True)
    assert not Membership.objects.filter(
        community=org.private, person=org.member, left_at__isnull=True
    ).exists()
    leader_context.close()
    newcomer_context.close()
    assert errors == [], errors


def test_on_a_phone_the_community_actions_come_before_the_members(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    services.join_request_create(actor=org.newcomer, community=org.private)
    errors: list[str] = []
    for email, name, shot in (
        (org.leader.email, "leader", "leader-09-phone-leader.png"),
        (org.outsider.email, "outsider", "leader-10-phone-public-join.png"),
    ):
        context, page = _signed_in(
            browser, live_server.url, email, errors, {"width": 375, "height": 812}
        )
        slug = org.private.slug if name == "leader" else org.public.slug
        page.goto(f"{live_server.url}/c/{slug}/")
        actions = page.get_by_test_id("community-actions")
        members = page.get_by_role("heading", name="Members", exact=True)
        expect(members).to_be_attached()
        first_action = (
            page.locator("#requests")
            if name == "leader"
            else page.get_by_role("button", name="Join Kubernetes Guild")
        )
        expect(first_action).to_be_visible()
        action_box, members_box, title_box = (
            first_action.bounding_box(),
            members.bounding_box(),
            page.get_by_role("heading", level=1).bounding_box(),
        )
        assert action_box and members_box and title_box and actions.bounding_box()
        assert title_box["y"] < action_box["y"] < members_box["y"], (action_box, members_box)
        assert action_box["x"] + action_box["width"] <= 375  # nothing runs off the screen
        page.screenshot(path=screenshots / shot, full_page=True)
        context.close()
    assert errors == [], errors
