"""The HTTP API v1: auth, the error shape, privacy of private communities, and who may write."""

import json
from typing import Any

import jsonschema_rs
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.crypto import get_random_string
from schemathesis.specs.openapi.definitions import OPENAPI_31

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.accounts.models import ApiToken
from trellis.accounts.services import api_token_create
from trellis.communities import services as community_services
from trellis.communities.models import Community, JoinRequest, Membership, Role, Visibility
from trellis.people.models import Department, Person

API = "/api/v1"
ERROR_STATUSES = {"400", "401", "403", "404", "422"}


class Api:
    """A client for one persona, authenticated with a personal API token."""

    def __init__(self, person: Person | None = None, *, client: Client | None = None) -> None:
        headers = {}
        if person is not None:
            _, raw = api_token_create(actor=person, name="tests")
            headers["Authorization"] = f"Bearer {raw}"
        self.client = client or Client(headers=headers)

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        kwargs: dict[str, Any] = dict(extra)
        if body is not None:
            kwargs["data"] = body if isinstance(body, str) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(f"{API}{path}", **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"{API}{path}", params)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.call("post", path, body, **extra)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.call("patch", path, body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.call("put", path, body)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content)
    return response.json() if response.content else None


def error(response: Any, status: int) -> dict[str, Any]:
    """Assert the one error shape, and return it."""
    assert response.status_code == status, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    for item in body["errors"]:
        assert set(item) == {"loc", "msg", "type"}
        assert all(isinstance(part, str | int) for part in item["loc"])
        assert isinstance(item["msg"], str) and isinstance(item["type"], str)
    return body


def locs(body: dict[str, Any]) -> set[tuple[str | int, ...]]:
    return {tuple(item["loc"]) for item in body["errors"]}


@pytest.fixture
def as_(org: Org) -> Any:
    clients: dict[int, Api] = {}

    def make(person: Person) -> Api:
        if person.pk not in clients:
            clients[person.pk] = Api(person)
        return clients[person.pk]

    return make


# -- the OpenAPI document ---------------------------------------------------------------------


@pytest.fixture
def openapi(client: Client) -> dict[str, Any]:
    document: dict[str, Any] = ok(client.get(f"{API}/openapi.json"))
    return document


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def test_openapi_is_a_valid_3_1_document(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"].startswith("3.1.")
    errors = [str(e) for e in jsonschema_rs.validator_for(OPENAPI_31).iter_errors(openapi)]
    assert errors == []
    for name, schema in openapi["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name
        # pydantic writes "ge"/"le" when it cannot place a constraint: nothing would enforce it.
        assert not {"ge", "le", "gt", "lt"} & set(json.dumps(schema).split('"')), name


def test_every_operation_documents_the_error_shape_and_requires_auth(
    openapi: dict[str, Any],
) -> None:
    assert len(operations(openapi)) == 125
    for method, path, operation in operations(openapi):
        responses = operation["responses"]
        assert set(responses) >= ERROR_STATUSES, (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
        assert operation["security"] == [{"TokenAuth": []}, {"SessionAuth": []}]
    schemes = openapi["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"


def test_request_bodies_refuse_unknown_fields(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    bodies = [
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for _, _, operation in operations(openapi)
        if "requestBody" in operation
    ]
    assert len(bodies) == 44
    for ref in bodies:
        assert schemas[ref.rsplit("/", 1)[1]]["additionalProperties"] is False, ref


def test_docs_page_is_off_and_unknown_urls_answer_in_the_error_shape(client: Client) -> None:
    error(client.get(f"{API}/docs"), 404)
    error(client.get(f"{API}/"), 404)
    error(client.get(f"{API}/nothing/here"), 404)


# -- authentication ---------------------------------------------------------------------------


def fill(path: str, org: Org) -> str:
    return (
        path.replace("{slug}", "kubernetes")
        .replace("{person_id}", str(org.member.pk))
        .replace("{department_id}", str(org.design.pk))
        .replace("{request_id}", "1")
    )


def test_every_operation_is_401_without_credentials(org: Org, openapi: dict[str, Any]) -> None:
    anonymous = Client()
    for method, path, _ in operations(openapi):
        if method == "get":
            response = anonymous.get(fill(path, org))
        else:
            response = getattr(anonymous, method)(
                fill(path, org), data="{}", content_type="application/json"
            )
        body = error(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert body["errors"] == []


@pytest.mark.parametrize(
    "header",
    ["Bearer trl_not-a-token", "Bearer ", "Token trl_x", "Basic dXNlcjpwYXNz", "Bearer nope"],
)
def test_bad_tokens_are_401(org: Org, header: str) -> None:
    error(Client(headers={"Authorization": header}).get(f"{API}/people"), 401)


def test_revoked_tokens_and_inactive_people_are_401(org: Org) -> None:
    token, raw = api_token_create(actor=org.member, name="ci")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    ok(client.get(f"{API}/people/me"))
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    error(client.get(f"{API}/people/me"), 401)

    _, raw = api_token_create(actor=org.newcomer, name="ci")
    Person.objects.filter(pk=org.newcomer.pk).update(is_active=False)
    error(Client(headers={"Authorization": f"Bearer {raw}"}).get(f"{API}/people/me"), 401)


def test_token_identifies_the_person(org: Org, as_: Any) -> None:
    me = ok(as_(org.leader).get("/people/me"))
    assert me["email"] == "leader@example.com"
    assert {m["community"]["slug"] for m in me["memberships"]} == {"kubernetes", "security-council"}


def test_session_auth_reads_and_needs_csrf_for_writes(org: Org, client_for: ClientFor) -> None:
    browser = client_for(org.newcomer)
    assert ok(browser.get(f"{API}/people/me"))["email"] == "newcomer@example.com"

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org.newcomer)
    ok(strict.get(f"{API}/people/me"))
    body = json.dumps({"name": "Nia N."})
    path = f"{API}/people/{org.newcomer.pk}"
    error(strict.patch(path, body, content_type="application/json"), 403)

    secret = get_random_string(32)  # what a page would have set in the CSRF cookie
    strict.cookies[settings.CSRF_COOKIE_NAME] = secret
    error(strict.patch(path, body, content_type="application/json"), 403)  # cookie alone
    response = strict.patch(
        path, body, content_type="application/json", headers={"X-CSRFToken": secret}
    )
    assert ok(response)["name"] == "Nia N."


def test_anonymous_write_is_401_not_a_csrf_403(org: Org) -> None:
    strict = Client(enforce_csrf_checks=True)
    error(strict.post(f"{API}/communities", "{}", content_type="application/json"), 401)


# -- validation: 422 with per-field errors, 400 for bodies that are not JSON ----------------------


def test_wrong_types_and_unknown_fields_are_422_per_field(org: Org, as_: Any) -> None:
    admin = as_(org.admin)
    body = error(
        admin.post(
            "/people",
            {
                "email": 5,
                "name": True,
                "skills": "x",
                "zzz": 1,
                "department_id": "1",
                "send_invitation": "yes",
            },
        ),
        422,
    )
    assert locs(body) == {
        ("body", "email"),
        ("body", "name"),
        ("body", "skills"),
        ("body", "zzz"),
        ("body", "department_id"),
        ("body", "send_invitation"),
    }
    types = {tuple(item["loc"]): item["type"] for item in body["errors"]}
    assert types[("body", "zzz")] == "extra_forbidden"
    assert types[("body", "email")] == "string_type"

    body = error(admin.post("/people", {"name": "No Email"}), 422)
    assert locs(body) == {("body", "email")}
    body = error(admin.post("/people", {"email": "not-an-email", "name": "X"}), 422)
    assert locs(body) == {("body", "email")}
    body = error(admin.post("/people", {"email": "x@example.com", "name": "   "}), 422)
    assert locs(body) == {("body", "name")}
    body = error(
        admin.post("/people", {"email": "x@example.com", "name": "X", "start_date": 1_700_000_000}),
        422,
    )
    assert locs(body) == {("body", "start_date")}
    body = error(admin.post("/communities", {"name": "A\x00B", "domain": "d"}), 422)
    assert locs(body) == {("body", "name")}
    body = error(
        admin.post("/communities", {"name": "A", "domain": "d", "visibility": "secret"}), 422
    )
    assert locs(body) == {("body", "visibility")}
    body = error(admin.put("/communities/kubernetes/members/1/role", {"role": "king"}), 422)
    assert locs(body) == {("body", "role")}
    body = error(admin.post("/join-requests/1/decision", {"approve": "true"}), 422)
    assert locs(body) == {("body", "approve")}
    body = error(admin.post("/join-requests/1/decision", {}), 422)
    assert locs(body) == {("body", "approve")}


def test_null_is_refused_where_the_schema_does_not_offer_it(org: Org, as_: Any) -> None:
    me = as_(org.member)
    body = error(me.patch(f"/people/{org.member.pk}", {"name": None}), 422)
    assert locs(body) == {("body", "name")}
    body = error(as_(org.leader).patch("/communities/kubernetes", {"status": None}), 422)
    assert locs(body) == {("body", "status")}


def test_query_and_path_parameters_are_validated(org: Org, as_: Any) -> None:
    admin = as_(org.admin)
    assert locs(error(admin.get("/people", page_size=0), 422)) == {("query", "page_size")}
    assert locs(error(admin.get("/people", page_size=101), 422)) == {("query", "page_size")}
    assert locs(error(admin.get("/people", page="x"), 422)) == {("query", "page")}
    assert locs(error(admin.get("/communities", status="gone"), 422)) == {("query", "status")}
    assert locs(error(admin.get("/communities", mine="maybe"), 422)) == {("query", "mine")}
    assert locs(error(admin.get("/people/abc"), 422)) == {("path", "person_id")}
    assert locs(error(admin.get(f"/people/{2**63}"), 422)) == {("path", "person_id")}
    assert locs(error(admin.get("/communities/not%20a%20slug"), 422)) == {("path", "slug")}


@pytest.mark.parametrize(
    ("method", "path", "body", "loc"),
    [
        ("post", "/communities", {"name": "N", "domain": "d", "charter": "a\x00b"}, "charter"),
        ("patch", "/communities/kubernetes", {"domain": "\x00"}, "domain"),
        ("patch", "/people/{me}", {"skills": ["ok", "n\x00l"]}, "skills"),
        ("patch", "/people/{me}", {"bio": "\x00"}, "bio"),
        ("post", "/communities/security-council/join-requests", {"message": "\x00"}, "message"),
        ("post", "/people", {"email": "a@example.com", "name": "A", "title": "\x00"}, "title"),
    ],
)
def test_nul_characters_are_refused(
    org: Org, as_: Any, method: str, path: str, body: dict[str, Any], loc: str
) -> None:
    """PostgreSQL cannot store NUL in text or jsonb: a 422 here, never a 500 there."""
    response = as_(org.admin).call(method, path.replace("{me}", str(org.admin.pk)), body)
    assert {item[:2] for item in locs(error(response, 422))} == {("body", loc)}


def test_nul_in_query_parameters_is_refused(org: Org, as_: Any) -> None:
    admin = as_(org.admin)
    assert locs(error(admin.get("/people", q="a\x00"), 422)) == {("query", "q")}
    assert locs(error(admin.get("/communities", q="\x00"), 422)) == {("query", "q")}
    assert locs(error(admin.get("/departments", q="\x00"), 422)) == {("query", "q")}


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/communities", {"name": "x" * 121, "domain": "d"}, "name"),
        ("/communities", {"name": "x", "domain": "d", "slug": "s" * 81}, "slug"),
        ("/communities", {"name": "x", "domain": "d", "slug": "Not A Slug"}, "slug"),
        ("/people", {"email": "a@example.com", "name": "x" * 201}, "name"),
        ("/people", {"email": "a@example.com", "name": "x", "location": "x" * 121}, "location"),
        ("/people", {"email": "a" * 250 + "@example.com", "name": "x"}, "email"),
        ("/people", {"email": "a@example.com", "name": "x", "skills": ["s"] * 41}, "skills"),
        ("/people", {"email": "a@example.com", "name": "x", "manager_id": 2**63}, "manager_id"),
        ("/people", {"email": "a@example.com", "name": "x", "manager_id": 1.5}, "manager_id"),
        ("/departments", {"name": "x" * 121}, "name"),
    ],
)
def test_limits_of_the_database_are_422s(
    org: Org, as_: Any, path: str, body: dict[str, Any], loc: str
) -> None:
    assert locs(error(as_(org.admin).post(path, body), 422)) == {("body", loc)}


def test_integral_numbers_are_integers(org: Org, as_: Any) -> None:
    """JSON Schema's integer includes 3.0; so does the API (but never "3" or true)."""
    body = {"name": "Platform", "parent_id": float(org.engineering.pk)}
    assert ok(as_(org.admin).post("/departments", body), 201)["parent_id"] == org.engineering.pk


def test_a_body_that_is_not_json_is_400(org: Org, as_: Any) -> None:
    body = error(as_(org.admin).post("/communities", "{not json"), 400)
    assert [(item["loc"], item["type"]) for item in body["errors"]] == [(["body"], "json_invalid")]


def test_unsupported_methods_are_405_in_the_error_shape(org: Org, as_: Any) -> None:
    response = as_(org.admin).call("delete", "/people")
    error(response, 405)
    assert response["Allow"] == "GET, POST"


# -- people -----------------------------------------------------------------------------------


def test_people_list_paginates_and_filters(org: Org, as_: Any) -> None:
    outsider = as_(org.outsider)
    page = ok(outsider.get("/people", page_size=3))
    assert page["count"] == 7 and page["page"] == 1 and page["page_size"] == 3
    assert [p["name"] for p in page["items"]] == ["Ada Admin", "Femi Facilitator", "Lena Leader"]
    last = ok(outsider.get("/people", page_size=3, page=3))
    assert [p["name"] for p in last["items"]] == ["Sam Sponsor"]
    assert ok(outsider.get("/people", page=99, page_size=3))["page"] == 3
    design = ok(outsider.get("/people", department="design"))
    assert {p["email"] for p in design["items"]} == {
        "facilitator@example.com",
        "member@example.com",
        "newcomer@example.com",
        "outsider@example.com",
    }
    found = ok(outsider.get("/people", q="staff"))
    assert [p["email"] for p in found["items"]] == ["leader@example.com"]
    assert ok(outsider.get("/people", department="nowhere"))["count"] == 0


def test_profile_never_shows_a_private_membership_to_outsiders(org: Org, as_: Any) -> None:
    def memberships(viewer: Person) -> set[str]:
        profile = ok(as_(viewer).get(f"/people/{org.member.pk}"))
        return {m["community"]["slug"] for m in profile["memberships"]}

    assert memberships(org.outsider) == {"kubernetes"}
    assert memberships(org.newcomer) == {"kubernetes"}
    assert memberships(org.member) == {"kubernetes", "security-council"}
    assert memberships(org.sponsor) == {"kubernetes", "security-council"}
    assert memberships(org.admin) == {"kubernetes", "security-council"}
    assert "security-council" not in json.dumps(
        ok(as_(org.outsider).get(f"/people/{org.leader.pk}"))
    )
    sponsor = ok(as_(org.outsider).get(f"/people/{org.sponsor.pk}"))
    assert sponsor["sponsored_community_ids"] == [org.public.pk]


def test_profile_of_missing_person_is_404(org: Org, as_: Any) -> None:
    error(as_(org.member).get("/people/999999"), 404)


def test_only_org_admins_add_people(org: Org, as_: Any) -> None:
    payload = {
        "email": "New.Person@Example.com",
        "name": " New Person ",
        "title": "Engineer",
        "department_id": org.design.pk,
        "manager_id": org.leader.pk,
        "skills": ["Go", "go", " Rust "],
        "start_date": "2024-05-01",
    }
    error(as_(org.leader).post("/people", payload), 403)
    error(as_(org.member).post("/people", {**payload, "department_id": 999999}), 403)
    created = ok(as_(org.admin).post("/people", payload), 201)
    assert created["email"] == "new.person@example.com"
    assert created["name"] == "New Person"
    assert created["department"]["slug"] == "design"
    assert created["manager"]["id"] == org.leader.pk
    assert created["skills"] == ["Go", "Rust"]
    assert created["start_date"] == "2024-05-01"
    taken = error(as_(org.admin).post("/people", payload), 409)
    assert locs(taken) == {("body", "email")}
    missing = error(
        as_(org.admin).post(
            "/people", {**payload, "email": "b@example.com", "department_id": 999999}
        ),
        404,
    )
    assert locs(missing) == {("body", "department_id")}


def test_people_edit_their_own_profile_and_admins_edit_everything(org: Org, as_: Any) -> None:
    member = as_(org.member)
    path = f"/people/{org.member.pk}"
    changed = ok(member.patch(path, {"name": "Mo M.", "skills": ["k8s"], "bio": "Hi"}))
    assert (changed["name"], changed["skills"], changed["bio"]) == ("Mo M.", ["k8s"], "Hi")
    assert changed["manager"]["id"] == org.leader.pk  # untouched
    error(member.patch(path, {"title": "CTO"}), 403)
    error(member.patch(path, {"department_id": 999999}), 403)
    error(member.patch(f"/people/{org.leader.pk}", {"name": "Hacked"}), 403)
    error(member.patch("/people/999999", {"name": "Nobody"}), 404)

    admin = as_(org.admin)
    changed = ok(
        admin.patch(
            path,
            {
                "title": "SRE",
                "department_id": org.engineering.pk,
                "manager_id": None,
                "start_date": "2020-02-29",
            },
        )
    )
    assert changed["title"] == "SRE"
    assert changed["department"]["slug"] == "engineering"
    assert changed["manager"] is None
    assert changed["start_date"] == "2020-02-29"
    ok(admin.patch(path, {"manager_id": org.leader.pk}))
    loop = error(admin.patch(f"/people/{org.leader.pk}", {"manager_id": org.member.pk}), 409)
    assert locs(loop) == {("body", "manager_id")}
    error(admin.patch(f"/people/{org.leader.pk}", {"manager_id": org.leader.pk}), 409)
    taken = error(admin.patch(path, {"email": "LEADER@example.com"}), 409)
    assert locs(taken) == {("body", "email")}


# -- departments ------------------------------------------------------------------------------


def test_departments(org: Org, as_: Any) -> None:
    listing = ok(as_(org.outsider).get("/departments"))
    assert [(d["slug"], d["people_count"]) for d in listing["items"]] == [
        ("design", 4),
        ("engineering", 3),
    ]
    assert ok(as_(org.outsider).get("/departments", q="eng"))["count"] == 1
    detail = ok(as_(org.outsider).get(f"/departments/{org.engineering.pk}"))
    assert detail["children"] == [] and detail["people_count"] == 3
    error(as_(org.outsider).get("/departments/999999"), 404)

    error(as_(org.leader).post("/departments", {"name": "Platform"}), 403)
    created = ok(
        as_(org.admin).post("/departments", {"name": "Platform", "parent_id": org.engineering.pk}),
        201,
    )
    assert (created["slug"], created["parent_id"]) == ("platform", org.engineering.pk)
    detail = ok(as_(org.outsider).get(f"/departments/{org.engineering.pk}"))
    assert [c["slug"] for c in detail["children"]] == ["platform"]
    children = ok(as_(org.outsider).get("/departments", parent_id=org.engineering.pk))
    assert [d["slug"] for d in children["items"]] == ["platform"]
    again = ok(
        as_(org.admin).post("/departments", {"name": "platform", "parent_id": org.engineering.pk}),
        201,
    )
    assert again["id"] == created["id"]
    error(as_(org.admin).post("/departments", {"name": "X", "parent_id": 999999}), 404)


# -- communities: privacy ---------------------------------------------------------------------


def test_outsider_never_sees_the_private_community(org: Org, as_: Any) -> None:
    outsider = as_(org.outsider)
    listing = ok(outsider.get("/communities"))
    assert [c["slug"] for c in listing["items"]] == ["kubernetes"]
    assert listing["count"] == 1
    assert ok(outsider.get("/communities", visibility="private"))["count"] == 0
    assert ok(outsider.get("/communities", q="security"))["count"] == 0
    nothing = error(outsider.get("/communities/no-such-community"), 404)
    for method, path, body in [
        ("get", "/communities/security-council", None),
        ("patch", "/communities/security-council", {"name": "Mine now"}),
        ("get", "/communities/security-council/members", None),
        ("post", "/communities/security-council/join", None),
        ("post", "/communities/security-council/leave", None),
        ("put", f"/communities/security-council/members/{org.member.pk}/role", {"role": "leader"}),
        ("post", "/communities/security-council/join-requests", {"message": "hi"}),
        ("get", "/communities/security-council/join-requests", None),
    ]:
        # Exactly what a community that does not exist gets: nothing to tell them apart.
        assert error(outsider.call(method, path, body), 404) == nothing, (method, path)
    assert Community.objects.get(slug="security-council").name == "Security Council"


def test_members_and_sponsors_see_the_private_community(org: Org, as_: Any) -> None:
    for viewer in (org.member, org.sponsor, org.admin, org.leader):
        listing = ok(as_(viewer).get("/communities"))
        assert {c["slug"] for c in listing["items"]} == {"kubernetes", "security-council"}
        assert listing["count"] == 2
    council = ok(as_(org.member).get("/communities/security-council"))
    assert council["visibility"] == "private"
    assert council["member_count"] == 3
    assert council["viewer_role"] == "member"


def test_community_list_filters(org: Org, as_: Any) -> None:
    member = as_(org.member)
    assert ok(member.get("/communities", visibility="private"))["count"] == 1
    assert ok(member.get("/communities", q="containers"))["count"] == 1
    mine = ok(as_(org.facilitator).get("/communities", mine="true"))
    assert {c["slug"] for c in mine["items"]} == {"kubernetes", "security-council"}
    assert ok(as_(org.sponsor).get("/communities", mine=True))["count"] == 0
    kube = ok(member.get("/communities", q="kubernetes"))["items"][0]
    assert (kube["member_count"], kube["viewer_role"]) == (3, "member")
    ok(as_(org.leader).patch("/communities/kubernetes", {"status": "archived"}))
    assert ok(member.get("/communities", q="kubernetes"))["count"] == 0
    assert ok(member.get("/communities", status="archived"))["count"] == 1


# -- communities: writes by role --------------------------------------------------------------


def test_anyone_signed_in_starts_a_community_and_leads_it(org: Org, as_: Any) -> None:
    created = ok(
        as_(org.newcomer).post(
            "/communities",
            {
                "name": "Rust Club",
                "domain": "Systems programming",
                "visibility": "private",
            },
        ),
        201,
    )
    assert created["slug"] == "rust-club"
    assert (created["viewer_role"], created["member_count"]) == ("leader", 1)
    error(as_(org.outsider).get("/communities/rust-club"), 404)
    taken = error(
        as_(org.member).post("/communities", {"name": "K8s", "domain": "d", "slug": "kubernetes"}),
        409,
    )
    assert locs(taken) == {("body", "slug")}
    body = error(as_(org.member).post("/communities", {"name": 42, "domain": "d"}), 422)
    assert locs(body) == {("body", "name")}


def test_leaders_and_admins_change_settings(org: Org, as_: Any) -> None:
    changed = ok(
        as_(org.leader).patch(
            "/communities/kubernetes",
            {
                "name": "K8s Guild",
                "status": "growing",
                "charter": "Be kind",
            },
        )
    )
    assert (changed["name"], changed["status"], changed["charter"]) == (
        "K8s Guild",
        "growing",
        "Be kind",
    )
    error(as_(org.facilitator).patch("/communities/kubernetes", {"name": "Nope"}), 403)
    error(as_(org.member).patch("/communities/security-council", {"name": "Nope"}), 403)
    error(as_(org.sponsor).patch("/communities/security-council", {"name": "Nope"}), 403)
    ok(as_(org.admin).patch("/communities/security-council", {"visibility": "public"}))
    ok(as_(org.outsider).get("/communities/security-council"))


def test_members_list_by_role_and_pages(org: Org, as_: Any) -> None:
    members = ok(as_(org.outsider).get("/communities/kubernetes/members"))
    assert [(m["person"]["name"], m["role"]) for m in members["items"]] == [
        ("Lena Leader", "leader"),
        ("Femi Facilitator", "facilitator"),
        ("Mo Member", "member"),
    ]
    only = ok(as_(org.outsider).get("/communities/kubernetes/members", role="member"))
    assert [m["person"]["name"] for m in only["items"]] == ["Mo Member"]
    paged = ok(as_(org.outsider).get("/communities/kubernetes/members", page_size=1, page=2))
    assert (paged["count"], len(paged["items"])) == (3, 1)
    council = ok(as_(org.sponsor).get("/communities/security-council/members"))
    assert council["count"] == 3


def test_join_and_leave(org: Org, as_: Any) -> None:
    newcomer = as_(org.newcomer)
    joined = ok(newcomer.post("/communities/kubernetes/join"))
    assert (joined["role"], joined["community"]["slug"]) == ("member", "kubernetes")
    assert ok(newcomer.post("/communities/kubernetes/join"))["role"] == "member"  # idempotent
    assert ok(newcomer.get("/communities/kubernetes"))["member_count"] == 4
    assert ok(newcomer.post("/communities/kubernetes/leave"), 204) is None
    assert ok(newcomer.post("/communities/kubernetes/leave"), 204) is None  # idempotent
    assert ok(newcomer.get("/communities/kubernetes"))["viewer_role"] is None
    # A sponsor sees the private community but joins it by request only.
    error(as_(org.sponsor).post("/communities/security-council/join"), 403)
    # The only leader of a community with members must hand over first.
    error(as_(org.leader).post("/communities/kubernetes/leave"), 409)


def test_roles_are_for_leaders(org: Org, as_: Any) -> None:
    path = f"/communities/kubernetes/members/{org.member.pk}/role"
    changed = ok(as_(org.leader).put(path, {"role": "core"}))
    assert (changed["role"], changed["person"]["id"]) == ("core", org.member.pk)
    error(as_(org.facilitator).put(path, {"role": "leader"}), 403)
    error(as_(org.member).put(path, {"role": "leader"}), 403)
    error(
        as_(org.leader).put(
            f"/communities/kubernetes/members/{org.outsider.pk}/role", {"role": "core"}
        ),
        404,
    )
    error(as_(org.leader).put("/communities/kubernetes/members/999999/role", {"role": "core"}), 404)
    last_leader = f"/communities/kubernetes/members/{org.leader.pk}/role"
    error(as_(org.leader).put(last_leader, {"role": "member"}), 409)
    ok(as_(org.admin).put(path, {"role": "leader"}))
    ok(as_(org.admin).put(last_leader, {"role": "member"}))
    assert (
        Membership.objects.get(community=org.public, person=org.leader, left_at__isnull=True).role
        == Role.MEMBER
    )


def test_join_requests(org: Org, as_: Any) -> None:
    sponsor = as_(org.sponsor)  # sees the private community without being a member
    request = ok(
        sponsor.post("/communities/security-council/join-requests", {"message": "  Let me in  "}),
        201,
    )
    assert (request["status"], request["message"]) == ("pending", "Let me in")
    again = ok(sponsor.post("/communities/security-council/join-requests", {}), 201)
    assert again["id"] == request["id"]
    error(as_(org.member).post("/communities/security-council/join-requests", {}), 409)
    error(as_(org.newcomer).post("/communities/kubernetes/join-requests", {}), 409)

    pending = ok(as_(org.leader).get("/communities/security-council/join-requests"))
    assert [r["person"]["id"] for r in pending["items"]] == [org.sponsor.pk]
    error(as_(org.member).get("/communities/security-council/join-requests"), 403)
    error(as_(org.sponsor).get("/communities/security-council/join-requests"), 403)

    decide = f"/join-requests/{request['id']}/decision"
    error(as_(org.member).post(decide, {"approve": True}), 404)  # not theirs to know about
    error(as_(org.outsider).post(decide, {"approve": True}), 404)
    error(sponsor.post(decide, {"approve": True}), 403)  # cannot approve themselves
    decided = ok(as_(org.leader).post(decide, {"approve": True}))
    assert decided["status"] == "approved" and decided["decided_at"]
    error(as_(org.leader).post(decide, {"approve": False}), 409)
    assert ok(sponsor.get("/communities/security-council"))["viewer_role"] == "member"
    error(as_(org.leader).post("/join-requests/999999/decision", {"approve": True}), 404)
    assert JoinRequest.objects.get(pk=request["id"]).decided_by_id == org.leader.pk


# -- constant queries -------------------------------------------------------------------------


def queries(api: Api, path: str, **params: Any) -> int:
    ok(api.get(path, **params))  # warm up: the token's last_used_at is written once
    with CaptureQueriesContext(connection) as captured:
        ok(api.get(path, **params))
    return len(captured)


@pytest.mark.parametrize(
    "path",
    [
        "/people",
        "/departments",
        "/communities",
        "/communities/kubernetes/members",
        "/communities/security-council/join-requests",
        "/people/{member}",
        "/people/{leader}",
    ],
)
def test_lists_run_a_constant_number_of_queries(org: Org, as_: Any, path: str) -> None:
    admin = as_(org.admin)
    path = path.replace("{member}", str(org.member.pk)).replace("{leader}", str(org.leader.pk))
    before = queries(admin, path)
    for n in range(12):
        department = Department.objects.create(name=f"Team {n}", slug=f"team-{n}")
        person = Person.objects.create_user(
            f"p{n}@example.com", None, name=f"P {n}", department=department, manager=org.leader
        )
        community = community_services.community_create(
            actor=person,
            name=f"Guild {n}",
            domain="Things",
            visibility=Visibility.PRIVATE if n % 2 else Visibility.PUBLIC,
        )
        community_services.community_join(actor=person, community=org.public)
        community_services.invitation_respond(
            actor=org.member,
            accept=True,
            invitation=community_services.invitation_create(
                actor=person, community=community, person=org.member
            ),
        )
        JoinRequest.objects.create(community=org.private, person=person)
    after = queries(admin, path, page_size=100)
    assert ok(admin.get(path, page_size=100)) is not None
    assert after == before, (path, before, after)


def test_every_schema_has_a_name_of_its_own() -> None:
    """The OpenAPI components are named after the schema classes: two modules' classes of one
    name would make one of them describe the other's responses (found by schemathesis once)."""
    import inspect
    import pkgutil
    from importlib import import_module

    from ninja import Schema
    from pydantic import BaseModel

    import trellis.api

    seen: dict[str, str] = {}
    clashes = []
    for module_info in pkgutil.iter_modules(trellis.api.__path__):
        module = import_module(f"trellis.api.{module_info.name}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, (Schema, BaseModel))
                and value.__module__ == module.__name__
            ):
                if name in seen:
                    clashes.append((name, seen[name], module.__name__))
                seen[name] = module.__name__
    assert clashes == []
