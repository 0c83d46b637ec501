"""What every route needs from the request: the services (after content negotiation), the base.

Plain functions rather than FastAPI dependencies: resolving `Depends` costs more than the whole
read of a resource, and these run on every request.
"""

from __future__ import annotations

from starlette.requests import Request

from gateway.http.negotiation import check_response_format
from gateway.services.context import Services


def services_for(request: Request) -> Services:
    """The services, once the client has been checked to accept FHIR JSON (else 406)."""
    check_response_format(request)
    services: Services = request.app.state.services
    return services


def base_url(request: Request) -> str:
    """The FHIR base as clients see it, for Location and fullUrl."""
    services: Services = request.app.state.services
    configured = services.settings.fhir_base_url
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/") + services.settings.fhir_base_path.rstrip("/")
