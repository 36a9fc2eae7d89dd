"""The silo map: the pure map pinned to hand-computed figures (inside shares, link weights,
bridges, the suppression of a 4-person department and of a link resting on 4 people), the
reads (help inside a private community never shapes the organisation's map, nor a public
community's), the stored snapshot, the page and the API.

The organisation's map is for org admins, but it is safe for anyone to read: it is built only
from content every signed-in person may see (`access.silo_map_content`), which the reads test
pins by adding help in the private community and finding the organisation's map unchanged.
"""

import json
from datetime import datetime, timedelta
from itertools import count, pairwise

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import html

from tests.personas import Org, person
from tests.typing_helpers import ClientFor
from trellis.communities import services as community_services
from trellis.communities.models import Community, Role
from trellis.core.activity import view_record
from trellis.events.models import Event, EventKind, Rsvp
from trellis.insights import silo_page, silo_reads
from trellis.insights.models import InsightSnapshot
from trellis.insights.services.silos import silos_refresh
from trellis.insights.silos import (
    ANSWER,
    GUIDE,
    OTHER,
    SESSION,
    Bridge,
    Connector,
    HelpFact,
    SiloMap,
    silo_map,
)
from trellis.library import services as library_services
from trellis.people.models import Department, Person
from trellis.qa.models import Post, PostKind

# -- the pure map ------------------------------------------------------------------------------

_ids = count(1)


def _team(size: int) -> list[int]:
    return [next(_ids) for _ in range(size)]


def _help(
    giver_dept: str, receiver_dept: str, pairs: list[tuple[int, int]], kind: str = ANSWER
) -> list[HelpFact]:
    return [HelpFact(giver_dept, receiver_dept, g, r, kind) for g, r in pairs]


def test_inside_shares_and_link_weights_by_hand() -> None:
    fin, leg = _team(6), _team(6)
    facts = [
        # Inside Finance: 3 answers among its 6 people.
        *_help("Finance", "Finance", [(fin[0], fin[1]), (fin[2], fin[3]), (fin[4], fin[5])]),
        # Legal helps Finance 5 times (5 guide reads, 1 author, 5 readers: 6 people).
        *_help("Legal", "Finance", [(leg[0], f) for f in fin[:5]], GUIDE),
        # Finance helps Legal 6 times (6 answers, 12 people).
        *_help("Finance", "Legal", list(zip(fin, leg, strict=True))),
        # Inside Legal: 2 sessions run by one person, attended by 5.
        *_help("Legal", "Legal", [(leg[1], r) for r in (leg[0], *leg[2:])], SESSION),
    ]
    silos = silo_map(facts)
    finance, legal = silos.departments
    assert (finance.name, finance.people, legal.name, legal.people) == ("Finance", 6, "Legal", 6)
    # Finance received 3 inside + 5 from Legal = 8: 3/8 from inside; gave 3 + 6 = 9, 3/9 stayed.
    assert (finance.received, finance.given) == (8, 9)
    assert finance.received_inside_share == pytest.approx(3 / 8)
    assert finance.given_inside_share == pytest.approx(3 / 9)
    # Legal received 5 inside + 6 from Finance = 11; gave 5 inside + 5 to Finance = 10.
    assert (legal.received, legal.given) == (11, 10)
    assert legal.received_inside_share == pytest.approx(5 / 11)
    assert legal.given_inside_share == pytest.approx(5 / 10)
    (link,) = silos.links
    assert (link.a, link.b, link.help, link.people) == ("Finance", "Legal", 11, 12)
    assert (link.a_to_b, link.b_to_a) == (6, 5)
    assert (silos.help, silos.people) == (3 + 5 + 6 + 5, 12)
    assert silos.inside_share == pytest.approx(8 / 19)
    assert silos.by_kind == {ANSWER: 9, GUIDE: 5, SESSION: 5}
    assert silos.suppression.hidden_links == silos.suppression.merged_departments == 0


def test_a_guide_with_two_authors_counts_once_per_pair_of_departments() -> None:
    fin, leg = _team(5), _team(5)
    facts = [
        # One guide by two Legal authors, read by five Finance people: 5 pieces, not 10.
        HelpFact("Legal", "Finance", author, reader, GUIDE, act=("guide", 1, reader))
        for reader in fin
        for author in leg[:2]
    ] + _help("Legal", "Legal", [(leg[2], leg[3]), (leg[3], leg[4]), (leg[4], leg[0])])
    silos = silo_map(facts)
    (link,) = silos.links
    assert (link.help, link.people) == (5, 7)  # both authors count among the people behind it
    # Legal's own 3 pieces rest on 4 people: withheld.
    assert {n.name: n.received for n in silos.departments} == {"Finance": 5, "Legal": None}


def test_a_department_of_four_people_is_left_out_or_merged() -> None:
    fin, legal, small = _team(6), _team(6), _team(4)
    base = _help("Finance", "Legal", list(zip(fin, legal, strict=True)))
    # Four people in Procurement: fewer than 5, so not a node; alone, not even in "Other".
    alone = silo_map(base + _help("Procurement", "Finance", list(zip(small, fin, strict=False))))
    assert [n.name for n in alone.departments] == ["Finance", "Legal"]
    assert alone.suppression.omitted_departments == 1
    assert alone.suppression.merged_departments == 0
    # Its help still counts in Finance's total (4 pieces from 8 people).
    finance = next(n for n in alone.departments if n.name == "Finance")
    assert finance.received == 4
    # With a 2-person department beside it, the two together reach 6: one "Other" node.
    pair = _team(2)
    merged = silo_map(
        base
        + _help("Procurement", "Finance", list(zip(small, fin, strict=False)))
        + _help("Audit", "Procurement", [(pair[0], small[0]), (pair[1], small[1])])
    )
    other = merged.departments[-1]
    assert (other.name, other.people, other.departments) == (OTHER, 6, 2)
    # It received 2 pieces, Audit to Procurement: 4 people, too few to show.
    assert (other.received, other.given, other.received_inside_share) == (None, 6, None)
    assert merged.suppression.merged_departments == 2
    # "Other" is several departments: never a bridge, a connector or a group member.
    assert all(OTHER not in group for group in merged.groups)


def test_a_link_resting_on_four_people_is_not_shown() -> None:
    fin, leg, eng = _team(6), _team(6), _team(6)
    facts = [
        *_help("Finance", "Finance", list(zip(fin, fin[1:] + fin[:1], strict=True))),
        *_help("Legal", "Legal", list(zip(leg, leg[1:] + leg[:1], strict=True))),
        *_help("Engineering", "Engineering", list(zip(eng, eng[1:] + eng[:1], strict=True))),
        # Two Legal people answered two Finance people 7 times: 4 people behind the link.
        *_help("Legal", "Finance", [(leg[0], fin[0])] * 4 + [(leg[1], fin[1])] * 3),
        # Engineering and Finance: 5 answers between 10 people.
        *_help("Engineering", "Finance", list(zip(eng[:5], fin[1:6], strict=True))),
    ]
    silos = silo_map(facts)
    assert [(x.a, x.b, x.help, x.people) for x in silos.links] == [
        ("Engineering", "Finance", 5, 10)
    ]
    assert silos.suppression.hidden_links == 1
    finance = next(n for n in silos.departments if n.name == "Finance")
    # The hidden link's 7 still count in Finance's help received (6 inside + 5 + 7 = 18), and
    # the outside part rests on 2 + 5 givers and 6 receivers, so the share is given.
    assert finance.received == 18
    assert finance.received_inside_share == pytest.approx(6 / 18)
    legal = next(n for n in silos.departments if n.name == "Legal")
    # Legal gave 6 inside and 7 to Finance through 4 people: how it splits would tell.
    assert legal.given == 13 and legal.given_inside_share is None
    assert legal.received_inside_share == 1.0  # all inside, none from outside: nothing told
    # The graph sees no Legal link: Legal is on its own.
    assert silos.groups == (("Engineering", "Finance"), ("Legal",))


def test_a_total_resting_on_two_people_is_withheld() -> None:
    fin, leg = _team(6), _team(6)
    facts = _help("Legal", "Finance", list(zip(leg, fin, strict=True)))
    facts += _help("Finance", "Legal", [(fin[0], leg[0])])  # one person helped one, once
    legal = next(n for n in silo_map(facts).departments if n.name == "Legal")
    assert (legal.received, legal.received_inside_share, legal.given) == (None, None, 6)
    assert silo_page.department_words(legal)[0] == (
        "Too few people behind the help Legal received to show it."
    )


def test_bridges_connectors_and_groups() -> None:
    teams = {name: _team(5) for name in ("A", "B", "C", "D", "E", "F", "G")}

    def crossing(giver: str, receiver: str, times: int) -> list[HelpFact]:
        pairs = list(zip(teams[giver], teams[receiver], strict=True))[:times]
        return _help(giver, receiver, pairs * 2)

    # A triangle A-B-C, C's only link to D, D's only link on to E; F and G apart.
    facts = (
        crossing("A", "B", 5)
        + crossing("B", "C", 5)
        + crossing("C", "A", 5)
        + crossing("C", "D", 5)
        + crossing("D", "E", 5)
        + crossing("F", "G", 5)
    )
    silos = silo_map(facts)
    assert silos.groups == (("A", "B", "C", "D", "E"), ("F", "G"))
    only = [(b.a, b.b, b.cut_off) for b in silos.bridges if b.role == Bridge.ONLY_LINK]
    assert only == [("C", "D", ("D", "E")), ("D", "E", ("E",))]
    busiest = [(b.a, b.b) for b in silos.bridges if b.role == Bridge.BUSIEST]
    assert busiest == [("A", "B"), ("A", "C"), ("B", "C"), ("F", "G")]
    assert silos.connectors == (
        Connector("C", (("A", "B"), ("D", "E"))),
        Connector("D", (("A", "B", "C"), ("E",))),
    )


def test_self_help_and_unknown_departments_are_left_off() -> None:
    fin = _team(6)
    facts = _help("Finance", "Finance", list(pairwise(fin)))
    facts += [HelpFact("Finance", "Finance", fin[0], fin[0], ANSWER)]  # answered themselves
    facts += [HelpFact(None, "Finance", p, fin[0], ANSWER) for p in _team(2)]
    silos = silo_map(facts)
    assert silos.help == 5
    assert silos.suppression.unplaced_help is None  # 2 pieces, 3 people: too few to say
    facts += [HelpFact("Finance", None, fin[i], p, ANSWER) for i, p in enumerate(_team(3))]
    assert silo_map(facts).suppression.unplaced_help == 5  # 5 pieces, 8 people


def test_too_few_people_in_all_draws_nothing() -> None:
    fin = _team(4)
    silos = silo_map(_help("Finance", "Finance", list(pairwise(fin))))
    assert silos.departments == () and silos.help == 0
    assert silos.suppression.omitted_departments == 1


def test_the_map_round_trips_through_json() -> None:
    teams = {name: _team(5) for name in ("A", "B", "C")}
    facts = [
        HelpFact(a, b, g, r, GUIDE)
        for a, b in (("A", "B"), ("B", "C"))
        for g, r in zip(teams[a], teams[b], strict=True)
    ]
    silos = silo_map(facts)
    assert SiloMap.from_json(json.loads(json.dumps(silos.to_json()))) == silos


# -- reads, snapshot, page and API ----------------------------------------------------------


def _department(org: Org, name: str, size: int) -> list[Person]:
    department = Department.objects.create(name=name, slug=name.lower())
    return [
        person(f"{name.lower()}{i}@example.com", f"{name} Person{i}", department)
        for i in range(size)
    ]


def _answered(asker: Person, answerer: Person, community: Community | None) -> None:
    question = Post.objects.create(
        kind=PostKind.QUESTION, community=community, author=asker, title="Where is it?", body="?"
    )
    Post.objects.create(
        kind=PostKind.ANSWER, community=community, question=question, author=answerer, body="Here"
    )


@pytest.fixture
def helping(org: Org) -> Org:
    """Finance (6) and Legal (6) helping each other, Procurement (1) a little.

    Org-wide: Finance answers itself 6 times (each the next colleague's question), Legal
    answers Finance 6 times, the one Procurement person answers Finance once; a Legal guide in
    the public community read by 5 of Finance; an org-wide session Legal ran, 3 of Finance
    there. In the private community Finance answers Legal 6 times: on its map only.
    """
    finance, legal = _department(org, "Finance", 6), _department(org, "Legal", 6)
    (buyer,) = _department(org, "Procurement", 1)
    for i, asker in enumerate(finance):
        _answered(asker, finance[(i + 1) % 6], None)
        _answered(asker, legal[i], None)
    _answered(finance[0], buyer, None)
    community_services.community_join(actor=legal[0], community=org.public)
    guide = library_services.resource_create(
        actor=legal[0], community=org.public, kind="guide", title="Contract review", body="How."
    )
    for reader in finance[:5]:
        view_record(viewer=reader, obj=guide, community_id=org.public.pk)
    started = timezone.now() - timedelta(days=2)
    session = Event.objects.create(
        community=None, kind=EventKind.WORKSHOP, title="Clauses", starts_at=started,
        ends_at=started + timedelta(hours=1), time_zone="UTC", facilitator=legal[1],
        created_by=legal[1],
    )  # fmt: skip
    Rsvp.objects.bulk_create(
        Rsvp(event=session, person=p, reply="going", attended=True) for p in finance[:3]
    )
    for someone in finance + legal:
        invitation = community_services.invitation_create(
            actor=org.leader, community=org.private, person=someone, role=Role.MEMBER
        )
        community_services.invitation_respond(actor=someone, invitation=invitation, accept=True)
    for asker, answerer in zip(legal, finance, strict=True):
        _answered(asker, answerer, org.private)
    return org


def _later() -> datetime:
    return timezone.now() + timedelta(minutes=1)


def test_the_organisations_map_holds_nothing_of_a_private_community(helping: Org) -> None:
    now = _later()
    facts = silo_reads.organisation_facts(start=now - timedelta(days=90), end=now)
    kinds = sorted((f.giver_department, f.receiver_department, f.kind) for f in facts)
    assert kinds.count(("Legal", "Finance", ANSWER)) == 6
    assert kinds.count(("Legal", "Finance", GUIDE)) == 5
    assert kinds.count(("Legal", "Finance", SESSION)) == 3
    assert kinds.count(("Finance", "Finance", ANSWER)) == 6
    assert kinds.count(("Procurement", "Finance", ANSWER)) == 1
    assert ("Finance", "Legal", ANSWER) not in kinds  # the private community's answers
    silos = silo_map(facts)
    finance, legal = silos.departments
    # Finance received 6 inside + 14 from Legal + 1 from Procurement = 21; 6/21 from inside.
    assert (finance.name, finance.received, finance.given) == ("Finance", 21, 6)
    assert finance.received_inside_share == pytest.approx(6 / 21)
    assert (legal.name, legal.received, legal.given, legal.given_inside_share) == (
        "Legal", 0, 14, 0.0
    )  # fmt: skip
    assert silos.suppression.omitted_departments == 1  # Procurement's one person

    by_community = silo_reads.facts_by_community(start=now - timedelta(days=90), end=now)
    private = silo_map(by_community[helping.private.pk])
    (link,) = private.links
    assert (link.a, link.b, link.a_to_b, link.b_to_a) == ("Finance", "Legal", 6, 0)
    public = silo_map(by_community[helping.public.pk])  # the guide only: Legal's 1 author
    assert [(n.name, n.received) for n in public.departments] == [("Finance", 5)]
    assert public.help == 5


def test_the_refresh_stores_one_map_per_scope_without_people(helping: Org) -> None:
    assert silos_refresh(now=_later()) == 3  # the organisation and both communities
    assert silos_refresh(now=_later()) == 3  # replaced, not added
    rows = InsightSnapshot.objects.filter(kind=InsightSnapshot.SILOS)
    assert rows.count() == 3
    stored = silo_page.stored_map(community=None)
    assert stored is not None and stored.window_days == 90
    assert [n.name for n in stored.silos.departments] == ["Finance", "Legal"]
    text = json.dumps([row.figures for row in rows])
    for someone in Person.objects.all():
        assert someone.name not in text and someone.email not in text


def _page(client: Client, url: str) -> html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.fromstring(response.content.decode())


def test_the_org_admin_reads_the_map_in_words(helping: Org, client_for: ClientFor) -> None:
    admin = client_for(helping.admin)
    before = _page(admin, reverse("org-silos"))
    assert "none has been computed yet" in before.text_content()
    silos_refresh(now=_later())
    page = _page(admin, reverse("org-silos"))
    text = " ".join(page.text_content().split())
    finance = page.xpath("//tr[@data-department='Finance']")[0]
    figures = {
        td.get("data-figure"): td.text_content() for td in finance.xpath("./td[@data-figure]")
    }
    assert figures == {"people": "6", "received": "21", "from-inside": "29%", "given": "6",
                       "stayed-inside": "100%"}  # fmt: skip
    assert "29% of the help Finance received came from Finance itself." in text
    assert "All of the help Finance gave stayed inside Finance." in text
    assert "Legal received no help here." in text
    assert "Finance and Legal (20 times, 12 people" not in text  # private answers: not here
    assert "Finance and Legal (14 times, 12 people: all of it Legal helping Finance)" in text
    assert "1 department with fewer than 5 people involved, even all together, is left out." in (
        text
    )
    assert "help inside private communities is not on this map" in text
    (line,) = page.xpath("//svg//line[@data-from]")
    assert (line.get("data-from"), line.get("data-to"), line.get("data-value")) == (
        "Finance", "Legal", "14"
    )  # fmt: skip
    circles = {
        c.get("data-department"): c.get("data-people")
        for c in page.xpath("//svg//circle[@data-department]")
    }
    assert circles == {"Finance": "6", "Legal": "6"}
    for someone in Person.objects.exclude(department__name__in=["Engineering", "Design"]):
        assert someone.name not in text  # aggregates only (the personas: the page's own header)
    assert "13 people from 3 departments helped colleagues 21 times: 13 answers, 5 guide reads" in (
        text
    )


def test_a_private_communitys_map_is_for_its_leaders(helping: Org, client_for: ClientFor) -> None:
    silos_refresh(now=_later())
    url = reverse("community-silos", args=[helping.private.slug])
    page = _page(client_for(helping.leader), url)
    text = " ".join(page.text_content().split())
    assert (
        "None of the help Legal received came from Legal itself: "
        "all of it came from other departments." in text
    )
    assert "Built from Security Council's own questions, guides and sessions only." in text
    assert client_for(helping.member).get(url).status_code == 403
    assert client_for(helping.sponsor).get(url).status_code == 403
    assert client_for(helping.outsider).get(url).status_code == 404
    assert client_for(helping.leader).get(reverse("org-silos")).status_code == 403


def test_the_api_answers_the_stored_map(helping: Org, client_for: ClientFor) -> None:
    silos_refresh(now=_later())
    body = client_for(helping.admin).get("/api/v1/silos").json()
    assert body["community"] is None and body["help"] == 21
    assert [d["name"] for d in body["departments"]] == ["Finance", "Legal"]
    assert body["links"] == [
        {"a": "Finance", "b": "Legal", "help": 14, "people": 12, "a_to_b": 0, "b_to_a": 14}
    ]
    assert body["withheld"]["omitted_departments"] == 1
    private = client_for(helping.leader).get("/api/v1/communities/security-council/silos")
    assert private.json()["links"][0]["a_to_b"] == 6
    outsider = client_for(helping.outsider).get("/api/v1/communities/security-council/silos")
    assert outsider.status_code == 404
