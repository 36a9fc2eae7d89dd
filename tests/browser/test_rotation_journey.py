"""Fair rotating facilitation in a real browser: the leader asks the rotation to propose
facilitators for a weekly circle, the person proposed asks a colleague to swap, and the
colleague accepts; both are told."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_org
from trellis.communities.models import Community
from trellis.events.models import Event, EventSeries
from trellis.facilitation import services

pytestmark = pytest.mark.browser


@pytest.fixture
def org(transactional_db: None) -> Org:
    return build_org()


def _signed_in(
    browser: Browser, base: str, email: str, errors: list[str]
) -> tuple[BrowserContext, Page]:
    return open_as(browser, base, email, errors, {"width": 1280, "height": 900})


def _weekly_circle(org: Org) -> None:
    """Three upcoming Thursdays of the guild's circle (written directly, as the series
    service would)."""
    first = timezone.now().replace(microsecond=0, second=0, minute=0) + timedelta(days=3)
    # The guild's leaders switched the rotation on (start simple: it is off until they do).
    Community.objects.filter(pk=org.public.pk).update(rotation_enabled=True)
    org.public.rotation_enabled = True
    series = EventSeries.objects.create(
        community=org.public,
        rrule="FREQ=WEEKLY;COUNT=3",
        time_zone="UTC",
        first_starts_at=first,
        duration=timedelta(hours=1),
        created_by=org.leader,
    )
    for week in range(3):
        starts = first + timedelta(weeks=week)
        Event.objects.create(
            community=org.public,
            kind="circle",
            title="Helm rollbacks circle",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            time_zone="UTC",
            series=series,
            occurrence_start=starts,
            created_by=org.leader,
        )


def test_the_rotation_proposes_and_a_colleague_takes_the_swap(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    base = live_server.url
    errors: list[str] = []
    _weekly_circle(org)
    for person in (org.leader, org.member):
        services.opt_in(actor=person, community=org.public)
    rotation = f"{base}/c/{org.public.slug}/rotation/"

    # Femi volunteers from the rotation page.
    _, femi = _signed_in(browser, base, org.facilitator.email, errors)
    femi.goto(rotation)
    volunteer = femi.get_by_test_id("volunteer")
    volunteer.get_by_label("At most this many sessions a week").fill("1")
    volunteer.get_by_role("button", name="Volunteer").click()
    expect(
        femi.get_by_text("you volunteer to facilitate, at most 1 session a week")
    ).to_be_visible()
    femi.screenshot(path=screenshots / "rotation-01-volunteer.png", full_page=True)

    # The leader asks the rotation to propose: everyone is level, so by name, with the reason.
    _, leader = _signed_in(browser, base, org.leader.email, errors)
    leader.goto(rotation)
    leader.get_by_role("button", name="Propose facilitators").click()
    expect(
        leader.get_by_text("Facilitators proposed for 3 of 3 upcoming sessions.")
    ).to_be_visible()
    first = leader.get_by_test_id("occurrence").first
    expect(first).to_contain_text("Femi Facilitator")
    expect(first).to_contain_text("Proposed")
    expect(first).to_contain_text("fewest sessions (0), none yet")
    expect(leader.get_by_test_id("volunteers")).to_contain_text("Mo Member")
    leader.screenshot(path=screenshots / "rotation-02-proposed.png", full_page=True)

    # Femi is told, and asks Mo to swap the first session.
    femi.goto(rotation)
    expect(femi.locator("#bell .bell__count")).to_have_text("1")
    femi.locator("#bell").click()
    expect(femi.get_by_text("You're proposed to facilitate Helm rollbacks circle")).to_be_visible()
    femi.screenshot(path=screenshots / "rotation-03-told.png", full_page=True)
    femi.goto(rotation)
    mine = femi.get_by_test_id("occurrence").first
    mine.get_by_label("Ask a colleague to swap").select_option(label="Mo Member")
    mine.get_by_role("button", name="Ask to swap").click()
    expect(femi.get_by_text("Asked Mo Member to take it")).to_be_visible()
    expect(femi.get_by_test_id("occurrence").first).to_contain_text("Swap asked of Mo Member")
    femi.screenshot(path=screenshots / "rotation-04-swap-asked.png", full_page=True)

    # Mo sees the request and accepts it: Mo now facilitates, confirmed.
    _, mo = _signed_in(browser, base, org.member.email, errors)
    mo.goto(rotation)
    swap = mo.get_by_test_id("swap")
    expect(swap).to_contain_text("Femi Facilitator asks Mo Member to facilitate")
    mo.screenshot(path=screenshots / "rotation-05-swap-request.png", full_page=True)
    swap.get_by_role("button", name="Accept the swap").click()
    expect(mo.get_by_text("Done: Mo Member facilitates this session now.")).to_be_visible()
    first = mo.get_by_test_id("occurrence").first
    expect(first).to_contain_text("Mo Member")
    expect(first).to_contain_text("Confirmed")
    mo.screenshot(path=screenshots / "rotation-06-swapped.png", full_page=True)

    # Femi hears of it.
    femi.goto(rotation)
    femi.locator("#bell").click()
    expect(femi.get_by_text("Mo Member now facilitates Helm rollbacks circle")).to_be_visible()
    femi.screenshot(path=screenshots / "rotation-07-femi-told.png", full_page=True)
    assert errors == []
