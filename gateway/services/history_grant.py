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

from gateway.services.access import current
from gateway.services.context import Services
from gateway.store.history import history_key

Key = tuple[str, str, int]  # (type, id, version) of one feed entry


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
