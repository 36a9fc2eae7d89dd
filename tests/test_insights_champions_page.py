"""Champions and the leaders' named lists, end to end: the help edges read from the database,
the stored snapshot, the pages and the API, the opt-out, and who may see what.

The scene is dated: NOW is Monday 10 March 2031, and the help happens in the weeks before it,
long after anything the personas did while the organisation was built (so it is the only help
in the lookback). Departments: Lena Leader, Sam Sponsor and Ada Admin are in Engineering; Femi
Facilitator, Mo Member and Nia Newcomer in Design.

In the Kubernetes Guild (public):
- Mo asks; Nia answers, Mo accepts it and thanks her: Nia helped Mo (accepted, thanked);
- Nia asks; Femi answers, Lena up-votes it: Femi helped Nia (up-voted);
- Mo asks and answers himself, and accepts it: no help;
- Femi facilitates a session Mo and Nia came to: Femi helped both;
- Lena's guide: Nia says "This helped me": Lena helped Nia.
In the Security Council (private): Femi asks, Mo answers, accepted: Mo helped Femi.
Organisation-wide: Nia asks, Sam answers, Nia comments "Thanks, that did it!": Sam helped Nia.
"""

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from lxml import html

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.accounts.services import api_token_create
from trellis.communities import services as community_services
from trellis.communities.models import Community, Membership, Role
from trellis.events.models import Event, EventKind, Rsvp
from trellis.insights import champion_reads, champions_page
from trellis.insights.champion_reads import GUIDE, SESSION, RecordedHelp
from trellis.insights.champions import HelpEdge
from trellis.insights.export import what_trellis_infers
from trellis.insights.models import InsightSnapshot, MonthlyLevel
from trellis.insights.named_lists import ListFacts, list_facts, named_lists
from trellis.insights.services.champions import champions_refresh
from trellis.library import services as library_services
from trellis.people import services as people_services
from trellis.people.models import Person
from trellis.qa.models import Comment, Post, PostKind, Thanks, Vote
from trellis.stories.models import Helped

NOW = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
NOV, DEC, JAN, FEB, MAR = (
    date(2030, 11, 1),
    date(2030, 12, 1),
    date(2031, 1, 1),
    date(2031, 2, 1),
    date(2031, 3, 1),
)
OCT = date(2030, 10, 1)


def _ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def _question(author: Person, community: Community | None, title: str, days: int) -> Post:
    return Post.objects.create(
        kind=PostKind.QUESTION,
        community=community,
        author=author,
        title=title,
        body="",
        created_at=_ago(days),
    )


def _answer(author: Person, question: Post, days: int, *, accepted: bool = False) -> Post:
    answer = Post.objects.create(
        kind=PostKind.ANSWER,
        community=question.community,
        question=question,
        author=author,
        body="Try this.",
        created_at=_ago(days),
    )
    if accepted:
        question.accepted_answer = answer
        question.save(update_fields=["accepted_answer"])
    return answer


@pytest.fixture
def scene(org: Org) -> Org:
    community_services.community_join(actor=org.newcomer, community=org.public)
    public, private = org.public, org.private
    mo_asks = _question(org.member, public, "Why does my pod restart?", 60)
    nia_answers = _answer(org.newcomer, mo_asks, 59, accepted=True)
    Thanks.objects.create(person=org.member, post=nia_answers, created_at=_ago(58))
    nia_asks = _question(org.newcomer, public, "How do I pin a chart version?", 40)
    femi_answers = _answer(org.facilitator, nia_asks, 39)
    Vote.objects.create(post=femi_answers, voter=org.leader, value=1, created_at=_ago(38))
    mo_again = _question(org.member, public, "Is my own fix right?", 30)
    _answer(org.member, mo_again, 29, accepted=True)  # his own question: no help
    session = Event.objects.create(
        community=public,
        kind=EventKind.WORKSHOP,
        title="Helm workshop",
        starts_at=_ago(20),
        ends_at=_ago(20) + timedelta(hours=1),
        time_zone="UTC",
        facilitator=org.facilitator,
    )
    for came in (org.member, org.newcomer):
        Rsvp.objects.create(event=session, person=came, reply="going", attended=True)
    guide = library_services.resource_create(
        actor=org.leader, community=public, kind="guide", title="Chart pinning", body="Pin it."
    )
    Helped.objects.create(person=org.newcomer, resource=guide, created_at=_ago(18))
    femi_asks = _question(org.facilitator, private, "Who holds the drill keys?", 10)
    _answer(org.member, femi_asks, 9, accepted=True)
    nia_org = _question(org.newcomer, None, "Where is the travel policy?", 15)
    sam_answers = _answer(org.sponsor, nia_org, 14)
    Comment.objects.create(
        post=sam_answers, author=org.newcomer, body="Thanks, that did it!", created_at=_ago(13)
    )
    return org


def _kinds(edges: list[HelpEdge], org: Org) -> set[tuple[str, str, str]]:
    names = {p.pk: p.name.split()[0] for p in (org.leader, org.facilitator, org.member,
                                                org.newcomer, org.sponsor)}  # fmt: skip
    found = set()
    for edge in edges:
        if isinstance(edge, RecordedHelp):
            how = edge.how
        else:
            how = (
                "+".join(k for k in ("accepted", "upvoted", "thanked") if getattr(edge, k))
                or "answer"
            )
        found.add((names[int(str(edge.helper))], names[int(str(edge.helped))], how))
    return found


# -- the reads -------------------------------------------------------------------------------


def test_a_communitys_edges_are_the_help_given_in_it(scene: Org) -> None:
    edges = champion_reads.help_edges(community=scene.public, now=NOW)
    assert _kinds(edges, scene) == {
        ("Nia", "Mo", "accepted+thanked"),  # an accepted answer to someone else's question
        ("Femi", "Nia", "upvoted"),
        ("Femi", "Mo", SESSION),
        ("Femi", "Nia", SESSION),
        ("Lena", "Nia", GUIDE),
    }  # Mo's answer to his own question is not help; the private community's help is not here
    nia = next(e for e in edges if e.helped == scene.member.pk and not isinstance(e, RecordedHelp))
    assert (nia.helper_department, nia.helped_department) == ("Design", "Design")
    lena = next(e for e in edges if e.helper == scene.leader.pk)
    assert (lena.helper_department, lena.helped_department) == ("Engineering", "Design")


def test_the_organisations_edges_are_all_the_help(scene: Org) -> None:
    edges = champion_reads.help_edges(community=None, now=NOW)
    assert _kinds(edges, scene) - _kinds(
        champion_reads.help_edges(community=scene.public, now=NOW), scene
    ) == {
        ("Mo", "Femi", "accepted"),  # in the private community
        ("Sam", "Nia", "thanked"),  # org-wide, thanked in a comment by the asker
    }
    private = champion_reads.help_edges(community=scene.private, now=NOW)
    assert _kinds(private, scene) == {("Mo", "Femi", "accepted")}


def test_help_outside_the_lookback_or_after_now_is_not_read(scene: Org) -> None:
    assert champion_reads.help_edges(community=scene.public, now=_ago(365)) == []
    later = champion_reads.help_edges(community=scene.public, now=_ago(35))
    assert _kinds(later, scene) == {("Nia", "Mo", "accepted+thanked"), ("Femi", "Nia", "upvoted")}


def test_recognised_means_a_leading_role_in_the_scope(scene: Org) -> None:
    people = {p.pk for p in (scene.leader, scene.facilitator, scene.member, scene.newcomer,
                             scene.sponsor, scene.admin)}  # fmt: skip
    assert champion_reads.recognised_among(community=scene.public, people=people) == {
        scene.leader.pk,
        scene.facilitator.pk,
        scene.sponsor.pk,
        scene.admin.pk,
    }
    community_services.membership_set_role(
        actor=scene.leader, community=scene.public, person=scene.newcomer, role=Role.CORE
    )
    assert scene.newcomer.pk in champion_reads.recognised_among(
        community=scene.public, people=people
    )
    assert scene.member.pk not in champion_reads.recognised_among(community=None, people=people)


# -- the snapshot ----------------------------------------------------------------------------


def _stored(community: Community | None) -> dict[str, Any]:
    rows = InsightSnapshot.objects.filter(kind=InsightSnapshot.CHAMPIONS, month=MAR)
    row = rows.get(community__isnull=True) if community is None else rows.get(community=community)
    assert row.computed_at == NOW
    figures: dict[str, Any] = row.figures
    return figures


def test_the_refresh_stores_every_scope_once_and_again_the_same(scene: Org) -> None:
    assert champions_refresh(now=NOW) == Community.objects.count() + 1
    public = _stored(scene.public)
    ranked = {entry["person"]: entry for entry in public["champions"]}
    assert set(ranked) == {scene.newcomer.pk, scene.facilitator.pk, scene.leader.pk}
    nia = ranked[scene.newcomer.pk]
    assert nia["recognised"] is False
    assert (
        nia["reasons"][0] == "Helped 1 person in the last year (1 accepted answer, thanked 1 time)."
    )
    assert not any(r.startswith("Not yet recognised") for r in nia["reasons"])
    femi = ranked[scene.facilitator.pk]
    assert (femi["people_helped"], femi["sessions_led"], femi["session_attendees"]) == (2, 1, 2)
    assert "Led 1 session, which 2 people came to." in femi["reasons"]
    assert femi["recognised"] is True
    lena = ranked[scene.leader.pk]
    assert "Their guides helped 1 person (“This helped me”)." in lena["reasons"]
    assert lena["departments_bridged"] == ["Design"]
    # The private community's help is only in its own list and the organisation's.
    assert {e["person"] for e in _stored(scene.private)["champions"]} == {scene.member.pk}
    org_wide = {e["person"] for e in _stored(None)["champions"]}
    assert {scene.member.pk, scene.sponsor.pk} <= org_wide
    # Again: the same rows, replaced.
    assert champions_refresh(now=NOW) == Community.objects.count() + 1
    assert InsightSnapshot.objects.filter(kind=InsightSnapshot.CHAMPIONS).count() == (
        Community.objects.count() + 1
    )
    assert _stored(scene.public) == public


def test_people_without_an_account_are_ranked_but_not_stored(scene: Org) -> None:
    Person.objects.filter(pk=scene.newcomer.pk).update(is_active=False)
    champions_refresh(now=NOW)
    assert scene.newcomer.pk not in {e["person"] for e in _stored(scene.public)["champions"]}


# -- the page --------------------------------------------------------------------------------


def _page(client: Client, url: str) -> html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return html.fromstring(response.content.decode())


def _text(element: html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _all(element: html.HtmlElement, xpath: str) -> list[html.HtmlElement]:
    found = element.xpath(xpath)
    assert isinstance(found, list)
    return [el for el in found if isinstance(el, html.HtmlElement)]


def _people(page: html.HtmlElement) -> dict[str, html.HtmlElement]:
    """The champions listed, by name."""
    return {
        _text(_all(li, ".//a")[0]): li
        for li in _all(page, "//li[contains(@class,'champions__person')]")
    }


def test_the_leader_reads_reasons_and_who_is_not_yet_recognised(
    scene: Org, client_for: ClientFor
) -> None:
    champions_refresh(now=NOW)
    url = reverse("community-champions", args=["kubernetes"])
    page = _page(client_for(scene.leader), url)
    people = _people(page)
    assert set(people) == {"Nia Newcomer", "Femi Facilitator", "Lena Leader"}
    nia = _text(people["Nia Newcomer"])
    assert "Helped 1 person in the last year (1 accepted answer, thanked 1 time)." in nia
    assert "Not yet recognised" in nia and people["Nia Newcomer"].get("data-recognised") == "no"
    assert "Not yet recognised" not in _text(people["Femi Facilitator"])
    assert "Led 1 session, which 2 people came to." in _text(people["Femi Facilitator"])
    assert "Not yet recognised (1)" in _text(page)
    # The filter: only the ones to invite or thank.
    filtered = _people(_page(client_for(scene.leader), url + "?show=not-recognised"))
    assert set(filtered) == {"Nia Newcomer"}
    # Given a leading role since the refresh: recognised at once.
    community_services.membership_set_role(
        actor=scene.leader, community=scene.public, person=scene.newcomer, role=Role.CORE
    )
    again = _people(_page(client_for(scene.leader), url))
    assert "Not yet recognised" not in _text(again["Nia Newcomer"])


def test_private_help_never_shows_in_a_public_communitys_page(
    scene: Org, client_for: ClientFor
) -> None:
    champions_refresh(now=NOW)
    body = client_for(scene.leader).get(reverse("community-champions", args=["kubernetes"]))
    text = body.content.decode()
    assert "Mo Member" not in text  # his only help was in the Security Council
    assert "Security Council" not in text


def test_before_anything_is_computed_the_page_says_so(org: Org, client_for: ClientFor) -> None:
    body = client_for(org.admin).get(reverse("org-champions")).content.decode()
    assert "none have been worked out yet" in body
    assert "none have been computed yet, so there is nobody to suggest" in body


# -- the named lists -------------------------------------------------------------------------


def named_lists_facts(community: Community, month: date) -> list[ListFacts]:
    return list_facts(community=community, month=month)


def _level(person: Person, community: Community, month: date, level: str, **counts: int) -> None:
    MonthlyLevel.objects.create(
        person=person, community=community, month=month, level=level, **counts
    )


@pytest.fixture
def levels(org: Org) -> Org:
    """Stored levels of the Kubernetes Guild, November 2030 to March 2031.

    - Mo: occasional, 1 answer in January, 2 in February: ready to move inward (3 over the
      window, at least half of the 4 an active member makes);
    - Nia: read in January, her first contribution in February: a new contributor;
    - Lena: core in November and December, active in January, read in February without
      writing: a lost regular; Ada: core in December and January, not counted in February;
    - Sam: active in November to January, nothing in February, prefers not to be named;
    - Femi: contributed in October, nothing until February: back after a break."""
    public = org.public
    _level(org.member, public, JAN, "occasional", contributions=1, answers=1)
    _level(org.member, public, FEB, "occasional", contributions=2, answers=2)
    _level(org.newcomer, public, JAN, "peripheral", reads=5)
    _level(org.newcomer, public, FEB, "occasional", contributions=1, reads=2)
    for month, level in ((NOV, "core"), (DEC, "core"), (JAN, "active")):
        _level(org.leader, public, month, level, contributions=6)
    _level(org.leader, public, FEB, "active", reads=4)
    for month in (DEC, JAN):
        _level(org.admin, public, month, "core", contributions=8)
    for month in (NOV, DEC, JAN):
        _level(org.sponsor, public, month, "active", contributions=4)
    _level(org.sponsor, public, FEB, "active")
    Person.objects.filter(pk=org.sponsor.pk).update(named_in_insights=False)
    _level(org.facilitator, public, OCT, "occasional", contributions=2)
    _level(org.facilitator, public, FEB, "occasional", contributions=1, answers=1)
    _level(org.facilitator, public, MAR, "occasional", contributions=1)
    return org


def test_the_four_lists_name_people_with_their_evidence(levels: Org) -> None:
    lists = {named.key: named for named in named_lists(community=levels.public, month=FEB)}
    ready, new, lost, back = (lists[k] for k in ("ready", "new", "lost", "reactivated"))
    assert [(e.name, e.evidence) for e in ready.entries] == [
        (
            "Mo Member",
            "Answered 2 questions in February, up from 1 in January; 3 over the last 3 months "
            "(4 make an active member).",
        )
    ]
    assert [(e.name, e.evidence) for e in new.entries] == [
        (
            "Nia Newcomer",
            "Made 1 contribution in February, their first here, after reading here before.",
        )
    ]
    assert [(e.name, e.evidence) for e in lost.entries] == [
        (
            "Lena Leader",
            "Core in November and December 2030, active in January; read here in "
            "February but wrote nothing.",
        ),
        (
            "Ada Admin",
            "Core in December 2030 and January; no longer counted here in February (not a "
            "member, nothing recorded).",
        ),
    ]
    assert (lost.unnamed, lost.unnamed_in_words) == (1, "1 person who prefers not to be named")
    assert lost.total == 3
    assert [(e.name, e.evidence) for e in back.entries] == [
        (
            "Femi Facilitator",
            "Back in February: made 1 contribution (1 answer), after 3 months without "
            "writing here (last in October 2030).",
        )
    ]


def test_each_list_is_capped_with_and_n_more(levels: Org) -> None:
    lost = next(
        n for n in named_lists(community=levels.public, month=FEB, cap=1) if n.key == "lost"
    )
    assert [e.name for e in lost.entries] == ["Lena Leader"]  # three months regular, Ada two
    assert (lost.more, lost.unnamed, lost.total) == (1, 1, 3)


def test_the_refresh_stores_the_last_complete_month_and_this_one_so_far(levels: Org) -> None:
    champions_refresh(now=NOW)
    stored = champions_page.stored_champions(community=levels.public)
    assert sorted(stored.lists) == [FEB, MAR]
    assert champions_page.lists_month_for(stored, None) == FEB  # the last complete month
    assert [f.people for f in stored.lists[FEB]] == [
        tuple(f.people) for f in named_lists_facts(levels.public, FEB)
    ]
    with pytest.raises(ValueError, match="No lists for January 2020: choose February 2031 or "):
        champions_page.lists_month_for(stored, date(2020, 1, 1))
    assert champions_page.stored_champions(community=None).lists == {}  # no org-wide levels


def test_the_page_shows_the_lists_and_counts_who_prefers_not_to_be_named(
    levels: Org, client_for: ClientFor
) -> None:
    champions_refresh(now=NOW)
    url = reverse("community-champions", args=["kubernetes"]) + "?month=2031-02"
    page = _page(client_for(levels.leader), url)
    text = _text(_all(page, "//div[@data-list='lost']")[0])
    assert "Lost regulars (3)" in text
    assert "Lena Leader: Core in November and December 2030" in text
    assert "And 1 person who prefers not to be named." in text
    assert "Sam Sponsor" not in _text(page)
    ready = _text(_all(page, "//div[@data-list='ready']")[0])
    assert "Mo Member: Answered 2 questions in February, up from 1 in January" in ready
    # The filter tabs keep the month the page shows.
    tabs = {a.get("data-testid"): a.get("href") for a in _all(page, "//nav[@class='tabs']/a")}
    assert tabs == {
        "everyone-filter": "?month=2031-02",
        "not-recognised-filter": "?month=2031-02&show=not-recognised",
    }
    wrong = client_for(levels.leader).get(url.replace("2031-02", "soon"), follow=True)
    assert "is not a month: use YYYY-MM" in wrong.content.decode()
    # An opt-out takes effect at once, without a refresh: counted, not named.
    lena = Person.objects.get(pk=levels.leader.pk)
    people_services.person_set_named_in_insights(actor=lena, person=lena, named=False)
    again = _text(_all(_page(client_for(levels.admin), url), "//div[@data-list='lost']")[0])
    assert "Lena Leader" not in again and "Ada Admin: Core in December 2030" in again
    assert "And 2 people who prefer not to be named." in again


# -- the opt-out -----------------------------------------------------------------------------


def test_someone_who_opts_out_is_counted_not_named_and_still_sees_their_reasons(
    scene: Org, client_for: ClientFor
) -> None:
    champions_refresh(now=NOW)
    nia = Person.objects.get(pk=scene.newcomer.pk)
    people_services.person_set_named_in_insights(actor=nia, person=nia, named=False)
    page = _page(client_for(scene.leader), reverse("community-champions", args=["kubernetes"]))
    assert "Nia Newcomer" not in _text(page)
    assert "And 1 person who prefers not to be named." in _text(page)
    mine = what_trellis_infers(person=nia)["champion"]
    public = next(row for row in mine if row["community"] == "kubernetes")
    assert public["reasons"][0].startswith("Helped 1 person in the last year")
    assert public["recognised"] is False


def test_the_switch_is_on_the_persons_own_profile_form(org: Org, client_for: ClientFor) -> None:
    client = client_for(org.member)
    form = client.get(reverse("profile-edit")).content.decode()
    assert "Name me in community analytics (champions, who is moving inward)" in form
    client.post(reverse("profile-edit"), {"name": "Mo Member"})  # the box left unticked
    assert Person.objects.get(pk=org.member.pk).named_in_insights is False
    client.post(reverse("profile-edit"), {"name": "Mo Member", "named_in_insights": "on"})
    assert Person.objects.get(pk=org.member.pk).named_in_insights is True


def test_only_the_person_chooses(org: Org) -> None:
    from trellis.core.errors import Forbidden

    with pytest.raises(Forbidden):
        people_services.person_set_named_in_insights(
            actor=org.admin, person=org.member, named=False
        )
    assert Person.objects.get(pk=org.member.pk).named_in_insights is True


# -- who may see it --------------------------------------------------------------------------


def _api(person: Person) -> Client:
    _, raw = api_token_create(actor=person, name="champions")
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def refreshed(scene: Org) -> Iterator[Org]:
    champions_refresh(now=NOW)
    yield scene


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("member", 403), ("sponsor", 403), ("leader", 200), ("admin", 200)],
)
def test_the_private_communitys_champions_page_and_api(
    refreshed: Org, client_for: ClientFor, persona: str, status: int
) -> None:
    person = getattr(refreshed, persona)
    page = client_for(person).get(reverse("community-champions", args=["security-council"]))
    api = _api(person).get("/api/v1/communities/security-council/champions")
    assert (page.status_code, api.status_code) == (status, status)
    for response in (page, api):
        if persona == "outsider":
            assert "Security Council" not in response.content.decode()
            assert "Mo Member" not in response.content.decode()


def test_the_organisations_list_is_for_org_admins(refreshed: Org, client_for: ClientFor) -> None:
    for persona in ("outsider", "member", "sponsor", "leader"):
        person = getattr(refreshed, persona)
        assert client_for(person).get(reverse("org-champions")).status_code == 403
        assert _api(person).get("/api/v1/champions").status_code == 403
    body = _api(refreshed.admin).get("/api/v1/champions").json()
    names = {row["name"] for row in body["champions"]}
    assert {"Mo Member", "Sam Sponsor"} <= names  # private and org-wide help, for org admins


def test_the_api_gives_reasons_and_the_lists(refreshed: Org) -> None:
    body = _api(refreshed.leader).get("/api/v1/communities/kubernetes/champions").json()
    nia = next(row for row in body["champions"] if row["name"] == "Nia Newcomer")
    assert nia["recognised"] is False and nia["accepted"] == 1 and nia["thanks"] == 1
    assert nia["reasons"][0] == (
        "Helped 1 person in the last year (1 accepted answer, thanked 1 time)."
    )
    assert body["not_recognised"] == 1 and body["unnamed"] == 0
    assert [named["key"] for named in body["lists"]] == []  # no levels computed in this scene
    only = _api(refreshed.leader).get(
        "/api/v1/communities/kubernetes/champions?not_recognised=true"
    )
    assert [row["name"] for row in only.json()["champions"]] == ["Nia Newcomer"]
    wrong = _api(refreshed.leader).get("/api/v1/communities/kubernetes/champions?month=soon")
    assert wrong.status_code in (400, 422)


def test_the_export_names_no_community_the_person_may_no_longer_see(scene: Org) -> None:
    """Mo helped in the Security Council, then left it: his download keeps the organisation's
    reasons and no longer names the private community (nor his levels there)."""
    from trellis.insights.services.levels import levels_rebuild

    levels_rebuild(now=NOW)
    champions_refresh(now=NOW)
    mo = Person.objects.get(pk=scene.member.pk)
    before = what_trellis_infers(person=mo)
    assert "security-council" in {row["community"] for row in before["champion"]}
    Membership.objects.filter(person=mo, community=scene.private).update(left_at=NOW)
    after = what_trellis_infers(person=mo)
    assert "security-council" not in {row["community"] for row in after["champion"]}
    assert None in {row["community"] for row in after["champion"]}  # the organisation's
    assert scene.private.name not in json.dumps(after)
