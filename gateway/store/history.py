"""Every superseded version and deletion of every resource, in one `history` collection.

An entry keeps the FHIR JSON as one compact blob (orjson bytes, numbers as sent: gateway.jsonio):
it is only read back whole, and a blob costs neither MongoDB nor the embedded store a document
walk. Its `_id` is `Type/id/_history/vid`, so a version is read by key.

Every lookup is one by key, never a scan of the collection, which all types share: when the
newest version came from a range query, which the embedded store answers by a scan, a PUT that
creates cost 0.28 ms beside an empty history and 39 ms beside 20,000 versions (issue 14). A
resource's versions are numbered 1, 2, 3... and each one but the current is archived before the
next is written, so its archived versions are exactly 1..n: `latest` finds n by asking for
consecutive keys, and the versions below a known one are keys too. Should the keys show a gap
(a history this code did not write), `latest` falls back to the range query, which the
`(resource_type, resource_id, version_id)` index serves on MongoDB (walked backwards).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.errors import DuplicateKeyError

from gateway.jsonio import dumps, loads
from gateway.store.collection import Collection, Document, Filter, SortSpec
from gateway.store.unit import Unit, on_failure, options
from gateway.store.versions import Version

FIRST_WINDOW = 8  # versions `latest` asks for at once; most resources have fewer
WINDOW_GROWTH = 8  # each further window is this many times the keys before it


def history_key(resource_type: str, resource_id: str, version_id: int) -> str:
    return f"{resource_type}/{resource_id}/_history/{version_id}"


class HistoryStore:
    """The archived versions of every resource type (one collection shared by all types)."""

    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def version(
        self, resource_type: str, resource_id: str, version_id: int, *, unit: Unit | None = None
    ) -> Version | None:
        key = history_key(resource_type, resource_id, version_id)
        document = await self.collection.find_one({"_id": key}, **options(unit))
        return _version(document) if document else None

    async def latest(
        self, resource_type: str, resource_id: str, *, unit: Unit | None = None
    ) -> Version | None:
        """The newest archived version of one resource (None: nothing archived), by key:
        consecutive keys from version 1 in growing windows, so a resource that never existed
        costs one lookup of FIRST_WINDOW keys, and one with n versions about log8(n)."""
        start, size = 1, FIRST_WINDOW
        while True:
            found = await self._present(resource_type, resource_id, start, size, unit)
            if found != set(range(start, start + len(found))):  # a gap: not as we archive
                return await self.newest(resource_type, resource_id, unit=unit)
            if len(found) < size:
                break
            start, size = start + size, (start + size - 1) * WINDOW_GROWTH
        newest = start + len(found) - 1
        if newest == 0:
            return None
        return await self.version(resource_type, resource_id, newest, unit=unit)

    async def archived(
        self,
        resource_type: str,
        resource_id: str,
        *,
        below: int,
        limit: int,
        unit: Unit | None = None,
    ) -> list[Version]:
        """The archived versions of one resource older than version `below`, newest first, at
        most `limit`: the keys below-1, below-2... read in one query."""
        wanted = range(below - 1, max(below - 1 - limit, 0), -1)
        keys = [history_key(resource_type, resource_id, v) for v in wanted]
        if not keys:
            return []
        found = await self.versions(keys, unit=unit)
        return [found[key] for key in keys if key in found]

    async def newest(
        self, resource_type: str, resource_id: str, *, unit: Unit | None = None
    ) -> Version | None:
        """The newest archived version by a range query: the fallback of `latest`."""
        query = {"resource_type": resource_type, "resource_id": resource_id}
        cursor = self.collection.find(query, **options(unit)).sort([("version_id", -1)])
        found = await cursor.limit(1).to_list(1)
        return _version(found[0]) if found else None

    async def _present(
        self, resource_type: str, resource_id: str, start: int, size: int, unit: Unit | None
    ) -> set[int]:
        """Which of versions start..start+size-1 are archived (keys only, no blobs read)."""
        keys = [history_key(resource_type, resource_id, v) for v in range(start, start + size)]
        query = {"_id": {"$in": keys}}
        cursor = self.collection.find(query, {"version_id": 1}, **options(unit))
        return {document["version_id"] for document in await cursor.to_list(None)}

    async def keys(self, query: Filter, *, sort: SortSpec, limit: int) -> list[Document]:
        """Entries matching `query` in `sort` order, without their resource blobs: what
        choosing a page of a history feed needs (gateway.services.history_feed)."""
        projection = {"resource": 0}
        cursor = self.collection.find(query, projection).sort(list(sort)).limit(limit)
        return await cursor.to_list(None)

    async def versions(
        self, keys: Sequence[str], *, unit: Unit | None = None
    ) -> dict[str, Version]:
        """The entries with these `_id`s (`history_key`), by key, in one query."""
        cursor = self.collection.find({"_id": {"$in": list(keys)}}, **options(unit))
        return {document["_id"]: _version(document) for document in await cursor.to_list(None)}

    async def count(self, query: Filter) -> int:
        return await self.collection.count_documents(query)

    async def archive(self, version: Version, unit: Unit | None = None) -> None:
        """Keep `version`. Archiving the same version twice (a writer that lost a race archived
        it too) is harmless: the entry is identical."""
        entry = history_entry(version)
        collection = self.collection
        try:
            await collection.insert_one(entry, **options(unit))
        except DuplicateKeyError:
            return
        on_failure(unit, lambda: collection.delete_one({"_id": entry["_id"]}))


def history_entry(version: Version) -> dict[str, Any]:
    """The stored form of an archived version."""
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
    return entry


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
