"""A Reference's target type against `type.targetProfile`.

https://hl7.org/fhir/R4/references.html#Reference — what can be judged is judged: a relative
(`Patient/1`) or absolute (`http://x/fhir/Patient/1/_history/2`) reference names its type, a
`#id` one names a contained resource, a conditional one (`Patient?identifier=…`) its type, a
`urn:uuid:` one inside a Bundle the entry with that `fullUrl`, and `Reference.type` states it.
Any other `urn:` reference names no type: a warning says it was not checked.
"""

from __future__ import annotations

from typing import Any

import fhir_profiles
from gateway.conformance.rules import Json


def target_type(reference: Json, root: Json, entries: dict[str, str]) -> str | None:
    """The resource type a Reference points at, when the reference tells; `entries` maps the
    fullUrls of the Bundle being validated (if any) to their resource types."""
    text = reference.get("reference")
    if isinstance(text, str):
        if text.startswith("#"):
            return _contained_type(text[1:], root)
        if text in entries:
            return entries[text]
        parts = text.split("?", 1)[0].rstrip("/").split("/")
        if "?" in text and parts[-1] in fhir_profiles.resource_types():
            return parts[-1]
        if len(parts) >= 4 and parts[-2] == "_history":
            parts = parts[:-2]
        if len(parts) >= 2 and parts[-2] in fhir_profiles.resource_types():
            return parts[-2]
    stated = reference.get("type")
    return stated if isinstance(stated, str) else None


def bundle_entries(resource: Json) -> dict[str, str]:
    """fullUrl -> resourceType of a Bundle's entries (empty for any other resource)."""
    bundle = isinstance(resource, dict) and resource.get("resourceType") == "Bundle"
    entries = resource.get("entry") if bundle else None
    found: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else ():
        inner = entry.get("resource") if isinstance(entry, dict) else None
        url = entry.get("fullUrl") if isinstance(entry, dict) else None
        if (
            isinstance(url, str)
            and isinstance(inner, dict)
            and isinstance(inner.get("resourceType"), str)
        ):
            found[url] = inner["resourceType"]
    return found


def _contained_type(local_id: str, root: Json) -> str | None:
    contained: Any = root.get("contained")
    for resource in contained if isinstance(contained, list) else ():
        if isinstance(resource, dict) and resource.get("id") == local_id:
            found = resource.get("resourceType")
            return found if isinstance(found, str) else None
    return None
