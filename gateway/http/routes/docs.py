"""The OpenAPI document of the FHIR base and Swagger UI over it (`_openapi.json`, `_docs`).

The document is generated once per server URL (about two megabytes: every type with its search
parameters, and the seed apps' endpoints beside the base) and served as the bytes it was
rendered to.
"""

from __future__ import annotations

from functools import lru_cache

import orjson
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import Response

from gateway.domain.time import format_instant, utc_now
from gateway.http.openapi import openapi_document
from gateway.http.openapi_apps import add_apps, server_root
from gateway.http.openapi_public import add_public
from gateway.http.openapi_security import add_bearer
from gateway.services.capabilities import capability_statement
from gateway.services.context import Services

TITLE = "FHIR R4 gateway"
OPENAPI_PATH = "/_openapi.json"


def _base_path(request: Request) -> str:
    services: Services = request.app.state.services
    return services.settings.fhir_base_path.rstrip("/")


@lru_cache(maxsize=4)
def rendered(server: str, *, root: str, smart: bool = False) -> bytes:
    """`root`: where the seed apps' endpoints are, beside the FHIR base (`server`); `smart`:
    AUTH_MODE=smart, every operation but the public ones needs a bearer token."""
    statement = capability_statement(base_url=server, date=format_instant(utc_now()), smart=smart)
    document = add_apps(openapi_document(statement, server=server, title=TITLE), root=root)
    add_public(document, root=root)
    return orjson.dumps(add_bearer(document) if smart else document)


async def openapi(request: Request) -> Response:
    """From the settings, not the request's Host: one document, however clients name us."""
    services: Services = request.app.state.services
    server = (services.settings.fhir_base_url or _base_path(request)).rstrip("/") or "/"
    root = server_root(server, base_path=_base_path(request))
    smart = request.app.state.authenticator.enforcing
    return Response(rendered(server, root=root, smart=smart), media_type="application/json")


async def swagger_ui(request: Request) -> Response:
    return get_swagger_ui_html(openapi_url=_base_path(request) + OPENAPI_PATH, title=TITLE)
