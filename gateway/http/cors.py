"""CORS for browser apps (SMART apps run in the browser), off unless origins are configured.

https://fetch.spec.whatwg.org/#http-cors-protocol. The lists are FHIR's: the conditional and
`Prefer` headers a client sends, and the `Location`/`ETag` headers it must read back.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Accept",
    "Prefer",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-None-Exist",
    "X-Request-ID",
)
EXPOSED_HEADERS = (
    "Location",
    "ETag",
    "Last-Modified",
    "Content-Location",
    "X-Request-ID",
    "WWW-Authenticate",
)


def with_cors(app: ASGIApp, *, origins: list[str]) -> ASGIApp:
    """`app` itself when no origin is allowed; `["*"]` allows any origin but never credentials
    (the Fetch standard forbids credentials with a wildcard origin)."""
    if not origins:
        return app
    return CORSMiddleware(
        app,
        allow_origins=origins,
        allow_methods=METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_credentials="*" not in origins,
    )
