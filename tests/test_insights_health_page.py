"""Community health end to end: the nightly refresh stores what `health.assess` computes, the
pages read the stored rows and say each figure in words, the CSV and the API carry the same
figures, and the outsider never learns the private community's.

The history, written through the services and then dated into the two months before the
current one (M-2 and M-1), in the persona organisation's public community (the Kubernetes
Guild):

- M-2: the member asks 5 questions; the facilitator answers 2, the leader 1; the member
  accepts the first; the newcomer reads one. Active 4, engaged 3.
- M-1: the member asks 6; the facilitator answers 4, the leader 1; the member accepts 2; the
  newcomer comments on the third question, the outsider on the first answer; the sponsor reads
  the first question. Active 6, engaged 5: both rose beyond the dead band (more than 1 person
  and 5%), so "healthy growth".
- The private Security Council has one question (the leader's) and one answer (the member's)
  in M-1: too few for any rate.
"""

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import html

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.communities.models import Community
from trellis.core import charts
from trellis.core.models import Activity
from trellis.insights import counts, health_page, health_reads, health_selectors
from trellis.insights.health import HEALTHY_GROWTH
from trellis.insights.models import InsightSnapshot
from trellis.insights.services.health import SETTLE, health_refresh
from trellis.people.models import Person
from trellis.qa import services as qa
from trellis.qa.models import Comment, Post


@contextmanager
def dated(when: datetime) -> Iterator[None]:
    """What the services write inside the block, moved to `when` (as if written then)."""
    last = {model: model.objects.aggregate(last=Max("pk"))["last"] or 0 for model in MODELS}
    yield
    for model, pk in last.items():
        model.objects.filter(pk__gt=pk).update(created_at=when)


MODELS: tuple[type[Activity] | type[Post] | type[Comment], ...] = (Activity, Post, Comment)


def day(month: date, number: int) -> datetime:
    return counts.month_bounds(month)[0] + timedelta(days=number - 1, hours=10)


@dataclass
class History:
    org: Org
    now: datetime
    current: date  # M
    last: date  # M-1
    before: date  # M-2


def _ask(org: Org, community: Community, month: date, number: int) -> Post:
    with dated(day(month, number)):
        return qa.question_ask(
            actor=org.member,
            community=community,
            title=f"How do we do thing {number} of {month:%B}?",
            body="Asking for the team.",
        )


def _answer(author: Person, question: Post, month: date, number: int) -> Post:
    with dated(day(month, number)):
        return qa.answer_post(actor=author, question=question, body="Like this, it worked.")


def _accept(org: Org, answer: Post, month: date, number: int) -> None:
    with dated(day(month, number)):
        qa.answer_accept(actor=org.member, answer=answer)


def _read(reader: Person, question: Post, month: date, number: int) -> None:
    with dated(day(month, number)):
        assert qa.question_view_record(viewer=reader, question=question)


@pytest.fixture
def history(org: Org) -> History:
    now = timezone.now()
    current = counts.month_of(now)
    last, before = counts.add_months(current, -1), counts.add_months(current, -2)
    guild = org.public

    asked = [_ask(org, guild, before, n) for n in range(1, 6)]
    _accept(org, _answer(org.facilitator, asked[0], before, 2), before, 3)
    _answer(org.facilitator, asked[1], before, 4)
    _answer(org.leader, asked[2], before, 5)
    _read(org.newcomer, asked[0], before, 6)

    asked = [_ask(org, guild, last, n) for n in range(3, 9)]
    answers = [_answer(org.facilitator, question, last, 10) for question in asked[:4]]
    _answer(org.leader, asked[4], last, 11)
    _accept(org, answers[0], last, 12)
    _accept(org, answers[1], last, 12)
    with dated(day(last, 13)):
        qa.comment_add(actor=org.newcomer, post=asked[2], body="Same here, thanks.")
    _read(org.sponsor, asked[0], last, 14)
    with dated(day(last, 15)):
        qa.comment_add(actor=org.outsider, post=answers[0], body="This saved my deploy.")

    with dated(day(last, 5)):
        secret = qa.question_ask(
            actor=org.leader,
            community=org.private,
            title="Who holds the spare incident pager?",
            body="For the drill.",
        )
    _answer(org.member, secret, last, 6)
    return History(org=org, now=now, current=current, last=last, before=before)


@pytest.fixture
def computed(history: History) -> History:
    health_refresh(now=history.now)
    return history


def _page(client: Client, url: str) -> html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.fromstring(response.content.decode())


def _rows(page: html.HtmlElement) -> dict[str, dict[str, str]]:
    found = page.xpath("//table[contains(@class,'health__metrics')]/tbody/tr")
    assert isinstance(found, list)
    rows = {}
    for row in found:
        assert isinstance(row, html.HtmlElement)
        cells = [" ".join(cell.text_content().split()) for cell in row]
        rows[str(row.get("data-metric"))] = {
            "label": cells[0],
            "now": cells[1],
            "before": cells[2],
            "desirable": cells[3],
            "moved": cells[4],
            "means": cells[5],
        }
    return rows


def _text(page: html.HtmlElement) -> str:
    return " ".join(page.text_content().split())


# The refresh ---------------------------------------------------------------------------------


def test_the_refresh_stores_what_assess_computes(computed: History) -> None:
    """The refresh reads all its months at once (`health_for_months`); each month stored is
    what reading that month alone gives."""
    h = computed
    rows = InsightSnapshot.objects.filter(kind=InsightSnapshot.HEALTH)
    scopes = {(row.community_id, row.month) for row in rows}
    assert {(h.org.public.pk, h.before), (h.org.public.pk, h.last), (None, h.current)} <= scopes
    assert len(scopes) >= 7  # the public community's and the organisation's months, the private's
    for row in rows:
        start, end = counts.month_bounds(row.month)
        expected = health_reads.health_for(
            community=row.community, start=start, end=end, as_of=h.now
        )
        assert row.figures == health_selectors.figures_of(expected, as_of=h.now), row
        assert row.computed_at == h.now
    stored = health_selectors.health_snapshot_read(community=h.org.public, month=h.last)
    assert stored is not None and stored.complete
    health = stored.health
    figures = {m.key: (m.value, m.previous, m.moved_right_way) for m in health.metrics}
    assert figures["questions_asked"] == (6, 5, True)
    assert figures["active_people"] == (6, 4, True)
    assert figures["engaged_people"] == (5, 3, True)
    assert figures["resolution_rate"] == (0.3333, 0.2, True)
    assert figures["unanswered_share"] == (0.1667, 0.4, True)
    assert health.headline.label == HEALTHY_GROWTH


def test_each_scope_is_stored_from_its_first_month_to_the_current_one(computed: History) -> None:
    h = computed
    assert health_selectors.health_months(community=h.org.public) == [h.current, h.last, h.before]
    assert health_selectors.health_months(community=h.org.private) == [h.current, h.last]
    assert health_selectors.health_months(community=None) == [h.current, h.last, h.before]


def test_refreshing_again_replaces_the_rows_and_leaves_settled_months(computed: History) -> None:
    h = computed
    before = {
        (row.community_id, row.month): row.figures
        for row in InsightSnapshot.objects.filter(kind=InsightSnapshot.HEALTH)
    }
    # The current month of each scope again, and the last one while it settles (a week).
    settling = h.now < counts.month_bounds(h.last)[1] + SETTLE
    assert health_refresh(now=h.now) == 3 * (2 if settling else 1)
    again = {
        (row.community_id, row.month): row.figures
        for row in InsightSnapshot.objects.filter(kind=InsightSnapshot.HEALTH)
    }
    assert again == before
    tomorrow = h.now + timedelta(days=1)
    health_refresh(now=tomorrow)
    settled = InsightSnapshot.objects.get(community=h.org.public, month=h.before)
    assert settled.computed_at == h.now  # over for more than a week: not read again
    running = InsightSnapshot.objects.get(community=h.org.public, month=counts.month_of(tomorrow))
    assert running.computed_at == tomorrow


def test_after_an_import_every_stored_month_is_read_again(computed: History) -> None:
    """History that lands in a settled month (an import) reaches its figures only when the
    rebuild asks for every month again."""
    h = computed
    _ask(h.org, h.org.public, h.before, 20)  # one more question, back-dated into it
    health_refresh(now=h.now)
    row = InsightSnapshot.objects.get(community=h.org.public, month=h.before)
    asked = {m["key"]: m["value"] for m in row.figures["metrics"]}["questions_asked"]
    assert asked == 5  # settled: not read again
    health_refresh(now=h.now, recompute=True)
    row = InsightSnapshot.objects.get(community=h.org.public, month=h.before)
    assert {m["key"]: m["value"] for m in row.figures["metrics"]}["questions_asked"] == 6


def test_a_month_read_before_it_settled_is_read_again(computed: History) -> None:
    h = computed
    end = counts.month_bounds(h.before)[1]
    InsightSnapshot.objects.filter(community=h.org.public, month=h.before).update(
        computed_at=end + timedelta(days=2)  # answers to its last questions could still come
    )
    health_refresh(now=h.now)
    row = InsightSnapshot.objects.get(community=h.org.public, month=h.before)
    assert row.computed_at == h.now


def test_nothing_recorded_stores_nothing(db: None) -> None:
    assert health_refresh() == 0
    assert not InsightSnapshot.objects.exists()


# The page ------------------------------------------------------------------------------------


def test_the_leader_reads_the_label_and_each_metric_in_words(
    computed: History, client_for: ClientFor
) -> None:
    h = computed
    page = _page(client_for(h.org.leader), reverse("community-health", args=["kubernetes"]))
    text = _text(page)
    # The month shown by default is the last one that is over.
    assert f"{h.last:%B %Y}: Healthy growth" in text
    assert "Healthy growth: active people rose from 4 to 6 (+50%)" in text
    rows = _rows(page)
    assert rows["questions_asked"] == {
        "label": "Questions asked",
        "now": "6",
        "before": "5",
        "desirable": "Higher is better",
        "moved": "Moved the right way (up)",
        "means": "6 questions asked (5 the month before).",
    }
    assert rows["unanswered_share"]["now"] == "17%"
    assert rows["unanswered_share"]["before"] == "40%"
    assert rows["unanswered_share"]["desirable"] == "Lower is better"
    assert rows["unanswered_share"]["moved"] == "Moved the right way (down)"
    assert rows["lost_regulars"]["moved"] == "No change"
    assert rows["top10_share"]["now"] == "not enough answers to say"
    assert rows["top10_share"]["moved"] == "Cannot compare: a figure is missing"
    assert "Download every month as CSV" in text


def test_the_charts_carry_the_stored_figures(computed: History, client_for: ClientFor) -> None:
    h = computed
    page = _page(client_for(h.org.admin), reverse("community-health", args=["kubernetes"]))
    dots = page.xpath("//svg[@data-chart='health-people']//circle[@data-series='active_people']")
    assert isinstance(dots, list)
    assert [dot.get("data-value") for dot in dots if isinstance(dot, html.HtmlElement)] == [
        "4",
        "6",
    ]
    resolved = page.xpath(
        "//svg[@data-chart='health-questions']//circle[@data-series='resolution_rate']"
    )
    assert isinstance(resolved, list)
    values = [dot.get("data-value") for dot in resolved if isinstance(dot, html.HtmlElement)]
    assert values == ["20", "33.3"]


def test_a_thin_community_says_not_enough_instead_of_a_rate(
    computed: History, client_for: ClientFor
) -> None:
    page = _page(
        client_for(computed.org.leader), reverse("community-health", args=["security-council"])
    )
    rows = _rows(page)
    assert rows["resolution_rate"]["now"] == "not enough questions to say"
    assert rows["resolution_rate"]["means"].startswith("Only 1 question: too few for a rate")
    assert rows["stickiness"]["now"] == "not enough active people to say"
    assert "%" not in rows["resolution_rate"]["now"]
    assert "Too few people to call a trend" in _text(page)


def test_the_month_picker_and_months_that_are_not_there(
    computed: History, client_for: ClientFor
) -> None:
    h = computed
    client = client_for(h.org.leader)
    url = reverse("community-health", args=["kubernetes"])
    earlier = _text(_page(client, url + f"?month={h.before:%Y-%m}"))
    assert f"{h.before:%B %Y}:" in earlier
    running = _page(client, url + f"?month={h.current:%Y-%m}")
    assert f"{h.current:%B %Y} (to date)" in _text(running)
    assert "is not over" in _text(running)
    assert {row["moved"] for row in _rows(running).values()} == {"Too early to say"}
    label = running.xpath("//*[@data-testid='health-label']")
    assert isinstance(label, list) and isinstance(label[0], html.HtmlElement)
    assert label[0].get("data-label") == ""  # no label while the month runs
    wrong = client.get(url + "?month=soon", follow=True).content.decode()
    assert "is not a month: use YYYY-MM" in wrong
    never = client.get(url + "?month=2020-01", follow=True).content.decode()
    assert "No health figures for January 2020: choose one of the months offered." in never


def test_before_anything_is_computed_the_page_says_so(org: Org, client_for: ClientFor) -> None:
    body = client_for(org.admin).get(reverse("org-health") + "?month=2026-10").content.decode()
    assert "none have been computed yet" in body


def test_the_organisation_counts_everyone_for_org_admins_only(
    computed: History, client_for: ClientFor
) -> None:
    h = computed
    rows = _rows(_page(client_for(h.org.admin), reverse("org-health")))
    assert rows["questions_asked"]["now"] == "7"  # the private community's question too
    assert client_for(h.org.leader).get(reverse("org-health")).status_code == 403
    assert client_for(h.org.leader).get(reverse("org-health-csv")).status_code == 403


def test_leaders_find_the_page_from_the_community_and_participation(
    computed: History, client_for: ClientFor
) -> None:
    health = reverse("community-health", args=["kubernetes"])
    community = reverse("community-detail", args=["kubernetes"])
    assert health in client_for(computed.org.leader).get(community).content.decode()
    assert health not in client_for(computed.org.member).get(community).content.decode()
    participation = reverse("community-participation", args=["kubernetes"])
    assert health in client_for(computed.org.leader).get(participation).content.decode()


# The CSV -------------------------------------------------------------------------------------


def test_the_csv_has_a_row_per_month_and_metric(computed: History, client_for: ClientFor) -> None:
    h = computed
    response = client_for(h.org.leader).get(reverse("community-health-csv", args=["kubernetes"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="health-kubernetes.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == list(health_page.CSV_HEADER)
    metrics = len(health_selectors.health_snapshots(community=h.org.public)[0].health.metrics)
    assert len(rows) == 1 + 3 * metrics
    assert [f"{h.last:%Y-%m}", "questions_asked", "Questions asked", "6", "5", "up", "yes",
            "yes"] in rows  # fmt: skip
    assert [f"{h.last:%Y-%m}", "top10_share", "Top-10 share of answers", "", "", "down", "",
            "yes"] in rows  # fmt: skip
    assert [row[0] for row in rows[1:]] == sorted(row[0] for row in rows[1:])  # oldest first


def test_csv_cells_that_would_be_formulas_are_neutralised() -> None:
    assert health_page.csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert health_page.csv_safe("+1") == "'+1"
    assert health_page.csv_safe("-1") == "'-1"
    assert health_page.csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert health_page.csv_safe("\tx") == "'\tx"
    assert health_page.csv_safe("Questions asked") == "Questions asked"


# The API -------------------------------------------------------------------------------------


def test_the_api_gives_the_stored_figures(computed: History, client_for: ClientFor) -> None:
    h = computed
    client = client_for(h.org.leader)
    data = client.get(f"/api/v1/communities/kubernetes/health?month={h.last:%Y-%m}").json()
    assert data["scope"] == "Kubernetes Guild"
    assert data["month"] == f"{h.last:%Y-%m}" and data["month_over"] is True
    assert data["headline"]["label"] == HEALTHY_GROWTH
    assert data["months"] == [f"{m:%Y-%m}" for m in (h.current, h.last, h.before)]
    asked = next(m for m in data["metrics"] if m["key"] == "questions_asked")
    assert asked == {
        "key": "questions_asked",
        "label": "Questions asked",
        "value": 6,
        "previous": 5,
        "desirable": "up",
        "moved_right_way": True,
        "explanation": "6 questions asked (5 the month before).",
        "is_share": False,
        "cases": 6,
    }
    default = client.get("/api/v1/communities/kubernetes/health").json()
    assert default["month"] == f"{h.last:%Y-%m}"  # the newest month that is over
    running = client.get(f"/api/v1/communities/kubernetes/health?month={h.current:%Y-%m}")
    assert running.json()["month_over"] is False and running.json()["headline"]["label"] is None


def test_the_api_names_a_bad_month(computed: History, client_for: ClientFor) -> None:
    client = client_for(computed.org.leader)
    bad = client.get("/api/v1/communities/kubernetes/health?month=2026-13")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "month"]
    missing = client.get("/api/v1/communities/kubernetes/health?month=2020-01")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No health figures for January 2020."


def test_the_api_before_anything_is_computed(org: Org, client_for: ClientFor) -> None:
    data = client_for(org.admin).get("/api/v1/health").json()
    assert data["month"] is None and data["metrics"] == [] and data["months"] == []


# Who sees what -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        reverse("community-health", args=["security-council"]),
        reverse("community-health-csv", args=["security-council"]),
        "/api/v1/communities/security-council/health",
    ],
)
def test_the_outsider_finds_no_private_community(
    computed: History, client_for: ClientFor, url: str
) -> None:
    response = client_for(computed.org.outsider).get(url)
    assert response.status_code == 404
    body = response.content.decode()
    assert "Security Council" not in body and "pager" not in body


def test_members_and_sponsors_are_told_it_is_for_leaders(
    computed: History, client_for: ClientFor
) -> None:
    for persona in (computed.org.member, computed.org.sponsor):
        client = client_for(persona)
        assert client.get(reverse("community-health", args=["kubernetes"])).status_code == 403
        assert client.get("/api/v1/communities/kubernetes/health").status_code == 403


# The chart -----------------------------------------------------------------------------------


def test_a_month_without_a_figure_is_a_gap_not_a_zero() -> None:
    svg = charts.lines(
        name="t",
        title="T",
        labels=["Jan", "Feb", "Mar", "Apr"],
        series=[charts.Line("a", "A", [1, None, 3, 4])],
    )
    tree = html.fromstring(svg)
    assert [c.get("data-value") for c in tree.iter("circle")] == ["1", "3", "4"]
    assert len(list(tree.iter("polyline"))) == 1  # March to April; January stands alone
