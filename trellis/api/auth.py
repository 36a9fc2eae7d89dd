"""Who is calling: a personal API token (integrations) or the browser's session (with CSRF).

Every operation requires one of them; an anonymous call gets 401 in the error shape.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from trellis.accounts.services import api_token_authenticate
from trellis.core import access
from trellis.people.models import Person


class TokenAuth(HttpBearer):
    """``Authorization: Bearer trl_...``, resolved against the hashed tokens."""

    def authenticate(self, request: HttpRequest, token: str) -> Person | None:
        person = api_token_authenticate(raw=token.strip())
        if person is None or not access.is_signed_in(person):
            return None
        return person


class SessionAuth(APIKeyCookie):
    """The browser's Django session. Unsafe methods need the CSRF token (``X-CSRFToken``).

    The CSRF check runs only for a signed-in session, so an anonymous call is told 401 (who are
    you?) rather than 403 (CSRF), which is the answer that helps.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not access.is_signed_in(user):
            return None
        return super().__call__(request)  # checks CSRF, then authenticate()

    def authenticate(self, request: HttpRequest, key: str | None) -> Person | None:
        user = request.user
        if isinstance(user, Person) and access.is_signed_in(user):
            return user
        return None


AUTH = [TokenAuth(), SessionAuth(csrf=True)]


def viewer(request: HttpRequest) -> Person:
    """The authenticated person; operations only run once auth has succeeded."""
    person = getattr(request, "auth", None)
    if not isinstance(person, Person):
        raise AuthenticationError()
    return person
