"""`POST [base]` with a transaction or batch Bundle (http.html#transaction)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.http.body import read_json_body
from gateway.http.deps import base_url, services_for
from gateway.http.metrics import bundle_stored
from gateway.http.negotiation import pretty, return_preference
from gateway.http.responses import FHIRResponse
from gateway.services.transaction import process


async def transaction(request: Request) -> Response:
    services = services_for(request)
    bundle = await read_json_body(request, limit=services.settings.max_bundle_bytes)
    answer = await process(
        services,
        bundle,
        base_urls=(base_url(request),),
        representation=return_preference(request) == "representation"
        and "return=" in request.headers.get("prefer", ""),
    )
    bundle_stored(bundle, answer)  # METRICS: resources imported
    return FHIRResponse(answer, pretty=pretty(request))
