"""The API of the knowledge library: resources, versions, verification, duplicates, promotion."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.personas import PRIVATE_RESOURCE, Content, Org, build_content
from tests.test_api import Api, error, locs, ok
from tests.xss_payloads import assert_inert
from trellis.communities import services as community_services
from trellis.library import services as library_services
from trellis.library.models import Resource
from trellis.people.models import Person
from trellis.qa import services as qa_services


@pytest.fixture
def as_(org: Org) -> Any:
    clients: dict[int, Api] = {}

    def make(person: Person) -> Api:
        if person.pk not in clients:
            clients[person.pk] = Api(person)
        return clients[person.pk]

    return make


@pytest.fixture
def c(org: Org) -> Content:
    return build_content(org)


GUIDE = {
    "community": "kubernetes",
    "kind": "guide",
    "title": "  Upgrading a cluster  ",
    "body": "1. **Drain** the nodes\n2. Upgrade",
    "tags": ["Upgrades", "kubernetes"],
}


def test_add_a_guide_and_a_link(org: Org, as_: Any) -> None:
    member = as_(org.member)
    guide = ok(member.post("/resources", GUIDE), 201)
    assert (guide["kind"], guide["title"], guide["version"]) == ("guide", "Upgrading a cluster", 1)
    assert guide["community"]["slug"] == "kubernetes"
    assert "<strong>Drain</strong>" in guide["body_html"]
    assert guide["tags"] == ["kubernetes", "upgrades"]
    assert [o["id"] for o in guide["owners"]] == [org.member.pk]
    assert guide["freshness"] == "fresh" and guide["obsolete_at"] is None
    assert guide["verified_by"]["id"] == org.member.pk
    assert guide["verification_interval_days"] is None  # the community's default
    assert guide["canonical"] is None and guide["duplicates"] == []
    assert guide["source_question_id"] is None and guide["attribution"] == []
    assert ok(member.get(f"/resources/{guide['id']}")) == guide

    link = ok(
        member.post(
            "/resources",
            {
                "kind": "link",
                "title": "The upstream docs",
                "url": " https://kubernetes.io/docs/ ",
                "verification_interval_days": 30,
            },
        ),
        201,
    )
    assert (link["community"], link["url"], link["body"]) == (
        None,
        "https://kubernetes.io/docs/",
        "",
    )
    assert link["verification_interval_days"] == 30
    due = timezone.now() + timedelta(days=30)
    verify_by = datetime.fromisoformat(link["verify_by"])
    assert abs((verify_by - due).total_seconds()) < 60


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"kind": "link", "title": "Docs"}, ("body", "url")),
        ({"kind": "recording", "title": "Talk", "url": "   "}, ("body", "url")),
        ({"kind": "link", "title": "Docs", "url": "ftp://example.com"}, ("body", "url")),
        ({"kind": "link", "title": "Docs", "url": "javascript:alert(1)"}, ("body", "url")),
        ({"kind": "link", "title": "Docs", "url": "https://x/" + "a" * 500}, ("body", "url")),
        ({"kind": "guide", "title": "Empty guide"}, ("body", "body")),
        ({"kind": "faq", "title": "Blank", "body": " \n "}, ("body", "body")),
        ({"kind": "guide", "title": "   ", "body": "x"}, ("body", "title")),
        ({"kind": "guide", "title": "x" * 201, "body": "x"}, ("body", "title")),
        ({"kind": "guide", "title": "T", "body": "a\x00b"}, ("body", "body")),
        ({"kind": "poem", "title": "T", "body": "x"}, ("body", "kind")),
        ({"kind": "guide", "title": "T", "body": "x", "tags": ["bad tag"]}, ("body", "tags", 0)),
        (
            {"kind": "guide", "title": "T", "body": "x", "verification_interval_days": 0},
            ("body", "verification_interval_days"),
        ),
        (
            {"kind": "guide", "title": "T", "body": "x", "verification_interval_days": 3651},
            ("body", "verification_interval_days"),
        ),
        (
            {"kind": "guide", "title": "T", "body": "x", "verification_interval_days": "7"},
            ("body", "verification_interval_days"),
        ),
        ({"kind": "guide", "title": "T", "body": "x", "owner": 1}, ("body", "owner")),
    ],
)
def test_adding_validates_every_field(
    org: Org, as_: Any, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    assert locs(error(as_(org.member).post("/resources", body), 422)) == {loc}


def test_who_may_add(org: Org, as_: Any) -> None:
    # Members add to their community's library; anyone to the organisation's.
    error(as_(org.outsider).post("/resources", GUIDE), 403)  # a public community, not theirs
    error(as_(org.sponsor).post("/resources", GUIDE), 403)
    ok(as_(org.outsider).post("/resources", {**GUIDE, "community": None}), 201)
    missing = error(as_(org.outsider).post("/resources", {**GUIDE, "community": "nowhere"}), 404)
    assert locs(missing) == {("body", "community")}
    hidden = as_(org.outsider).post("/resources", {**GUIDE, "community": "security-council"})
    assert error(hidden, 404) == missing


def test_edit_makes_a_version(org: Org, c: Content, as_: Any) -> None:
    leader = as_(org.leader)
    path = f"/resources/{c.public_resource.pk}"
    Resource.objects.filter(pk=c.public_resource.pk).update(
        verify_by=timezone.now() - timedelta(days=1), verification_interval_days=30
    )
    assert ok(leader.get(path))["freshness"] == "due"
    edited = ok(leader.patch(path, {"title": "Helm release checklist (v2)", "note": "Renamed"}))
    assert (edited["title"], edited["version"], edited["freshness"]) == (
        "Helm release checklist (v2)",
        2,
        "fresh",
    )
    assert edited["body"] == c.public_resource.body  # not sent: kept
    assert edited["tags"] == ["helm"]
    assert edited["verification_interval_days"] == 30  # not sent: kept
    cleared = ok(leader.patch(path, {"verification_interval_days": None, "tags": ["Helm", "ops"]}))
    assert cleared["verification_interval_days"] is None and cleared["tags"] == ["helm", "ops"]
    versions = ok(leader.get(f"{path}/versions"))
    assert [v["number"] for v in versions["items"]] == [3, 2, 1]
    assert versions["items"][1]["note"] == "Renamed"
    assert versions["items"][2]["title"] == "Helm release checklist"
    assert versions["items"][0]["editor"]["id"] == org.leader.pk
    # A guide turned into a link needs an address: it depends on what is stored, hence 409.
    assert locs(error(leader.patch(path, {"kind": "link"}), 409)) == {("body", "url")}
    link = ok(leader.patch(path, {"kind": "link", "url": "https://helm.sh/docs/"}))
    assert (link["kind"], link["url"]) == ("link", "https://helm.sh/docs/")
    assert locs(error(leader.patch(path, {"title": None}), 422)) == {("body", "title")}
    # Owners and the core team edit; a member who does not own it may not.
    error(as_(org.member).patch(path, {"title": "Mine"}), 403)
    ok(as_(org.facilitator).patch(path, {"body": "Edited by the facilitator."}))
    error(leader.patch("/resources/999999", {"title": "Gone"}), 404)


def test_verify_and_obsolete(org: Org, c: Content, as_: Any) -> None:
    leader = as_(org.leader)
    path = f"/resources/{c.public_resource.pk}"
    Resource.objects.filter(pk=c.public_resource.pk).update(
        verify_by=timezone.now() - timedelta(days=60)
    )
    assert ok(leader.get(path))["freshness"] == "stale"
    stale = ok(leader.get("/resources", state="stale"))
    assert [r["id"] for r in stale["items"]] == [c.public_resource.pk]
    error(as_(org.member).post(f"{path}/verify"), 403)
    verified = ok(leader.post(f"{path}/verify"))
    assert verified["freshness"] == "fresh" and verified["version"] == 1
    assert ok(leader.get("/resources", state="stale"))["count"] == 0

    obsolete = ok(leader.put(f"{path}/obsolete"))
    assert obsolete["freshness"] == "obsolete" and obsolete["obsolete_at"] is not None
    assert ok(leader.get("/resources", state="obsolete"))["count"] == 1
    assert ok(leader.get("/resources", state="fresh", community="kubernetes"))["count"] == 0
    revived = ok(leader.call("delete", f"{path}/obsolete"))
    assert revived["freshness"] == "fresh" and revived["obsolete_at"] is None
    ok(leader.put(f"{path}/obsolete"))
    assert ok(leader.post(f"{path}/verify"))["obsolete_at"] is None  # verifying revives it
    error(as_(org.member).put(f"{path}/obsolete"), 403)


def test_duplicates_fold_into_their_canonical_resource(org: Org, c: Content, as_: Any) -> None:
    leader = as_(org.leader)
    copy = ok(
        leader.post("/resources", {**GUIDE, "title": "Helm rollback checklist", "tags": []}), 201
    )
    copy_path = f"/resources/{copy['id']}/canonical"
    merged = ok(leader.put(copy_path, {"canonical": c.public_resource.pk}))
    assert merged["canonical"] == {
        "id": c.public_resource.pk,
        "title": "Helm release checklist",
        "kind": "guide",
    }
    listed = ok(leader.get("/resources", community="kubernetes"))
    assert [r["id"] for r in listed["items"]] == [c.public_resource.pk]
    kept = ok(leader.get(f"/resources/{c.public_resource.pk}"))
    assert [d["id"] for d in kept["duplicates"]] == [copy["id"]]
    # No loops, and not itself.
    loop = error(
        leader.put(f"/resources/{c.public_resource.pk}/canonical", {"canonical": copy["id"]}), 409
    )
    assert locs(loop) == {("body", "canonical")}
    itself = f"/resources/{c.public_resource.pk}/canonical"
    error(leader.put(itself, {"canonical": c.public_resource.pk}), 409)
    missing = error(leader.put(copy_path, {"canonical": 999999}), 404)
    assert locs(missing) == {("body", "canonical")}
    assert locs(error(leader.put(copy_path, {}), 422)) == {("body", "canonical")}
    undone = ok(leader.put(copy_path, {"canonical": None}))
    assert undone["canonical"] is None
    assert ok(leader.get("/resources", community="kubernetes"))["count"] == 2
    error(as_(org.newcomer).put(copy_path, {"canonical": c.public_resource.pk}), 403)
    error(as_(org.newcomer).put(copy_path, {"canonical": 999999}), 403)  # before the lookup


def test_promote_a_thread_to_a_guide(org: Org, c: Content, as_: Any) -> None:
    path = f"/questions/{c.public_question.pk}/promote"
    error(as_(org.member).post(path, {}), 403)  # the core team curates
    guide = ok(as_(org.facilitator).post(path, {"kind": "howto"}), 201)
    assert (guide["kind"], guide["title"]) == ("howto", "How do I roll back a Helm release safely?")
    assert guide["source_question_id"] == c.public_question.pk
    assert guide["community"]["slug"] == "kubernetes"
    assert guide["tags"] == ["helm", "kubernetes"]
    assert [(a["name"], a["role"], a["person_id"]) for a in guide["attribution"]] == [
        ("Mo Member", "asked", org.member.pk),
        ("Femi Facilitator", "answered", org.facilitator.pk),
    ]
    assert "helm rollback" in guide["body"]
    assert_inert(guide["body_html"])
    titled = ok(as_(org.leader).post(path, {"title": "Rolling back Helm"}), 201)
    assert (titled["title"], titled["kind"]) == ("Rolling back Helm", "guide")
    assert locs(error(as_(org.leader).post(path, {"kind": "link"}), 422)) == {("body", "kind")}
    assert locs(error(as_(org.leader).post(path, {"title": " "}), 422)) == {("body", "title")}
    unanswered = f"/questions/{c.org_question.pk}/promote"
    error(as_(org.admin).post(unanswered, {}), 409)  # nothing to make a guide of yet
    error(as_(org.admin).post(f"/questions/{c.public_answer.pk}/promote", {}), 404)


def test_outsider_never_sees_the_private_library(org: Org, c: Content, as_: Any) -> None:
    outsider = as_(org.outsider)
    listing = ok(outsider.get("/resources", page_size=100))
    assert [r["id"] for r in listing["items"]] == [c.public_resource.pk]
    assert listing["count"] == 1
    for params in ({"kind": "decision"}, {"state": "fresh"}, {"tag": "helm"}):
        text = json.dumps(ok(outsider.get("/resources", **params)))
        assert PRIVATE_RESOURCE not in text and "Security Council" not in text
    nothing = error(outsider.get("/resources", community="no-such-community"), 404)
    assert error(outsider.get("/resources", community="security-council"), 404) == nothing

    public = c.public_resource.pk
    for method, path, body in [
        ("get", "/resources/{r}", None),
        ("patch", "/resources/{r}", {"title": "Mine"}),
        ("post", "/resources/{r}/verify", None),
        ("put", "/resources/{r}/obsolete", None),
        ("delete", "/resources/{r}/obsolete", None),
        ("put", "/resources/{r}/canonical", {"canonical": public}),
        ("get", "/resources/{r}/versions", None),
        ("post", "/questions/{q}/promote", {}),
    ]:
        private = path.format(r=c.private_resource.pk, q=c.private_question.pk)
        absent = path.format(r=999999, q=999999)
        hidden = error(outsider.call(method, private, body), 404)
        assert hidden == error(outsider.call(method, absent, body), 404), (method, path)
    # Nor by pointing a resource of theirs at the private one.
    mine = ok(outsider.post("/resources", {**GUIDE, "community": None}), 201)
    path = f"/resources/{mine['id']}/canonical"
    hidden = error(outsider.put(path, {"canonical": c.private_resource.pk}), 404)
    assert hidden == error(outsider.put(path, {"canonical": 999999}), 404)


def test_a_duplicate_of_a_private_resource_does_not_name_it(org: Org, c: Content, as_: Any) -> None:
    # The service refuses such a link now; one made before that rule must still not leak.
    Resource.objects.filter(pk=c.public_resource.pk).update(canonical=c.private_resource)
    seen = ok(as_(org.outsider).get(f"/resources/{c.public_resource.pk}"))
    assert seen["canonical"] is None
    assert PRIVATE_RESOURCE not in json.dumps(seen)
    assert ok(as_(org.member).get(f"/resources/{c.public_resource.pk}"))["canonical"]["title"] == (
        PRIVATE_RESOURCE
    )


def test_members_and_sponsors_read_the_private_library(org: Org, c: Content, as_: Any) -> None:
    for person in (org.member, org.sponsor, org.leader, org.admin):
        resource = ok(as_(person).get(f"/resources/{c.private_resource.pk}"))
        assert resource["title"] == PRIVATE_RESOURCE
        assert ok(as_(person).get("/resources"))["count"] == 2
    community_services.community_leave(actor=org.member, community=org.private)
    error(as_(org.member).get(f"/resources/{c.private_resource.pk}"), 404)


def test_list_filters_and_pages(org: Org, c: Content, as_: Any) -> None:
    leader = as_(org.leader)
    for n in range(5):
        ok(
            leader.post(
                "/resources",
                {
                    "community": "kubernetes",
                    "kind": "link" if n % 2 else "faq",
                    "title": f"Resource {n}",
                    "body": "Why it matters" if n % 2 == 0 else "",
                    "url": f"https://example.com/{n}" if n % 2 else "",
                    "tags": ["paging"],
                },
            ),
            201,
        )
    assert ok(leader.get("/resources", kind="link"))["count"] == 2
    assert ok(leader.get("/resources", tag="Paging"))["count"] == 5
    assert ok(leader.get("/resources", community="security-council"))["count"] == 1
    page = ok(leader.get("/resources", page_size=2, page=2))
    assert (page["count"], page["page"], len(page["items"])) == (7, 2, 2)
    assert page["items"][0]["title"] == "Resource 2"  # the most recently changed first
    assert ok(leader.get("/resources", page_size=2, page=50))["page"] == 4
    assert locs(error(leader.get("/resources", kind="poem"), 422)) == {("query", "kind")}
    assert locs(error(leader.get("/resources", state="old"), 422)) == {("query", "state")}
    item = page["items"][0]
    assert "body" not in item and {"freshness", "owners", "tags"} <= set(item)


def queries(api: Api, path: str, **params: Any) -> int:
    ok(api.get(path, **params))
    with CaptureQueriesContext(connection) as captured:
        ok(api.get(path, **params))
    return len(captured)


@pytest.mark.parametrize("path", ["/resources", "/resources/{resource}/versions"])
def test_reads_run_a_constant_number_of_queries(org: Org, c: Content, as_: Any, path: str) -> None:
    admin = as_(org.admin)
    path = path.replace("{resource}", str(c.public_resource.pk))
    before = queries(admin, path)
    for n in range(6):
        owner = Person.objects.create_user(f"r{n}@example.com", None, name=f"R {n}")
        community_services.community_join(actor=owner, community=org.public)
        resource = library_services.resource_create(
            actor=owner,
            community=org.public,
            kind="guide",
            title=f"Guide {n}",
            body="Text",
            tags=f"t{n} shared",
        )
        library_services.resource_update(
            actor=org.leader, resource=c.public_resource, title=f"Checklist {n}", body="New"
        )
        assert resource.pk
    qa_services.question_follow(actor=org.admin, question=c.public_question)
    after = queries(admin, path, page_size=100)
    assert after == before, (path, before, after)
