"""SMART discovery, the Backend Services token endpoint and the gateway's JWKS: public paths.

`GET [base]/.well-known/smart-configuration` (gateway.auth.discovery), `POST [base]/auth/token`
(gateway.auth.backend_services), `GET [base]/auth/jwks` (the public half of the signing key).
No access token is needed for any of them: a client needs them to get its first token. The
token endpoint speaks OAuth (RFC 6749 §5.1-5.2: JSON, `Cache-Control: no-store`), not FHIR;
the other two answer a 404 OperationOutcome when the gateway runs no token endpoint.

Listed before the FHIR base's `{resource_type}/{resource_id}` templates, which would read
`.well-known/smart-configuration` and `auth/jwks` as a read of a resource.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.auth.backend_services import JWKS_PATH, TOKEN_PATH, TokenEndpoint
from gateway.auth.clients import InvalidClients
from gateway.auth.discovery import smart_configuration
from gateway.auth.oauth_errors import OAuthError
from gateway.auth.signing import InvalidSigningKey
from gateway.errors import NotFound
from gateway.http.methods import Endpoint, route
from gateway.services.context import Services
from gateway.settings import Settings

log = logging.getLogger(__name__)
FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_UNBUILT = object()


def paths(base: str) -> list[tuple[str, dict[str, Endpoint]]]:
    """The three public SMART paths under the FHIR base path `base`, and their handlers: what
    `routes()` serves and the OpenAPI document describes (tests/api/test_openapi.py)."""
    return [
        (f"{base}/.well-known/smart-configuration", {"GET": configuration}),
        (f"{base}{TOKEN_PATH}", {"POST": token}),
        (f"{base}{JWKS_PATH}", {"GET": jwks}),
    ]


def routes(base: str) -> list[Route]:
    return [route(path, handlers, public=True) for path, handlers in paths(base)]


async def configuration(request: Request) -> Response:
    document = smart_configuration(_settings(request))
    if document is None:
        raise NotFound(
            "This server does not authorize requests (AUTH_MODE=off): it has no SMART"
            " configuration.",
            code="MSG_NO_EXIST",
        )
    return _json(document)


async def jwks(request: Request) -> Response:
    try:
        endpoint = _endpoint(request)
    except OAuthError as error:
        return _json(error.body(), status=error.status, headers=_NO_STORE)
    if endpoint is None:
        raise NotFound("This server signs no tokens, so it publishes no keys.", code="MSG_NO_EXIST")
    return _json(endpoint.minter.key.public_jwks())


async def token(request: Request) -> Response:
    """RFC 6749 §4.4.2-4.4.3: the client_credentials grant with a JWT client assertion."""
    try:
        endpoint = _endpoint(request)
        if endpoint is None:
            raise OAuthError("unsupported_grant_type", "This server issues no tokens.")
        answer = await endpoint.exchange(await _form(request, _settings(request)))
    except OAuthError as error:
        return _json(error.body(), status=error.status, headers=_NO_STORE)
    return _json(answer, headers=_NO_STORE)


async def _form(request: Request, settings: Settings) -> dict[str, list[str]]:
    """The form body, within MAX_BODY_BYTES, each name with its values."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        raise OAuthError("invalid_request", f"The token request must be {FORM}.")
    limit = settings.max_body_bytes
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise OAuthError("invalid_request", f"The body is over {limit} bytes.", status=413)
        chunks.append(chunk)
    try:
        text = b"".join(chunks).decode("utf-8")
        return parse_qs(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as error:
        raise OAuthError("invalid_request", "The form body is not valid UTF-8.") from error


def _endpoint(request: Request) -> TokenEndpoint | None:
    """The app's token endpoint, built on first use from the settings (checked at start-up)."""
    state = request.app.state
    endpoint = getattr(state, "token_endpoint", _UNBUILT)
    if endpoint is _UNBUILT:
        try:
            endpoint = TokenEndpoint.from_settings(_settings(request))
        except (InvalidSigningKey, InvalidClients) as error:
            log.error("The token endpoint cannot start: %s", error)
            raise OAuthError(
                "temporarily_unavailable", "The token endpoint is misconfigured.", status=503
            ) from error
        state.token_endpoint = endpoint
    return endpoint  # type: ignore[return-value]


def _settings(request: Request) -> Settings:
    services: Services = request.app.state.services
    return services.settings


def _json(content: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(content), status_code=status, media_type="application/json", headers=headers
    )
