"""A problem-solving circle in a real browser: a leader plans it with two places, members
fill them, a third waits, and is moved up (and told) when someone drops out."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_org
from trellis.communities import services as community_services

pytestmark = pytest.mark.browser


@pytest.fixture
def org(transactional_db: None) -> Org:
    return build_org()


def _signed_in(
    browser: Browser, base: str, email: str, errors: list[str]
) -> tuple[BrowserContext, Page]:
    return open_as(browser, base, email, errors, {"width": 1280, "height": 900})


def _reply(page: Page, answer: str) -> None:
    page.locator("#rsvp").get_by_role("button", name=answer, exact=True).click()


def test_a_full_circle_waitlists_and_promotes(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    base = live_server.url
    errors: list[str] = []
    community_services.community_join(actor=org.newcomer, community=org.public)

    # The leader plans a circle for two from the community page.
    _, leader = _signed_in(browser, base, org.leader.email, errors)
    leader.goto(f"{base}/c/{org.public.slug}/")
    events = leader.get_by_test_id("community-events")
    expect(events).to_contain_text("No events planned.")
    events.get_by_role("link", name="Add an event").click()
    leader.get_by_label("Kind of event").select_option(label="Problem-solving circle")
    leader.get_by_label("Title").fill("Helm rollbacks circle")
    leader.get_by_label("What it's about (optional)").fill("Bring your **failed upgrades**.")
    leader.get_by_label("Day").fill("2031-03-28")
    leader.get_by_label("Starts").fill("10:00")
    leader.get_by_label("Ends").fill("11:00")
    leader.get_by_label("Time zone").fill("Europe/London")
    leader.get_by_label("Room or place").fill("Room 4")
    leader.get_by_label("Places").fill("2")
    leader.screenshot(path=screenshots / "events-01-leader-plans-circle.png", full_page=True)
    leader.get_by_role("button", name="Add the event").click()
    expect(leader.get_by_role("heading", level=1)).to_have_text("Helm rollbacks circle")
    expect(leader.get_by_test_id("counts")).to_contain_text("0 going of 2 places")
    event_url = leader.url
    leader.screenshot(path=screenshots / "events-02-circle-planned.png", full_page=True)

    # Two members take the places (htmx swaps the panel in place).
    people = {}
    for persona, shot in ((org.member, "03"), (org.facilitator, "04")):
        _, page = _signed_in(browser, base, persona.email, errors)
        page.goto(event_url)
        _reply(page, "Going")
        expect(page.get_by_test_id("my-reply")).to_have_text("You're going.")
        page.screenshot(path=screenshots / f"events-{shot}-going.png", full_page=True)
        people[persona.pk] = page
    expect(people[org.facilitator.pk].get_by_test_id("counts")).to_contain_text(
        "2 going of 2 places"
    )

    # The third is waitlisted.
    _, newcomer = _signed_in(browser, base, org.newcomer.email, errors)
    newcomer.goto(event_url)
    _reply(newcomer, "Going")
    expect(newcomer.get_by_test_id("my-reply")).to_contain_text("You're on the waitlist, number 1.")
    newcomer.screenshot(path=screenshots / "events-05-waitlisted.png", full_page=True)

    # One going member can't make it after all; without JavaScript's help the form still works.
    member = people[org.member.pk]
    _reply(member, "Not going")
    expect(member.get_by_test_id("my-reply")).to_have_text("You said you're not going.")
    member.screenshot(path=screenshots / "events-06-member-drops-out.png", full_page=True)

    # The waitlisted member now has the place, and the bell says so.
    newcomer.goto(event_url)
    expect(newcomer.get_by_test_id("my-reply")).to_have_text("You're going.")
    expect(newcomer.locator("#bell .bell__count")).to_have_text("1")
    newcomer.screenshot(path=screenshots / "events-07-promoted.png", full_page=True)
    newcomer.locator("#bell").click()
    expect(newcomer.get_by_text("A place opened up at Helm rollbacks circle")).to_be_visible()
    newcomer.screenshot(path=screenshots / "events-08-bell.png", full_page=True)

    # The events page lists it with its places.
    newcomer.get_by_role("link", name="Events", exact=True).click()
    row = newcomer.get_by_test_id("event-row").filter(has_text="Helm rollbacks circle")
    expect(row).to_contain_text("2 going of 2 places")
    expect(row).to_contain_text("Going")
    newcomer.screenshot(path=screenshots / "events-09-events-page.png", full_page=True)
    assert errors == []


def test_a_leader_plans_a_weekly_circle_as_a_series(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    """The leader plans a weekly circle across the clock change, walks its dates, moves one
    date alone and cancels another; a member sees the series and its cancelled date."""
    base = live_server.url
    errors: list[str] = []
    _, leader = _signed_in(browser, base, org.leader.email, errors)
    leader.goto(f"{base}/events/new/?community={org.public.slug}")
    leader.get_by_label("Kind of event").select_option(label="Problem-solving circle")
    leader.get_by_label("Title").fill("Thursday incident circle")
    leader.get_by_label("Day").fill("2031-03-27")
    leader.get_by_label("Starts").fill("10:00")
    leader.get_by_label("Ends").fill("11:00")
    leader.get_by_label("Time zone").fill("Europe/London")
    leader.get_by_label("Room or place").fill("Room 4")
    leader.get_by_label("Repeats").select_option(label="Every week, on the same weekday")
    leader.get_by_role("button", name="Add the event").click()
    # Never-ending is refused, with the reason, and nothing is saved.
    expect(leader.locator(".field--error")).to_contain_text("Say when the series ends")
    leader.screenshot(path=screenshots / "series-01-never-ends-refused.png", full_page=True)
    leader.get_by_label("How many times").fill("6")
    leader.screenshot(path=screenshots / "series-02-leader-plans-weekly.png", full_page=True)
    leader.get_by_role("button", name="Add the event").click()
    expect(leader.get_by_role("heading", level=1)).to_have_text("Thursday incident circle")
    series = leader.get_by_test_id("series")
    expect(series).to_contain_text("Part of a series: every Thursday at 10:00 (1 of 6)")
    expect(leader.locator("time").first).to_contain_text("Thu 27 Mar 2031, 10:00")
    leader.screenshot(path=screenshots / "series-03-first-date.png", full_page=True)

    # The next date is after the clocks went forward, still at 10:00 London time.
    series.get_by_role("link", name="Next date →").click()
    expect(leader.get_by_test_id("series")).to_contain_text("(2 of 6)")
    expect(leader.locator("time").first).to_contain_text("Thu 3 Apr 2031, 10:00")
    second_url = leader.url

    # Move this date alone to the afternoon.
    leader.get_by_role("link", name="Edit").click()
    leader.get_by_label("Starts").fill("14:00")
    leader.get_by_label("Ends").fill("15:00")
    leader.get_by_label("Only this date").check()
    leader.screenshot(path=screenshots / "series-04-edit-one-date.png", full_page=True)
    leader.get_by_role("button", name="Save changes").click()
    expect(leader.locator("time").first).to_contain_text("Thu 3 Apr 2031, 14:00")

    # Cancel the third date only.
    leader.get_by_test_id("series").get_by_role("link", name="Next date →").click()
    expect(leader.get_by_test_id("series")).to_contain_text("(3 of 6)")
    leader.get_by_label("Only this date").check()
    leader.once("dialog", lambda dialog: dialog.accept())
    leader.get_by_role("button", name="Cancel the chosen dates").click()
    expect(leader.get_by_text("everyone who replied has been told")).to_be_visible()
    leader.screenshot(path=screenshots / "series-05-one-date-cancelled.png", full_page=True)

    # A member sees the series on the community's events, the cancelled date marked.
    _, member = _signed_in(browser, base, org.member.email, errors)
    member.goto(f"{base}/c/{org.public.slug}/events/")
    rows = member.get_by_test_id("event-row").filter(has_text="Thursday incident circle")
    expect(rows).to_have_count(6)
    expect(rows.filter(has_text="Cancelled")).to_have_count(1)
    member.screenshot(path=screenshots / "series-06-member-sees-series.png", full_page=True)
    member.goto(second_url)
    _reply(member, "Going")
    expect(member.get_by_test_id("my-reply")).to_have_text("You're going.")
    expect(member.get_by_test_id("series")).to_contain_text("(2 of 6)")
    member.screenshot(path=screenshots / "series-07-member-going.png", full_page=True)
    assert errors == []
