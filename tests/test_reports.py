"""The sponsor's impact report: figures checked against a known month, who may open it, the
charts' plotted values, the PDF's text, recorded opens, the email schedule, bad input."""

import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from tests.conftest import IN_CI
from tests.personas import PRIVATE_QUESTION, Org
from tests.typing_helpers import ClientFor
from trellis.accounts.services import api_token_create
from trellis.communities import services as community_services
from trellis.communities.models import Community, Membership
from trellis.core.errors import Forbidden, Invalid
from trellis.core.models import Activity
from trellis.events.models import Event, Rsvp
from trellis.insights.levels import ACTIVE, INACTIVE
from trellis.insights.selectors import level_counts
from trellis.insights.services.levels import levels_rebuild
from trellis.library import services as library_services
from trellis.library.models import Resource
from trellis.people.models import Person
from trellis.qa import services as qa_services
from trellis.qa.models import Post
from trellis.reports import services
from trellis.reports.figures import figures_compute
from trellis.reports.models import PeriodFigures, ReportEmail, ReportOpen, SponsorResources
from trellis.reports.periods import BadPeriod, Period, last_complete_month, parse_period

EARLY = datetime(2026, 1, 1, 9, 0).astimezone()


def _at(period: Period, day: int, hour: int = 10) -> datetime:
    return period.start + timedelta(days=day - 1, hours=hour)


def _ask(org: Org, who: Person, community: Community, when: datetime, title: str) -> Post:
    question = qa_services.question_ask(
        actor=who, community=community, title=title, body="Details follow in the thread."
    )
    Post.objects.filter(pk=question.pk).update(created_at=when)
    return question


def _answer(who: Person, question: Post, when: datetime) -> Post:
    answer = qa_services.answer_post(actor=who, question=question, body="Here is how we do it.")
    Post.objects.filter(pk=answer.pk).update(created_at=when)
    return answer


@pytest.fixture
def month() -> Period:
    return last_complete_month()


@pytest.fixture
def scenario(org_with_content: Org, month: Period) -> Org:
    """A known month in the public community (and noise in the private one and the month
    before): three questions, two answered after 2 and 6 hours, one across departments."""
    org = org_with_content
    Membership.objects.update(joined_at=EARLY)
    community_services.community_join(actor=org.admin, community=org.public)
    Membership.objects.filter(person=org.admin).update(joined_at=EARLY)
    # The newcomer joins on day 5, asks on day 6 and gets an answer on day 8.
    community_services.community_join(actor=org.newcomer, community=org.public)
    Membership.objects.filter(person=org.newcomer).update(joined_at=_at(month, 5))
    asked = _at(month, 10)
    q1 = _ask(org, org.member, org.public, asked, "How do we size the ingress controllers?")
    q2 = _ask(org, org.member, org.public, asked, "Which base image do teams use for Go?")
    _ask(org, org.member, org.public, asked, "Who owns the cluster autoscaler settings?")
    _answer(org.leader, q1, asked + timedelta(hours=2))  # Engineering helps Design
    _answer(org.facilitator, q2, asked + timedelta(hours=6))  # Design helps Design
    q4 = _ask(
        org, org.newcomer, org.public, _at(month, 6), "Where is the staging cluster's dashboard?"
    )
    _answer(org.facilitator, q4, _at(month, 8))
    # The admin only read something in the month.
    Activity.objects.create(
        actor=org.admin,
        verb="post.view",
        object_type="post",
        community=org.public,
        created_at=_at(month, 12),
    )
    # Noise: the private community in the same month, the public one the month before.
    secret = _ask(org, org.member, org.private, asked, "Which drill keys rotate this quarter?")
    _answer(org.leader, secret, asked + timedelta(hours=1))
    before = month.previous()
    q0 = _ask(
        org, org.member, org.public, _at(before, 3), "How do we drain a node without downtime?"
    )
    _answer(org.leader, q0, _at(before, 3, 20))
    # An event held in the month: two came, one said going and did not.
    event = Event.objects.create(
        community=org.public,
        kind="circle",
        title="Ingress sizing circle",
        starts_at=_at(month, 14),
        ends_at=_at(month, 14, 11),
        time_zone="UTC",
    )
    Rsvp.objects.create(event=event, person=org.member, reply="going", attended=True)
    Rsvp.objects.create(event=event, person=org.newcomer, reply="going", attended=True)
    Rsvp.objects.create(event=event, person=org.facilitator, reply="going", attended=False)
    # The library: one guide added in the month.
    guide = library_services.resource_create(
        actor=org.leader,
        community=org.public,
        kind="guide",
        title="Ingress sizing guide",
        body="Start with two replicas per zone.",
    )
    Resource.objects.filter(pk=guide.pk).update(created_at=_at(month, 15))
    Resource.objects.filter(community=org.public).exclude(pk=guide.pk).update(created_at=EARLY)
    return org


# --- the figures -----------------------------------------------------------------------------


def test_figures_of_a_known_month(scenario: Org, month: Period) -> None:
    org = scenario
    figures = figures_compute(community=org.public, period=month)
    assert figures["questions"] == {
        "asked": 4,
        "answered": 3,
        "answer_rate": 0.75,
        "median_hours_to_first_answer": 6.0,  # 2 h, 6 h and the newcomer's 48 h
    }
    assert figures["help"]["people_helped"] == 2  # the member and the newcomer
    assert figures["help"]["people_helped_across"] == 1
    assert figures["help"]["top_pairs"] == [
        {"helper": "Engineering", "helped": "Design", "answers": 1}
    ]
    assert figures["events"] == {"held": 1, "signed_up": 3, "attendances": 2, "attendees": 2}
    assert figures["onboarding"]["newcomers"] == 1
    assert figures["onboarding"]["median_days_to_first_answer"] == 3.0
    assert figures["onboarding"]["median_days_to_first_contribution"] == 1.0
    assert figures["library"]["added"] == 1
    # Against the database, independently.
    asked = Post.objects.filter(
        community=org.public, kind="question", created_at__gte=month.start, created_at__lt=month.end
    )
    assert figures["questions"]["asked"] == asked.count()
    assert figures["questions"]["answered"] == asked.filter(answer_count__gt=0).count()
    previous = figures_compute(community=org.public, period=month.previous())
    assert previous["questions"]["asked"] == 1
    assert previous["questions"]["median_hours_to_first_answer"] == 10.0


def test_the_organisation_counts_private_communities_a_community_does_not(
    scenario: Org, month: Period
) -> None:
    org = scenario
    public = figures_compute(community=org.public, period=month)
    everything = figures_compute(community=None, period=month)
    assert everything["questions"]["asked"] == public["questions"]["asked"] + 1


def test_periods() -> None:
    assert parse_period("2026-Q3").key == "2026-Q3"
    assert parse_period("2026-Q3").previous().key == "2026-Q2"
    assert parse_period("2026-01").previous().key == "2025-12"
    for bad in ("2026-13", "26-01", "2026-Q5", "soon", "1999-01", "2999-01"):
        with pytest.raises(BadPeriod):
            parse_period(bad)


# --- the page, the charts, the PDF -----------------------------------------------------------


def _page(client: Client, url: str) -> lxml_html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return lxml_html.fromstring(response.content.decode())


def test_page_shows_the_month_against_the_last(
    scenario: Org, month: Period, client_for: ClientFor
) -> None:
    org = scenario
    page = _page(client_for(org.sponsor), reverse("community-report", args=[org.public.slug]))

    def now(key: str) -> str:
        return str(
            page.xpath(f'//tr[@data-figure="{key}"]/td[@class="report__now"]')[0].text_content()
        )

    assert now("asked") == "4"
    assert now("answer_rate") == "75%"
    assert now("median_hours") == "6 h"
    assert now("attendances") == "2"
    assert org.private.name not in page.text_content()
    assert PRIVATE_QUESTION not in page.text_content()


def test_charts_plot_the_databases_values(
    scenario: Org, month: Period, client_for: ClientFor
) -> None:
    org = scenario
    page = _page(client_for(org.leader), reverse("community-report", args=[org.public.slug]))

    def plotted(chart: str, series: str, label: str) -> float:
        marks = page.xpath(
            f'//svg[@data-chart="{chart}"]//rect[@data-series="{series}"][@data-label="{label}"]'
        )
        assert len(marks) == 1
        return float(marks[0].get("data-value"))

    for period in (month, month.previous()):
        questions = Post.objects.filter(
            community=org.public,
            kind="question",
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        label = period.short_label
        assert plotted("questions", "asked", label) == questions.count()
        assert (
            plotted("questions", "answered", label) == questions.filter(answer_count__gt=0).count()
        )
    assert not page.xpath('//svg[@data-chart="participation"]')  # levels not computed yet
    assert "not computed yet" in page.text_content()
    live = Resource.objects.filter(community=org.public, obsolete_at__isnull=True)
    total = sum(plotted("library", "now", state) for state in ("Fresh", "Due for review", "Stale"))
    assert total == live.count()


@pytest.mark.skipif(
    shutil.which("pdftotext") is None and not IN_CI,
    reason="poppler-utils is not installed (scripts/setup.sh dev installs it; CI fails without it)",
)
def test_pdf_text_has_the_figures_of_the_page(
    scenario: Org, month: Period, client_for: ClientFor, tmp_path: object
) -> None:
    org = scenario
    levels_rebuild()  # the participation table too
    client = client_for(org.sponsor)
    url = reverse("community-report", args=[org.public.slug])
    page = _page(client, f"{url}?period={month.key}")
    shown = [cell.text_content() for cell in page.xpath('//td[@class="report__now"]')]
    response = client.get(
        reverse("community-report-pdf", args=[org.public.slug]), {"period": month.key}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert month.label in text
    # Each table row reads "label  figure" on one line (pdftotext may drop the space in "6 h").
    squeezed = re.sub(r"\s+", "", text)
    rows = page.xpath("//tr[@data-figure]")
    assert len(rows) > 20
    for row in rows:
        label = row.xpath("th")[0].text_content()
        figure = row.xpath('td[@class="report__now"]')[0].text_content()
        assert re.sub(r"\s+", "", label + figure) in squeezed, f"{label}: {figure} not in the PDF"
    assert len(shown) == len(rows)


def test_bad_period_says_so_and_shows_the_default(scenario: Org, client_for: ClientFor) -> None:
    client = client_for(scenario.leader)
    url = reverse("community-report", args=[scenario.public.slug])
    response = client.get(url, {"period": "2026-13"}, follow=True)
    assert "is not a period" in response.content.decode()


def test_default_period_is_the_last_complete_month(scenario: Org, client_for: ClientFor) -> None:
    page = _page(
        client_for(scenario.leader), reverse("community-report", args=[scenario.public.slug])
    )
    assert (
        page.xpath("//section[@class='report']")[0].get("data-period") == last_complete_month().key
    )


# --- who may open it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("outsider", 404),
        ("member", 403),
        ("newcomer", 404),
        ("sponsor", 200),
        ("leader", 200),
        ("admin", 200),
    ],
)
def test_who_opens_the_private_communitys_report(
    org: Org, client_for: ClientFor, persona: str, status: int
) -> None:
    client = client_for(getattr(org, persona))
    for name in ("community-report", "community-report-pdf"):
        response = client.get(reverse(name, args=[org.private.slug]))
        assert response.status_code == status
        if status != 200:
            assert org.private.name not in response.content.decode()


def test_the_org_report_is_for_org_admins(org: Org, client_for: ClientFor) -> None:
    assert client_for(org.admin).get(reverse("org-report")).status_code == 200
    for persona in ("sponsor", "leader", "outsider"):
        assert client_for(getattr(org, persona)).get(reverse("org-report")).status_code == 403
        assert client_for(getattr(org, persona)).get(reverse("org-report-pdf")).status_code == 403


def test_a_sponsors_opens_are_recorded_others_are_not(org: Org, client_for: ClientFor) -> None:
    page = reverse("community-report", args=[org.public.slug])
    pdf = reverse("community-report-pdf", args=[org.public.slug])
    client_for(org.leader).get(page)
    assert not ReportOpen.objects.exists()
    sponsor = client_for(org.sponsor)
    first_read = sponsor.get(page).content.decode()
    assert "opened a report" not in first_read  # the leaders' line, not the sponsor's own
    sponsor.get(pdf)
    opens = list(ReportOpen.objects.values_list("person_id", "opened_as", "period"))
    month = last_complete_month().key
    assert opens == [(org.sponsor.pk, "page", month), (org.sponsor.pk, "pdf", month)]
    leader_page = client_for(org.leader).get(page).content.decode()
    assert "Sam Sponsor last opened a report" in leader_page


# --- what the sponsor provides -----------------------------------------------------------------


def test_resources_form_saves_and_the_report_reads_them(
    scenario: Org, month: Period, client_for: ClientFor
) -> None:
    org = scenario
    client = client_for(org.sponsor)
    url = reverse("report-resources", args=[org.public.slug])
    response = client.post(
        url,
        {
            "annual_budget": "12,000",
            "currency": "EUR",
            "hours_per_month": "4",
            "channels": "#k8s-guild",
        },
    )
    assert response.status_code == 302
    row = SponsorResources.objects.get(community=org.public)
    assert row.annual_budget == Decimal("12000.00")
    page = client.get(reverse("community-report", args=[org.public.slug])).content.decode()
    assert "Budget for " in page and "EUR 1,000" in page  # a month of 12,000 a year
    assert "EUR 333 per question answered" in page  # 1,000 for 3 answered questions
    assert "#k8s-guild" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("annual_budget", "-5", "cannot be negative"),
        ("annual_budget", "99999999999", "cannot be more than"),
        ("annual_budget", "lots", "must be a number"),
        ("hours_per_month", "800", "cannot be more than"),
        ("currency", "XYZ", "Select a valid choice"),
    ],
)
def test_resources_refuse_bad_input_and_write_nothing(
    org: Org, client_for: ClientFor, field: str, value: str, message: str
) -> None:
    data = {"annual_budget": "1000", "currency": "EUR", "hours_per_month": "2", "channels": ""}
    data[field] = value
    response = client_for(org.leader).post(
        reverse("report-resources", args=[org.public.slug]), data
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SponsorResources.objects.exists()


def test_members_may_not_record_resources(org: Org) -> None:
    fields = services.ResourceFields("1", "EUR", "", "")
    with pytest.raises(Forbidden):
        services.sponsor_resources_set(actor=org.member, community=org.public, fields=fields)
    with pytest.raises(Invalid):
        services.sponsor_resources_set(
            actor=org.leader,
            community=org.public,
            fields=services.ResourceFields("-1", "EUR", "", ""),
        )


# --- the email schedule ------------------------------------------------------------------------


def test_the_email_job_sends_one_email_per_sponsor_per_period(org_with_content: Org) -> None:
    org = org_with_content
    assert services.report_emails_send() == 1
    assert services.report_emails_send() == 0  # idempotent
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [org.sponsor.email]
    assert org.public.name in message.body and org.private.name in message.body
    assert [a[2] for a in message.attachments] == ["application/pdf", "application/pdf"]
    assert ReportEmail.objects.get().period == last_complete_month().key


def test_the_schedule_is_the_sponsors_to_change(org: Org, client_for: ClientFor) -> None:
    client = client_for(org.sponsor)
    assert client.post(reverse("report-schedule"), {"cadence": "off"}).status_code == 302
    assert services.report_emails_send() == 0
    assert client.post(reverse("report-schedule"), {"cadence": "quarterly"}).status_code == 302
    assert services.report_emails_send() == 1
    assert ReportEmail.objects.get().period.endswith(("Q1", "Q2", "Q3", "Q4"))
    assert client.post(reverse("report-schedule"), {"cadence": "weekly"}).status_code == 400
    assert client_for(org.member).get(reverse("report-schedule")).status_code == 403


# --- speed -------------------------------------------------------------------------------------


def test_the_page_reads_stored_figures_in_flat_queries(
    scenario: Org, client_for: ClientFor
) -> None:
    org = scenario
    client = client_for(org.sponsor)
    url = reverse("community-report", args=[org.public.slug])
    client.get(url)  # computes and stores the periods
    assert PeriodFigures.objects.filter(community=org.public).count() >= 6
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for index in range(30):
        _ask(
            org,
            org.member,
            org.public,
            _at(last_complete_month(), 3),
            f"Another question number {index}",
        )
    PeriodFigures.objects.update(computed_at=datetime(2099, 1, 1).astimezone())
    with CaptureQueriesContext(connection) as second:
        client.get(url)
    assert len(second) == len(first)


def test_refresh_recomputes_stored_figures(scenario: Org, month: Period) -> None:
    written = services.figures_refresh(community=scenario.public)
    assert written >= 6
    stored = PeriodFigures.objects.get(community=scenario.public, period=month.key)
    assert stored.figures["questions"]["asked"] == 4


# --- the API -----------------------------------------------------------------------------------


def _api(person: Person) -> Client:
    _, raw = api_token_create(actor=person, name="report")
    return Client(headers={"authorization": f"Bearer {raw}"})


def test_api_report_figures(scenario: Org, month: Period) -> None:
    org = scenario
    response = _api(org.sponsor).get(
        f"/api/v1/reports/communities/{org.public.slug}", {"period": month.key}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == month.key
    assert body["figures"]["questions"]["asked"] == 4
    assert body["previous_figures"]["questions"]["asked"] == 1
    assert (
        _api(org.outsider).get(f"/api/v1/reports/communities/{org.private.slug}").status_code == 404
    )
    assert (
        _api(org.member).get(f"/api/v1/reports/communities/{org.private.slug}").status_code == 403
    )
    bad = _api(org.sponsor).get(
        f"/api/v1/reports/communities/{org.public.slug}", {"period": "2026-13"}
    )
    assert bad.status_code == 422
    future = _api(org.sponsor).get(
        f"/api/v1/reports/communities/{org.public.slug}", {"period": "2099-Q1"}
    )
    assert future.status_code == 404
    assert "has not started yet" in future.json()["detail"]
    assert _api(org.admin).get("/api/v1/reports/organisation").status_code == 200
    assert _api(org.sponsor).get("/api/v1/reports/organisation").status_code == 403


def test_api_resources_and_schedule(org: Org) -> None:
    sponsor = _api(org.sponsor)
    url = f"/api/v1/reports/communities/{org.public.slug}/resources"
    bad = sponsor.put(url, json.dumps({"annual_budget": -3}), content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][-1] == "annual_budget"
    assert not SponsorResources.objects.exists()
    good = sponsor.put(
        url,
        json.dumps({"annual_budget": 5000, "hours_per_month": 2}),
        content_type="application/json",
    )
    assert good.status_code == 200, good.content
    assert good.json()["annual_budget"] == "5000.00"
    assert sponsor.get(url).json()["hours_per_month"] == "2.0"
    assert _api(org.member).put(url, "{}", content_type="application/json").status_code == 403
    schedule = sponsor.put(
        "/api/v1/reports/schedule",
        json.dumps({"cadence": "quarterly"}),
        content_type="application/json",
    )
    assert schedule.json() == {"cadence": "quarterly"}
    assert _api(org.outsider).get("/api/v1/reports/schedule").status_code == 403


# --- value stories -----------------------------------------------------------------------------


def test_featured_stories_and_hours_saved_with_the_method(
    scenario: Org, month: Period, client_for: ClientFor
) -> None:
    from trellis.stories.models import Story

    org = scenario
    told = _at(month, 20)
    common = {"source": "accepted", "cycle": "applied", "told_at": told, "audience": "leaders"}
    Story.objects.create(
        community=org.public,
        teller=org.member,
        source_id=1,
        featured_at=told,
        text="The ingress answer let us drop a whole week of load testing.",
        hours_saved=Decimal("30"),
        **common,
    )
    Story.objects.create(
        community=org.public,
        teller=org.newcomer,
        source_id=2,
        hours_saved=Decimal("4.5"),
        text="Found the staging dashboard in minutes.",
        **common,
    )
    Story.objects.create(
        community=org.private,
        teller=org.member,
        source_id=3,
        featured_at=told,
        text="The drill keys answer kept the audit on track.",
        hours_saved=Decimal("12"),
        **common,
    )
    client = client_for(org.sponsor)
    page = client.get(reverse("community-report", args=[org.public.slug])).content.decode()
    assert "34.5 hours saved" in page  # 30 + 4.5: the private community's 12 not in it
    assert "The ingress answer let us drop a whole week of load testing." in page
    assert "drill keys" not in page
    assert "How the estimate is made" in page
    pdf = client.get(reverse("community-report-pdf", args=[org.public.slug])).content
    if shutil.which("pdftotext") or IN_CI:
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert "34.5 hours saved" in text


def test_the_demo_gives_sponsored_communities_resources_and_figures(org: Org) -> None:

    from trellis.ops.demo_reports import demo_reports_create

    assert demo_reports_create(now=timezone.now()) == 2  # both persona communities are sponsored
    assert SponsorResources.objects.get(community=org.private).annual_budget == Decimal(30_000)
    month = last_complete_month().key
    assert PeriodFigures.objects.filter(community=org.public, period=month).exists()


def test_a_failed_send_is_retried_by_the_next_run(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.mail import EmailMessage

    def refuse(self: EmailMessage, fail_silently: bool = False) -> int:
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    assert services.report_emails_send() == 0  # logged, not raised
    assert not ReportEmail.objects.exists()
    monkeypatch.undo()
    assert services.report_emails_send() == 1
    assert len(mail.outbox) == 1


def test_participation_is_the_levels_leaders_see_at_the_end_of_each_period(
    scenario: Org, month: Period, client_for: ClientFor
) -> None:
    """One definition of levels in Trellis: the report reads the stored insights levels of
    each period's last month (the month's window covers a quarter)."""
    org = scenario
    levels_rebuild()
    stored = level_counts(community=org.public, month=month.start.date())
    before = level_counts(community=org.public, month=month.previous().start.date())
    assert sum(stored.values()) > 0
    page = _page(client_for(org.sponsor), reverse("community-report", args=[org.public.slug]))
    for level, people in stored.items():
        row = page.xpath(f'//tr[@data-figure="{level}"]/td')
        assert [cell.text_content() for cell in row[:2]] == [str(people), str(before[level])]
        if level == INACTIVE:
            continue  # in the table, not the chart
        marks = page.xpath(
            f'//svg[@data-chart="participation"]//rect[@data-series="{level}"]'
            f'[@data-label="{month.short_label}"]'
        )
        assert [float(mark.get("data-value")) for mark in marks] == [people]
    assert (
        "Peripheral" in page.text_content() and "read and come to sessions" in page.text_content()
    )
    quarter = parse_period(f"{month.start.year}-Q{(month.start.month - 1) // 3 + 1}")
    last = (quarter.end - timedelta(days=1)).date().replace(day=1)
    page = _page(
        client_for(org.sponsor),
        reverse("community-report", args=[org.public.slug]) + f"?period={quarter.key}",
    )
    counted = level_counts(community=org.public, month=last)
    cells = page.xpath(f'//tr[@data-figure="{ACTIVE}"]/td[@class="report__now"]')
    assert [cell.text_content() for cell in cells] == [str(counted[ACTIVE])]
