"""`_include` and `_revinclude` (search.html#include): resources the matches point at, and
resources pointing at the matches, added to the page with `search.mode = include`.

References are read from the stored index (`index.<parameter>` holds `Type/id`), so following
them is a lookup by id. Types the gateway does not keep are skipped; `:iterate` follows
included resources too, a bounded number of rounds.

Authorization (gateway.services.access): an included resource is read, so only those inside the
grant for "r" are added, silently (`visible`); a left-out resource is not followed by `:iterate`
either, so nothing is reached through what the token may not see. Revinclude queries carry the
"r" clause of their type, so the limit counts only resources the token may read.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.errors import InvalidSearch, Issue
from gateway.search.filters import Resolver
from gateway.search.index import indexed_values
from gateway.search.parameters import parameters_of
from gateway.search.paths import all_of
from gateway.search.reference import forms, local_form
from gateway.search.request import Include, SearchRequest
from gateway.services.access import current
from gateway.services.context import Services
from gateway.store.collection import Document
from gateway.store.versions import Version

MAX_ROUNDS = 4  # :iterate follows at most this many hops
MAX_INCLUDED = 1000


async def included(
    services: Services,
    request: SearchRequest,
    matches: list[Document],
    *,
    base_urls: tuple[str, ...] = (),
    resolver: Resolver | None = None,
) -> tuple[list[Version], list[Issue]]:
    """Resources to include beside `matches`, and any warning about the limit. `resolver`:
    what the grant's clauses for revincluded types are built with (the search's)."""
    for include in (*request.includes, *request.revincludes):
        _check(include)
    if not (request.includes or request.revincludes) or not matches:
        return [], []
    seen = {(request.resource_type, d["_id"]) for d in matches}
    frontier = [(request.resource_type, d) for d in matches]
    found: list[Version] = []
    for round_number in range(MAX_ROUNDS):
        iterate_only = round_number > 0
        fetched = await _forward(
            services, request.includes, frontier, seen, iterate_only, base_urls
        )
        fetched += await _reverse(
            services, request.revincludes, frontier, seen, iterate_only, base_urls, resolver
        )
        batch = _readable(services, fetched)
        if not batch:
            break
        found.extend(version for _, _, version in batch)
        if len(found) >= MAX_INCLUDED:
            warning = Issue(
                f"Included resources were limited to {MAX_INCLUDED}.",
                code="incomplete",
                severity="warning",
            )
            return found[:MAX_INCLUDED], [warning]
        frontier = [(t, d) for t, d, _ in batch]
    return found, []


def _readable(
    services: Services, batch: list[tuple[str, Document]]
) -> list[tuple[str, Document, Version]]:
    """The batch as versions, less what the grant does not let the token read."""
    access = current()
    versions = [(t, d, services.store(t).to_version(d)) for t, d in batch]
    if access.unrestricted:
        return versions
    return [row for row in versions if row[2].resource and access.may("r", row[2].resource)]


def _check(include: Include) -> None:
    if include.source == "*":
        return
    if include.parameter != "*" and include.parameter not in parameters_of(include.source):
        raise InvalidSearch(
            f"`{include.source}:{include.parameter}` is not a search parameter to include by.",
            expression="_include",
        )


async def _forward(
    services: Services,
    includes: Iterable[Include],
    frontier: list[tuple[str, Document]],
    seen: set[tuple[str, str]],
    iterate_only: bool,
    base_urls: tuple[str, ...],
) -> list[tuple[str, Document]]:
    wanted: dict[str, set[str]] = {}
    for include in includes:
        if iterate_only and not include.iterate:
            continue
        for resource_type, document in frontier:
            for code in _parameters(include, resource_type):
                for ref in indexed_values(document, code):
                    target_type, _, target_id = local_form(ref, base_urls).partition("/")
                    if include.target and target_type != include.target:
                        continue
                    if services.keeps(target_type) and (target_type, target_id) not in seen:
                        wanted.setdefault(target_type, set()).add(target_id)
    return await _fetch(services, wanted, seen)


def _parameters(include: Include, resource_type: str) -> list[str]:
    if include.source not in ("*", resource_type):
        return []
    known = parameters_of(resource_type)
    if include.parameter == "*":
        return [code for code, p in known.items() if p.type == "reference"]
    parameter = known.get(include.parameter)
    return [include.parameter] if parameter is not None and parameter.type == "reference" else []


async def _reverse(
    services: Services,
    revincludes: Iterable[Include],
    frontier: list[tuple[str, Document]],
    seen: set[tuple[str, str]],
    iterate_only: bool,
    base_urls: tuple[str, ...],
    resolver: Resolver | None,
) -> list[tuple[str, Document]]:
    batch: list[tuple[str, Document]] = []
    access = current()
    for include in revincludes:
        if (iterate_only and not include.iterate) or not services.keeps(include.source):
            continue
        codes = _parameters(include, include.source)
        targets = [
            form
            for t, d in frontier
            if not include.target or t == include.target
            for form in forms(f"{t}/{d['_id']}", base_urls)
        ]
        if not codes or not targets:
            continue
        query = {"$or": [{f"index.{code}": {"$in": targets}} for code in codes]}
        if not access.unrestricted:
            if resolver is None or not access.allows("r", include.source):
                continue
            granted = await access.clause("r", include.source, resolver)
            query = all_of([query, granted or {}])
        store = services.store(include.source)
        for document in await store.fetch(query, limit=MAX_INCLUDED + 1):
            if (include.source, document["_id"]) not in seen:
                seen.add((include.source, document["_id"]))
                batch.append((include.source, document))
    return batch


async def _fetch(
    services: Services, wanted: dict[str, set[str]], seen: set[tuple[str, str]]
) -> list[tuple[str, Document]]:
    batch: list[tuple[str, Document]] = []
    for resource_type, ids in wanted.items():
        store = services.store(resource_type)
        for document in await store.current_documents(sorted(ids)):
            seen.add((resource_type, document["_id"]))
            batch.append((resource_type, document))
    return batch
