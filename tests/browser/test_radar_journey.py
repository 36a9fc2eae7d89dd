"""The pitfall radar in a real browser (issue 18): a leader reads the burnout signal with its
evidence and starts a facilitation rotation in one click; the sponsor-disengagement signal's
fix invites the sponsor to a show & tell with the impact report, and the sponsor finds the
invitation; an org admin reads the organisation's radar; the outsider gets nothing of it.

The signals are stored as the nightly job stores them (how they are computed from a
community's months is tested apart, on hand-built histories and on the database's reads): the
journey is about what a leader reads and does with them.
"""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_org
from trellis.communities.models import Community
from trellis.events.models import Event, EventSeries
from trellis.facilitation import services as facilitation_services
from trellis.radar.models import RadarSignal
from trellis.radar.signals import BURNOUT, MEETINGS, PITFALLS, SPONSOR, STAGNATION

pytestmark = pytest.mark.browser

WIDE: ViewportSize = {"width": 1280, "height": 900}
BURNOUT_EVIDENCE = (
    "The leaders carried 81% of the answers, facilitation and moderation in the last 2 "
    "months, against 35% in the 6 before."
)
ROTATION_EVIDENCE = "1 person facilitated the last 6 events; 4 people shared it before."
SPONSOR_EVIDENCE = (
    "The sponsor has not opened the impact report for 3 months (before, they opened it 90% "
    "of months)."
)


@pytest.fixture
def org(transactional_db: None) -> Org:
    return build_org()


def _store(community: Community, month: date, raised: dict[str, list[str]]) -> None:
    for pitfall in PITFALLS:
        texts = raised.get(pitfall, [])
        RadarSignal.objects.create(
            community=community,
            pitfall=pitfall,
            month=month,
            score=0.8 if texts else 0.1,
            threshold=0.5,
            raised=bool(texts),
            evidence=[
                {"key": f"k{i}", "strength": 1.0, "weight": 0.3, "text": t, "figures": {}}
                for i, t in enumerate(texts)
            ],
            computed_at=timezone.now(),
        )


def _weekly_circle(org: Org) -> None:
    first = timezone.now().replace(microsecond=0, second=0, minute=0) + timedelta(days=3)
    series = EventSeries.objects.create(
        community=org.private,
        rrule="FREQ=WEEKLY;COUNT=3",
        time_zone="UTC",
        first_starts_at=first,
        duration=timedelta(hours=1),
        created_by=org.leader,
    )
    for week in range(3):
        starts = first + timedelta(weeks=week)
        Event.objects.create(
            community=org.private,
            kind="circle",
            title="Breach drill circle",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            time_zone="UTC",
            series=series,
            occurrence_start=starts,
            created_by=org.leader,
        )


def test_a_leader_acts_on_the_radar_and_the_sponsor_is_invited(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    base = live_server.url
    errors: list[str] = []
    month = date(2026, 11, 1)
    _store(
        org.private,
        month,
        {BURNOUT: [BURNOUT_EVIDENCE, ROTATION_EVIDENCE], SPONSOR: [SPONSOR_EVIDENCE]},
    )
    _store(org.public, month, {})
    _weekly_circle(org)
    # The rotation is on and two members volunteered, yet the leader has run every session.
    Community.objects.filter(pk=org.private.pk).update(rotation_enabled=True)
    org.private.rotation_enabled = True
    facilitation_services.opt_in(actor=org.member, community=org.private)
    facilitation_services.opt_in(actor=org.facilitator, community=org.private)
    radar = f"{base}/c/{org.private.slug}/radar/"

    # The leader finds the radar from the community page and reads the burnout evidence.
    _, leader = open_as(browser, base, org.leader.email, errors, WIDE)
    leader.goto(f"{base}/c/{org.private.slug}/")
    leader.get_by_test_id("radar-link").click()
    raised = leader.get_by_test_id("radar-raised")
    burnout = raised.locator(f"[data-pitfall='{BURNOUT}']")
    expect(burnout).to_contain_text("Leader burnout")
    expect(burnout.get_by_test_id("radar-evidence")).to_contain_text(BURNOUT_EVIDENCE)
    expect(burnout.get_by_test_id("radar-evidence")).to_contain_text(ROTATION_EVIDENCE)
    quiet = leader.get_by_test_id("radar-quiet")
    for pitfall in (MEETINGS, STAGNATION):
        expect(quiet.locator(f"[data-pitfall='{pitfall}']")).to_contain_text("No sign of it.")
    leader.screenshot(path=screenshots / "radar-01-burnout.png", full_page=True)

    # One click: the rotation is switched on and proposes facilitators for the circle.
    burnout.get_by_role("button", name="Propose a facilitation rotation").click()
    expect(
        leader.get_by_text("Facilitators proposed for 3 of 3 upcoming sessions, shared by 2")
    ).to_be_visible()
    leader.screenshot(path=screenshots / "radar-02-rotation-proposed.png", full_page=True)
    leader.goto(f"{base}/c/{org.private.slug}/rotation/")
    expect(leader.get_by_test_id("occurrence").first).to_contain_text("Proposed")

    # The sponsor signal's fix plans a show & tell and invites the sponsor with the report.
    leader.goto(radar)
    sponsor_signal = leader.get_by_test_id("radar-raised").locator(f"[data-pitfall='{SPONSOR}']")
    expect(sponsor_signal.get_by_test_id("radar-evidence")).to_contain_text(SPONSOR_EVIDENCE)
    sponsor_signal.get_by_role("button", name="Invite the sponsor to a show & tell").click()
    expect(leader.get_by_text("Sam Sponsor has been invited, with the report.")).to_be_visible()
    leader.screenshot(path=screenshots / "radar-03-sponsor-invited.png", full_page=True)

    # The sponsor is told, opens the show & tell and finds the report linked; on the radar
    # they read only the signal about themselves, and may not act on it.
    _, sponsor = open_as(browser, base, org.sponsor.email, errors, WIDE)
    sponsor.goto(f"{base}/")
    sponsor.locator("#bell").click()
    invitation = sponsor.get_by_text("invites you to: Show & tell: what")
    expect(invitation).to_be_visible()
    invitation.click()
    expect(sponsor.get_by_role("heading", level=1)).to_contain_text("Show & tell")
    report = sponsor.get_by_role("link", name="the impact report")
    expect(report).to_have_attribute("href", f"/c/{org.private.slug}/report/")
    sponsor.screenshot(path=screenshots / "radar-04-sponsor-invitation.png", full_page=True)
    sponsor.goto(radar)
    expect(sponsor.get_by_test_id("radar-signal")).to_have_count(1)
    expect(sponsor.locator(f"[data-pitfall='{SPONSOR}']")).to_be_visible()
    expect(sponsor.get_by_role("button", name="Invite the sponsor to a show & tell")).to_have_count(
        0
    )
    expect(sponsor.locator("main")).not_to_contain_text(BURNOUT_EVIDENCE)

    # A leader snoozes a signal with a reason; the others read it.
    leader.goto(radar)
    burnout = leader.get_by_test_id("radar-raised").locator(f"[data-pitfall='{BURNOUT}']")
    burnout.locator("summary").click()
    burnout.get_by_label("Why it can wait").fill("The rotation starts next week")
    burnout.get_by_role("button", name="Snooze").click()
    snoozed = leader.get_by_test_id("radar-quiet").locator(f"[data-pitfall='{BURNOUT}']")
    expect(snoozed.get_by_test_id("radar-snoozed")).to_contain_text("The rotation starts next week")
    leader.screenshot(path=screenshots / "radar-05-snoozed.png", full_page=True)

    # The org admin reads every community's radar, the private one included.
    _, admin = open_as(browser, base, org.admin.email, errors, WIDE)
    admin.goto(f"{base}/radar/")
    row = admin.get_by_test_id("org-radar").locator(f"tr[data-community='{org.private.slug}']")
    expect(row).to_contain_text("Sponsor drifting away")
    expect(row).to_contain_text("Leader burnout")  # snoozed, said so
    admin.screenshot(path=screenshots / "radar-06-org.png", full_page=True)

    assert errors == []

    # The outsider finds nothing of it: no such community, and the organisation's radar is
    # for org admins.
    _, outsider = open_as(browser, base, org.outsider.email, errors, WIDE)
    for url, status in ((radar, 404), (f"{base}/radar/", 403)):
        response = outsider.goto(url)
        assert response is not None and response.status == status
        content = outsider.locator("body").inner_text()
        assert org.private.name not in content
        assert "burnout" not in content.lower()
