"""A person's name must show something (issue 13): invisible format characters (Unicode Cf:
zero-width, bidi controls) and whitespace alone are no name, and bidi controls are taken out of
every name, wherever a name is set."""

import re
import unicodedata

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis.accounts.services import api_token_create
from trellis.api.people import PersonName
from trellis.core.errors import Invalid
from trellis.core.text import FORMAT_CHARACTERS, NAME_PATTERN, clean_name
from trellis.people import services
from trellis.people.models import Person

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
INVISIBLE_NAMES = [
    ZERO_WIDTH,
    BIDI,
    "\u200b",
    "\u202e \u2066\u00a0\u2069",
    " \t\u200d\n",
    "\U000e0041\U000e0042",  # tag characters
    "\u3164",  # a Hangul filler: blank, though a "letter"
]


@pytest.mark.parametrize("raw", INVISIBLE_NAMES)
def test_invisible_names_are_refused(raw: str) -> None:
    with pytest.raises(Invalid) as caught:
        clean_name(raw)
    assert "name" in caught.value.field_errors


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("  Ada \t Lovelace\n", "Ada Lovelace"),
        ("\u202eecalevoL adA", "ecalevoL adA"),  # the override is gone, the letters stay
        ("Ada\u200b Lovelace\ufeff", "Ada Lovelace"),
        ("\u2067\u0639\u0644\u064a\u2069 Smith", "\u0639\u0644\u064a Smith"),
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        ),
        ("\u200dZoë\u200d", "Zoë"),  # a joiner joins nothing at the ends
        ("Ada\x00\x07 Lovelace", "Ada Lovelace"),
    ],
)
def test_names_lose_bidi_controls_and_stray_invisibles(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_too_long_is_refused() -> None:
    assert clean_name("a" * 200) == "a" * 200
    with pytest.raises(Invalid):
        clean_name("a" * 201)


def test_the_format_characters_are_unicodes_cf() -> None:
    cf = {chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"}
    assert set(FORMAT_CHARACTERS) == cf


API_NAME: TypeAdapter[str] = TypeAdapter(PersonName)


@given(st.text(alphabet=st.sampled_from(ZERO_WIDTH + BIDI + " \t\x01\u3164ab\u00e9\U000e0041")))
def test_the_api_pattern_is_the_same_rule(raw: str) -> None:
    """The OpenAPI pattern (checked by pydantic's Rust engine and by Python's re) refuses exactly
    the names clean_name refuses, so no schema-valid name is turned away by the service."""
    raw = raw[:200]
    try:
        clean_name(raw)
        accepted = True
    except Invalid:
        accepted = False
    assert (re.fullmatch(NAME_PATTERN, raw) is not None) == accepted
    try:
        API_NAME.validate_python(raw)
        schema_ok = True
    except ValidationError:
        schema_ok = False
    assert schema_ok == accepted


# --- everywhere a name is set --------------------------------------------------------------------


@pytest.mark.parametrize("raw", [ZERO_WIDTH, BIDI])
def test_profile_edit_refuses_an_invisible_name(org: Org, client_for: ClientFor, raw: str) -> None:
    client = client_for(org.member)
    response = client.post(reverse("profile-edit"), {"name": raw, "location": "Leeds"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "name" in form.errors
    assert "visible" in " ".join(form.errors["name"])
    org.member.refresh_from_db()
    assert org.member.name == "Mo Member" and org.member.location == ""


def test_profile_edit_strips_bidi_controls(org: Org, client_for: ClientFor) -> None:
    client = client_for(org.member)
    response = client.post(reverse("profile-edit"), {"name": "Mo \u202eMember\u202c"})
    assert response.status_code == 302
    org.member.refresh_from_db()
    assert org.member.name == "Mo Member"


def test_admin_add_person_refuses_an_invisible_name(org: Org, client_for: ClientFor) -> None:
    response = client_for(org.admin).post(
        reverse("admin-people"), {"name": "\u200b\u200b", "email": "ghost@example.com"}
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert not Person.objects.filter(email="ghost@example.com").exists()


def test_services_refuse_invisible_names(org: Org) -> None:
    with pytest.raises(Invalid):
        services.person_create(actor=org.admin, email="ghost@example.com", name="\u2066\u2069")
    with pytest.raises(Invalid):
        services.person_update(actor=org.member, person=org.member, name="\ufeff")
    with pytest.raises(Invalid):
        Person.objects.create_user("ghost@example.com", None, name="\u200e")


def _api(person: Person) -> Client:
    _, raw = api_token_create(actor=person, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_api_refuses_invisible_names_per_field(org: Org) -> None:
    admin = _api(org.admin)
    response = admin.post(
        "/api/v1/people",
        {"email": "ghost@example.com", "name": BIDI},
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert ["body", "name"] in [e["loc"] for e in response.json()["errors"]]
    response = _api(org.member).patch(
        f"/api/v1/people/{org.member.pk}", {"name": ZERO_WIDTH}, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert ["body", "name"] in [e["loc"] for e in response.json()["errors"]]
    org.member.refresh_from_db()
    assert org.member.name == "Mo Member"


def test_the_api_strips_bidi_controls(org: Org) -> None:
    response = _api(org.member).patch(
        f"/api/v1/people/{org.member.pk}",
        {"name": "\u2067Mo\u2069 Member"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Mo Member"


def test_the_api_documents_the_rule(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schema["PersonCreate"]["properties"]["name"]["pattern"] == NAME_PATTERN


def test_createadmin_refuses_an_invisible_name(db: None) -> None:
    with pytest.raises((Invalid, CommandError)):
        call_command("createadmin", email="root@example.com", name=BIDI, password="x" * 20)
    assert not Person.objects.filter(email="root@example.com").exists()
    call_command("createadmin", email="root@example.com", name="\u202eRoot", password="x" * 20)
    assert Person.objects.get(email="root@example.com").name == "Root"


def test_createadmin_refuses_an_invisible_name_for_an_existing_person(org: Org) -> None:
    with pytest.raises((Invalid, CommandError)):
        call_command("createadmin", email=org.member.email, name=BIDI, password="x" * 20)
    org.member.refresh_from_db()
    assert org.member.name == "Mo Member"
