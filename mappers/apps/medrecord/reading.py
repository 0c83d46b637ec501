"""Helpers for the way back (FHIR -> MedRecord AI rows): references to native ids, texts.

A reference names a resource in the patient's view; its native id is the app's identifier
value when it carries one (a row the app sent) and the FHIR id otherwise (an EHR's resource).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import ValidationError

from gateway.jsonio import Json
from mappers.apps.native import NativeRow
from mappers.apps.view import Exported, FhirView, concept_text

R = TypeVar("R", bound=NativeRow)

__all__ = [
    "code_in",
    "concept_text",
    "drop_none",
    "first",
    "native_of",
    "own",
    "row_id",
    "text_of",
    "valid",
]


def own(view: FhirView, resource_type: str, entity: str) -> dict[str, list[Json]]:
    """The resources of `resource_type` made from rows of `entity`, grouped by native id."""
    found: dict[str, list[Json]] = {}
    for resource in view.of_type(resource_type):
        native = native_id(view, resource, entity)
        if native is not None:
            found.setdefault(native, []).append(resource)
    return found


def native_id(view: FhirView, resource: Json, entity: str) -> str | None:
    """`FhirView.native_id`, also for the resources whose identifier is one Identifier
    (Composition), not a list."""
    identifier = resource.get("identifier")
    if isinstance(identifier, dict):
        resource = {**resource, "identifier": [identifier]}
    return view.native_id(resource, entity)


def native_of(view: FhirView, reference: Any, entity: str) -> str | None:
    """The native id of the row a reference names: the app's identifier, else the FHIR id."""
    target = view.get(reference)
    if target is None:
        return None
    return native_id(view, target, entity) or str(target["id"])


def text_of(items: Any) -> str | None:
    """The first text of a list of CodeableConcepts or Annotations."""
    for item in items or ():
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            return str(item["text"])
    return None


def code_in(concept: Any, system: str) -> str | None:
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding", ()):
        if coding.get("system") == system and isinstance(coding.get("code"), str):
            return str(coding["code"])
    return None


def drop_none(values: Json) -> Json:
    return {k: v for k, v in values.items() if v is not None}


def valid(model: type[R], values: Json) -> R | None:
    """The row, or None when the resource lacks what a required field needs (rule: such a
    resource is left out, never a failed export)."""
    try:
        return model.model_validate(drop_none(values))
    except ValidationError:
        return None


def first(items: Any) -> Json:
    """The first object of a list (a reaction, an address...), or an empty one."""
    for item in items or ():
        if isinstance(item, dict):
            return item
    return {}


def row_id(exported: Exported) -> str:
    return str(exported.row.model_dump()["id"])
