"""A member-driven agenda in a real browser: the leader switches agendas on, members propose
and vote on topics, the draft brings in the community's most-wanted open question, the
facilitator reorders and publishes it, and after the circle the notes become a guide."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_org
from trellis.communities import services as community_services
from trellis.events.models import Event, EventKind
from trellis.events.services import EventFields, event_create
from trellis.qa import services as qa_services
from trellis.qa.models import Comment, Post

pytestmark = pytest.mark.browser

WANTED = "Why does our rollout hang at 50% with maxUnavailable 0?"


@pytest.fixture
def org(transactional_db: None) -> Org:
    return build_org()


def _signed_in(
    browser: Browser, base: str, email: str, errors: list[str]
) -> tuple[BrowserContext, Page]:
    return open_as(browser, base, email, errors, {"width": 1280, "height": 900})


def test_members_set_the_agenda_and_the_notes_become_a_guide(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    base = live_server.url
    errors: list[str] = []
    community_services.community_join(actor=org.newcomer, community=org.public)
    # The community's open questions: one much wanted, one quiet.
    for title, votes, views, days in (
        (WANTED, 5, 140, 36),
        ("Is kind or k3d better for CI?", 0, 4, 2),
    ):
        question = qa_services.question_ask(
            actor=org.newcomer, community=org.public, title=title, body="We are stuck on it."
        )
        Post.objects.filter(pk=question.pk).update(
            score=votes, view_count=views, created_at=timezone.now() - timedelta(days=days)
        )
    start = timezone.now().replace(microsecond=0, tzinfo=None) + timedelta(days=5)
    event = event_create(
        actor=org.leader,
        community=org.public,
        fields=EventFields(
            kind=EventKind.CIRCLE,
            title="Problem-solving circle: rollouts that stall",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            time_zone="UTC",
            place="Thames room",
        ),
    )
    Event.objects.filter(pk=event.pk).update(facilitator=org.facilitator)
    agenda_url = f"{base}/events/{event.pk}/agenda/"

    # The leader switches member-driven agendas on in the community's settings.
    _, leader = _signed_in(browser, base, org.leader.email, errors)
    leader.goto(f"{base}/c/{org.public.slug}/settings/")
    expect(leader.get_by_test_id("features-panel")).to_contain_text("Member-driven agendas: off")
    leader.get_by_role("link", name="Switch features on or off").click()
    leader.get_by_label("Member-driven agendas").check()
    leader.screenshot(path=screenshots / "agenda-01-switch-on.png", full_page=True)
    leader.get_by_test_id("save-features").click()
    expect(leader.get_by_text("Features saved.")).to_be_visible()

    # Members propose topics and vote.
    _, member = _signed_in(browser, base, org.member.email, errors)
    member.goto(agenda_url)
    member.get_by_role("textbox", name="Topic").fill("Canary rollouts with Argo Rollouts")
    member.get_by_label("Why it matters (optional)").fill("We want to try it next quarter.")
    member.get_by_role("button", name="Propose").click()
    expect(member.get_by_test_id("proposal")).to_contain_text("1 vote")
    _, newcomer = _signed_in(browser, base, org.newcomer.email, errors)
    newcomer.goto(agenda_url)
    newcomer.get_by_role("textbox", name="Topic").fill("PodDisruptionBudgets that block drains")
    newcomer.get_by_role("button", name="Propose").click()
    canary = newcomer.get_by_test_id("proposal").filter(has_text="Canary rollouts")
    canary.get_by_role("button", name="Vote").click()
    expect(newcomer.get_by_test_id("proposal").first).to_contain_text("Canary rollouts")
    expect(newcomer.get_by_test_id("proposal").first).to_contain_text("2 votes")
    expect(newcomer.get_by_test_id("proposal").first.get_by_role("button")).to_have_text("Voted ✓")
    expect(newcomer.get_by_test_id("agenda")).to_contain_text("preparing the agenda")
    newcomer.screenshot(path=screenshots / "agenda-02-members-vote.png", full_page=True)

    # The facilitator builds the draft: the most-wanted open question is on it, saying why.
    _, facilitator = _signed_in(browser, base, org.facilitator.email, errors)
    facilitator.goto(agenda_url)
    facilitator.get_by_test_id("build").click()
    items = facilitator.get_by_test_id("agenda-item")
    expect(items).to_have_count(4)
    wanted = items.filter(has_text=WANTED)
    expect(wanted).to_contain_text("5 votes, asked 5 weeks ago, 140 views, no answer yet")
    expect(items.nth(0)).to_contain_text("Canary rollouts")
    expect(items.nth(0)).to_contain_text("2 votes, proposed by Mo Member")
    facilitator.screenshot(path=screenshots / "agenda-03-draft.png", full_page=True)

    # ...moves the question to the top without dragging, says who leads it, and publishes.
    wanted.get_by_label("Place").fill("1")
    wanted.get_by_label("Led by").fill(org.member.email)
    wanted.get_by_role("button", name="Save place and leader").click()
    expect(items.nth(0)).to_contain_text(WANTED)
    expect(items.nth(0)).to_contain_text("led by Mo Member")
    items.nth(2).get_by_role("button", name=re.compile(r"^Move .* up$")).click()
    expect(items.nth(1)).to_contain_text("PodDisruptionBudgets")
    items.nth(3).get_by_role("button", name="Remove").click()  # the quiet question
    expect(items).to_have_count(3)
    facilitator.get_by_test_id("publish").click()
    expect(facilitator.get_by_test_id("published")).to_be_visible()
    facilitator.screenshot(path=screenshots / "agenda-04-published.png", full_page=True)

    # Members now see the published agenda, in the facilitator's order.
    newcomer.goto(agenda_url)
    shown = newcomer.get_by_test_id("agenda-item")
    expect(shown).to_have_count(3)
    expect(shown.nth(0)).to_contain_text(WANTED)
    expect(shown.nth(2)).to_contain_text("Canary rollouts")
    expect(newcomer.get_by_role("button", name="Remove")).to_have_count(0)
    newcomer.screenshot(path=screenshots / "agenda-05-member-sees-agenda.png", full_page=True)

    # After the circle: the notes and the recording become a guide in the library.
    past = timezone.now() - timedelta(hours=3)
    Event.objects.filter(pk=event.pk).update(starts_at=past, ends_at=past + timedelta(hours=1))
    facilitator.goto(agenda_url)
    facilitator.get_by_role("textbox", name="Notes").fill(
        "## What we found\n\n- The rollout waited on a **readiness probe** that never passed.\n"
        "- `maxUnavailable: 0` with one spare node means one pod at a time."
    )
    facilitator.get_by_label("Recording link").fill("https://video.example.com/circle-42")
    facilitator.screenshot(path=screenshots / "agenda-06-notes.png", full_page=True)
    facilitator.get_by_test_id("publish-notes").click()
    expect(facilitator.get_by_text("The notes are in the library as")).to_be_visible()
    expect(facilitator.get_by_text("1 open question on the agenda got a follow-up")).to_be_visible()
    facilitator.get_by_test_id("notes-link").get_by_role("link").click()
    expect(facilitator.get_by_role("heading", level=1)).to_contain_text(
        "Notes: Problem-solving circle: rollouts that stall"
    )
    expect(facilitator.locator("main")).to_contain_text("readiness probe")
    expect(facilitator.locator("main")).to_contain_text("Femi Facilitator facilitated")
    expect(facilitator.locator("main")).to_contain_text("Mo Member spoke")
    facilitator.screenshot(path=screenshots / "agenda-07-guide-in-library.png", full_page=True)

    # The open question says where it was discussed.
    comment = Comment.objects.get(post__title=WANTED)
    assert "Discussed at" in comment.body
    assert errors == []
