"""Versions as served: FHIR JSON with the service's `id` and `meta`, current or archived.

https://hl7.org/fhir/R4/resource.html#Meta: `versionId` and `lastUpdated` are the server's;
whatever else the client put in `meta` (profiles, tags) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.domain.time import format_instant
from gateway.jsonio import Json, dumps


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a resource as served: FHIR JSON with `id` and `meta` set."""

    resource_type: str
    id: str
    version_id: int
    last_updated: datetime
    resource: Json | None  # None: this version is a deletion
    method: str = "PUT"  # the interaction that wrote it: POST, PUT or DELETE

    @property
    def deleted(self) -> bool:
        return self.resource is None


def with_meta(resource: Json, resource_id: str, version_id: int, updated: datetime) -> Json:
    """`resource` with the service's id and meta first, the client's other meta kept."""
    version, instant = str(version_id), format_instant(updated)
    meta = {"versionId": version, "lastUpdated": instant}
    meta.update(resource.get("meta", {}))
    meta["versionId"], meta["lastUpdated"] = version, instant
    body = {k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}
    return {"resourceType": resource["resourceType"], "id": resource_id, "meta": meta, **body}


def same_content(one: Json, other: Json) -> bool:
    """Whether two versions of a resource say the same, the server's meta aside. Numbers are
    compared as written: `1.50` says more than `1.5` (datatypes.html#decimal)."""
    return dumps(_comparable(one), sort_keys=True) == dumps(_comparable(other), sort_keys=True)


def _comparable(resource: Json) -> Json:
    result = dict(resource)
    meta = {
        k: v for k, v in result.pop("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    if meta:
        result["meta"] = meta
    return result
