"""`X-Request-ID` on every request and response; the id is bound for everything that runs meanwhile.

A client's `X-Request-ID` is echoed when it is a sane token (at most 128 characters of
`[A-Za-z0-9._:-]`), so one trace spans a proxy and us; anything else is replaced by a uuid4 hex,
so a header can never inject text into our logs or the incident id of a 500.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.request_context import bind_request_id, unbind_request_id

HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def _chosen(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == HEADER:
            return value.decode("ascii") if _SANE.fullmatch(value) else uuid.uuid4().hex
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Outermost layer: binds the id before anything logs, and adds it to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _chosen(scope)
        header = (HEADER, request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]  # may be a tuple
            await send(message)

        token = bind_request_id(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            unbind_request_id(token)
