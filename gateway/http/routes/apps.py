"""The seed apps' records beside the FHIR base: `/apps`, `/apps/{app}/records`, `/schema`.

An app sends its rows in its own shape (entity names and fields as its seed document writes
them) and reads a patient back in that shape (gateway.services.apps). The answers are plain
JSON, not FHIR; errors leave as OperationOutcomes through the one handler, like the base's.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.domain.time import parse_range
from gateway.errors import InvalidRequest
from gateway.http.body import read_json_value
from gateway.http.deps import services_for
from gateway.http.methods import Endpoint, route
from gateway.http.metrics import records_stored
from gateway.http.negotiation import pretty
from gateway.http.responses import FHIRResponse
from gateway.services.apps.export import records_of
from gateway.services.apps.ingest import store_records
from gateway.services.apps.registry import app_adapter, available
from mappers.apps.schema import records_schema

PREFIX = "/apps"


def _json(request: Request, content: object) -> Response:
    return FHIRResponse(content, pretty=pretty(request), media_type="application/json")


async def list_apps(request: Request) -> Response:
    services_for(request)  # content negotiation, as every route
    return _json(request, [
        {"name": a.name, "title": a.title, "seeds": list(a.seeds),
         "patientEntity": a.patient_entity, "entities": [e.name for e in a.entities]}
        for a in available()
    ])  # fmt: skip


async def post_records(request: Request) -> Response:
    services = services_for(request)
    body = await read_json_value(request, limit=services.settings.max_bundle_bytes)
    if body is None:
        raise InvalidRequest("The request has no body; the app's records were expected.")
    answer = await store_records(
        services, request.path_params["app"], body,
        max_entries=services.settings.max_bundle_entries,
    )  # fmt: skip
    records_stored(answer)  # METRICS: resources imported
    return _json(request, answer)


async def get_records(request: Request) -> Response:
    services = services_for(request)
    query = request.query_params
    patient = query.get("patient")
    if not patient:
        raise InvalidRequest("`patient` (the app's patient id) is required.", expression="patient")
    since = query.get("since")
    try:
        since_at = parse_range(since)[0] if since else None
    except ValueError:
        raise InvalidRequest(
            f"`since` `{since}` is not a FHIR instant.", expression="since"
        ) from None
    entities = [name for value in query.getlist("entity") for name in value.split(",") if name]
    answer = await records_of(
        services, request.path_params["app"], patient=patient, since=since_at, entities=entities
    )
    return _json(request, answer)


async def get_schema(request: Request) -> Response:
    services_for(request)
    return _json(request, records_schema(app_adapter(request.path_params["app"])))


def paths() -> list[tuple[str, dict[str, Endpoint]]]:
    """(path, {method: handler}): what `routes()` serves and the OpenAPI document must describe
    (tests/api/test_openapi.py holds each to the other)."""
    return [
        (PREFIX, {"GET": list_apps}),
        (f"{PREFIX}/{{app}}/records", {"GET": get_records, "POST": post_records}),
        (f"{PREFIX}/{{app}}/schema", {"GET": get_schema}),
    ]


def routes() -> list[Route]:
    return [route(path, handlers) for path, handlers in paths()]
