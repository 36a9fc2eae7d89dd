"""Small helpers shared by the HTML views."""

from typing import TYPE_CHECKING

from django.contrib import messages
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from trellis.core.errors import ServiceError

if TYPE_CHECKING:
    from trellis.people.models import Person


class AuthedRequest(HttpRequest):
    """A request past LoginRequiredMiddleware: the user is a signed-in person."""

    user: "Person"
    htmx: HtmxDetails


def int_param(request: HttpRequest, name: str, default: int = 1) -> int:
    try:
        return max(1, int(request.GET.get(name, default)))
    except (TypeError, ValueError):
        return default


def report_error(request: HttpRequest, error: ServiceError) -> None:
    details = " ".join(error.field_errors.values())
    messages.error(request, f"{error.message} {details}".strip())


def add_form_errors(form: object, error: ServiceError) -> None:
    """Put a service's field errors on the form fields, the rest on the form itself."""
    add_error = form.add_error  # type: ignore[attr-defined]
    fields = form.fields  # type: ignore[attr-defined]
    placed = False
    for field, message in error.field_errors.items():
        if field in fields:
            add_error(field, message)
            placed = True
    if not placed or not error.field_errors:
        add_error(None, error.message)
