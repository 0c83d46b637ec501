"""One route per path, its handlers by HTTP method.

A method the path does not take is a 405 with an `Allow` header listing those it does
(https://hl7.org/fhir/R4/http.html, RFC 9110 section 15.5.6), whichever route module holds
them. The route takes every method, so a fixed path such as `metadata`, listed before the
`{resource_type}` templates, is never read as a type: `PUT /metadata` is a 405, not a 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]


def route(path: str, handlers: Mapping[str, Endpoint]) -> Route:
    """A route for `path` answering the methods of `handlers` (HEAD as GET) and 405 to others."""
    by_method = {**handlers, **({"HEAD": handlers["GET"]} if "GET" in handlers else {})}
    allow = ", ".join(by_method)

    async def endpoint(request: Request) -> Response:
        handler = by_method.get(request.method)
        if handler is None:
            raise HTTPException(status_code=405, headers={"Allow": allow})
        return await handler(request)

    every_method = Route(path, endpoint)
    every_method.methods = None  # Starlette makes a function route GET-only; this one says 405
    return every_method
