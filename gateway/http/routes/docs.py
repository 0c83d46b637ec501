"""The OpenAPI document of the FHIR base and Swagger UI over it (`_openapi.json`, `_docs`).

The document is generated once per server URL (about a megabyte: every type with its search
parameters) and served as the bytes it was rendered to.
"""

from __future__ import annotations

from functools import lru_cache

import orjson
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import Response

from gateway.domain.time import format_instant, utc_now
from gateway.http.openapi import openapi_document
from gateway.services.capabilities import capability_statement
from gateway.services.context import Services

TITLE = "FHIR R4 gateway"
OPENAPI_PATH = "/_openapi.json"


def _base_path(request: Request) -> str:
    services: Services = request.app.state.services
    return services.settings.fhir_base_path.rstrip("/")


@lru_cache(maxsize=4)
def rendered(server: str) -> bytes:
    statement = capability_statement(base_url=server, date=format_instant(utc_now()))
    return orjson.dumps(openapi_document(statement, server=server, title=TITLE))


async def openapi(request: Request) -> Response:
    """From the settings, not the request's Host: one document, however clients name us."""
    services: Services = request.app.state.services
    server = services.settings.fhir_base_url or _base_path(request) or "/"
    return Response(rendered(server.rstrip("/") or "/"), media_type="application/json")


async def swagger_ui(request: Request) -> Response:
    return get_swagger_ui_html(openapi_url=_base_path(request) + OPENAPI_PATH, title=TITLE)
