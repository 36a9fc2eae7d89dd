"""The error pages people meet: a 404 that says nothing about what exists, a 403 that says who
may open the page, and a 500 that renders even when nothing else can (no database)."""

import re

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse
from pytest_django import Settings

from tests.personas import Org
from tests.typing_helpers import ClientFor
from trellis import urls as trellis_urls


@login_not_required
def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


# This module is also the urlconf of the 500 test: the app's pages plus one that fails.
urlpatterns = [path("broken-for-test/", _broken), *trellis_urls.urlpatterns]
handler500 = trellis_urls.handler500

PER_REQUEST = [
    (
        re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'),
        'name="csrfmiddlewaretoken" value=""',
    ),
    (re.compile(r'"X-CSRFToken": "[^"]+"'), '"X-CSRFToken": ""'),
    (re.compile(r'nonce="[^"]+"'), 'nonce=""'),
]


def _page(client: Client, url: str, *, path_part: str = "") -> bytes:
    """The body, without what differs on every request (CSRF tokens, the CSP nonce) and with
    `path_part` of the address blanked out."""
    response = client.get(url)
    assert response.status_code == 404, (url, response.status_code)
    text = response.content.decode()
    for pattern, same in PER_REQUEST:
        text = pattern.sub(same, text)
    if path_part:
        text = text.replace(path_part, "PATH")
    return text.encode()


@pytest.mark.django_db
def test_a_private_community_is_the_same_404_as_one_that_does_not_exist(
    org: Org, client_for: ClientFor, settings: Settings
) -> None:
    settings.DEBUG = False
    outsider = client_for(org.outsider)
    private, missing = org.private.slug, "no-such-community-here"
    for name in ("community-detail", "community-library", "routing-load"):
        seen = _page(outsider, reverse(name, args=[private]), path_part=private)
        absent = _page(outsider, reverse(name, args=[missing]), path_part=missing)
        assert seen == absent, name
        assert org.private.name.encode() not in seen
    # A page behind the community's address and an address that never existed read alike.
    nowhere = _page(outsider, "/this/page/does/not/exist/")
    assert nowhere == _page(outsider, reverse("community-library", args=[private]))
    body = nowhere.decode()
    assert "We can&#x27;t find that page" in body or "We can't find that page" in body
    assert f'href="{reverse("home")}"' in body
    assert "trellis/trellis.css" in body  # the app's look, not Django's bare page


@pytest.mark.django_db
def test_a_missing_page_is_styled_for_someone_signed_out(settings: Settings) -> None:
    settings.DEBUG = False
    response = Client().get("/this/page/does/not/exist/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "find that page" in body and "trellis/trellis.css" in body


@pytest.mark.django_db
def test_a_member_opening_a_leaders_page_is_told_who_may(
    org: Org, client_for: ClientFor, settings: Settings
) -> None:
    settings.DEBUG = False
    response = client_for(org.member).get(reverse("routing-load", args=[org.private.slug]))
    assert response.status_code == 403
    body = response.content.decode()
    assert "have access to this page" in body
    assert "Only the community&#x27;s leaders can see routed load." in body
    assert f'href="{reverse("home")}"' in body and "trellis/trellis.css" in body
    org_wide = client_for(org.member).get(reverse("routing-load-org"))
    assert org_wide.status_code == 403
    assert "have access to this page" in org_wide.content.decode()


@pytest.mark.urls("tests.test_error_pages")
def test_a_server_error_renders_without_the_database(settings: Settings) -> None:
    """No django_db mark: any query the error page made would fail this test."""
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/broken-for-test/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert 'href="/static/trellis/trellis.css"' in body and 'href="/"' in body
    assert "a bug in a view" not in body and "Traceback" not in body
