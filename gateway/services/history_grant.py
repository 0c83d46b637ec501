"""Which archived versions a history feed may show the current token (gateway.services.access).

https://hl7.org/fhir/R4/http.html#history, issue 13. A type or system history is a search ("s"):
it answers only what the grant covers. The current versions live in their type's collection,
with the search index, and the feed's query carries the grant's clause there
(gateway.services.history_feed). The superseded versions and deletions live in the `history`
collection as blobs beside their keys (gateway.store.history), with no index the clause could
read, so for a type whose "s" is restricted (a patient's compartment, a v2 query) each archived
version is judged here on its own content, with `may("s", ...)`, as the clause would judge it
were it current. A version is judged as it was: an Observation moved from another patient to
this one shows its new versions, not the old ones.

A deletion has no content. It is shown when the version it deleted (the one before it, archived
by the delete) is one the token may see: the entry then says only that something the token
could see is gone; the deletion of something it could never see stays hidden, id and all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.search.model import Clause
from gateway.services.access import current
from gateway.services.context import Services
from gateway.services.generic import kept_types
from gateway.services.search import StoreResolver
from gateway.store.history import history_key
from gateway.store.versions import Version

Key = tuple[str, str, int]  # (type, id, version) of one feed entry


@dataclass(frozen=True, slots=True)
class FeedGrant:
    """What a history feed reads under the current grant."""

    current: dict[str, Clause]  # the current collections read, each with its "s" clause
    archived: Clause  # the history collection's entries of the types the token may search
    judged: frozenset[str]  # types whose archived entries `visible_archived` must judge


async def feed_grant(services: Services, resource_type: str | None) -> FeedGrant:
    """The feed of one type (403 when the token may not search it) or of the system (the
    types it may not search passed by)."""
    access = current()
    if resource_type is not None:
        access.restriction("s", resource_type)  # 403 before any read
        named = [resource_type]
        types = named
        archived: Clause = {"resource_type": resource_type}
    else:
        named = kept_types()
        if not access.unrestricted:
            named = [t for t in named if access.allows("s", t)]
        types = await services.storage.holding(named)
        archived = {} if access.unrestricted else {"resource_type": {"$in": named}}
    resolver = StoreResolver(services, access.base_urls)
    clauses = {t: await access.clause("s", t, resolver) or {} for t in types}
    if access.unrestricted:
        return FeedGrant(clauses, archived, frozenset())
    # Every restricted type is judged, those no longer holding a current resource too.
    judged = frozenset(t for t in named if not access.grant.restrictions("s", t).unrestricted)
    return FeedGrant(clauses, archived, judged)


async def visible_archived(services: Services, entries: Sequence[tuple[Key, bool]]) -> set[Key]:
    """The keys of `entries` (each with whether it is a deletion) the token may see."""
    access = current()
    if access.unrestricted:
        return {key for key, _ in entries}
    judged = [
        (key, history_key(key[0], key[1], key[2] - 1 if deleted else key[2]))
        for key, deleted in entries
    ]
    versions = await services.storage.history.versions([stored for _, stored in judged])
    visible: set[Key] = set()
    for key, stored in judged:
        version = versions.get(stored)
        if version is not None and version.resource and access.may("s", version.resource):
            visible.add(key)
    return visible


def searchable(versions: list[Version]) -> list[Version]:
    """Belt and braces: each version with content is inside the grant (the clause or
    `visible_archived` admitted it; deletions were judged there)."""
    access = current()
    if access.unrestricted:
        return versions
    return [v for v in versions if v.resource is None or access.may("s", v.resource)]
