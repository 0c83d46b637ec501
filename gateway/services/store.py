"""Where resources live: the current version of each resource as a domain document (one
collection per type), and every superseded version and deletion in one `history` collection.

A create is one insert; an update or delete first archives the version it replaces. History
entries keep the FHIR JSON as one compact blob (orjson bytes, numbers as sent: gateway.jsonio):
it is only read back whole, and a blob costs neither MongoDB nor the embedded store a document
walk.

Writes are guarded by the version they replace (`{_id, version_id}` in the filter), so two
concurrent updates cannot both win: the loser sees no match and gets VersionConflict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from gateway.db import OwnedDocument, bson_numbers, reads_exact_decimals
from gateway.domain.base import FhirRecord
from gateway.domain.time import format_instant
from gateway.errors import VersionConflict
from gateway.jsonio import dumps, loads
from gateway.services.unit import Unit, on_failure, options
from mappers.base import FhirJson, ResourceMapper


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a resource as served: FHIR JSON with `id` and `meta` set."""

    resource_type: str
    id: str
    version_id: int
    last_updated: datetime
    resource: FhirJson | None  # None: this version is a deletion
    method: str = "PUT"  # the interaction that wrote it: POST, PUT or DELETE

    @property
    def deleted(self) -> bool:
        return self.resource is None


def with_meta(resource: FhirJson, resource_id: str, version_id: int, updated: datetime) -> FhirJson:
    """`resource` with the service's id and meta first, the client's other meta kept."""
    version, instant = str(version_id), format_instant(updated)
    meta = {"versionId": version, "lastUpdated": instant}
    meta.update(resource.get("meta", {}))
    meta["versionId"], meta["lastUpdated"] = version, instant
    body = {k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}
    return {"resourceType": resource["resourceType"], "id": resource_id, "meta": meta, **body}


def same_content(one: FhirJson, other: FhirJson) -> bool:
    """Whether two versions of a resource say the same, the server's meta aside. Numbers are
    compared as written: `1.50` says more than `1.5` (datatypes.html#decimal)."""
    return dumps(_comparable(one), sort_keys=True) == dumps(_comparable(other), sort_keys=True)


def _comparable(resource: FhirJson) -> FhirJson:
    result = dict(resource)
    meta = {
        k: v for k, v in result.pop("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    if meta:
        result["meta"] = meta
    return result


def stored_document(
    record: FhirRecord,
    indexer: Callable[[dict[str, Any]], dict[str, Any]],
    resource_id: str,
    version_id: int,
    updated: datetime,
    method: str,
) -> OwnedDocument:
    """The stored form of a record: domain fields, service fields, search index. A free
    function, so that import workers build documents without a store (no database there)."""
    # model_dump builds every container afresh and the index adds only new ones, so the
    # document shares nothing and may be handed over without a defensive copy.
    document = OwnedDocument(
        _id=resource_id,
        version_id=version_id,
        last_updated=updated,
        written_by=method,
        **record.model_dump(exclude_none=True),
    )
    document.update(indexer(document))
    return document


def history_key(resource_type: str, resource_id: str, version_id: int) -> str:
    return f"{resource_type}/{resource_id}/_history/{version_id}"


class ResourceStore:
    """The current versions of one resource type and their history."""

    def __init__(
        self,
        mapper: ResourceMapper[Any],
        collection: Any,
        history: Any,
        indexer: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        self.mapper = mapper
        self.resource_type = mapper.resource_type
        self.collection = collection
        self.history = history
        self.indexer = indexer or (lambda document: {})
        self.decimal128 = reads_exact_decimals(collection)  # MongoDB: see gateway.db

    def to_version(self, document: dict[str, Any]) -> Version:
        """The served form of a stored document."""
        record = self.mapper.record_type.model_validate(document)
        resource_id, version_id = document["_id"], document["version_id"]
        updated = document["last_updated"]
        resource = with_meta(self.mapper.to_fhir(record), resource_id, version_id, updated)
        method = document.get("written_by", "PUT")
        return Version(self.resource_type, resource_id, version_id, updated, resource, method)

    async def current_document(
        self, resource_id: str, unit: Unit | None = None
    ) -> dict[str, Any] | None:
        document: dict[str, Any] | None = await self.collection.find_one(
            {"_id": resource_id}, **options(unit)
        )
        return document

    async def current(self, resource_id: str) -> Version | None:
        document = await self.current_document(resource_id)
        return self.to_version(document) if document else None

    async def latest_archived(self, resource_id: str, unit: Unit | None = None) -> Version | None:
        """The newest superseded version or deletion, if any."""
        archived = await self.archived(resource_id, limit=1, unit=unit)
        return archived[0] if archived else None

    async def version(self, resource_id: str, version_id: int) -> Version | None:
        current = await self.current(resource_id)
        if current is not None and current.version_id == version_id:
            return current
        key = history_key(self.resource_type, resource_id, version_id)
        document = await self.history.find_one({"_id": key})
        return _history_version(document) if document else None

    async def versions(self, resource_id: str, *, limit: int) -> list[Version]:
        """Every version, newest first: the current one, then the archived ones."""
        current = await self.current(resource_id)
        archived = await self.archived(resource_id, limit=limit)
        versions = [current, *archived] if current else archived
        return versions[:limit]

    async def archived(
        self, resource_id: str, *, limit: int, unit: Unit | None = None
    ) -> list[Version]:
        query = {"resource_type": self.resource_type, "resource_id": resource_id}
        cursor = self.history.find(query, **options(unit)).sort("version_id", -1).limit(limit)
        return [_history_version(d) for d in await cursor.to_list(length=limit)]

    async def write(
        self,
        record: FhirRecord,
        resource: FhirJson,
        *,
        resource_id: str,
        version_id: int,
        updated: datetime,
        previous: dict[str, Any] | None,
        method: str,
        unit: Unit | None = None,
        previous_version: Version | None = None,
    ) -> Version:
        """Store `record` (mapped from `resource`) as `version_id`, replacing `previous`
        (`previous_version`: its served form, when the caller has made it already).

        The answer is `resource` with the new id and meta: the mapper returns exactly what it
        was given (tested over the corpus), so mapping the record back would give the same JSON.
        """
        document = self.storable(self.document(record, resource_id, version_id, updated, method))
        collection, key = self.collection, {"_id": resource_id}
        if previous is None:
            try:
                await collection.insert_one(document, **options(unit))
            except DuplicateKeyError as error:
                raise VersionConflict(
                    f"`{self.resource_type}/{resource_id}` was created concurrently."
                ) from error
            on_failure(unit, lambda: collection.delete_one(key))
        else:
            await self._archive(previous_version or self.to_version(previous), unit)
            result = await collection.replace_one(
                {**key, "version_id": previous["version_id"]}, document, **options(unit)
            )
            if result.matched_count != 1:
                raise VersionConflict(
                    f"`{self.resource_type}/{resource_id}` changed while it was being updated."
                )
            on_failure(unit, lambda: collection.replace_one(key, previous))
        served = with_meta(resource, resource_id, version_id, updated)
        return Version(self.resource_type, resource_id, version_id, updated, served, method)

    def document(
        self, record: FhirRecord, resource_id: str, version_id: int, updated: datetime, method: str
    ) -> OwnedDocument:
        """The stored form of a record: domain fields, service fields, search index."""
        return stored_document(record, self.indexer, resource_id, version_id, updated, method)

    def storable(self, document: OwnedDocument) -> OwnedDocument:
        """`document` as the collection takes it: on MongoDB, ExactDecimals as Decimal128."""
        return bson_numbers(document) if self.decimal128 else document

    async def insert_many(self, documents: list[OwnedDocument]) -> set[str]:
        """Bulk create (unordered): the ids stored; one that already exists is skipped."""
        if not documents:
            return set()
        documents = [self.storable(document) for document in documents]
        try:
            await self.collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            refused = {documents[e["index"]]["_id"] for e in error.details.get("writeErrors", [])}
            return {d["_id"] for d in documents} - refused
        return {d["_id"] for d in documents}

    async def delete(
        self, previous: dict[str, Any], *, updated: datetime, unit: Unit | None = None
    ) -> Version:
        """Archive the current version, remove it, and record the deletion as the next version."""
        resource_id, replaces = previous["_id"], previous["version_id"]
        collection = self.collection
        await self._archive(self.to_version(previous), unit)
        result = await collection.delete_one(
            {"_id": resource_id, "version_id": replaces}, **options(unit)
        )
        if result.deleted_count != 1:
            raise VersionConflict(
                f"`{self.resource_type}/{resource_id}` changed while it was being deleted."
            )
        on_failure(unit, lambda: collection.insert_one(dict(previous)))
        version = Version(self.resource_type, resource_id, replaces + 1, updated, None, "DELETE")
        await self._archive(version, unit)
        return version

    async def _archive(self, version: Version, unit: Unit | None = None) -> None:
        """Keep `version` in history. Archiving the same version twice (a writer that lost a
        race archived it too) is harmless: the entry is identical."""
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
        history = self.history
        try:
            await history.insert_one(entry, **options(unit))
        except DuplicateKeyError:
            return
        on_failure(unit, lambda: history.delete_one({"_id": entry["_id"]}))


def _history_version(document: dict[str, Any]) -> Version:
    stored = document.get("resource")
    return Version(
        document["resource_type"],
        document["resource_id"],
        document["version_id"],
        document["last_updated"],
        loads(stored) if stored is not None else None,
        document["method"],
    )
