"""A Reference's target type against `type.targetProfile`.

https://hl7.org/fhir/R4/references.html#Reference — what can be judged is judged: a relative
(`Patient/1`) or absolute (`http://x/fhir/Patient/1/_history/2`) reference names its type, a
`#id` one names a contained resource, and `Reference.type` states it. A `urn:uuid:`/`urn:oid:`
reference or a logical one (identifier only) names no type: a warning says it was not checked.
"""

from __future__ import annotations

from typing import Any

import fhir_profiles
from gateway.conformance.rules import Json


def target_type(reference: Json, root: Json) -> str | None:
    """The resource type a Reference points at, when the reference itself tells."""
    text = reference.get("reference")
    if isinstance(text, str):
        if text.startswith("#"):
            return _contained_type(text[1:], root)
        parts = text.split("?", 1)[0].rstrip("/").split("/")
        if len(parts) >= 4 and parts[-2] == "_history":
            parts = parts[:-2]
        if len(parts) >= 2 and parts[-2] in fhir_profiles.resource_types():
            return parts[-2]
    stated = reference.get("type")
    return stated if isinstance(stated, str) else None


def _contained_type(local_id: str, root: Json) -> str | None:
    contained: Any = root.get("contained")
    for resource in contained if isinstance(contained, list) else ():
        if isinstance(resource, dict) and resource.get("id") == local_id:
            found = resource.get("resourceType")
            return found if isinstance(found, str) else None
    return None
