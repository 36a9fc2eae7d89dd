"""The one error shape of the API, and the handlers that turn every failure into it.

Every error answers ``{"detail": str, "errors": [{"loc": [...], "msg": str, "type": str}]}``:
``detail`` is a sentence for people, ``errors`` says which input was wrong (empty when the
failure is not about one field).
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from trellis.core.errors import Invalid, ServiceError
from trellis.core.failures import DATABASE_UNAVAILABLE, is_database_unavailable

logger = logging.getLogger(__name__)


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem]


class Conflict(ServiceError):
    """The request is well formed but clashes with the current state (a taken email, the last
    leader leaving, a request already decided). Raised here, not in services: see `conflicts`."""

    status_code = 409


ERROR_STATUSES = (400, 401, 403, 404, 422)


def error_responses(*, conflict: bool = False) -> dict[int, type[ErrorOut]]:
    """The error part of an operation's ``response=`` mapping."""
    statuses = (*ERROR_STATUSES, 409) if conflict else ERROR_STATUSES
    return dict.fromkeys(statuses, ErrorOut)


@contextmanager
def conflicts(*, rename: dict[str, str] | None = None) -> Iterator[None]:
    """Report a service's ``Invalid`` as 409 Conflict.

    Use it only around service calls whose input the request schema has already validated in
    full: what the service can still refuse then depends on the state of the data (a taken
    email, the last leader), not on the request (RFC 9110 §15.5.10), and a 400 would tell the
    client to fix a request that is fine. ``rename`` maps the service's field names to the API's
    (``manager`` -> ``manager_id``).
    """
    try:
        yield
    except Invalid as error:
        names = rename or {}
        fields = {names.get(field, field): msg for field, msg in error.field_errors.items()}
        raise Conflict(error.message, field_errors=fields) from error


_TYPES = {
    400: "invalid",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_error",
    503: "unavailable",
    500: "server_error",
}


def error_body(detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or []}


def _respond(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    response = api.create_response(request, error_body(detail, errors), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="trellis"'
    return response


def _service_error(api: NinjaAPI, request: HttpRequest, exc: ServiceError) -> HttpResponse:
    kind = _TYPES.get(exc.status_code, "error")
    errors = [
        {"loc": ["body", field], "msg": message, "type": kind}
        for field, message in exc.field_errors.items()
    ]
    return _respond(api, request, exc.status_code, exc.message, errors)


def _validation_error(api: NinjaAPI, request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "Invalid value.")),
            "type": str(error.get("type", "value_error")),
        }
        for error in exc.errors
    ]
    return _respond(api, request, 422, "Some fields need attention.", errors)


def _authentication_error(
    api: NinjaAPI, request: HttpRequest, exc: AuthenticationError
) -> HttpResponse:
    return _respond(
        api,
        request,
        401,
        "Authentication required: sign in, or send 'Authorization: Bearer <token>'.",
    )


def _http_error(api: NinjaAPI, request: HttpRequest, exc: HttpError) -> HttpResponse:
    errors = None
    if exc.status_code == 400 and exc.message.startswith("Cannot parse request body"):
        errors = [{"loc": ["body"], "msg": "The body is not valid JSON.", "type": "json_invalid"}]
    return _respond(api, request, exc.status_code, exc.message, errors)


def _not_found(api: NinjaAPI, request: HttpRequest, exc: Http404) -> HttpResponse:
    return _respond(api, request, 404, "Not found.")


def _server_error(api: NinjaAPI, request: HttpRequest, exc: Exception) -> HttpResponse:
    if is_database_unavailable(exc):
        logger.warning("API %s %s: database unavailable (%s)", request.method, request.path, exc)
        response = _respond(api, request, 503, DATABASE_UNAVAILABLE)
        response["Retry-After"] = "5"
        return response
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return _respond(api, request, 500, "Something went wrong on our side; it has been logged.")


def _too_big(api: NinjaAPI, request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _respond(
        api,
        request,
        413,
        f"The request body is larger than the limit of {limit / 1e6:,.0f} MB.",
        [{"loc": ["body"], "msg": "Too large.", "type": "too_large"}],
    )


def _bind(
    api: NinjaAPI, func: Callable[[NinjaAPI, HttpRequest, Any], HttpResponse]
) -> Callable[[HttpRequest, Any], HttpResponse]:
    def handle(request: HttpRequest, exc: Any) -> HttpResponse:
        return func(api, request, exc)

    return handle


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers: the most specific class wins (looked up by MRO)."""
    api.add_exception_handler(ServiceError, _bind(api, _service_error))
    api.add_exception_handler(ValidationError, _bind(api, _validation_error))
    api.add_exception_handler(AuthenticationError, _bind(api, _authentication_error))
    api.add_exception_handler(HttpError, _bind(api, _http_error))
    api.add_exception_handler(Http404, _bind(api, _not_found))
    api.add_exception_handler(RequestDataTooBig, _bind(api, _too_big))
    api.add_exception_handler(Exception, _bind(api, _server_error))
