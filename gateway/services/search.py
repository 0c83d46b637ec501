"""search-type: a SearchRequest run against the store (https://hl7.org/fhir/R4/search.html).

Every page reads the sort keys of its matches, then fetches the page's documents by id. On the
first page the key read covers up to KEYSCAN_LIMIT matches, giving the total and the first ids
in one pass (a separate count would read every match a second time); later pages continue from
their cursor and carry the total along.

Authorization (gateway.services.access, issue 13): the grant's "s" clause is ANDed into the
query itself, so `total` and the pages count only what the token may search; a chain or `_has`
matches only resources of types the token may search, within their own clause, so a chained
condition cannot reveal what the token could not find by searching that type. The page is then
passed through `may("s", ...)` as well: the clause and the in-memory check are built to agree,
and if they ever disagree the resource is left out rather than served.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.errors import InvalidSearch, Issue
from gateway.search.filters import build_filter
from gateway.search.index import indexed_values
from gateway.search.model import Clause, ParsedParameter
from gateway.search.paging import (
    Cursor,
    SortSpec,
    decode_cursor,
    encode_cursor,
    reversed_spec,
    sort_spec,
    sort_values,
)
from gateway.search.paths import all_of
from gateway.search.reference import local_form
from gateway.search.request import SearchRequest
from gateway.services.access import current
from gateway.services.context import Services
from gateway.services.includes import included
from gateway.store.collection import Document
from gateway.store.repository import ResourceStore
from gateway.store.versions import Version
from gateway.terminology import TerminologySource, source_for

KEYSCAN_LIMIT = 50_000


@dataclass(slots=True)
class SearchResult:
    matches: list[Version]
    included: list[Version] = field(default_factory=list)
    total: int | None = None
    next_cursor: str | None = None
    previous_cursor: str | None = None
    warnings: list[Issue] = field(default_factory=list)


class StoreResolver:
    """Chains and `_has` resolved against the stores (gateway.search.filters.Resolver)."""

    def __init__(self, services: Services, base_urls: tuple[str, ...]) -> None:
        self.services, self.base_urls = services, base_urls

    @property
    def terminology(self) -> TerminologySource:
        """Asked for only by the terminology modifiers: the held terminology is loaded (and
        stays in memory) on its first use, not by every search and conditional write."""
        return source_for(self.services.settings.terminology_server_url)

    async def _filter(
        self, resource_type: str, parameters: list[ParsedParameter], depth: int
    ) -> Clause:
        """The chained (or `_has`) condition, within what the token may search of the type:
        a type it may not search at all matches nothing."""
        query = await build_filter(
            resource_type, parameters, self, base_urls=self.base_urls, depth=depth
        )
        access = current()
        if access.unrestricted:
            return query
        return all_of([query, await access.clause_or_nothing("s", resource_type, self) or {}])

    def keeps(self, resource_type: str) -> bool:
        return self.services.keeps(resource_type)

    def _store(self, resource_type: str) -> ResourceStore:
        return self.services.store(resource_type)

    async def matching_ids(
        self, resource_type: str, parameters: list[ParsedParameter], *, depth: int
    ) -> list[str]:
        store = self._store(resource_type)
        query = await self._filter(resource_type, parameters, depth)
        return await store.ids(query)

    async def referencing_ids(
        self,
        resource_type: str,
        parameters: list[ParsedParameter],
        via: str,
        target: str,
        *,
        depth: int,
    ) -> list[str]:
        store = self._store(resource_type)
        query = await self._filter(resource_type, parameters, depth)
        documents = await store.keys(query, fields=[f"index.{via}"])
        prefix = f"{target}/"
        return sorted(
            {
                local[len(prefix) :]
                for document in documents
                for ref in indexed_values(document, via)
                if (local := local_form(ref, self.base_urls)).startswith(prefix)
            }
        )


async def search_type(
    services: Services,
    request: SearchRequest,
    *,
    base_urls: tuple[str, ...] = (),
    within: Clause | None = None,
) -> SearchResult:
    """`within`: a clause every match must also satisfy (a compartment, services.compartments)."""
    store = services.store(request.resource_type)
    resolver = StoreResolver(services, base_urls)
    access = current()
    # 403 before any read; nothing to build when everything is allowed (AUTH_MODE=off).
    granted = (
        None if access.unrestricted else await access.clause("s", request.resource_type, resolver)
    )
    query = await build_filter(
        request.resource_type, request.parameters, resolver, base_urls=base_urls
    )
    query = all_of([query, within or {}, granted or {}])
    spec = sort_spec(request.resource_type, request.sort)
    if request.summary == "count" or request.count == 0:
        return SearchResult([], total=await store.count(query))
    if request.cursor:
        page = await _continued_page(store, query, spec, request)
    else:
        page = await _first_page(store, query, spec, request)
    result = _result(page, spec, request)  # the cursors from the page as read
    rows = page.rows
    if not access.unrestricted:  # belt and braces: the clause already kept these out
        rows = [row for row in rows if access.may("s", row[1].resource or {})]
        result.matches = [version for _, version in rows]
    documents = [document for document, _ in rows]
    result.included, warnings = await included(
        services, request, documents, base_urls=base_urls, resolver=resolver
    )
    result.warnings.extend(warnings)
    return result


@dataclass(slots=True)
class _Page:
    rows: list[tuple[Document, Version]]
    total: int | None
    more_after: bool
    more_before: bool


async def _first_page(
    store: ResourceStore, query: Clause, spec: SortSpec, request: SearchRequest
) -> _Page:
    if request.total == "none":
        documents = await store.fetch(query, sort=spec, limit=request.count + 1)
        return _Page(
            _rows(store, documents[: request.count]), None, len(documents) > request.count, False
        )
    keys = await store.keys(query, sort=spec, limit=KEYSCAN_LIMIT + 1)
    total = len(keys) if len(keys) <= KEYSCAN_LIMIT else await store.count(query)
    documents = await store.current_documents([key["_id"] for key in keys[: request.count]])
    return _Page(_rows(store, documents), total, len(keys) > request.count, False)


async def _continued_page(
    store: ResourceStore, query: Clause, spec: SortSpec, request: SearchRequest
) -> _Page:
    cursor = decode_cursor(request.cursor or "", fields=len(spec))
    order = reversed_spec(spec) if cursor.backwards else spec
    documents = await store.fetch(query, sort=order, after=cursor.values, limit=request.count + 1)
    more = len(documents) > request.count
    documents = documents[: request.count]
    if cursor.backwards:
        documents.reverse()
        return _Page(_rows(store, documents), cursor.total, True, more)
    return _Page(_rows(store, documents), cursor.total, more, True)


def _rows(store: ResourceStore, documents: list[Document]) -> list[tuple[Document, Version]]:
    return [(document, store.to_version(document)) for document in documents]


def _result(page: _Page, spec: SortSpec, request: SearchRequest) -> SearchResult:
    result = SearchResult([version for _, version in page.rows], total=page.total)
    if request.total == "none":
        result.total = None
    if page.rows and page.more_after:
        last = sort_values(page.rows[-1][0], spec)
        result.next_cursor = encode_cursor(Cursor(last, False, page.total))
    if page.rows and page.more_before:
        first = sort_values(page.rows[0][0], spec)
        result.previous_cursor = encode_cursor(Cursor(first, True, page.total))
    return result


def unknown_parameters_warning(request: SearchRequest) -> list[Issue]:
    if not request.ignored:
        return []
    names = ", ".join(f"`{name}`" for name in request.ignored)
    return [
        Issue(
            f"Ignored unknown search parameters: {names} (send `Prefer: handling=strict` to get "
            "an error instead).",
            code="not-supported",
            severity="warning",
        )
    ]


__all__ = ["KEYSCAN_LIMIT", "InvalidSearch", "SearchResult", "search_type"]
