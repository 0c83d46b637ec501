"""Conditional create, update and delete, and conditional references (http.html#ccreate,
#cond-update, #cdelete, #trules).

Conditional create is race-safe: the creator of a match first claims a key named after the
criteria (`Patient?identifier=…`; gateway.store.claims), which only one can hold. Of two
requests creating the same resource at once, the second finds the key held and waits for the
first's resource, instead of creating a duplicate (a long-standing fault of several FHIR
servers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from functools import lru_cache
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlencode

from gateway.domain.time import utc_now
from gateway.errors import (
    InvalidRequest,
    InvalidResource,
    NotFound,
    PreconditionFailed,
    VersionConflict,
)
from gateway.jsonio import Json
from gateway.search.filters import build_filter
from gateway.search.paths import all_of
from gateway.search.request import SearchRequest, parse
from gateway.services import resources
from gateway.services.access import current
from gateway.services.context import Services
from gateway.services.instance_access import stored_as
from gateway.services.resources import Written
from gateway.services.search import StoreResolver
from gateway.store.claims import Claim, ClaimStore
from gateway.store.repository import ResourceStore
from gateway.store.unit import Unit
from gateway.store.versions import Version

# A claim older than this whose resource does not match is left over (a failed or deleted
# creation) and may be taken over; a younger one belongs to a creation still under way.
CLAIM_GRACE = timedelta(seconds=30)
WAIT_ROUNDS = 200
WAIT_SECONDS = 0.01


async def matching_ids(
    services: Services,
    resource_type: str,
    criteria: str,
    *,
    base_urls: tuple[str, ...] = (),
    unit: Unit | None = None,
    searchable: bool = False,
) -> list[str]:
    """Ids of up to two resources matching `criteria` (a search query string). The server's
    own lookup, over everything; `searchable`: only among what the request's grant may search
    (a conditional reference must not resolve to what the token cannot see)."""
    request = _search(resource_type, criteria)
    resolver = StoreResolver(services, base_urls)
    query = await build_filter(resource_type, request.parameters, resolver, base_urls=base_urls)
    store = services.store(resource_type)
    if searchable and not current().unrestricted:
        visible = await current().clause_or_nothing("s", resource_type, resolver)
        query = all_of([query, visible or {}])
    return await store.ids(query, sort=[("_id", 1)], limit=2, unit=unit)


@lru_cache(maxsize=4096)
def _search(resource_type: str, criteria: str) -> SearchRequest:
    """`criteria` parsed as a search of `resource_type`, once per text: the parse depends on
    nothing else (the registry is fixed at start) and the request is immutable, so a criteria
    looked up again (a retried claim, the same conditional reference in many requests) is not
    parsed again. Errors are raised, not cached."""
    items = _items(criteria)
    if not any(value for _, value in items):
        raise InvalidRequest(
            f"A conditional interaction on {resource_type} needs search criteria.",
            expression="criteria",
        )
    return parse(resource_type, items, default_count=2, max_count=2, strict=True)


@lru_cache(maxsize=4096)
def _items(criteria: str) -> tuple[tuple[str, str], ...]:
    """The query items of `criteria`, split once for the search and the claim's key alike."""
    return tuple(parse_qsl(criteria, keep_blank_values=True))


def too_many(resource_type: str, criteria: str) -> PreconditionFailed:
    return PreconditionFailed(
        f"More than one {resource_type} matches `{unquote(criteria)}`; the criteria must "
        "select one.",
        code="MSG_CONDITIONAL_MULTIPLE",
    )


async def conditional_create(
    services: Services,
    store: ResourceStore,
    resource: Json,
    criteria: str,
    *,
    base_urls: tuple[str, ...] = (),
    resource_id: str | None = None,
    unit: Unit | None = None,
    known: list[str] | None = None,
) -> Written:
    """Create unless `criteria` match: 0 matches create, 1 returns it (200), more are 412.

    `known`: the matches a caller found just before (a transaction plans its entries first),
    used instead of searching again on the first round; the claim still guards the create.
    A match is returned only if the grant would let the token create it (403 otherwise); a
    new resource is checked as any create is."""
    access = current()
    if not access.unrestricted:
        store.check_writable()
        access.restriction("c", store.resource_type)  # before the lookup tells what exists
    resource = resources.without_id(resource)  # http.html#create: a create ignores the id
    # a bad body is a 400 whether or not it matches
    record, warnings = resources.admit(store, resource, profiles=services.profiles)
    key = f"{store.resource_type}?{_canonical(criteria)}"

    async def matches() -> list[str]:
        return await matching_ids(
            services, store.resource_type, criteria, base_urls=base_urls, unit=unit
        )

    for attempt in range(WAIT_ROUNDS):
        found = known if attempt == 0 and known is not None else await matches()
        if len(found) > 1:
            raise too_many(store.resource_type, criteria)
        if found:
            match = await resources.fetch(store, found[0])
            if not access.unrestricted and match.resource is not None:
                access.check("c", match.resource)
            return Written(match, created=False)
        new_id = resource_id or resources.new_id()
        if not access.unrestricted:  # before the claim: a refused create must not hold the key
            access.check("c", stored_as(resource, new_id))
        if await _claim(services.claims, store, key, new_id, matches, unit):
            written = await resources.create(
                store, resource, resource_id=new_id, unit=unit, record=record
            )
            return replace(written, warnings=tuple(warnings))
        if unit is not None:  # never wait inside a transaction: others would see its writes
            break
        await asyncio.sleep(WAIT_SECONDS)  # another creation of the same resource is under way
    raise VersionConflict(
        f"A concurrent conditional create of `{unquote(key)}` has not finished; retry the request."
    )


async def _claim(
    claims: ClaimStore,
    store: ResourceStore,
    key: str,
    resource_id: str,
    matches: Callable[[], Awaitable[list[str]]],
    unit: Unit | None,
) -> bool:
    """Take the key for our resource, or take over a claim whose creation is over."""
    claim = Claim(key, resource_id, utc_now())
    if await claims.take(claim, unit):
        return True
    held = await claims.held(key, unit)
    if held is None or not await _left_over(store, held, matches, unit):
        return False
    return await claims.take_over(held, claim, unit)


async def _left_over(
    store: ResourceStore,
    held: Claim,
    matches: Callable[[], Awaitable[list[str]]],
    unit: Unit | None,
) -> bool:
    """A claim is over once its resource exists, or existed, and nothing matches any more (it
    was changed or deleted), or when it is older than CLAIM_GRACE without a resource (a
    creation that died). A young claim without a resource is a creation under way."""
    holder = held.resource_id
    exists = await store.current_document(holder, unit) is not None
    existed = exists or await store.latest_archived(holder, unit) is not None
    if existed:
        return not await matches()
    return held.claimed < utc_now() - CLAIM_GRACE


def _canonical(criteria: str) -> str:
    return urlencode(sorted(_items(criteria)))


async def conditional_update(
    services: Services,
    store: ResourceStore,
    resource: Json,
    criteria: str,
    *,
    base_urls: tuple[str, ...] = (),
    unit: Unit | None = None,
    new_id: str | None = None,
) -> Written:
    """PUT [type]?criteria: update the one match, create when none (under `new_id` when a
    Bundle chose it), 412 for several. The match and the new body are checked as any update's."""
    _allowed(store, "u")
    found = await matching_ids(
        services, store.resource_type, criteria, base_urls=base_urls, unit=unit
    )
    if len(found) > 1:
        raise too_many(store.resource_type, criteria)
    body_id, profiles = resource.get("id"), services.profiles
    if found:
        if body_id is not None and body_id != found[0]:
            raise InvalidResource(
                f"The body's id `{body_id}` is not the matching resource's `{found[0]}`.",
                expression=f"{store.resource_type}.id",
                code="MSG_RESOURCE_ID_MISMATCH",
            )
        matched = {**resource, "id": found[0]}
        return await resources.update(store, found[0], matched, unit=unit, profiles=profiles)
    if body_id is not None:
        return await resources.update(store, body_id, resource, unit=unit, profiles=profiles)
    return await resources.create(store, resource, resource_id=new_id, unit=unit, profiles=profiles)


async def conditional_delete(
    services: Services,
    store: ResourceStore,
    criteria: str,
    *,
    base_urls: tuple[str, ...] = (),
    unit: Unit | None = None,
) -> Version:
    """DELETE [type]?criteria: delete the one match; none is 404, several 412. The match is
    checked as any delete's."""
    _allowed(store, "d")
    found = await matching_ids(
        services, store.resource_type, criteria, base_urls=base_urls, unit=unit
    )
    if len(found) > 1:
        raise too_many(store.resource_type, criteria)
    if not found:
        raise NotFound(f"No {store.resource_type} matches `{criteria}`.", code="MSG_NO_MATCH")
    return await resources.delete(store, found[0], unit=unit)


def _allowed(store: ResourceStore, interaction: Literal["u", "d"]) -> None:
    """403 before the criteria are looked up when the token may not do this at all on the type
    (a 412 for several matches would otherwise tell what exists); a published type stays 405."""
    access = current()
    if not access.unrestricted:
        store.check_writable()
        access.restriction(interaction, store.resource_type)


async def resolve_reference(
    services: Services, reference: str, *, base_urls: tuple[str, ...] = (), unit: Unit | None = None
) -> str:
    """`Patient?identifier=x|1` -> `Patient/<id>` of the one match (http.html#trules)."""
    resource_type, _, criteria = reference.partition("?")
    found = await matching_ids(
        services, resource_type, criteria, base_urls=base_urls, unit=unit, searchable=True
    )
    if len(found) != 1:
        raise InvalidResource(
            f"Conditional reference `{reference}` matches {len(found) or 'no'} resources; "
            "it must match exactly one.",
            code="MSG_CONDITIONAL_REFERENCE",
        )
    return f"{resource_type}/{found[0]}"
