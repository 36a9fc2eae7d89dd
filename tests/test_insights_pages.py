"""The participation page: the month's people per level, the movement table whose rows add up,
and the flow chart carrying the same figures, read from stored levels."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from lxml import html
from pytest_django import Settings

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.insights import participation_page
from trellis.insights.models import NOT_COUNTED, MonthlyFlow, MonthlyLevel

SEPT, OCT = date(2026, 9, 1), date(2026, 10, 1)


def _levels(org: Org, month: date, levels: dict[str, str]) -> None:
    people = {p.email.split("@")[0]: p for p in (org.leader, org.facilitator, org.member,
                                                  org.newcomer, org.sponsor)}  # fmt: skip
    MonthlyLevel.objects.bulk_create(
        MonthlyLevel(person=people[who], community=org.public, month=month, level=level)
        for who, level in levels.items()
    )


@pytest.fixture
def two_months(org: Org) -> Org:
    # September: leader core, facilitator active, member peripheral, sponsor occasional.
    _levels(org, SEPT, {"leader": "core", "facilitator": "active", "member": "peripheral",
                        "sponsor": "occasional"})  # fmt: skip
    # October: leader held, facilitator moved in to core, member moved in to occasional, the
    # sponsor left the community's orbit, the newcomer arrived as transactional.
    _levels(org, OCT, {"leader": "core", "facilitator": "core", "member": "occasional",
                       "newcomer": "transactional"})  # fmt: skip
    # The transitions the levels service stores with October's levels ("": not counted).
    MonthlyFlow.objects.bulk_create(
        MonthlyFlow(community=org.public, month=OCT, before=before, after=after, people=1)
        for before, after in (("core", "core"), ("active", "core"),
                              ("peripheral", "occasional"), ("occasional", NOT_COUNTED),
                              (NOT_COUNTED, "transactional"))
    )  # fmt: skip
    return org


def _page(client: Client, url: str) -> html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.fromstring(response.content.decode())


def _all(element: html.HtmlElement, xpath: str) -> list[html.HtmlElement]:
    found = element.xpath(xpath)
    assert isinstance(found, list)
    return [el for el in found if isinstance(el, html.HtmlElement)]


def test_the_leader_reads_levels_and_movement_that_add_up(
    two_months: Org, client_for: ClientFor
) -> None:
    org = two_months
    page = _page(client_for(org.leader), reverse("community-participation", args=["kubernetes"]))
    assert "How 4 people take part in October 2026" in page.text_content()
    people = {
        row.get("data-level"): int(
            _all(row, ".//td[@class='participation__people']")[0].text_content()
        )
        for row in _all(page, "//table[contains(@class,'participation__levels')]//tr[@data-level]")
    }
    assert people == {"core": 2, "active": 0, "occasional": 1, "peripheral": 0,
                      "transactional": 1, "inactive": 0}  # fmt: skip
    moves = {
        row.get("data-level"): {
            td.get("data-move"): int(td.text_content()) for td in _all(row, "./td")
        }
        for row in _all(page, "//table[contains(@class,'participation__moves')]/tbody/tr")
    }
    assert moves["core"] == {"before": 1, "up": 0, "held": 1, "down": 0, "left": 0}
    assert moves["active"] == {"before": 1, "up": 1, "held": 0, "down": 0, "left": 0}
    assert moves["peripheral"] == {"before": 1, "up": 1, "held": 0, "down": 0, "left": 0}
    assert moves["occasional"] == {"before": 1, "up": 0, "held": 0, "down": 0, "left": 1}
    # The rows add up to September's people; with the new ones, to October's.
    assert sum(m["before"] for m in moves.values()) == 4
    stayed = sum(m["up"] + m["held"] + m["down"] for m in moves.values())
    assert stayed + 1 == sum(people.values())  # the newcomer is new
    assert "New this month (1): 1 transactional." in " ".join(page.text_content().split())
    # The flow chart's bands carry the same movements.
    bands = {
        (band.get("data-from"), band.get("data-to")): band.get("data-value")
        for band in _all(page, "//svg[@data-chart='level-flow']//path")
    }
    assert bands == {("core", "core"): "1", ("active", "core"): "1",
                     ("peripheral", "occasional"): "1", ("occasional", "outside"): "1",
                     ("outside", "transactional"): "1"}  # fmt: skip


def test_an_earlier_month_and_a_month_that_is_not_one(
    two_months: Org, client_for: ClientFor
) -> None:
    client = client_for(two_months.leader)
    url = reverse("community-participation", args=["kubernetes"])
    september = client.get(url + "?month=2026-09").content.decode()
    assert "How 4 people take part in September 2026" in september
    wrong = client.get(url + "?month=soon", follow=True).content.decode()
    assert "is not a month: use YYYY-MM" in wrong
    never = client.get(url + "?month=2020-01", follow=True).content.decode()
    assert "No levels for January 2020: choose one of the last 12 months." in never
    assert "is not a month" in client.get(url + "?month=0001-01", follow=True).content.decode()


def test_before_anything_is_computed_the_page_says_so(org: Org, client_for: ClientFor) -> None:
    response = client_for(org.admin).get(reverse("org-participation"))
    assert "none have been computed yet" in response.content.decode()
    asked = client_for(org.admin).get(reverse("org-participation") + "?month=2026-10")
    assert asked.status_code == 200 and "none have been computed yet" in asked.content.decode()


def test_the_rules_are_shown_with_this_organisations_thresholds(
    two_months: Org, client_for: ClientFor, settings: Settings
) -> None:
    settings.TRELLIS_PARTICIPATION_CORE_CONTRIBUTIONS = 20
    body = (
        client_for(two_months.admin)
        .get(reverse("community-participation", args=["kubernetes"]))
        .content.decode()
    )
    assert "at least 20 contributions, in every month" in body


def test_a_member_downloads_everything_inferred_about_them_and_nobody_else(
    two_months: Org, client_for: ClientFor
) -> None:
    org = two_months
    MonthlyLevel.objects.create(
        person=org.member,
        community=org.private,
        month=OCT,
        level="occasional",
        contributions=2,
        actions_to_date=10,  # they had come before the window: not a one-off visitor
    )
    MonthlyLevel.objects.create(person=org.leader, community=None, month=OCT, level="core")
    response = client_for(org.member).get(reverse("my-insights"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["person"]["email"] == org.member.email
    levels = {(row["scope"], row["month"]): row["level"] for row in data["participation_levels"]}
    # Their own rows only, private community included (it is theirs); never the leader's.
    assert levels == {
        ("Kubernetes Guild", "2026-09"): "peripheral",
        ("Kubernetes Guild", "2026-10"): "occasional",
        ("Security Council", "2026-10"): "occasional",
    }
    assert data["standing"]["Security Council"]["level"] == "occasional"
    assert data["standing"]["Security Council"]["reasons"] == [
        "In the last 3 months: 2 contributions."
    ]
    assert data["standing"]["the organisation"] is None  # not computed org-wide for them
    assert org.leader.email not in response.content.decode()


def test_a_share_never_rounds_a_person_away() -> None:
    assert participation_page._share(1, 206) == "<1%"
    assert participation_page._share(0, 206) == "0%"
    assert participation_page._share(103, 206) == "50%"
    assert participation_page._share(0, 0) == ""
