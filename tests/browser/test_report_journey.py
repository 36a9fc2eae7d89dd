"""The sponsor's impact report in a real browser: the sponsor follows the email's link to the
report, reads last month against the month before, looks at a quarter, downloads the PDF, and
changes how often the report is emailed. Both opens are recorded for the leaders to see."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_content, build_org
from trellis.communities.models import Membership
from trellis.insights.services.levels import levels_rebuild
from trellis.qa import services as qa_services
from trellis.qa.models import Post
from trellis.reports.models import ReportOpen, ReportSubscription
from trellis.reports.periods import last_complete_month

pytestmark = pytest.mark.browser


@pytest.fixture
def org(transactional_db: None) -> Org:
    org = build_org()
    build_content(org)
    month = last_complete_month()
    Membership.objects.update(joined_at=month.previous().start)
    asked = month.start + timedelta(days=9, hours=10)
    for title, hours in (
        ("How do we size the ingress controllers?", 2),
        ("Which base image do teams use for Go services?", 6),
    ):
        question = qa_services.question_ask(
            actor=org.member, community=org.public, title=title, body="Details in the thread."
        )
        answer = qa_services.answer_post(
            actor=org.leader, question=question, body="Start from what we run in staging."
        )
        Post.objects.filter(pk=question.pk).update(created_at=asked)
        Post.objects.filter(pk=answer.pk).update(created_at=asked + timedelta(hours=hours))
    levels_rebuild()  # as the nightly job would have: the report's participation section
    return org


def test_the_sponsor_reads_the_report_and_downloads_the_pdf(
    browser: Browser, live_server: LiveServer, org: Org, screenshots: Path
) -> None:
    base = live_server.url
    errors: list[str] = []
    month = last_complete_month()
    _, sponsor = open_as(browser, base, org.sponsor.email, errors, {"width": 1280, "height": 900})

    # The email's link: the community's report, last month by default.
    sponsor.goto(f"{base}/c/{org.public.slug}/report/")
    expect(sponsor.get_by_role("heading", level=1)).to_contain_text(month.label)
    asked = sponsor.locator('tr[data-figure="asked"] td.report__now')
    expect(asked).to_have_text("2")
    expect(sponsor.locator('tr[data-figure="answer_rate"] td.report__now')).to_have_text("100%")
    expect(sponsor.locator('svg[data-chart="participation"]')).to_be_visible()
    sponsor.screenshot(path=screenshots / "report-01-sponsor-opens-last-month.png", full_page=True)

    # A quarter instead.
    sponsor.get_by_label("Period", exact=True).select_option(index=12)  # the last complete quarter
    sponsor.get_by_role("button", name="Show").click()
    expect(sponsor.get_by_role("heading", level=1)).to_contain_text("Q")
    expect(sponsor.locator("section.report")).to_have_attribute("data-period", re.compile("Q"))
    sponsor.screenshot(path=screenshots / "report-02-a-quarter.png", full_page=True)

    # Back to last month, and the PDF.
    sponsor.goto(f"{base}/c/{org.public.slug}/report/?period={month.key}")
    with sponsor.expect_download() as download_info:
        sponsor.get_by_role("link", name="Download the PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"impact-report-{org.public.slug}-{month.key}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    sponsor.screenshot(path=screenshots / "report-03-pdf-downloaded.png", full_page=True)

    # Every report the sponsor opened is recorded, the page and the PDF.
    opens = set(ReportOpen.objects.filter(person=org.sponsor).values_list("opened_as", flat=True))
    assert opens == {"page", "pdf"}

    # Quarterly emails instead of monthly ones.
    sponsor.get_by_role("link", name="Email me this report…").click()
    sponsor.get_by_label("Every quarter").check()
    sponsor.screenshot(path=screenshots / "report-04-schedule.png", full_page=True)
    sponsor.get_by_role("button", name="Save").click()
    expect(sponsor.get_by_role("status")).to_contain_text("every quarter")
    assert ReportSubscription.objects.get(person=org.sponsor).cadence == "quarterly"

    # The leader sees that the sponsor opened it.
    _, leader = open_as(browser, base, org.leader.email, errors, {"width": 1280, "height": 900})
    leader.goto(f"{base}/c/{org.public.slug}/report/")
    expect(leader.get_by_text("Sam Sponsor last opened a report")).to_be_visible()
    leader.screenshot(path=screenshots / "report-05-leader-sees-the-open.png", full_page=True)
    assert errors == []
