"""Errors a user should see as "try again shortly", not as a bug: the database unreachable,
locked for longer than the busy timeout, or out of pooled connections."""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.defaults import server_error as django_server_error

from trellis.core.overload import unavailable

DATABASE_UNAVAILABLE = "The database is not answering right now; try again in a moment."


def is_database_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, OperationalError | InterfaceError)


class DatabaseUnavailableFilter(logging.Filter):
    """django.request logs every 5xx at ERROR with its traceback: for a database that is away
    that is one identical pair of tracebacks per request, burying what matters. Keep one
    warning line per request instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if is_database_unavailable(error):
            record.msg = f"{record.msg} (database unavailable: %s)"
            record.args = (*(record.args or ()), error)
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.WARNING
            record.levelname = "WARNING"
        return True


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so it is in sys.exc_info()."""
    if is_database_unavailable(sys.exc_info()[1]):
        return unavailable(request, detail=DATABASE_UNAVAILABLE, retry_after=5)
    return django_server_error(request)
