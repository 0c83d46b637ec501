"""`GET [base]/metadata`: the CapabilityStatement (http.html#capabilities). Public: a client
reads it before it has a token, to learn how to get one (SMART App Launch, "Conformance")."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.authenticator import Authenticator
from gateway.domain.time import format_instant, utc_now
from gateway.http.deps import base_url, services_for
from gateway.http.negotiation import pretty
from gateway.http.responses import FHIRResponse
from gateway.services.capabilities import capability_statement
from gateway.settings import Settings


async def metadata(request: Request) -> Response:
    services = services_for(request)
    authenticator: Authenticator = request.app.state.authenticator
    statement = capability_statement(
        base_url=base_url(request),
        date=format_instant(utc_now()),
        smart=authenticator.enforcing,
        cors=cors_configured(services.settings),
    )
    return FHIRResponse(statement, pretty=pretty(request))


def cors_configured(settings: Settings) -> bool:
    """CORS_ORIGINS (the envelope's, gateway.http.envelope) lists at least one origin."""
    return bool(settings.cors_origins)
