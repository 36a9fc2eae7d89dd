"""Every API operation has a permission case; a new operation without one fails here.

As for the pages: each persona's status, denied writes leave the data as it was, and the outsider
never reads a word of the private community.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client

from tests.personas import Org, build_org
from tests.test_permission_matrix import ALLOWED, DENIED, PERSONAS, _fingerprint
from trellis.accounts.services import api_token_create
from trellis.api.router import api
from trellis.communities.models import JoinRequest

API = "/api/v1"


@dataclass
class Op:
    url: Callable[[Org], str]
    status: dict[str, int]
    body: Callable[[Org], dict[str, object]] | None = None
    writes: dict[str, str] = field(default_factory=dict)


def everyone(code: int) -> dict[str, int]:
    return {p: code for p in PERSONAS} | {"anonymous": 401}


def only(allowed: dict[str, int], otherwise: int) -> dict[str, int]:
    return everyone(otherwise) | allowed


def writes_by(*allowed: str) -> dict[str, str]:
    return {p: (ALLOWED if p in allowed else DENIED) for p in PERSONAS}


def _pending(org: Org) -> JoinRequest:
    return JoinRequest.objects.get_or_create(
        community=org.private, person=org.newcomer, status="pending"
    )[0]


SEEN_PRIVATE = {"outsider": 404}  # the private community does not exist for the outsider
PRIVATE = "/communities/security-council"

OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/people"): Op(lambda o: "/people", everyone(200)),
    ("POST", "/people"): Op(
        lambda o: "/people",
        only({"admin": 201}, 403),
        body=lambda o: {"email": "hire@example.com", "name": "New Hire"},
        writes=writes_by("admin"),
    ),
    ("GET", "/people/me"): Op(lambda o: "/people/me", everyone(200)),
    ("GET", "/people/{person_id}"): Op(lambda o: f"/people/{o.member.pk}", everyone(200)),
    ("PATCH", "/people/{person_id}"): Op(
        # The member edits their own profile; an org admin may edit anyone's.
        lambda o: f"/people/{o.member.pk}",
        only({"member": 200, "admin": 200}, 403),
        body=lambda o: {"location": "Lisbon"},
        writes=writes_by("member", "admin"),
    ),
    ("GET", "/departments"): Op(lambda o: "/departments", everyone(200)),
    ("POST", "/departments"): Op(
        lambda o: "/departments", only({"admin": 201}, 403), body=lambda o: {"name": "Ops"}
    ),
    ("GET", "/departments/{department_id}"): Op(
        lambda o: f"/departments/{o.design.pk}", everyone(200)
    ),
    ("GET", "/communities"): Op(lambda o: "/communities", everyone(200)),
    ("POST", "/communities"): Op(
        lambda o: "/communities",
        everyone(201),
        body=lambda o: {"name": "Rust Users", "domain": "Writing Rust"},
        writes=writes_by(*PERSONAS[1:]),
    ),
    ("GET", "/communities/{slug}"): Op(lambda o: PRIVATE, everyone(200) | SEEN_PRIVATE),
    ("PATCH", "/communities/{slug}"): Op(
        lambda o: PRIVATE,
        only({"leader": 200, "admin": 200}, 403) | SEEN_PRIVATE,
        body=lambda o: {"charter": "Renewed"},
        writes=writes_by("leader", "admin"),
    ),
    ("GET", "/communities/{slug}/members"): Op(
        lambda o: f"{PRIVATE}/members", everyone(200) | SEEN_PRIVATE
    ),
    ("POST", "/communities/{slug}/join"): Op(
        # Members already belong (no change); others must ask, the outsider sees nothing.
        lambda o: f"{PRIVATE}/join",
        only({"member": 200, "leader": 200}, 403) | SEEN_PRIVATE,
        writes=writes_by(),
    ),
    ("POST", "/communities/{slug}/leave"): Op(
        # The only leader may not leave a community that still has members.
        lambda o: f"{PRIVATE}/leave",
        everyone(204) | SEEN_PRIVATE | {"leader": 409},
        writes=writes_by("member"),
    ),
    ("PUT", "/communities/{slug}/members/{person_id}/role"): Op(
        lambda o: f"{PRIVATE}/members/{o.member.pk}/role",
        only({"leader": 200, "admin": 200}, 403) | SEEN_PRIVATE,
        body=lambda o: {"role": "core"},
        writes=writes_by("leader", "admin"),
    ),
    ("POST", "/communities/{slug}/join-requests"): Op(
        # Sponsors and admins see the private community without belonging: they may ask.
        lambda o: f"{PRIVATE}/join-requests",
        only({"sponsor": 201, "admin": 201}, 409) | SEEN_PRIVATE,
        body=lambda o: {"message": "Please"},
        writes=writes_by("sponsor", "admin"),
    ),
    ("GET", "/communities/{slug}/join-requests"): Op(
        lambda o: f"{PRIVATE}/join-requests",
        only({"leader": 200, "admin": 200}, 403) | SEEN_PRIVATE,
    ),
    ("POST", "/join-requests/{request_id}/decision"): Op(
        lambda o: f"/join-requests/{_pending(o).pk}/decision",
        only({"leader": 200, "admin": 200}, 404),
        body=lambda o: {"approve": True},
        writes=writes_by("leader", "admin"),
    ),
}


def _operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {
        (method.upper(), path.removeprefix(API))
        for path, operations in schema["paths"].items()
        for method in operations
    }


def test_every_api_operation_has_a_permission_case() -> None:
    missing = sorted(_operations() - set(OPERATIONS))
    assert not missing, f"API operations without a permission case: {missing}"
    assert not sorted(set(OPERATIONS) - _operations()), "cases for operations that are gone"


MATRIX = [
    pytest.param(method, path, persona, id=f"{method} {path}-{persona}")
    for (method, path) in OPERATIONS
    for persona in PERSONAS
]


@pytest.mark.parametrize(("method", "path", "persona"), MATRIX)
def test_api_permission(method: str, path: str, persona: str, db: None) -> None:
    org = build_org()
    op = OPERATIONS[(method, path)]
    url = API + op.url(org)
    headers = {}
    if persona != "anonymous":
        _, raw = api_token_create(actor=getattr(org, persona), name="matrix")
        headers["Authorization"] = f"Bearer {raw}"
    client = Client(headers=headers)
    before = _fingerprint()
    body = op.body(org) if op.body else None
    response = client.generic(
        method,
        url,
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
    )
    expected = op.status[persona]
    assert response.status_code == expected, (method, url, persona, response.content[:300])
    if response.status_code >= 400:
        error = response.json()
        assert isinstance(error["detail"], str) and isinstance(error["errors"], list)
    if op.writes.get(persona) == DENIED:
        assert _fingerprint() == before, f"{method} {url} as {persona} changed data"
    elif op.writes.get(persona) == ALLOWED:
        assert _fingerprint() != before, f"{method} {url} as {persona} changed nothing"
    if persona == "outsider":
        text = response.content.decode()
        assert org.private.name not in text and org.private.slug not in text.replace(url, "")
