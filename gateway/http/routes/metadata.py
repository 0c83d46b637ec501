"""`GET [base]/metadata`: the CapabilityStatement (http.html#capabilities)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.domain.time import format_instant, utc_now
from gateway.http.deps import base_url, services_for
from gateway.http.negotiation import pretty
from gateway.http.responses import FHIRResponse
from gateway.services.capabilities import capability_statement


async def metadata(request: Request) -> Response:
    services_for(request)
    statement = capability_statement(base_url=base_url(request), date=format_instant(utc_now()))
    return FHIRResponse(statement, pretty=pretty(request))
