"""Reading a resource body: size limit, JSON (numbers exact, `gateway.jsonio`), an object with
a resourceType."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from gateway.errors import InvalidRequest, PayloadTooLarge
from gateway.http.negotiation import check_body_type
from gateway.jsonio import loads


async def read_json_body(request: Request, *, limit: int) -> dict[str, Any]:
    body = await read_optional_json_body(request, limit=limit)
    if body is None:
        raise InvalidRequest("The request has no body; a FHIR resource was expected.")
    return body


async def read_optional_json_body(request: Request, *, limit: int) -> dict[str, Any] | None:
    """`read_json_body`, or None for an empty body (an operation's POST may carry none)."""
    body = await read_json_value(request, limit=limit)
    if body is None:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
        raise InvalidRequest(
            "The body must be a JSON object with a resourceType.", expression="resourceType"
        )
    return body


async def read_json_value(request: Request, *, limit: int) -> Any:
    """The body's JSON value, None for an empty body; no FHIR check (the seed apps' records,
    gateway.http.routes.apps, are not resources)."""
    check_body_type(request)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is {declared} bytes; the limit is {limit}.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body is over the limit of {limit} bytes.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return None
    try:
        return loads(raw)
    except ValueError as error:
        raise InvalidRequest(
            f"The body is not valid JSON: {error}.", code="MSG_JSON_OBJECT"
        ) from error
