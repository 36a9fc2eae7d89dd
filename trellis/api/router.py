"""The HTTP API v1, mounted at /api/v1/ (OpenAPI 3.1 at /api/v1/openapi.json)."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path
from ninja import NinjaAPI
from ninja.errors import ValidationError, ValidationErrorContext
from ninja.openapi.schema import OpenAPISchema

from trellis.api import (
    agendas,
    communities,
    discovery,
    events,
    expertise,
    facilitation,
    insights_champions,
    insights_health,
    insights_silos,
    library,
    mentoring,
    notifications,
    people,
    qa,
    radar,
    reports,
    search,
    stories,
)
from trellis.api.auth import AUTH
from trellis.api.errors import error_body, install_error_handlers

DESCRIPTION = """\
Communities of practice and the people in them.

Authenticate with a personal API token (`Authorization: Bearer trl_...`, made on your tokens
page) or, from the browser, with your session (unsafe methods then need the `X-CSRFToken`
header). Every error has the same shape: `{"detail": str, "errors": [{"loc", "msg", "type"}]}`.
Lists take `page` and `page_size` (1-100) and answer `{items, count, page, page_size}`.
A private community is answered as not found to everyone who may not see it.
"""


class TrellisAPI(NinjaAPI):
    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls: list[URLResolver | URLPattern] = []
        for pattern in super()._get_urls():
            if isinstance(pattern, URLPattern) and pattern.name == "api-root":
                pattern = path("", _not_found, name="api-root")
            elif isinstance(pattern, URLPattern):
                pattern.callback = _api_view(pattern.callback)
            urls.append(pattern)
        # Anything else under /api/v1/ is a 404 in the error shape, not Django's HTML page.
        urls.append(re_path(r"^.*$", _not_found, name="api-not-found"))
        return urls

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        """Locate body errors at the field (``["body", "name"]``), not under the name of the
        handler's argument (``["body", "payload", "name"]``)."""
        error = super().validation_error_from_error_contexts(error_contexts)
        for context in error_contexts:
            argument = getattr(context.model, "__read_from_single_attr__", None)
            if context.model.__ninja_param_source__ != "body" or not argument:
                continue
            for item in error.errors:
                loc = tuple(item["loc"])
                if loc[:2] == ("body", argument):
                    item["loc"] = ("body", *loc[2:])
        return error

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        if not str(schema.get("openapi", "")).startswith("3.1"):  # ninja 1.x emits 3.1.0
            schema["openapi"] = "3.1.0"
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    # Ninja copies a JSON Schema `examples` list onto the parameter, where
                    # OpenAPI wants a map of Example Objects; the schema keeps the list.
                    if isinstance(parameter.get("examples"), list):
                        del parameter["examples"]
        return schema


def _api_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Every API view: open to LoginRequiredMiddleware (the API answers 401 itself, instead of
    redirecting to the sign-in page), and 405 in the error shape (with ``Allow``)."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",")))
            response = JsonResponse(
                error_body(f"Method {request.method} is not allowed here; use {allowed}."),
                status=405,
            )
            response["Allow"] = allowed
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # ninja checks CSRF in SessionAuth
    wrapper.login_required = False  # type: ignore[attr-defined]
    return wrapper


def _not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return JsonResponse(error_body("Not found."), status=404)


_not_found.csrf_exempt = True  # type: ignore[attr-defined]
_not_found.login_required = False  # type: ignore[attr-defined]

api = TrellisAPI(
    title="Trellis API",
    version="1",
    description=DESCRIPTION,
    auth=AUTH,
    # Ninja's docs page loads Swagger UI from a CDN unless "ninja" is an installed app; the app
    # serves nothing from a CDN, so the page is off. The OpenAPI document is the reference.
    docs_url=None,
    urls_namespace="api-v1",
)
install_error_handlers(api)
api.add_router("/", people.router)
api.add_router("/", communities.router)
api.add_router("/", qa.router)
api.add_router("/", library.router)
api.add_router("/", notifications.router)
api.add_router("/", search.router)
api.add_router("/", expertise.router)
api.add_router("/", mentoring.router)
api.add_router("/", events.router)
api.add_router("/", agendas.router)
api.add_router("/", facilitation.router)
api.add_router("/", stories.router)
api.add_router("/", reports.router)
api.add_router("/", insights_health.router)
api.add_router("/", insights_champions.router)
api.add_router("/", insights_silos.router)
api.add_router("/", radar.router)
api.add_router("/", discovery.router)
