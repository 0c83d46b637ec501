"""`POST [base]/{type}/$validate` and `POST [base]/{type}/{id}/$validate`: the findings as an
OperationOutcome, nothing written (https://hl7.org/fhir/R4/resource-operation-validate.html).
`mode` and `profile` may also come in the query."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.http.body import read_json_body, read_optional_json_body
from gateway.http.deps import services_for
from gateway.http.negotiation import pretty
from gateway.http.responses import FHIRResponse
from gateway.services import validation
from gateway.services.resources import check_id


async def validate_type(request: Request) -> Response:
    return await _validate(request, resource_id=None)


async def validate_instance(request: Request) -> Response:
    return await _validate(request, resource_id=check_id(request.path_params["resource_id"]))


async def _validate(request: Request, *, resource_id: str | None) -> Response:
    services = services_for(request)
    resource_type = request.path_params["resource_type"]
    services.store(resource_type)  # an unknown type is a 404 before the body is read
    query = request.query_params
    limit = services.settings.max_body_bytes
    if query.get("mode") == "delete":  # needs no resource
        body = await read_optional_json_body(request, limit=limit) or {"resourceType": "Parameters"}
    else:
        body = await read_json_body(request, limit=limit)
    asked = validation.parse_request(
        resource_type, body, mode=query.get("mode"), profiles=tuple(query.getlist("profile"))
    )
    outcome = await validation.validate(services, resource_type, asked, resource_id=resource_id)
    return FHIRResponse(outcome, pretty=pretty(request))
