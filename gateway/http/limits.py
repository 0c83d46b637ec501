"""URL length and query parameter count, checked before routing for every route.

R4 gives no guidance for 414 (https://hl7.org/fhir/R4/http.html#2.21.0.3 lists the codes a
server uses), so an over-long URL is a 400 OperationOutcome naming the limit, like any bad search.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.errors import Issue
from gateway.http.responses import FHIRResponse
from mappers.outcome import operation_outcome


def _parameter_count(query: bytes) -> int:
    return sum(1 for part in query.split(b"&") if part)


def too_many_parameters(count: int, limit: int) -> str:
    return f"The query has {count} parameters; the limit is {limit} (`MAX_QUERY_PARAMETERS`)."


class LimitsMiddleware:
    def __init__(self, app: ASGIApp, *, max_url_length: int, max_query_parameters: int) -> None:
        self.app = app
        self.max_url_length, self.max_query_parameters = max_url_length, max_query_parameters

    def _problem(self, scope: Scope) -> str | None:
        query: bytes = scope["query_string"]
        path: bytes = scope.get("raw_path") or scope["path"].encode()
        length = len(path) + (len(query) + 1 if query else 0)
        if length > self.max_url_length:
            limit = self.max_url_length
            return f"The URL is {length} characters long; the limit is {limit} (`MAX_URL_LENGTH`)."
        count = _parameter_count(query)
        if count > self.max_query_parameters:
            return too_many_parameters(count, self.max_query_parameters)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = self._problem(scope) if scope["type"] == "http" else None
        if problem is None:
            await self.app(scope, receive, send)
            return
        outcome = operation_outcome([Issue(problem, code="too-long")])
        await FHIRResponse(outcome, status_code=400)(scope, receive, send)
