"""search-system: `GET [base]?_type=Observation,Condition&...` (http.html#search, search.html#all).

A system search runs the type search's filter (gateway.search.filters) against each named type
and merges the matches into one searchset. Only parameters every named type defines alike (same
code, same type) may select; without `_type` every type with stored resources is searched and
those are the parameters all resources have. A parameter some named types lack is a 400 naming
it, since ignoring it would widen the others' results; one no named type knows is handled as the
type search handles unknown names (ignored with a warning, or a 400 with `Prefer:
handling=strict`).

Order and paging: the type search's sort (`_lastUpdated` and `_id`, the sort keys every type
computes alike) with the type's name as the last tie-break, since two types may hold the same
id. The cursor is the last row's sort values and type: that one position fixes where every
type continues (after it, or from it for the types after its type when the values are equal),
so a page reads at most `_count + 1` keys from each type, merges them, and reads the page's
documents by id (keyset paging, bounded memory, as gateway.services.search does for one type).

Authorization (gateway.services.access): a type named in `_type` that the token may not search
is a 403, as its type search would be; without `_type`, the types it may not search are passed
by silently (the client asked for "everything I may see"). Each type's query carries its "s"
clause, so totals and pages count only what the grant covers; the page is checked with
`may("s", ...)` too, and includes pass through `visible("r", ...)` (gateway.services.includes).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from gateway.errors import InvalidSearch, Issue
from gateway.search.filters import build_filter
from gateway.search.model import Clause, SearchParameter
from gateway.search.paging import (
    Cursor,
    SortSpec,
    after,
    decode_cursor,
    encode_cursor,
    reversed_spec,
    sort_spec,
    sort_values,
)
from gateway.search.parameters import parameters_of
from gateway.search.paths import all_of, any_of
from gateway.search.request import RESULT_PARAMETERS, SearchRequest, format_query, parse
from gateway.services.access import current
from gateway.services.context import Services
from gateway.services.generic import kept_types
from gateway.services.includes import included
from gateway.services.search import SearchResult, StoreResolver
from gateway.store.collection import Document
from gateway.store.conformance import CONFORMANCE_TYPES
from gateway.store.versions import Version

SORTABLE = ("_id", "_lastUpdated")  # sort keys every type stores in the same field


@dataclass(frozen=True, slots=True)
class SystemSearch:
    """A parsed system search: the types named by `_type` (empty: every type holding
    resources) and the request, parsed against the parameters they have in common."""

    types: tuple[str, ...]
    request: SearchRequest

    def query(self, *, cursor: str | None = None) -> str:
        """The query string of a link to this search (a page of it with `cursor`)."""
        prefix = urlencode([("_type", ",".join(self.types))], safe=",") + "&" if self.types else ""
        return prefix + format_query(self.request, cursor=cursor)


def parse_system(
    items: Iterable[tuple[str, str]],
    *,
    default_count: int,
    max_count: int,
    strict: bool = False,
) -> SystemSearch:
    """Query items -> SystemSearch; `_type`, parameters and `_sort` checked as the module says."""
    items = list(items)
    types = _types([value for name, value in items if name == "_type"])
    common = common_parameters(types)
    named = types or tuple(kept_types())
    kept: list[tuple[str, str]] = []
    ignored: list[str] = []
    for name, value in items:
        if name == "_type":
            continue
        code = name.split(".")[0].partition(":")[0]
        if code in RESULT_PARAMETERS or code == "_has" or code in common or value == "":
            kept.append((name, value))
        elif any(code in parameters_of(t) for t in named):
            lacking = [t for t in named if code not in parameters_of(t)][:3]
            raise InvalidSearch(
                f"`{name}` is not a parameter of every type searched (not of "
                f"{', '.join(lacking)}); a system search takes the parameters common to all.",
                expression=name,
            )
        elif strict:
            raise InvalidSearch(f"Unknown search parameter `{name}`.", expression=name)
        else:
            ignored.append(name)
    # Each type searched has every common parameter: the first (any kept type when none is
    # named) parses them as its own.
    anchor = named[0]
    request = parse(anchor, kept, default_count=default_count, max_count=max_count, strict=True)
    for code, _ in request.sort:
        if code not in SORTABLE:
            raise InvalidSearch(
                f"A system search sorts by {' or '.join(SORTABLE)}, not `{code}`.",
                expression="_sort",
            )
    return SystemSearch(types, dataclasses.replace(request, ignored=tuple(ignored)))


def _types(values: list[str]) -> tuple[str, ...]:
    kept = set(kept_types())
    types: list[str] = []
    for name in (t.strip() for value in values for t in value.split(",")):
        if not name:
            continue
        if name not in kept:
            raise InvalidSearch(
                f"_type `{name}` is not a resource type this server keeps.", expression="_type"
            )
        if name not in types:
            types.append(name)
    return tuple(types)


@functools.lru_cache(maxsize=256)  # bounded: `_type` lists come from clients
def common_parameters(types: tuple[str, ...]) -> dict[str, SearchParameter]:
    """The parameters every one of `types` (all kept types when empty) defines with the same
    code and type; the first type's definition of each."""
    named = types or tuple(kept_types())
    first, *others = (parameters_of(t) for t in named)
    return {
        code: parameter
        for code, parameter in first.items()
        if all(code in other and other[code].type == parameter.type for other in others)
    }


@dataclass(frozen=True, slots=True)
class _Row:
    values: tuple[Any, ...]  # the sort values, `_id` last
    resource_type: str
    document: Document


async def search_system(
    services: Services, search: SystemSearch, *, base_urls: tuple[str, ...] = ()
) -> SearchResult:
    request = search.request
    access = current()
    for resource_type in search.types:
        access.restriction("s", resource_type)  # 403 for a named type before any read
    searchable = list(search.types or kept_types())
    if not access.unrestricted:
        searchable = [t for t in searchable if access.allows("s", t)]
    types = await services.storage.holding(searchable)
    # The conformance types are held outside the database (gateway.store.conformance): read
    # when `_type` names them, passed by when every type is searched.
    types += [t for t in search.types if t in CONFORMANCE_TYPES and t not in types]
    resolver = StoreResolver(services, base_urls)
    filters = {
        t: all_of(
            [
                await build_filter(t, request.parameters, resolver, base_urls=base_urls),
                await access.clause("s", t, resolver) or {},
            ]
        )
        for t in types
    }
    if request.summary == "count" or request.count == 0:
        return SearchResult([], total=await _count(services, filters))
    spec = sort_spec(request.resource_type, request.sort)
    cursor = _cursor(request.cursor, len(spec)) if request.cursor else None
    total = cursor.total if cursor else None
    if cursor is None and request.total != "none":
        total = await _count(services, filters)
    rows = await _merged(services, filters, spec, cursor, request.count + 1)
    more = len(rows) > request.count
    rows = rows[: request.count]
    backwards = cursor is not None and cursor.backwards
    if backwards:
        rows.reverse()
    documents = await _documents(services, rows)
    if not access.unrestricted:  # belt and braces: each type's clause kept these out already
        documents = [(t, d) for t, d in documents if _searchable(services, t, d)]
    result = SearchResult([services.store(t).to_version(d) for t, d in documents], total=total)
    if rows and (more or backwards):
        last = rows[-1]
        result.next_cursor = encode_cursor(Cursor((*last.values, last.resource_type), False, total))
    if rows and cursor is not None and (more or not backwards):
        first = rows[0]
        result.previous_cursor = encode_cursor(
            Cursor((*first.values, first.resource_type), True, total)
        )
    result.included, result.warnings = await _included(
        services, request, documents, StoreResolver(services, base_urls)
    )
    return result


def _searchable(services: Services, resource_type: str, document: Document) -> bool:
    resource = services.store(resource_type).to_version(document).resource
    return resource is not None and current().may("s", resource)


def _cursor(token: str, fields: int) -> Cursor:
    """A cursor this search issued: the sort values and, last, a type's name."""
    cursor = decode_cursor(token, fields=fields + 1)
    if not isinstance(cursor.values[-1], str):
        raise InvalidSearch(
            "The `_cursor` is not one this server issued for this search.", expression="_cursor"
        )
    return cursor


async def _count(services: Services, filters: dict[str, Clause]) -> int:
    return sum([await services.store(t).count(query) for t, query in filters.items()])


async def _merged(
    services: Services,
    filters: dict[str, Clause],
    spec: SortSpec,
    cursor: Cursor | None,
    limit: int,
) -> list[_Row]:
    """The next `limit` rows after `cursor` (before it, going back), merged across types."""
    backwards = cursor is not None and cursor.backwards
    order = reversed_spec(spec) if backwards else spec
    rows: list[_Row] = []
    for resource_type, query in filters.items():
        if cursor is not None:
            query = all_of([query, position_clause(resource_type, order, cursor, backwards)])
        keys = await services.store(resource_type).keys(query, sort=order, limit=limit)
        rows.extend(_Row(sort_values(key, spec), resource_type, key) for key in keys)
    compare = functools.partial(_compare, order, -1 if backwards else 1)
    return sorted(rows, key=functools.cmp_to_key(compare))[:limit]


def position_clause(resource_type: str, order: SortSpec, cursor: Cursor, backwards: bool) -> Clause:
    """Rows of `resource_type` past the cursor's position in `order`; a type later in the
    type order than the cursor's continues from equal sort values (another type's row)."""
    *values, position_type = cursor.values
    strictly = after(order, tuple(values))
    later = resource_type < position_type if backwards else resource_type > position_type
    if not later:
        return strictly
    return any_of(
        [
            strictly,
            all_of([{field: value} for (field, _), value in zip(order, values, strict=True)]),
        ]
    )


def _compare(order: SortSpec, type_direction: int, one: _Row, other: _Row) -> int:
    for (_, direction), mine, theirs in zip(order, one.values, other.values, strict=True):
        if mine != theirs:
            return direction if mine > theirs else -direction
    if one.resource_type == other.resource_type:
        return 0
    return type_direction if one.resource_type > other.resource_type else -type_direction


async def _documents(services: Services, rows: list[_Row]) -> list[tuple[str, Document]]:
    """The rows' whole documents, in the rows' order (one query per type)."""
    by_type: dict[str, list[str]] = {}
    for row in rows:
        by_type.setdefault(row.resource_type, []).append(row.document["_id"])
    found: dict[tuple[str, str], Document] = {}
    for resource_type, ids in by_type.items():
        for document in await services.store(resource_type).current_documents(ids):
            found[resource_type, document["_id"]] = document
    keys = [(row.resource_type, row.document["_id"]) for row in rows]
    return [(key[0], found[key]) for key in keys if key in found]


async def _included(
    services: Services,
    request: SearchRequest,
    documents: list[tuple[str, Document]],
    resolver: StoreResolver,
) -> tuple[list[Version], list[Issue]]:
    """`_include` and `_revinclude` of each type's matches (gateway.services.includes), each
    resource once and none that is a match already."""
    if not documents:  # nothing to include from, but a bad `_include` is still a 400
        return await included(services, request, [], base_urls=resolver.base_urls)
    by_type: dict[str, list[Document]] = {}
    for resource_type, document in documents:
        by_type.setdefault(resource_type, []).append(document)
    seen = {(t, d["_id"]) for t, d in documents}
    found: list[Version] = []
    warnings: list[Issue] = []
    for resource_type, matches in by_type.items():
        typed = dataclasses.replace(request, resource_type=resource_type)
        versions, issues = await included(
            services, typed, matches, base_urls=resolver.base_urls, resolver=resolver
        )
        warnings.extend(issue for issue in issues if issue not in warnings)
        for version in versions:
            if (version.resource_type, version.id) not in seen:
                seen.add((version.resource_type, version.id))
                found.append(version)
    return found, warnings
