"""What Trellis infers about participation, read in a real browser (issue 17): a leader reads
the levels and their transitions, the health page, a lost regular and a champion with their
reasons; a peripheral member reads where they stand and follows their next step; an org admin
reads the silo map; the outsider finds none of the private community's figures, names or cells.

The history is written through the services and back-dated, then stored by the refresh
services as the nightly job would. Months count back from today: M1 is the last complete month,
M4 the oldest. In the Kubernetes Guild (public), besides the personas:

- Platform (6): Rita Okafor contributes 5 times a month from M4 to M2 (active, active, core)
  and only reads in M1: a lost regular. Chen Wei answers colleagues in M2 and Data in M1
  (accepted, up-voted, thanked) and holds no role: a champion not yet recognised.
- Data (5) ask in M1 and Platform answers them 5 times; Ines Duarte's guide is read by the
  other four: 4 of the 9 pieces of help Data received came from inside Data.
- Legal (2): Pia Reyes reads 4 questions about helm in M1 and writes nothing (peripheral), and
  two helm questions wait for an answer; Zoe Marsh asks once.
- Engineering, Design and Legal each have one person in the silo map's help: 3 together, fewer
  than 5, so the map leaves them out and says so.

Engaged people go from 7 in M2 to 13 in M1 and active people from 9 to 16: healthy growth.

The Security Council (private) has five members of its own, all in Security, who help each
other in M1, and Dmitri's helm question there waits for an answer: none of it may reach the
outsider, nor the organisation's silo map (built from what everyone may see).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.db.models import Max, Model
from django.utils import timezone
from playwright.sync_api import Browser, ViewportSize, expect
from pytest_django import Settings
from pytest_django.live_server_helper import LiveServer

from tests.browser.test_membership_journey import sign_in
from tests.browser.test_qa_journey import open_as
from tests.personas import Org, build_org, person
from trellis.communities import services as community_services
from trellis.communities.models import Community, Membership, Role
from trellis.core.activity import view_record
from trellis.core.models import Activity
from trellis.insights.counts import add_months, month_bounds, month_of
from trellis.insights.levels import RANK
from trellis.insights.models import InsightSnapshot, MonthlyFlow
from trellis.insights.services.champions import champions_refresh
from trellis.insights.services.health import health_refresh
from trellis.insights.services.levels import levels_rebuild
from trellis.insights.services.silos import silos_refresh
from trellis.library import services as library_services
from trellis.library.models import Resource
from trellis.people.models import Department, Person
from trellis.qa import services as qa_services
from trellis.qa.models import Post, Thanks, Vote

pytestmark = pytest.mark.browser

WIDE: ViewportSize = {"width": 1280, "height": 900}
WAITING = (
    "Can a Helm hook wait for a database migration job?",
    "Why does helm diff show every secret as changed?",
)
PRIVATE_WAITING = "Which helm chart holds the breach drill vault?"
PRIVATE_PEOPLE = ("Vera Lockwood", "Dmitri Volkov", "Nadia Brandt", "Oskar Wells", "Mei Fontaine")
# What the outsider must never read: the private community, its own members, its questions.
PRIVATE_WORDS = ("Security Council", *PRIVATE_PEOPLE, PRIVATE_WAITING, "breach drill")


@dataclass
class History:
    org: Org
    m1: date  # the last complete month
    m2: date
    m3: date
    m4: date
    rita: Person  # the lost regular
    chen: Person  # the champion nobody has recognised yet
    pia: Person  # the peripheral member


# -- writing the history -----------------------------------------------------------------------


def _last_pk(model: type[Model]) -> int:
    return int(model._default_manager.aggregate(last=Max("pk"))["last"] or 0)


@contextmanager
def _dated(when: datetime, *also: type[Model]) -> Iterator[None]:
    """Back-date what the services write inside the block to `when`, as if written then: its
    activity rows and posts, and the rows of the models in `also` (votes, thanks, guides)."""
    models: tuple[type[Model], ...] = (Activity, Post, *also)
    marks = {model: _last_pk(model) for model in models}
    yield
    for model, mark in marks.items():
        model._default_manager.filter(pk__gt=mark).update(created_at=when)
    Post.objects.filter(pk__gt=marks[Post]).update(last_activity_at=when)


def _at(month: date, day: int, hour: int = 10) -> datetime:
    return month_bounds(month)[0] + timedelta(days=day - 1, hours=hour)


def _ask(who: Person, community: Community, title: str, when: datetime, tags: str) -> Post:
    with _dated(when):
        return qa_services.question_ask(
            actor=who, community=community, title=title, body="Details below.", tags=tags
        )


def _answer(who: Person, question: Post, when: datetime) -> Post:
    with _dated(when):
        return qa_services.answer_post(actor=who, question=question, body="Here is what works.")


def _read(who: Person, question: Post, when: datetime) -> None:
    with _dated(when):
        assert qa_services.question_view_record(viewer=who, question=question)


def _department(name: str, people: list[str]) -> list[Person]:
    department = Department.objects.create(name=name, slug=name.lower())
    return [person(f"{full.split()[0].lower()}@example.com", full, department) for full in people]


def _regular_month(h: History, month: date, asker_a: Person, asker_b: Person) -> None:
    """Rita's 5 contributions of a month (ask, answer twice, vote twice); Lena answers her."""
    public = h.org.public
    first = _ask(asker_a, public, f"How do I size a JVM pod ({month:%B})?", _at(month, 6), "jvm")
    second = _ask(asker_b, public, f"Where do shared values live ({month:%B})?", _at(month, 7), "")
    own = _ask(
        h.rita, public, f"Who owns the ingress certificates ({month:%B})?", _at(month, 8), ""
    )
    for question in (first, second):
        _answer(h.rita, question, _at(month, 9))
        with _dated(_at(month, 9, 12), Vote):
            qa_services.post_vote(actor=h.rita, post=question, value=1)
    _answer(h.org.leader, own, _at(month, 10))


@pytest.fixture
def history(transactional_db: None, settings: Settings) -> History:
    # What the services hand to tasks (indexing, routing, emails) is no part of these pages,
    # and ran immediately it would take most of the test's time: dropped while writing.
    running = settings.TASKS
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    org = build_org()
    public, private = org.public, org.private
    m1 = add_months(month_of(timezone.now()), -1)
    m2, m3, m4 = add_months(m1, -1), add_months(m1, -2), add_months(m1, -3)
    rita, chen, omar, lucia, tom, aiko = _department(
        "Platform",
        ["Rita Okafor", "Chen Wei", "Omar Haddad", "Lucia Romero", "Tom Becker", "Aiko Tanaka"],
    )
    ines, kofi, hana, yusuf, greta = _department(
        "Data", ["Ines Duarte", "Kofi Mensah", "Hana Novak", "Yusuf Demir", "Greta Lind"]
    )
    pia, zoe = _department("Legal", ["Pia Reyes", "Zoe Marsh"])
    vera, dmitri, *security = _department("Security", list(PRIVATE_PEOPLE))
    for someone in (rita, chen, omar, lucia, tom, aiko, ines, kofi, hana, yusuf, greta, pia, zoe):
        community_services.community_join(actor=someone, community=public)
    for someone in (vera, dmitri, *security):
        invitation = community_services.invitation_create(
            actor=org.leader, community=private, person=someone, role=Role.MEMBER
        )
        community_services.invitation_respond(actor=someone, invitation=invitation, accept=True)
    h = History(org, m1, m2, m3, m4, rita, chen, pia)

    # M4 and M3: Rita's regular months.
    _regular_month(h, m4, chen, omar)
    _regular_month(h, m3, chen, omar)
    _read(pia, Post.objects.filter(author=rita, kind="question").latest("created_at"), _at(m3, 20))

    # M2: Rita's third regular month (core now); Chen starts answering his colleagues.
    asked = {
        who: _ask(who, public, f"{who.name.split()[0]}'s question on node pools", _at(m2, 5), "")
        for who in (rita, omar, lucia, tom, aiko)
    }
    by_chen = {who: _answer(chen, asked[who], _at(m2, 6)) for who in (omar, lucia, tom)}
    for who in (aiko, omar):
        _answer(rita, asked[who], _at(m2, 7))
    for who in (omar, lucia):
        with _dated(_at(m2, 8), Vote):
            qa_services.post_vote(actor=rita, post=by_chen[who], value=1)
    with _dated(_at(m2, 8)):
        qa_services.answer_accept(actor=tom, answer=by_chen[tom])
    _answer(org.leader, asked[rita], _at(m2, 9))
    for reader in (ines, kofi):
        _read(reader, asked[omar], _at(m2, 10))

    # M1: Data asks and Platform answers; Rita only reads.
    helm = {
        who: _ask(who, public, f"{title}?", _at(m1, 3), "helm")
        for who, title in (
            (ines, "How do I roll back a Helm release safely"),
            (kofi, "Which Helm chart version do we pin for Kafka"),
            (hana, "How do I template a ConfigMap in Helm"),
            (yusuf, "Why does helm upgrade time out on our cluster"),
        )
    }
    for who in (ines, kofi, hana):
        answer = _answer(chen, helm[who], _at(m1, 4))
        with _dated(_at(m1, 5), Vote, Thanks):
            if who is hana:
                qa_services.post_vote(actor=hana, post=answer, value=1)
            else:
                qa_services.answer_accept(actor=who, answer=answer)
            if who is ines:
                qa_services.post_thank(actor=ines, post=answer)
    _answer(omar, helm[yusuf], _at(m1, 5))
    greta_asks = _ask(greta, public, "How many replicas for the metrics store?", _at(m1, 6), "")
    _answer(lucia, greta_asks, _at(m1, 7))
    for asker, answerer in ((tom, aiko), (aiko, tom)):
        question = _ask(asker, public, f"{asker.name}'s question on taints", _at(m1, 8), "")
        _answer(answerer, question, _at(m1, 9))
    zoe_asks = _ask(zoe, public, "Can contracts data sit on the shared cluster?", _at(m1, 9), "")
    _answer(greta, zoe_asks, _at(m1, 10))
    mo_asks = _ask(org.member, public, "Who reviews our network policies?", _at(m1, 10), "")
    _answer(org.leader, mo_asks, _at(m1, 11))
    with _dated(_at(m1, 12), Resource):
        guide = library_services.resource_create(
            actor=ines,
            community=public,
            kind="guide",
            title="Reading the cost dashboard",
            body="Start from the namespace view.",
        )
    for reader in (kofi, hana, yusuf, greta):
        with _dated(_at(m1, 13)):
            view_record(viewer=reader, obj=guide, community_id=public.pk)
    for day, (who, title) in enumerate(zip((omar, lucia), WAITING, strict=True)):
        _ask(who, public, title, _at(m1, 20 + day), "helm")
    for question in (*helm.values(), greta_asks):
        _read(pia, question, _at(m1, 15))
    for reader in (rita, org.outsider):
        for question in (helm[ines], helm[kofi]):
            _read(reader, question, _at(m1, 16))

    # M1 in the Security Council: Vera answers her colleagues and Mo; Dmitri's question waits.
    for asker in (dmitri, *security, org.member):
        question = _ask(asker, private, f"{asker.name}'s question on key rotation", _at(m1, 4), "")
        answer = _answer(vera, question, _at(m1, 5))
        with _dated(_at(m1, 6)):
            qa_services.answer_accept(actor=asker, answer=answer)
    _ask(dmitri, private, PRIVATE_WAITING, _at(m1, 25), "helm")

    # Everyone joined before the history began; then the nightly job.
    before = month_bounds(add_months(m4, -1))[0]
    Person.objects.update(created_at=before)
    Membership.objects.update(joined_at=before)
    settings.TASKS = running
    levels_rebuild()
    health_refresh()
    champions_refresh()
    silos_refresh()
    return h


# -- reading the pages -------------------------------------------------------------------------


def _moves_expected(community: Community, month: date) -> dict[str, dict[str, int]]:
    """The transitions table as the stored MonthlyFlow rows say it should read."""
    expected: dict[str, dict[str, int]] = {}
    for before, after, people in MonthlyFlow.objects.filter(
        community=community, month=month
    ).values_list("before", "after", "people"):
        if not before:
            continue
        row = expected.setdefault(before, {"before": 0, "up": 0, "held": 0, "down": 0, "left": 0})
        row["before"] += people
        if not after:
            row["left"] += people
        elif RANK[after] > RANK[before]:
            row["up"] += people
        else:
            row["held" if RANK[after] == RANK[before] else "down"] += people
    return expected


def _months_in_words(months: list[date], reference: date) -> str:
    """'August and September', with a year only where it is not the reference's."""
    names = [
        f"{m:%B %Y}" if m.year != reference.year and (i + 1 == len(months) or
                                                       months[i + 1].year != m.year)
        else f"{m:%B}"
        for i, m in enumerate(months)
    ]  # fmt: skip
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def test_a_leader_reads_levels_health_and_who_to_talk_to(
    browser: Browser, live_server: LiveServer, history: History, screenshots: Path
) -> None:
    h, base, errors = history, live_server.url, list[str]()
    public = h.org.public
    _, page = open_as(browser, base, h.org.leader.email, errors, WIDE)

    # The community page leads to its participation levels, this month's so far; the leader
    # asks for last month's.
    page.goto(f"{base}/c/{public.slug}/")
    page.get_by_test_id("participation-link").click()
    expect(page.get_by_test_id("month-running")).to_contain_text(f"Choose {h.m1:%B} for a whole")
    page.get_by_label("Month").select_option(f"{h.m1:%Y-%m}")
    page.get_by_role("button", name="Show").click()
    levels = page.locator("table.participation__levels")
    expect(levels).to_have_attribute("data-month", f"{h.m1:%Y-%m}")
    expect(page.get_by_test_id("month-running")).to_have_count(0)
    rows = page.locator("table.participation__moves tbody tr[data-level]")
    shown = {
        row.get_attribute("data-level"): {
            cell.get_attribute("data-move"): int(cell.inner_text())
            for cell in row.locator("td[data-move]").all()
        }
        for row in rows.all()
    }
    expected = _moves_expected(public, h.m1)
    assert {level: row for level, row in shown.items() if row["before"]} == expected
    # Rita was the one core member in M2, and moved outward when she stopped writing.
    assert shown["core"] == {"before": 1, "up": 0, "held": 0, "down": 1, "left": 0}
    bands = {
        (band.get_attribute("data-from"), band.get_attribute("data-to")): int(
            band.get_attribute("data-value") or 0
        )
        for band in page.locator("svg[data-chart='level-flow'] path[data-from]").all()
    }
    stored = {
        (before or "outside", after or "outside"): people
        for before, after, people in MonthlyFlow.objects.filter(
            community=public, month=h.m1
        ).values_list("before", "after", "people")
    }
    assert bands == stored
    page.screenshot(path=screenshots / "insights-01-leader-participation.png", full_page=True)

    # Health: last month against the month before, with its label and each figure in words.
    page.get_by_test_id("health-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Community health")
    expect(page.get_by_test_id("health-label")).to_have_text("Healthy growth")
    engaged = page.locator("tr[data-metric='engaged_people']")
    expect(engaged.locator("td.health__now")).to_have_text("13")
    expect(engaged.locator("td.health__before")).to_have_text("7")
    expect(engaged.locator("td.health__desirable")).to_have_text("Higher is better")
    expect(engaged.locator("td.health__moved")).to_have_text("Moved the right way (up)")
    stored_health = InsightSnapshot.objects.get(kind="health", community=public, month=h.m1)
    assert "healthy growth" in str(stored_health.figures).lower()
    expect(page.locator("tr[data-metric='active_people'] td.health__now")).to_have_text("16")
    page.screenshot(path=screenshots / "insights-02-leader-health.png", full_page=True)

    # Champions and who to talk to, from the participation page.
    page.get_by_role("link", name="Participation levels").click()
    page.get_by_test_id("champions-link").click()
    lost = page.locator("[data-list='lost'] li", has_text=h.rita.name)
    was = _months_in_words([h.m4, h.m3], h.m1)
    expect(lost).to_have_text(
        f"{h.rita.name}: Active in {was}, core in {_months_in_words([h.m2], h.m1)}; "
        f"read here in {h.m1:%B} but wrote nothing."
    )
    champion = page.locator(f"li.champions__person[data-person='{h.chen.pk}']")
    expect(champion).to_have_attribute("data-recognised", "no")
    expect(champion.get_by_test_id("not-recognised")).to_have_text("Not yet recognised")
    reasons = champion.locator(".champions__reasons li")
    expect(reasons.first).to_have_text(
        "Helped 6 people in the last year (3 accepted answers, thanked 1 time)."
    )
    expect(reasons.filter(has_text="other department")).to_have_text(
        "Helped people in 1 other department: Data."
    )
    page.screenshot(path=screenshots / "insights-03-leader-champions.png", full_page=True)
    page.get_by_test_id("not-recognised-filter").click()
    expect(page.locator(f"li.champions__person[data-person='{h.chen.pk}']")).to_be_visible()
    expect(page.locator("li.champions__person[data-recognised='yes']")).to_have_count(0)
    assert errors == [], errors


def test_readers_see_their_next_step_and_nothing_private(
    browser: Browser, live_server: LiveServer, history: History, screenshots: Path
) -> None:
    """Pia, a peripheral member, reads where she stands and follows her next step. The
    outsider read two of the same questions: the newest helm question waiting for an answer is
    the private community's, so a leak would show it first in their step; nor may any insights
    page or API operation show them the private community's figures, names or cells."""
    base, errors = live_server.url, list[str]()
    context, page = open_as(browser, base, history.pia.email, errors, WIDE)

    panel = page.get_by_test_id("where-you-stand")
    expect(panel).to_have_attribute("data-level", "peripheral")
    expect(panel.locator(".where-you-stand__level")).to_have_text(
        "Your level lately: Peripheral (read and come to sessions, without writing)."
    )
    step = page.get_by_test_id("next-step")
    expect(step).to_have_attribute("data-kind", "answer")
    expect(step.locator(".where-you-stand__sentence")).to_have_text(
        "You read 4 questions about helm in the last 90 days: these 2 are waiting for an answer."
    )
    expect(step.locator(".where-you-stand__items a")).to_have_text(list(reversed(WAITING)))
    for title in WAITING:  # named once: not again under "Can you help?"
        expect(page.get_by_role("link", name=title)).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text(PRIVATE_WAITING)
    page.screenshot(path=screenshots / "insights-04-peripheral-home.png", full_page=True)

    step.get_by_role("link", name="Unanswered questions about helm").click()
    expect(page).to_have_url(re.compile(r"/questions/\?.*tag=helm"))
    for title in WAITING:
        expect(page.get_by_role("link", name=title)).to_be_visible()
    page.screenshot(path=screenshots / "insights-05-peripheral-next-step.png", full_page=True)
    assert errors == [], errors
    context.close()

    # The outsider, in a session of their own.
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    sign_in(page, base, history.org.outsider.email)

    def never_private(where: str) -> None:
        text = page.locator("body").inner_text()
        for words in PRIVATE_WORDS:
            assert words not in text, f"{words!r} on {where}"

    # Their own standing and next step: public questions only.
    step = page.get_by_test_id("next-step")
    expect(step.locator(".where-you-stand__items a")).to_have_text(list(reversed(WAITING)))
    never_private("the home page")
    page.screenshot(path=screenshots / "insights-06-outsider-home.png", full_page=True)
    page.goto(f"{base}/c/kubernetes/")  # not a leader: no way in to its figures
    expect(page.get_by_test_id("participation-link")).to_have_count(0)

    # The private community's pages do not exist for them; the organisation's are refused
    # (the public community's, for its leaders, are in the permission matrix).
    pages = ("participation/", "health/", "health.csv", "champions/", "silos/")
    refused = {
        **{f"/c/security-council/{p}": 404 for p in pages},
        **{f"/{p}": 403 for p in pages},
    }
    for path, status in refused.items():
        response = page.goto(base + path)
        assert response is not None and response.status == status, (path, response)
        never_private(path)
    page.goto(base + "/c/security-council/health/")
    page.screenshot(path=screenshots / "insights-07-outsider-refused.png", full_page=True)

    api = {
        **{f"/api/v1/communities/security-council/{p}": 404 for p in
           ("health", "champions", "silos")},
        **{f"/api/v1/{p}": 403 for p in ("health", "champions", "silos")},
    }  # fmt: skip
    for path, status in api.items():
        answer = context.request.get(base + path)
        assert answer.status == status, (path, answer.status)
        assert not any(words in answer.text() for words in PRIVATE_WORDS), path
    mine = context.request.get(base + "/me/insights.json")
    assert mine.ok and not any(words in mine.text() for words in PRIVATE_WORDS)
    context.close()


def test_an_org_admin_reads_the_silo_map(
    browser: Browser, live_server: LiveServer, history: History, screenshots: Path
) -> None:
    base, errors = live_server.url, list[str]()
    _, page = open_as(browser, base, history.org.admin.email, errors, WIDE)
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Silo map", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Where help crosses departments across the organisation"
    )
    svg = page.locator("svg[data-chart='silo-map']")
    expect(svg).to_be_visible()
    expect(svg.locator("circle[data-department='Data']")).to_have_attribute("data-people", "5")
    link = svg.locator("line[data-from='Data'][data-to='Platform']")
    expect(link).to_have_attribute("data-value", "5")
    data = page.locator("tr[data-department='Data']")
    expect(data.locator("td[data-figure='received']")).to_have_text("9")
    expect(data.locator("td[data-figure='from-inside']")).to_have_text("44%")
    expect(data).to_contain_text("44% of the help Data received came from Data itself.")
    expect(page.locator(".silos__withheld")).to_contain_text(
        "3 departments with fewer than 5 people involved, even all together, are left out."
    )
    # Security's help is all inside the private community: not on the organisation's map.
    expect(page.locator("[data-department='Security']")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Security")
    page.screenshot(path=screenshots / "insights-08-admin-silo-map.png", full_page=True)
    assert errors == [], errors
