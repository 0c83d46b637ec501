"""Versions as served: FHIR JSON with the service's `id` and `meta`, current or archived.

https://hl7.org/fhir/R4/resource.html#Meta: `versionId` and `lastUpdated` are the server's;
whatever else the client put in `meta` (profiles, tags) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.domain.time import format_instant
from mappers.base import FhirJson


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
    """Whether two versions of a resource say the same, the server's meta aside."""
    return _comparable(one) == _comparable(other)


def _comparable(resource: FhirJson) -> FhirJson:
    result = dict(resource)
    meta = {
        k: v for k, v in result.pop("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    if meta:
        result["meta"] = meta
    return result
