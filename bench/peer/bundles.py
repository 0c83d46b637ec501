"""Synthea transaction Bundles cut down to the gateway's four domain types, for the peer bench.

The probe of issue 14 posts Synthea patients limited to Patient, Encounter, Observation and
MedicationStatement. Cutting the other entries out leaves references to them behind: to an
Organization or Practitioner entry by its `urn:uuid:` (Synthea 2.4) or by a conditional
reference to the companion files (newer Synthea). Neither server holds those targets, and each
treats a dangling reference its own way (a 400, or a reference stored unresolved), so such
references are taken out the same way for both: the element holding the reference goes, and so
does any object or array that is left empty by it (`Encounter.location[0]` holds only its
`location`, which FHIR requires). What remains is valid R4 and the same bytes for both servers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from gateway.jsonio import Json

FOUR_TYPES = frozenset({"Patient", "Encounter", "Observation", "MedicationStatement"})


def four_type_bundles(folder: Path) -> list[Json]:
    """Each Synthea patient file of `folder` as a transaction of its four-type entries."""
    bundles = []
    for path in sorted(folder.glob("*.json")):
        bundle = orjson.loads(path.read_bytes())
        kept = [e for e in bundle["entry"] if e["resource"]["resourceType"] in FOUR_TYPES]
        inside = {e["fullUrl"] for e in kept if "fullUrl" in e}
        for entry in kept:
            entry["resource"] = _pruned(entry["resource"], inside)
        bundles.append({"resourceType": "Bundle", "type": "transaction", "entry": kept})
    return bundles


def _pruned(value: Any, inside: set[str]) -> Any:
    """`value` without the references that name nothing in the Bundle; `None` when nothing of
    it is left."""
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str) and _dangling(reference, inside):
            return None
        kept = {
            k: v for k, v in ((k, _pruned(v, inside)) for k, v in value.items()) if v is not None
        }
        return kept or None
    if isinstance(value, list):
        items = [v for v in (_pruned(v, inside) for v in value) if v is not None]
        return items or None
    return value


def _dangling(reference: str, inside: set[str]) -> bool:
    if reference.startswith("urn:"):
        return reference not in inside
    return "?" in reference  # a conditional reference to the companions' types


def resource_counts(bundles: list[Json]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for bundle in bundles:
        for entry in bundle["entry"]:
            kind = entry["resource"]["resourceType"]
            counts[kind] = counts.get(kind, 0) + 1
    return counts
