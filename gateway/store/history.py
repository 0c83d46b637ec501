"""Every superseded version and deletion of every resource, in one `history` collection.

An entry keeps the FHIR JSON as one compact blob (orjson bytes, numbers as sent: gateway.jsonio):
it is only read back whole, and a blob costs neither MongoDB nor the embedded store a document
walk. Its `_id` is `Type/id/_history/vid`, so a version is read by key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.errors import DuplicateKeyError

from gateway.jsonio import dumps, loads
from gateway.store.collection import Collection, Document, Filter, SortSpec
from gateway.store.unit import Unit, on_failure, options
from gateway.store.versions import Version


def history_key(resource_type: str, resource_id: str, version_id: int) -> str:
    return f"{resource_type}/{resource_id}/_history/{version_id}"


class HistoryStore:
    """The archived versions of every resource type (one collection shared by all types)."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def version(
        self, resource_type: str, resource_id: str, version_id: int
    ) -> Version | None:
        key = history_key(resource_type, resource_id, version_id)
        document = await self.collection.find_one({"_id": key})
        return _version(document) if document else None

    async def archived(
        self, resource_type: str, resource_id: str, *, limit: int, unit: Unit | None = None
    ) -> list[Version]:
        """The archived versions of one resource, newest first."""
        query = {"resource_type": resource_type, "resource_id": resource_id}
        cursor = self.collection.find(query, **options(unit)).sort([("version_id", -1)])
        return [_version(d) for d in await cursor.limit(limit).to_list(limit)]

    async def keys(self, query: Filter, *, sort: SortSpec, limit: int) -> list[Document]:
        """Entries matching `query` in `sort` order, without their resource blobs: what
        choosing a page of a history feed needs (gateway.services.history_feed)."""
        projection = {"resource": 0}
        cursor = self.collection.find(query, projection).sort(list(sort)).limit(limit)
        return await cursor.to_list(None)

    async def versions(self, keys: Sequence[str]) -> dict[str, Version]:
        """The entries with these `_id`s (`history_key`), by key, in one query."""
        cursor = self.collection.find({"_id": {"$in": list(keys)}})
        return {document["_id"]: _version(document) for document in await cursor.to_list(None)}

    async def count(self, query: Filter) -> int:
        return await self.collection.count_documents(query)

    async def archive(self, version: Version, unit: Unit | None = None) -> None:
        """Keep `version`. Archiving the same version twice (a writer that lost a race archived
        it too) is harmless: the entry is identical."""
        entry: dict[str, Any] = {
            "_id": history_key(version.resource_type, version.id, version.version_id),
            "resource_type": version.resource_type,
            "resource_id": version.id,
            "version_id": version.version_id,
            "last_updated": version.last_updated,
            "method": version.method,
        }
        if version.resource is not None:
            entry["resource"] = dumps(version.resource)
        collection = self.collection
        try:
            await collection.insert_one(entry, **options(unit))
        except DuplicateKeyError:
            return
        on_failure(unit, lambda: collection.delete_one({"_id": entry["_id"]}))


def _version(document: Document) -> Version:
    stored = document.get("resource")
    return Version(
        document["resource_type"],
        document["resource_id"],
        document["version_id"],
        document["last_updated"],
        loads(stored) if stored is not None else None,
        document["method"],
    )
