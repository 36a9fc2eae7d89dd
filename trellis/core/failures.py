"""Errors a user should see as "try again shortly", not as a bug: the database unreachable,
locked for longer than the busy timeout, or out of pooled connections."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.defaults import server_error as django_server_error

from trellis.core.overload import unavailable

DATABASE_UNAVAILABLE = "The database is not answering right now; try again in a moment."


def is_database_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, OperationalError | InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so it is in sys.exc_info()."""
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable(request, detail=DATABASE_UNAVAILABLE, retry_after=5)
    return django_server_error(request)
