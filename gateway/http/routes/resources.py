"""Instance interactions over HTTP: create, read, vread, update, delete, history.

https://hl7.org/fhir/R4/http.html — status codes, Location/ETag/Last-Modified, Prefer.
These are plain Starlette handlers (`routes/table.py`): the FHIR surface is described by the
CapabilityStatement and the OpenAPI document generated from it, and skipping FastAPI's
parameter machinery halves the cost of a read.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import InvalidRequest, Issue
from gateway.http.body import read_json_body
from gateway.http.deps import base_url, services_for
from gateway.http.negotiation import if_match, pretty, return_preference
from gateway.http.responses import FHIRResponse, etag, version_headers
from gateway.services import resources
from gateway.services.bundles import history_bundle
from gateway.services.conditional import conditional_create, conditional_delete, conditional_update
from gateway.services.context import Services
from gateway.store.repository import ResourceStore
from gateway.store.versions import Version
from mappers.outcome import information, operation_outcome

MAX_HISTORY = 1000


def _store(request: Request) -> tuple[Services, ResourceStore]:
    services = services_for(request)
    return services, services.store(request.path_params["resource_type"])


def _writable_store(request: Request) -> tuple[Services, ResourceStore]:
    """`_store`, refusing a store that takes no writes before the body or the id is read."""
    services, store = _store(request)
    store.check_writable()
    return services, store


def _read_response(request: Request, version: Version) -> Response:
    return FHIRResponse(version.resource, headers=version_headers(version), pretty=pretty(request))


def _write_response(request: Request, written: resources.Written) -> Response:
    """A create/update answer: Location with version, and the body `Prefer: return` asks for
    (an OperationOutcome names the warnings the write was accepted with, profiles' ones)."""
    version, status = written.version, 201 if written.created else 200
    location = (
        f"{base_url(request)}/{version.resource_type}/{version.id}/_history/{version.version_id}"
    )
    headers = version_headers(version, location=location)
    preference = return_preference(request)
    if preference == "minimal":
        return Response(status_code=status, headers=headers)
    body = version.resource
    if preference == "OperationOutcome":
        verb = "Created" if status == 201 else "Updated"
        where = f"`{version.resource_type}/{version.id}`, version {version.version_id}"
        done = Issue(f"{verb} {where}.", code="informational", severity="information")
        body = operation_outcome([*written.warnings, done])
    return FHIRResponse(body, status_code=status, headers=headers, pretty=pretty(request))


async def create(request: Request) -> Response:
    """POST; with `If-None-Exist` a conditional create (http.html#ccreate)."""
    services, store = _writable_store(request)
    body = await read_json_body(request, limit=services.settings.max_body_bytes)
    criteria = request.headers.get("if-none-exist")
    if criteria is None:
        written = await resources.create(store, body, profiles=services.profiles)
    else:
        bases = (base_url(request),)
        written = await conditional_create(services, store, body, criteria, base_urls=bases)
    return _write_response(request, written)


async def conditional_update_route(request: Request) -> Response:
    """PUT [type]?criteria (http.html#cond-update)."""
    services, store = _writable_store(request)
    body = await read_json_body(request, limit=services.settings.max_body_bytes)
    criteria = str(request.query_params)
    written = await conditional_update(
        services, store, body, criteria, base_urls=(base_url(request),)
    )
    return _write_response(request, written)


async def conditional_delete_route(request: Request) -> Response:
    """DELETE [type]?criteria (http.html#cdelete)."""
    _, store = _writable_store(request)
    services = services_for(request)
    criteria = str(request.query_params)
    version = await conditional_delete(services, store, criteria, base_urls=(base_url(request),))
    return Response(status_code=204, headers={"ETag": etag(version.version_id)})


async def read(request: Request) -> Response:
    _, store = _store(request)
    version = await resources.read(store, request.path_params["resource_id"])
    return _read_response(request, version)


async def update(request: Request) -> Response:
    services, store = _writable_store(request)
    body = await read_json_body(request, limit=services.settings.max_body_bytes)
    resource_id = request.path_params["resource_id"]
    written = await resources.update(
        store, resource_id, body, if_match=if_match(request), profiles=services.profiles
    )
    return _write_response(request, written)


async def delete(request: Request) -> Response:
    _, store = _writable_store(request)
    resource_id = request.path_params["resource_id"]
    version = await resources.delete(store, resource_id, if_match=if_match(request))
    headers = {"ETag": etag(version.version_id)}
    if return_preference(request) != "OperationOutcome":
        return Response(status_code=204, headers=headers)
    outcome = information(f"Deleted `{store.resource_type}/{resource_id}`.")
    return FHIRResponse(outcome, status_code=200, headers=headers, pretty=pretty(request))


async def vread(request: Request) -> Response:
    _, store = _store(request)
    params = request.path_params
    version = await resources.vread(store, params["resource_id"], params["version_id"])
    return _read_response(request, version)


async def history(request: Request) -> Response:
    _, store = _store(request)
    count = _count(request.query_params.get("_count"))
    versions = await resources.history(store, request.path_params["resource_id"], count=count)
    bundle = history_bundle(versions, base=base_url(request), total=len(versions))
    return FHIRResponse(bundle, pretty=pretty(request))


def _count(text: str | None) -> int:
    if text is None:
        return 100
    if not text.isdigit() or int(text) < 1:
        raise InvalidRequest(f"_count `{text}` is not a positive integer.", expression="_count")
    return min(int(text), MAX_HISTORY)
