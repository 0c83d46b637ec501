"""A search answered as a `searchset` Bundle: links, subsetting, warnings (bundle.html#searchset).

Shared by `GET [base]/{type}`, `POST _search`, `$lastn` and GET entries of Bundles.
"""

from __future__ import annotations

from gateway.jsonio import Json
from gateway.search.model import Clause
from gateway.search.request import SearchRequest, format_query
from gateway.services.bundles import searchset_bundle
from gateway.services.context import Services
from gateway.services.search import SearchResult, search_type, unknown_parameters_warning
from gateway.services.subsetting import subset
from mappers.outcome import operation_outcome


async def searchset(
    services: Services,
    searched: SearchRequest,
    *,
    base: str,
    within: Clause | None = None,
    path: str | None = None,
) -> Json:
    """`within` narrows the search (a compartment's membership), `path` the links' path
    below `base` (default: the type)."""
    result = await search_type(services, searched, base_urls=(base,), within=within)
    result.warnings.extend(unknown_parameters_warning(searched))
    link = f"{base}/{path or searched.resource_type}?"
    links = {
        "self": link + format_query(searched, cursor=searched.cursor),
        "first": link + format_query(searched),
    }
    if result.previous_cursor:
        links["previous"] = link + format_query(searched, cursor=result.previous_cursor)
    if result.next_cursor:
        links["next"] = link + format_query(searched, cursor=result.next_cursor)
    return bundle_of(searched, result, links, base=base)


def bundle_of(
    searched: SearchRequest, result: SearchResult, links: dict[str, str], *, base: str
) -> Json:
    def shaped(resources: list[Json]) -> list[Json]:
        return [subset(r, summary=searched.summary, elements=searched.elements) for r in resources]

    return searchset_bundle(
        matches=shaped([v.resource for v in result.matches if v.resource is not None]),
        included=shaped([v.resource for v in result.included if v.resource is not None]),
        total=result.total,
        links=links,
        base=base,
        outcome=operation_outcome(result.warnings) if result.warnings else None,
    )
