"""Search over HTTP: `GET [base]/{type}?...`, `POST [base]/{type}/_search` (form body) and
`GET [base]/Observation/$lastn` (search.html#search, http.html#search)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from gateway.errors import InvalidSearch, UnsupportedMediaType
from gateway.http.deps import base_url, services_for
from gateway.http.negotiation import pretty
from gateway.http.responses import FHIRResponse
from gateway.search.request import SearchRequest, format_query, parse
from gateway.services.context import Services
from gateway.services.lastn import lastn
from gateway.services.searchset import bundle_of, searchset

FORM = "application/x-www-form-urlencoded"


def strict_handling(request: Request) -> bool:
    """`Prefer: handling=strict` turns unknown parameters into errors (search.html#errors)."""
    tokens = [t.strip() for t in request.headers.get("prefer", "").replace(",", ";").split(";")]
    return "handling=strict" in tokens


def parse_search(
    request: Request, services: Services, resource_type: str, items: list[tuple[str, str]]
) -> SearchRequest:
    settings = services.settings
    return parse(
        resource_type,
        items,
        default_count=settings.default_page_size,
        max_count=settings.max_page_size,
        strict=strict_handling(request),
    )


async def search(request: Request) -> Response:
    services = services_for(request)
    resource_type = request.path_params["resource_type"]
    services.store(resource_type)  # 404 for an unknown type before anything else
    items = list(request.query_params.multi_items())
    return await _answer(request, services, parse_search(request, services, resource_type, items))


async def search_post(request: Request) -> Response:
    services = services_for(request)
    resource_type = request.path_params["resource_type"]
    services.store(resource_type)
    items = await form_items(request)
    return await _answer(request, services, parse_search(request, services, resource_type, items))


async def form_items(request: Request) -> list[tuple[str, str]]:
    """The parameters of a `POST _search`: the query string's, then the form body's."""
    content_type = request.headers.get("content-type", FORM).split(";")[0].strip().lower()
    if content_type != FORM:
        raise UnsupportedMediaType(f"POST _search takes {FORM}, not `{content_type}`.")
    body = (await request.body()).decode("utf-8", errors="replace")
    return list(request.query_params.multi_items()) + parse_qsl(body, keep_blank_values=True)


async def observation_lastn(request: Request) -> Response:
    services = services_for(request)
    items = list(request.query_params.multi_items())
    maximum = next((v for k, v in items if k == "max"), "1")
    searched = parse_search(
        request, services, "Observation", [(k, v) for k, v in items if k != "max"]
    )
    if not maximum.isdigit():
        raise InvalidSearch(f"`max` must be a positive integer, not `{maximum}`.", expression="max")
    base = base_url(request)
    result = await lastn(services, searched, max_per_code=int(maximum), base_urls=(base,))
    query = format_query(searched)
    links = {"self": f"{base}/Observation/$lastn?max={maximum}&{query}"}
    bundle = bundle_of(searched, result, links, base=base)
    return FHIRResponse(bundle, pretty=pretty(request))


async def _answer(request: Request, services: Services, searched: SearchRequest) -> Response:
    bundle = await searchset(services, searched, base=base_url(request))
    return FHIRResponse(bundle, pretty=pretty(request))
