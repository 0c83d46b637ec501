"""The one layer around the whole application: request id, security headers, limits, audit.

Issue 13, part 6 (hardening) and part 5 (the audit of every request). Every middleware layer
costs throughput on every request: an earlier attempt stacked four pure-ASGI layers and took GET
by id over HTTP from ~5,500 to ~4,930 requests/s. Here ONE layer does it all, with one `send`
wrapper, and does per request only what must be per request (the headers it adds are built once):

- `X-Request-ID`: the client's when it is a sane token (at most 128 of `A-Za-z0-9._:-`), else a
  fresh uuid4 hex, so a header can never inject text into a log; bound for log records while the
  request runs (gateway.request_context) and sent back on the response.
- Security headers (OWASP Secure Headers; https://hl7.org/fhir/R4/security.html):
  `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`, a
  strict `Content-Security-Policy` (not on the documentation pages, whose Swagger UI loads a
  script), `Cache-Control: no-store` on everything that may carry patient data (all but
  `metadata`, `.well-known/*` and the documentation), HSTS when configured.
- Limits: a URL longer than MAX_URL_LENGTH or with more than MAX_QUERY_PARAMETERS parameters is a
  400 OperationOutcome before routing. R4 gives no guidance for 414 (http.html lists the codes a
  server uses), so it is a 400 naming the limit, like any bad search.
- CORS, only when CORS_ORIGINS names origins: Starlette's CORSMiddleware inside this layer.
- The audit: once the app has answered, the request is recorded (gateway.http.audit_trail) with
  its status; a request that got no answer at all is recorded as a 500.
- Metrics (issue 14, METRICS=on): the request is counted with its status and its latency
  observed (gateway.http.metrics), in flight meanwhile; the app's metrics are bound for the
  hooks services call (gateway.metrics). The request is classified once, for both the audit and
  the metrics (gateway.http.audit_paths).
- Shutdown (issue 14): writes in flight are counted, so the lifespan can wait for them before
  the store closes and the audit flushes (gateway.http.shutdown).

The layer wraps Starlette's built stack (`GatewayApp.build_middleware_stack`), outside its
ServerErrorMiddleware, so a 500 also carries the id and headers and is audited.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import State
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import metrics as hooks
from gateway.errors import Issue
from gateway.http.audit_paths import classify
from gateway.http.metrics import RequestMetrics
from gateway.http.responses import FHIRResponse
from gateway.http.shutdown import READS, Drain
from gateway.request_context import bind_request_id, unbind_request_id
from gateway.settings import Settings
from mappers.outcome import operation_outcome

REQUEST_ID = b"x-request-id"
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
STRICT_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
NO_STORE = (b"cache-control", b"no-store")
CORS_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CORS_ALLOWED = (
    "Authorization", "Content-Type", "Accept", "Prefer", "If-Match", "If-None-Match",
    "If-Modified-Since", "If-None-Exist", "X-Request-ID",
)  # fmt: skip
CORS_EXPOSED = (
    "Location", "ETag", "Last-Modified", "Content-Location", "X-Request-ID", "WWW-Authenticate",
)  # fmt: skip


class Envelope:
    """Pure ASGI; `state.auditor` (set by gateway.http.audit_trail in the lifespan, None when
    AUDIT is off) records each request, `state.metrics` (None when METRICS is off) counts it,
    `state.drain` counts the writes in flight."""

    def __init__(self, app: ASGIApp, *, settings: Settings, state: State) -> None:
        self.app = with_cors(app, origins=settings.cors_origins)
        self.state = state
        self.metrics = RequestMetrics(state.metrics) if state.metrics is not None else None
        self.drain: Drain = state.drain
        self.base = settings.fhir_base_path.rstrip("/")
        self.max_url_length = settings.max_url_length
        self.max_query_parameters = settings.max_query_parameters
        hsts = settings.hsts_max_age_seconds
        extra = ((b"strict-transport-security", f"max-age={hsts}".encode()),) if hsts else ()
        # Built once: added to every response as they are.
        self.headers_by_kind = (
            (*_ALWAYS, *extra, NO_STORE, STRICT_CSP),  # data
            (*_ALWAYS, *extra, STRICT_CSP),  # conformance: cacheable
            (*_ALWAYS, *extra),  # documentation: cacheable, its own scripts
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        path: str = scope["path"]
        kind = self._kind(path)
        added = (*self.headers_by_kind[kind], (REQUEST_ID, request_id.encode()))
        answer: list[Any] = [0, None]  # status, Location (of a create)
        scope.setdefault("state", {})  # where the authentication step leaves the grant

        async def send_enveloped(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer[0] = message["status"]
                headers = message.get("headers") or []
                if kind == 0:
                    headers = _data_headers(headers, answer)
                message["headers"] = [*headers, *added]
            await send(message)

        auditor, metrics = self.state.auditor, self.metrics
        found = classify(scope["method"], path, base=self.base) if auditor or metrics else None
        write = scope["method"] not in READS
        if write:
            self.drain.write_started()
        bound = None
        if metrics is not None:
            metrics.begin()
            bound = hooks.bind(metrics.metrics)  # what services count lands in this app's
        started = time.perf_counter()
        token = bind_request_id(request_id)
        try:
            problem = self._problem(scope)
            if problem is None:
                await self.app(scope, receive, send_enveloped)
            else:
                outcome = operation_outcome([Issue(problem, code="too-long")])
                await FHIRResponse(outcome, status_code=400)(scope, receive, send_enveloped)
        finally:
            if bound is not None:
                hooks.unbind(bound)
            unbind_request_id(token)
            status = answer[0] or 500
            if auditor is not None and found is not None:
                auditor.record(
                    scope, found, status=status, request_id=request_id, location=answer[1]
                )
            if write:  # after the audit: the lifespan's wait ends once the write is recorded
                self.drain.write_ended()
            if metrics is not None:
                metrics.end(found, status, time.perf_counter() - started)

    def _kind(self, path: str) -> int:
        """0 for data; 1 for the conformance paths, which hold no patient data and may be
        cached; 2 for the documentation pages (cacheable, their own scripts allowed)."""
        base = self.base
        if not path.startswith(base + "/"):
            return 0
        rest = path[len(base) + 1 :]
        if rest in ("_docs", "_openapi.json"):
            return 2
        return 1 if rest == "metadata" or rest.startswith(".well-known/") else 0

    def _problem(self, scope: Scope) -> str | None:
        query: bytes = scope["query_string"]
        path: bytes = scope.get("raw_path") or scope["path"].encode()
        length = len(path) + (len(query) + 1 if query else 0)
        if length > self.max_url_length:
            limit = self.max_url_length
            return f"The URL is {length} characters long; the limit is {limit} (`MAX_URL_LENGTH`)."
        count = sum(1 for part in query.split(b"&") if part) if query else 0
        if count > self.max_query_parameters:
            limit = self.max_query_parameters
            return (
                f"The query has {count} parameters; the limit is {limit} (`MAX_QUERY_PARAMETERS`)."
            )
        return None


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID:
            return value.decode("ascii") if _SANE_ID.fullmatch(value) else fresh_id()
    return fresh_id()


def fresh_id() -> str:
    """`uuid.uuid4().hex` without building a UUID object (a third of the time, every request):
    16 random bytes with the version (4) and variant (RFC 9562) bits set as uuid4 sets them."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    return raw.hex()


def _data_headers(headers: Any, answer: list[Any]) -> list[Any]:
    """A data response's `headers` less any Cache-Control (it is no-store, whatever a route
    set); notes a create's Location in `answer`, for the audit."""
    kept = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"cache-control":
            continue
        if lowered == b"location":
            answer[1] = value.decode("latin-1")
        kept.append((name, value))
    return kept


def with_cors(app: ASGIApp, *, origins: list[str]) -> ASGIApp:
    """`app` itself when no origin is allowed (CORS off); `["*"]` allows any origin but never
    credentials (the Fetch standard forbids credentials with a wildcard origin)."""
    if not origins:
        return app
    return CORSMiddleware(
        app,
        allow_origins=origins,
        allow_methods=CORS_METHODS,
        allow_headers=CORS_ALLOWED,
        expose_headers=CORS_EXPOSED,
        allow_credentials="*" not in origins,
    )


class GatewayApp(FastAPI):
    """FastAPI whose built middleware stack is wrapped in the `Envelope` (`envelope=None`: left
    bare, for benchmarks measuring the envelope's cost)."""

    def __init__(self, *, envelope: Settings | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.envelope = envelope
        self.state.auditor = None
        self.state.metrics = None  # create_app sets the app's own with METRICS on
        self.state.drain = Drain()

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        if self.envelope is None:
            return stack
        return Envelope(stack, settings=self.envelope, state=self.state)
