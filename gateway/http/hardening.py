"""The hardening layers around the whole application, outside Starlette's error middleware.

Starlette renders a 500 in `ServerErrorMiddleware`, the outermost layer it builds; middleware added
with `add_middleware` sits inside it and never sees that response. Wrapping the built stack puts
the request id, security headers, CORS and limits on every response, the 500 included, and keeps
the request id set while the 500 handler logs. All pure ASGI: no `BaseHTTPMiddleware`, which
costs throughput and breaks streaming.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from gateway.http.cors import with_cors
from gateway.http.limits import LimitsMiddleware
from gateway.http.request_id import RequestIdMiddleware
from gateway.http.security_headers import SecurityHeadersMiddleware
from gateway.settings import Settings


def harden(app: ASGIApp, settings: Settings) -> ASGIApp:
    """Outermost first: the id (so everything after logs it), headers, CORS, then limits."""
    limited = LimitsMiddleware(
        app,
        max_url_length=settings.max_url_length,
        max_query_parameters=settings.max_query_parameters,
    )
    cors = with_cors(limited, origins=settings.cors_allow_origins)
    headers = SecurityHeadersMiddleware(
        cors,
        base=settings.fhir_base_path.rstrip("/"),
        hsts_max_age_seconds=settings.hsts_max_age_seconds,
    )
    return RequestIdMiddleware(headers)


class HardenedFastAPI(FastAPI):
    """FastAPI whose built middleware stack is wrapped by `harden` (None: unwrapped, for benches)."""

    def __init__(self, *, hardening: Settings | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hardening = hardening

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return stack if self.hardening is None else harden(stack, self.hardening)
