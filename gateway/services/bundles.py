"""Bundles the server returns (https://hl7.org/fhir/R4/bundle.html)."""

from __future__ import annotations

import uuid

from gateway.domain.time import format_instant, utc_now
from gateway.jsonio import Json
from gateway.store.versions import Version


def history_bundle(
    versions: list[Version],
    *,
    base: str,
    total: int | None,
    links: dict[str, str] | None = None,
) -> Json:
    """A `history` Bundle, newest first, deletions as entries without a resource; `total`: the
    whole history's size, None when unknown (a feed with `_at`), `links` of a paged feed."""
    bundle: Json = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": format_instant(utc_now())},
        "type": "history",
    }
    if total is not None:
        bundle["total"] = total
    if links:
        bundle["link"] = [{"relation": relation, "url": url} for relation, url in links.items()]
    bundle["entry"] = [_history_entry(v, base) for v in versions]
    return bundle


def _history_entry(version: Version, base: str) -> Json:
    url = f"{version.resource_type}/{version.id}"
    entry: Json = {"fullUrl": f"{base}/{url}"}
    if version.resource is not None:
        entry["resource"] = version.resource
    method = version.method
    entry["request"] = {"method": method, "url": version.resource_type if method == "POST" else url}
    created = method == "POST" or (method == "PUT" and version.version_id == 1)
    status = "204 No Content" if version.deleted else ("201 Created" if created else "200 OK")
    entry["response"] = {
        "status": status,
        "etag": f'W/"{version.version_id}"',
        "lastModified": format_instant(version.last_updated),
    }
    return entry


def searchset_bundle(
    *,
    matches: list[Json],
    included: list[Json],
    total: int | None,
    links: dict[str, str],
    base: str,
    outcome: Json | None = None,
) -> Json:
    """A `searchset` Bundle: matches, then includes, then any warning (bundle.html#searchset)."""
    bundle: Json = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": format_instant(utc_now())},
        "type": "searchset",
    }
    if total is not None:
        bundle["total"] = total
    bundle["link"] = [{"relation": relation, "url": url} for relation, url in links.items()]
    entries = [_search_entry(r, base, "match") for r in matches]
    entries += [_search_entry(r, base, "include") for r in included]
    if outcome is not None:
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    if entries:
        bundle["entry"] = entries
    return bundle


def _search_entry(resource: Json, base: str, mode: str) -> Json:
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }
