"""Observation/$lastn: the most recent N observations per code, per patient.

https://hl7.org/fhir/R4/observation-operation-lastn.html. The filter is an ordinary Observation
search (patient, category, code, date...); grouping reads only keys, then fetches the winners.
Like any search it answers only what the grant covers (gateway.services.access): the
Observation "s" clause is part of the filter, so the last N are the last N the token may see.
"""

from __future__ import annotations

from typing import Any

from gateway.errors import InvalidSearch
from gateway.search.filters import build_filter
from gateway.search.paths import all_of
from gateway.search.request import SearchRequest
from gateway.services.access import current
from gateway.services.context import Services
from gateway.services.search import SearchResult, StoreResolver

MAX_PER_GROUP = 100


async def lastn(
    services: Services, request: SearchRequest, *, max_per_code: int, base_urls: tuple[str, ...]
) -> SearchResult:
    if not 1 <= max_per_code <= MAX_PER_GROUP:
        raise InvalidSearch(f"`max` must be between 1 and {MAX_PER_GROUP}.", expression="max")
    store = services.store("Observation")
    resolver = StoreResolver(services, base_urls)
    access = current()
    granted = await access.clause("s", "Observation", resolver)  # 403 before any read
    query = await build_filter("Observation", request.parameters, resolver, base_urls=base_urls)
    query = all_of([query, granted or {}])
    fields = ["patient_id", "code.coding", "code.text"]
    keys = await store.keys(query, fields=fields, sort=[("effective.start", -1), ("_id", 1)])
    chosen: dict[tuple[Any, ...], list[str]] = {}
    for key in keys:
        group = chosen.setdefault((key.get("patient_id"), _code_key(key)), [])
        if len(group) < max_per_code:
            group.append(key["_id"])
    ids = [i for group in chosen.values() for i in group]
    matches = [store.to_version(document) for document in await store.current_documents(ids)]
    if not access.unrestricted:  # belt and braces: the clause kept these out already
        matches = [v for v in matches if v.resource is not None and access.may("s", v.resource)]
    return SearchResult(matches, total=len(matches))


def _code_key(document: dict[str, Any]) -> tuple[Any, ...]:
    """Observations have the same code when they share a coding (or, codeless, the text)."""
    code = document.get("code", {})
    codings = sorted((c.get("system"), c.get("code")) for c in code.get("coding", []))
    return tuple(codings[:1]) if codings else (code.get("text"),)


__all__ = ["SearchRequest", "lastn"]
