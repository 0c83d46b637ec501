"""FastAPI dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from gateway.http.negotiation import check_response_format
from gateway.services.context import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def base_url(request: Request) -> str:
    """The FHIR base as clients see it, for Location and fullUrl."""
    services = get_services(request)
    configured = services.settings.fhir_base_url
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/") + services.settings.fhir_base_path.rstrip("/")


async def negotiate(request: Request) -> None:
    check_response_format(request)


ServicesDep = Annotated[Services, Depends(get_services)]
BaseUrlDep = Annotated[str, Depends(base_url)]
