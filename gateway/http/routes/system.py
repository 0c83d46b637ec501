"""System-level search and history over HTTP: `GET [base]?_type=...`, `POST [base]/_search`,
`GET [base]/_history` and `GET [base]/{type}/_history` (http.html#search, http.html#history)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.http.deps import base_url, services_for
from gateway.http.negotiation import pretty
from gateway.http.responses import FHIRResponse
from gateway.http.routes.search import form_items, strict_handling
from gateway.services.bundles import history_bundle
from gateway.services.history_feed import HistoryRequest, history_feed, parse_history
from gateway.services.search import SearchResult, unknown_parameters_warning
from gateway.services.searchset import bundle_of
from gateway.services.system_search import SystemSearch, parse_system, search_system

MAX_HISTORY_PAGE = 1000  # as the instance history (routes/resources.py)
HISTORY_PAGE = 100


async def system_search(request: Request) -> Response:
    return await _search(request, list(request.query_params.multi_items()))


async def system_search_post(request: Request) -> Response:
    return await _search(request, await form_items(request))


async def _search(request: Request, items: list[tuple[str, str]]) -> Response:
    services = services_for(request)
    settings = services.settings
    searched = parse_system(
        items,
        default_count=settings.default_page_size,
        max_count=settings.max_page_size,
        strict=strict_handling(request),
    )
    base = base_url(request)
    result = await search_system(services, searched, base_urls=(base,))
    result.warnings.extend(unknown_parameters_warning(searched.request))
    bundle = bundle_of(searched.request, result, _search_links(base, searched, result), base=base)
    return FHIRResponse(bundle, pretty=pretty(request))


def _search_links(base: str, searched: SystemSearch, result: SearchResult) -> dict[str, str]:
    link = f"{base}?"
    links = {
        "self": link + searched.query(cursor=searched.request.cursor),
        "first": link + searched.query(),
    }
    if result.previous_cursor:
        links["previous"] = link + searched.query(cursor=result.previous_cursor)
    if result.next_cursor:
        links["next"] = link + searched.query(cursor=result.next_cursor)
    return links


async def system_history(request: Request) -> Response:
    return await _history(request, None)


async def type_history(request: Request) -> Response:
    services = services_for(request)
    resource_type = request.path_params["resource_type"]
    services.store(resource_type)  # 404 for an unknown type before anything else
    return await _history(request, resource_type)


async def _history(request: Request, resource_type: str | None) -> Response:
    services = services_for(request)
    feed = parse_history(
        resource_type,
        request.query_params.multi_items(),
        default_count=HISTORY_PAGE,
        max_count=MAX_HISTORY_PAGE,
    )
    page = await history_feed(services, feed)
    base = base_url(request)
    links = _history_links(base, feed, page.next_cursor)
    bundle = history_bundle(page.versions, base=base, total=page.total, links=links)
    return FHIRResponse(bundle, pretty=pretty(request))


def _history_links(base: str, feed: HistoryRequest, next_cursor: str | None) -> dict[str, str]:
    link = f"{base}/{feed.resource_type}/_history?" if feed.resource_type else f"{base}/_history?"
    links = {"self": link + feed.query(cursor=feed.cursor), "first": link + feed.query()}
    if next_cursor:
        links["next"] = link + feed.query(cursor=next_cursor)
    return links
