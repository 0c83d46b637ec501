"""Instance interactions over HTTP: create, read, vread, update, delete, history.

https://hl7.org/fhir/R4/http.html — status codes, Location/ETag/Last-Modified, Prefer.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from gateway.http.body import read_json_body
from gateway.http.deps import BaseUrlDep, ServicesDep
from gateway.http.negotiation import if_match, pretty, return_preference
from gateway.http.responses import FHIRResponse, version_headers
from gateway.services import resources
from gateway.services.bundles import history_bundle
from gateway.services.store import Version
from mappers.outcome import information

router = APIRouter()


def _read_response(request: Request, version: Version) -> Response:
    headers = version_headers(version)
    return FHIRResponse(version.resource, headers=headers, pretty=pretty(request))


def _write_response(request: Request, version: Version, *, status: int, base: str) -> Response:
    """A create/update answer: Location with version, and the body `Prefer: return` asks for."""
    location = f"{base}/{version.resource_type}/{version.id}/_history/{version.version_id}"
    headers = version_headers(version, location=location)
    preference = return_preference(request)
    if preference == "minimal":
        return Response(status_code=status, headers=headers)
    body = version.resource
    if preference == "OperationOutcome":
        verb = "Created" if status == 201 else "Updated"
        body = information(
            f"{verb} `{version.resource_type}/{version.id}`, version {version.version_id}."
        )
    return FHIRResponse(body, status_code=status, headers=headers, pretty=pretty(request))


@router.post("/{resource_type}")
async def create(
    request: Request, resource_type: str, services: ServicesDep, base: BaseUrlDep
) -> Response:
    store = services.store(resource_type)
    body = await read_json_body(request, limit=services.settings.max_body_bytes)
    written = await resources.create(store, body)
    return _write_response(request, written.version, status=201, base=base)


@router.get("/{resource_type}/{resource_id}")
async def read(
    request: Request, resource_type: str, resource_id: str, services: ServicesDep
) -> Response:
    version = await resources.read(services.store(resource_type), resource_id)
    return _read_response(request, version)


@router.put("/{resource_type}/{resource_id}")
async def update(
    request: Request, resource_type: str, resource_id: str, services: ServicesDep, base: BaseUrlDep
) -> Response:
    store = services.store(resource_type)
    body = await read_json_body(request, limit=services.settings.max_body_bytes)
    written = await resources.update(store, resource_id, body, if_match=if_match(request))
    status = 201 if written.created else 200
    return _write_response(request, written.version, status=status, base=base)


@router.delete("/{resource_type}/{resource_id}")
async def delete(
    request: Request, resource_type: str, resource_id: str, services: ServicesDep
) -> Response:
    version = await resources.delete(
        services.store(resource_type), resource_id, if_match=if_match(request)
    )
    headers = {"ETag": f'W/"{version.version_id}"'}
    if return_preference(request) == "OperationOutcome":
        text = f"Deleted `{resource_type}/{resource_id}`."
        return FHIRResponse(
            information(text), status_code=200, headers=headers, pretty=pretty(request)
        )
    return Response(status_code=204, headers=headers)


@router.get("/{resource_type}/{resource_id}/_history/{version_id}")
async def vread(
    request: Request, resource_type: str, resource_id: str, version_id: str, services: ServicesDep
) -> Response:
    version = await resources.vread(services.store(resource_type), resource_id, version_id)
    return _read_response(request, version)


@router.get("/{resource_type}/{resource_id}/_history")
async def history(
    request: Request,
    resource_type: str,
    resource_id: str,
    services: ServicesDep,
    base: BaseUrlDep,
    count: int = Query(default=100, alias="_count", ge=1, le=1000),
) -> Response:
    versions = await resources.history(services.store(resource_type), resource_id, count=count)
    return FHIRResponse(history_bundle(versions, base=base), pretty=pretty(request))
