"""The terminology operations over HTTP: GET with query parameters, POST with a Parameters body
(https://hl7.org/fhir/R4/operations.html#executing), type and instance level where R4 defines
them. The answer is what the operation returns: an expanded ValueSet or a Parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from gateway.http.body import read_optional_json_body
from gateway.http.deps import services_for
from gateway.http.negotiation import pretty
from gateway.http.responses import FHIRResponse
from gateway.jsonio import Json
from gateway.services import terminology_ops
from gateway.services.context import Services
from gateway.services.terminology_input import OperationInput

Operation = Callable[[Services, OperationInput, str | None], Awaitable[Json]]


async def expand(request: Request) -> Response:
    return await _run(request, "$expand", lambda s, g, i: terminology_ops.expand(s, g, instance=i))


async def validate_code(request: Request) -> Response:
    return await _run(
        request, "$validate-code", lambda s, g, i: terminology_ops.validate_code(s, g, instance=i)
    )


async def lookup(request: Request) -> Response:
    return await _run(request, "$lookup", lambda s, g, i: terminology_ops.lookup(s, g))


async def translate(request: Request) -> Response:
    return await _run(
        request, "$translate", lambda s, g, i: terminology_ops.translate(s, g, instance=i)
    )


async def _run(request: Request, name: str, operation: Operation) -> Response:
    services = services_for(request)
    body = None
    if request.method == "POST":
        body = await read_optional_json_body(request, limit=services.settings.max_body_bytes)
    given = OperationInput.of(name, request.query_params.multi_items(), body)
    answer = await operation(services, given, request.path_params.get("resource_id"))
    return FHIRResponse(answer, pretty=pretty(request))
