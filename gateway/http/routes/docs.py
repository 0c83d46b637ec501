"""The OpenAPI document of the FHIR base and Swagger UI over it (`_openapi.json`, `_docs`).

The document is generated once per server URL (about two megabytes: every type with its search
parameters, and the seed apps' endpoints beside the base) and served as the bytes it was
rendered to.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache

import orjson
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import Response

from gateway.domain.time import format_instant, utc_now
from gateway.http.openapi import openapi_document
from gateway.http.openapi_apps import add_apps, server_root
from gateway.services.capabilities import capability_statement
from gateway.services.context import Services

TITLE = "FHIR R4 gateway"
OPENAPI_PATH = "/_openapi.json"


def _base_path(request: Request) -> str:
    services: Services = request.app.state.services
    return services.settings.fhir_base_path.rstrip("/")


@lru_cache(maxsize=4)
def rendered(server: str, *, root: str) -> bytes:
    """`root`: where the seed apps' endpoints are, beside the FHIR base (`server`)."""
    statement = capability_statement(base_url=server, date=format_instant(utc_now()))
    document = openapi_document(statement, server=server, title=TITLE)
    return orjson.dumps(add_apps(document, root=root))


async def openapi(request: Request) -> Response:
    """From the settings, not the request's Host: one document, however clients name us."""
    services: Services = request.app.state.services
    server = (services.settings.fhir_base_url or _base_path(request)).rstrip("/") or "/"
    root = server_root(server, base_path=_base_path(request))
    return Response(rendered(server, root=root), media_type="application/json")


CDN = "https://cdn.jsdelivr.net"  # where FastAPI's Swagger UI page loads its script and CSS
FAVICON_HOST = "https://fastapi.tiangolo.com"


def _page_csp(html: bytes) -> str:
    """A CSP for exactly what the page loads: the CDN's script and CSS, its one inline script by
    hash (no 'unsafe-inline' for scripts), the OpenAPI document from us. Inline styles are allowed:
    Swagger UI writes some, and a style cannot run code."""
    scripts = re.findall(rb"<script>(.*?)</script>", html, flags=re.DOTALL)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in scripts
    )
    return (
        f"default-src 'none'; script-src {CDN} {hashes}; style-src {CDN} 'unsafe-inline';"
        f" img-src {FAVICON_HOST} data:; connect-src 'self'; frame-ancestors 'none'"
    )


async def swagger_ui(request: Request) -> Response:
    """Swagger UI, with its own CSP: the gateway's default (`default-src 'none'`) would block it."""
    page = get_swagger_ui_html(openapi_url=_base_path(request) + OPENAPI_PATH, title=TITLE)
    page.headers["Content-Security-Policy"] = _page_csp(bytes(page.body))
    return page
