"""The one place a MongoDB client is built: Motor for `MONGODB_URI`, mongomock-motor when unset.

MongoDB has deprecated Motor; keeping construction here keeps a later move to PyMongo's async
client to one function.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from gateway.settings import Settings

log = logging.getLogger(__name__)
_id_lookup_installed = False


def make_client(settings: Settings) -> Any:
    """A Motor-compatible client. Without `MONGODB_URI` it is in-process and ephemeral."""
    if settings.mongodb_uri:
        from motor.motor_asyncio import AsyncIOMotorClient

        return AsyncIOMotorClient(
            settings.mongodb_uri, tz_aware=False, uuidRepresentation="standard"
        )
    from mongomock_motor import AsyncMongoMockClient

    _install_embedded_id_lookup()
    log.warning(
        "MONGODB_URI is not set: using the embedded in-process store. "
        "It is ephemeral (lost at exit) and meant for trying the gateway and for tests."
    )
    return AsyncMongoMockClient()


def _install_embedded_id_lookup() -> None:
    """Give the embedded store a primary-key lookup.

    mongomock evaluates every filter against every document; a read by id would cost time
    linear in the collection. MongoDB answers `_id` equality from its `_id` index; this does the
    same for the embedded store: a filter whose `_id` is a plain string (or `$in` of strings)
    looks the documents up by key, then applies the whole filter to them, so results are
    identical to the scan's.
    """
    global _id_lookup_installed
    if _id_lookup_installed:
        return
    from mongomock.collection import Collection
    from mongomock.filtering import filter_applies

    scan = Collection._iter_documents

    def iter_documents(self: Any, filter: Any) -> Iterator[Mapping[str, Any]]:
        keys = _id_keys(filter)
        if keys is None:
            return scan(self, filter)  # type: ignore[no-any-return,no-untyped-call]
        documents = self._store._documents
        found = [documents[k] for k in keys if k in documents]
        return (doc for doc in found if filter_applies(filter, doc))  # type: ignore[no-untyped-call]

    Collection._iter_documents = iter_documents  # type: ignore[method-assign]
    _id_lookup_installed = True


def _id_keys(filter: Any) -> list[str] | None:
    if not isinstance(filter, Mapping) or "_id" not in filter:
        return None
    key = filter["_id"]
    if isinstance(key, str):
        return [key]
    if isinstance(key, Mapping) and list(key) == ["$in"]:
        values = key["$in"]
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            return list(dict.fromkeys(values))
    return None
