"""Versions as served: FHIR JSON with the service's `id` and `meta`, current or archived.

https://hl7.org/fhir/R4/resource.html#Meta: `versionId` and `lastUpdated` are the server's;
whatever else the client put in `meta` (profiles, tags) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.domain.time import format_instant
from gateway.jsonio import Json, dumps

_SERVERS = frozenset(("resourceType", "id", "meta"))  # what `with_meta` sets itself


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
    kept = resource.get("meta")
    if kept:
        meta.update(kept)
        meta["versionId"], meta["lastUpdated"] = version, instant
    served = {"resourceType": resource["resourceType"], "id": resource_id, "meta": meta}
    for key, value in resource.items():  # every read passes here: one dict, built in place
        if key not in _SERVERS:
            served[key] = value
    return served


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
