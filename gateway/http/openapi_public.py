"""The public endpoints in the OpenAPI document: SMART discovery, the token endpoint, its JWKS
(under the FHIR base, gateway.http.routes.smart) and the probes (at the server root,
gateway.http.routes.health); and beside the probes, not public, the metrics
(gateway.http.routes.metrics).

None of them takes a token (gateway.http.methods `public=True`), so `add_bearer` lifts the
requirement on them (`PUBLIC_PATHS`). The token endpoint speaks OAuth (RFC 6749 §5.1-5.2),
not FHIR: its answers and errors are plain JSON. The probes carry their own `servers`, as the
seed apps' paths do (OAS 3.1 Path Item Object `servers`).
"""

from __future__ import annotations

from gateway.http.audit_paths import METRICS as METRICS_PATH  # beside the probes, not public
from gateway.http.openapi_parts import errors
from gateway.jsonio import Json

SMART_TAG = "SMART on FHIR"
PROBES_TAG = "Operations"
JSON = "application/json"
SMART_PATHS = ("/.well-known/smart-configuration", "/auth/token", "/auth/jwks")
PROBE_PATHS = ("/health", "/health/live", "/health/ready")
PUBLIC_PATHS = frozenset({*SMART_PATHS, *PROBE_PATHS})
_OBJECT: Json = {"type": "object"}


def add_public(document: Json, *, root: str) -> Json:
    """Add the SMART paths (relative to the FHIR base) and the probes (at `root`) in place."""
    paths = document["paths"]
    paths["/.well-known/smart-configuration"] = {"get": _discovery()}
    paths["/auth/token"] = {"post": _token()}
    paths["/auth/jwks"] = {"get": _jwks()}
    servers = [{"url": root, "description": "The server root: the probes are beside the base."}]
    live = _answer("The process answers (no I/O).", _status())
    for path, operation_id, summary in (
        ("/health", "health", "Liveness (an alias of /health/live)"),
        ("/health/live", "healthLive", "Liveness: the process answers"),
    ):
        paths[path] = {"servers": servers, "get": _probe(operation_id, summary, {"200": live})}
    ready = {
        "200": _answer("The database answers: this instance can serve.", _status()),
        "503": _answer(
            "The database does not answer (or the gateway is starting or shutting down).",
            _status(),
        ),
    }
    paths["/health/ready"] = {
        "servers": servers,
        "get": _probe("healthReady", "Readiness: the database answers", ready),
    }
    paths[METRICS_PATH] = {
        "servers": [
            {"url": root, "description": "The server root: the metrics are beside the base."}
        ],
        "get": _metrics(),
    }
    return document


def _metrics() -> Json:
    """Not public: with AUTH_MODE=smart it takes a token with a `system/` scope (403 without
    one), so it keeps the document's bearer requirement (gateway.http.routes.metrics)."""
    text = {"schema": {"type": "string"}}
    return {
        "operationId": "metrics",
        "summary": "Prometheus metrics: requests, latencies, imports, exports, store errors",
        "tags": [PROBES_TAG],
        "responses": {
            "200": {
                "description": "Prometheus text exposition (OpenMetrics when `Accept` asks).",
                "content": {"text/plain": text, "application/openmetrics-text": text},
            },
            **errors(404),  # METRICS=off
        },
    }


def _discovery() -> Json:
    return {
        "operationId": "smartConfiguration",
        "summary": "SMART discovery: the token endpoint, its keys and capabilities",
        "tags": [SMART_TAG],
        "responses": {
            "200": _answer("The SMART configuration (AUTH_MODE=smart).", _OBJECT),
            **errors(404),  # AUTH_MODE=off: no SMART configuration
        },
    }


def _token() -> Json:
    form = {
        "type": "object",
        "required": ["grant_type", "client_assertion_type", "client_assertion"],
        "properties": {
            "grant_type": {"const": "client_credentials"},
            "client_assertion_type": {
                "const": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            },
            "client_assertion": {"type": "string", "description": "A JWT the client signs."},
            "scope": {"type": "string", "description": "SMART system scopes, space-separated."},
        },
    }
    token = {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "scope"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"const": "bearer"},
            "expires_in": {"type": "integer"},
            "scope": {"type": "string"},
        },
    }
    oauth_error = {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string"}, "error_description": {"type": "string"}}}  # fmt: skip
    return {
        "operationId": "token",
        "summary": "SMART Backend Services: an access token for a signed client assertion",
        "tags": [SMART_TAG],
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": form}},
        },
        "responses": {
            "200": _answer("The access token (RFC 6749 §5.1).", token),
            "400": _answer("An OAuth error (RFC 6749 §5.2).", oauth_error),
            "401": _answer("`invalid_client`: the assertion does not verify.", oauth_error),
        },
    }


def _jwks() -> Json:
    return {
        "operationId": "jwks",
        "summary": "The public keys the gateway's access tokens are signed with",
        "tags": [SMART_TAG],
        "responses": {
            "200": _answer("A JWK Set.", _OBJECT),
            **errors(404),  # no signing key
        },
    }


def _probe(operation_id: str, summary: str, responses: Json) -> Json:
    return {"operationId": operation_id, "summary": summary, "tags": [PROBES_TAG],
            "responses": responses}  # fmt: skip


def _status() -> Json:
    return {"type": "object", "required": ["status"], "properties": {
        "status": {"type": "string"}, "reason": {"type": "string"}}}  # fmt: skip


def _answer(description: str, schema: Json) -> Json:
    return {"description": description, "content": {JSON: {"schema": schema}}}
