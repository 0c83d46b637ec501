"""Where resources live: one collection of current domain documents per type, one history.

History entries keep each version's FHIR JSON as one compact blob (orjson bytes): it is only
ever read back whole, and a blob costs neither MongoDB nor the embedded store a document walk.

Writes are guarded by the version they replace (`{_id, version_id}` in the filter), so two
concurrent updates cannot both win: the loser sees no match and gets VersionConflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pymongo.errors import DuplicateKeyError

from gateway.domain.base import FhirRecord
from gateway.domain.time import format_instant
from gateway.errors import VersionConflict
from mappers.base import FhirJson, ResourceMapper

_VERSION_FIELDS = ("_id", "version_id", "last_updated")


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
    meta = {"versionId": str(version_id), "lastUpdated": format_instant(updated)}
    meta.update(resource.get("meta", {}))
    meta["versionId"], meta["lastUpdated"] = str(version_id), format_instant(updated)
    body = {k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}
    return {"resourceType": resource["resourceType"], "id": resource_id, "meta": meta, **body}


def history_key(resource_type: str, resource_id: str, version_id: int) -> str:
    return f"{resource_type}/{resource_id}/_history/{version_id}"


class ResourceStore:
    """The current versions of one resource type and their history."""

    def __init__(self, mapper: ResourceMapper[Any], collection: Any, history: Any) -> None:
        self.mapper = mapper
        self.resource_type = mapper.resource_type
        self.collection = collection
        self.history = history

    def to_version(self, document: dict[str, Any], record: FhirRecord | None = None) -> Version:
        """The served form of a stored document (pass `record` when it is already at hand)."""
        record = record or self.mapper.record_type.model_validate(document)
        resource = with_meta(
            self.mapper.to_fhir(record),
            document["_id"],
            document["version_id"],
            document["last_updated"],
        )
        return Version(
            self.resource_type,
            document["_id"],
            document["version_id"],
            document["last_updated"],
            resource,
        )

    async def current(self, resource_id: str) -> Version | None:
        document = await self.collection.find_one({"_id": resource_id})
        return self.to_version(document) if document else None

    async def current_version_id(self, resource_id: str) -> int | None:
        document = await self.collection.find_one({"_id": resource_id}, {"version_id": 1})
        return int(document["version_id"]) if document else None

    async def latest_history(self, resource_id: str) -> Version | None:
        """The newest version ever written, deletions included."""
        cursor = (
            self.history.find({"resource_type": self.resource_type, "resource_id": resource_id})
            .sort("version_id", -1)
            .limit(1)
        )
        documents = await cursor.to_list(length=1)
        return _history_version(documents[0]) if documents else None

    async def version(self, resource_id: str, version_id: int) -> Version | None:
        key = history_key(self.resource_type, resource_id, version_id)
        document = await self.history.find_one({"_id": key})
        return _history_version(document) if document else None

    async def versions(self, resource_id: str, *, limit: int) -> list[Version]:
        cursor = (
            self.history.find({"resource_type": self.resource_type, "resource_id": resource_id})
            .sort("version_id", -1)
            .limit(limit)
        )
        return [_history_version(d) for d in await cursor.to_list(length=limit)]

    async def write(
        self,
        record: FhirRecord,
        *,
        resource_id: str,
        version_id: int,
        updated: datetime,
        replaces: int | None,
        method: str,
    ) -> Version:
        """Store `record` as `version_id`; `replaces` is the version it must still replace."""
        document = {
            "_id": resource_id,
            "version_id": version_id,
            "last_updated": updated,
            **record.model_dump(exclude_none=True),
        }
        if replaces is None:
            try:
                await self.collection.insert_one(document)
            except DuplicateKeyError as error:
                raise VersionConflict(
                    f"`{self.resource_type}/{resource_id}` was created concurrently."
                ) from error
        else:
            result = await self.collection.replace_one(
                {"_id": resource_id, "version_id": replaces}, document
            )
            if result.matched_count != 1:
                raise VersionConflict(
                    f"`{self.resource_type}/{resource_id}` changed while it was being updated."
                )
        version = self.to_version(document, record)
        await self._record_history(version, method)
        return Version(
            version.resource_type, version.id, version_id, updated, version.resource, method
        )

    async def delete(self, resource_id: str, *, replaces: int, updated: datetime) -> Version:
        result = await self.collection.delete_one({"_id": resource_id, "version_id": replaces})
        if result.deleted_count != 1:
            raise VersionConflict(
                f"`{self.resource_type}/{resource_id}` changed while it was being deleted."
            )
        version = Version(self.resource_type, resource_id, replaces + 1, updated, None, "DELETE")
        await self._record_history(version, "DELETE")
        return version

    async def _record_history(self, version: Version, method: str) -> None:
        entry: dict[str, Any] = {
            "_id": history_key(version.resource_type, version.id, version.version_id),
            "resource_type": version.resource_type,
            "resource_id": version.id,
            "version_id": version.version_id,
            "last_updated": version.last_updated,
            "method": method,
        }
        if version.resource is not None:
            entry["resource"] = orjson.dumps(version.resource)
        await self.history.insert_one(entry)


def _history_version(document: dict[str, Any]) -> Version:
    stored = document.get("resource")
    return Version(
        document["resource_type"],
        document["resource_id"],
        document["version_id"],
        document["last_updated"],
        orjson.loads(stored) if stored is not None else None,
        document["method"],
    )
