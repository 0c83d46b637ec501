"""Every error leaves as an OperationOutcome with its status; nothing else renders errors."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import GatewayError, Issue
from gateway.http.responses import FHIRResponse
from mappers.outcome import operation_outcome

log = logging.getLogger(__name__)
_HTTP_ISSUE_CODES = {404: "not-found", 405: "not-supported", 413: "too-long"}


def _respond(status: int, issues: list[Issue]) -> Response:
    return FHIRResponse(operation_outcome(issues), status_code=status)


async def _gateway_error(request: Request, error: Exception) -> Response:
    """A 401 carries its challenge (RFC 6750 §3: `WWW-Authenticate` on every 401)."""
    assert isinstance(error, GatewayError)
    response = _respond(error.status, error.issues)
    headers: dict[str, str] | None = getattr(error, "headers", None)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        text = f"No FHIR interaction at `{request.method} {request.url.path}`."
    elif error.status_code == 405:
        text = f"`{request.method}` is not supported at `{request.url.path}`."
    else:
        text = str(error.detail)
    code = _HTTP_ISSUE_CODES.get(error.status_code, "processing")
    response = _respond(error.status_code, [Issue(text, code=code)])
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


async def _invalid_request(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    issues = [
        Issue(str(e.get("msg")), expression=".".join(str(p) for p in e.get("loc", ())))
        for e in error.errors()
    ]
    return _respond(400, issues)


async def _unexpected(request: Request, error: Exception) -> Response:
    """A bug: log it with an id the client can quote; no stack trace in the body."""
    incident = uuid.uuid4().hex[:12]
    log.exception("Unexpected error %s on %s %s", incident, request.method, request.url.path)
    text = f"Internal error (incident `{incident}`); it has been logged."
    return _respond(500, [Issue(text, code="exception", severity="fatal")])


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(Exception, _unexpected)
