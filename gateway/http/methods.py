"""One route per path, its handlers by HTTP method, each behind the one authentication step.

A method the path does not take is a 405 with an `Allow` header listing those it does
(https://hl7.org/fhir/R4/http.html, RFC 9110 section 15.5.6), whichever route module holds
them. The route takes every method, so a fixed path such as `metadata`, listed before the
`{resource_type}` templates, is never read as a type: `PUT /metadata` is a 405, not a 404.

Authentication lives here, not in each handler, so no route can forget it (issue 13): every
route but the few built `public=True` (the CapabilityStatement, the OpenAPI document and its
page, SMART discovery, the token endpoint and its keys) turns the `Authorization` header into a
grant (gateway.auth.authenticator) and runs its handler `acting_as` that grant, which every
service consults through `gateway.services.access.current()`. What it found is left in
`request.state` for the audit: `grant` on success, `auth_failure` (the 401's description,
never the token) on failure; neither with AUTH_MODE=off, where no token is asked for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.auth.authenticator import Authenticator
from gateway.auth.unauthorized import Unauthorized
from gateway.http.deps import base_url
from gateway.services.access import Access, acting_as

Endpoint = Callable[[Request], Awaitable[Response]]


def route(path: str, handlers: Mapping[str, Endpoint], *, public: bool = False) -> Route:
    """A route for `path` answering the methods of `handlers` (HEAD as GET) and 405 to others;
    unless `public`, only for a request whose token the app's authenticator accepts."""
    by_method = {**handlers, **({"HEAD": handlers["GET"]} if "GET" in handlers else {})}
    allow = ", ".join(by_method)

    async def endpoint(request: Request) -> Response:
        handler = by_method.get(request.method)
        if handler is None:
            raise HTTPException(status_code=405, headers={"Allow": allow})
        if public or not request.app.state.authenticator.enforcing:
            return await handler(request)  # AUTH_MODE=off: see `authorized`
        return await authorized(request, handler)

    every_method = Route(path, endpoint)
    every_method.methods = None  # Starlette makes a function route GET-only; this one says 405
    return every_method


async def authorized(request: Request, handler: Endpoint) -> Response:
    """`handler(request)` under the grant of the request's token; 401 (`Unauthorized`) without.

    AUTH_MODE=off skips the header, the state and the context switch (the route does not even
    call this): outside `acting_as` every service already sees TRUSTED, the everything-allowed
    grant, so the fast path costs two attribute reads; no token was asked for, so none is
    recorded (the audit's agent is anonymous). `request.state` is `scope["state"]`
    (Starlette), written directly: cheaper.
    """
    authenticator: Authenticator = request.app.state.authenticator
    if not authenticator.enforcing:
        return await handler(request)
    state = request.scope.setdefault("state", {})
    try:
        grant = await authenticator.grant_for(request.headers.get("authorization"))
    except Unauthorized as failure:
        state["auth_failure"] = failure.diagnostics
        raise
    state["grant"] = grant
    # The base is needed only to recognise `{base}/Patient/{id}` as the token's patient, so only
    # a grant with a patient is given it (building it costs more than a cached token's check).
    bases = (base_url(request),) if grant.patient is not None else ()
    with acting_as(Access(grant, bases)):
        return await handler(request)
