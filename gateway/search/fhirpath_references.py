"""The type a Reference points at, read from the reference itself, for `resolve() is Type`.

R4 search expressions narrow references by target type (`subject.where(resolve() is Patient)`).
An index built from one resource cannot resolve anything, so the type is read from
`Reference.reference` (https://hl7.org/fhir/R4/references.html#literal):

- `Type/id`, `Type/id/_history/v` and absolute URLs ending so (`http://x/fhir/Type/id`) name
  `Type` when it is an R4 resource type;
- `#id` names the type of the contained resource with that id, which the resource holds; `#`
  alone (the container itself) names the root resource's type;
- `urn:uuid:` / `urn:oid:` references (transactions turn them into `Type/id` before anything is
  stored), conditional references (`Patient?identifier=...`), and references made only of
  `identifier`, `display` or `type` cannot be resolved: `resolve()` gives empty for them, so
  `where(resolve() is T)` drops them, as FHIRPath does for a reference it cannot resolve.
  `Reference.type` is not used: it is a hint about the target, not a resolution.
"""

from __future__ import annotations

import re
from typing import Any

import fhir_profiles
from gateway.jsonio import Json

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # https://hl7.org/fhir/R4/datatypes.html#id


def reference_type(reference: Any, root: Json, root_type: str) -> str | None:
    """The resource type `reference` (a Reference's JSON in `root`, a `root_type`) names, or None."""
    text = reference.get("reference") if isinstance(reference, dict) else None
    if not isinstance(text, str) or not text:
        return None
    if text.startswith("#"):
        return _contained_type(text[1:], root) if len(text) > 1 else root_type
    if text.startswith("urn:") or "?" in text:
        return None
    parts = text.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) < 2 or not _ID.fullmatch(parts[-1]):
        return None
    return parts[-2] if parts[-2] in fhir_profiles.resource_types() else None


def _contained_type(local_id: str, root: Json) -> str | None:
    resources = root.get("contained")
    for contained in resources if isinstance(resources, list) else ():
        if isinstance(contained, dict) and contained.get("id") == local_id:
            kind = contained.get("resourceType")
            return kind if isinstance(kind, str) else None
    return None
