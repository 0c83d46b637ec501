"""Compartments over HTTP: `GET [base]/{Compartment}/{id}/{type}?...`, its `POST .../_search`
form (http.html#search, compartmentdefinition.html), and `Patient/$everything` by GET or by POST
with a Parameters body (operations.html#executing, patient-operation-everything.html)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import InvalidRequest
from gateway.http.body import read_json_body
from gateway.http.deps import base_url, services_for
from gateway.http.negotiation import pretty
from gateway.http.responses import FHIRResponse
from gateway.http.routes.search import form_items, parse_search, strict_handling
from gateway.jsonio import Json
from gateway.services import everything as operation
from gateway.services.compartment_search import compartment_search
from gateway.services.compartments import check_member_type
from gateway.services.generic import kept_types


async def search(request: Request) -> Response:
    return await _search(request, list(request.query_params.multi_items()))


async def search_post(request: Request) -> Response:
    return await _search(request, await form_items(request))


async def _search(request: Request, items: list[tuple[str, str]]) -> Response:
    services = services_for(request)
    params = request.path_params
    compartment, resource_type = params["compartment"], params["resource_type"]
    check_member_type(compartment, resource_type, services)  # before parsing: 404, 400
    searched = parse_search(request, services, resource_type, items)
    bundle = await compartment_search(
        services, compartment, params["resource_id"], searched, base=base_url(request)
    )
    return FHIRResponse(bundle, pretty=pretty(request))


async def everything(request: Request) -> Response:
    return await _everything(request, list(request.query_params.multi_items()))


async def everything_post(request: Request) -> Response:
    """POST with a Parameters resource (or no body): its parameters join the query's."""
    items = list(request.query_params.multi_items())
    if (await request.body()).strip():
        body = await read_json_body(request, limit=services_for(request).settings.max_body_bytes)
        items += _parameters(body)
    return await _everything(request, items)


async def _everything(request: Request, items: list[tuple[str, str]]) -> Response:
    services = services_for(request)
    settings = services.settings
    searched = operation.parse(
        items,
        patient_id=request.path_params.get("resource_id"),
        default_count=settings.default_page_size,
        max_count=settings.max_page_size,
        kept=kept_types(),
        strict=strict_handling(request),
    )
    bundle = await operation.everything(services, searched, base=base_url(request))
    return FHIRResponse(bundle, pretty=pretty(request))


def _parameters(body: Json) -> list[tuple[str, str]]:
    """A Parameters resource's primitive parameters as (name, value) items."""
    if body.get("resourceType") != "Parameters" or not isinstance(body.get("parameter", []), list):
        raise InvalidRequest(
            "$everything by POST takes a Parameters resource.", expression="resourceType"
        )
    items: list[tuple[str, str]] = []
    for parameter in body.get("parameter", []):
        values = (
            [v for k, v in parameter.items() if k.startswith("value")]
            if isinstance(parameter, dict)
            else []
        )
        if len(values) != 1 or not isinstance(values[0], str | int) or isinstance(values[0], bool):
            raise InvalidRequest(
                "Each parameter needs a name and one value: a string, code, instant, date or "
                "integer.",
                expression="Parameters.parameter",
            )
        if not isinstance(parameter.get("name"), str):
            raise InvalidRequest("Each parameter needs a name.", expression="Parameters.parameter")
        items.append((parameter["name"], str(values[0])))
    return items
