"""Small FHIR builders and readers the Heart Recovery mappings share (no I/O, plain JSON)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fhir_profiles.canonical import held
from gateway.jsonio import Json
from mappers.apps.concepts import translate
from mappers.apps.view import concept_text as text_of

__all__ = [
    "BOOKKEEPING",
    "LOINC",
    "PROFILE",
    "SNOMED",
    "UCUM",
    "compact",
    "first",
    "mapped_coding",
    "point",
    "profiled",
    "text_of",
    "texts",
]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
PROFILE = "http://fhir-gateway.org/fhir/StructureDefinition"
BOOKKEEPING = "the row's own bookkeeping; FHIR's meta.lastUpdated is the server's"


def compact(resource: Json) -> Json:
    """The resource without its absent (None, empty) elements, nested too: FHIR forbids empty
    elements (ele-1) and a null where a value is expected."""
    out: Json = {}
    for key, value in resource.items():
        cleaned = _clean(value)
        if cleaned is not None:
            out[key] = cleaned
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        inner = compact(value)
        return inner or None
    if isinstance(value, list):
        items = [c for c in (_clean(v) for v in value) if c is not None]
        return items or None
    return value


def mapped_coding(concept_map: str, code: str) -> Json:
    """The Coding ConceptMap `concept_map` gives the app's `code`: target system, code and the
    display the map writes (concepts.translate gives the code alone)."""
    target = translate(concept_map, code)
    found = held().resolve(concept_map, "ConceptMap") or {}
    for group in found.get("group", ()):
        for element in group.get("element", ()):
            for mapped in element.get("target", ()):
                if element["code"] == code and mapped.get("code") == target:
                    return compact({"system": group.get("target"), "code": target,
                                    "display": mapped.get("display")})  # fmt: skip
    raise LookupError(f"ConceptMap `{concept_map}` has no group for `{code}`.")


def point(system: str, value: str | None) -> Json | None:
    """A ContactPoint, or None (left out by `compact`) when there is no value to reach."""
    return {"system": system, "value": value} if value else None


def profiled(name: str) -> Json:
    return {"profile": [f"{PROFILE}/{name}"]}


def texts(concepts: Iterable[Json]) -> list[str]:
    return [t for t in (text_of(c) for c in concepts) if t]


def first(items: Iterable[Json], **match: Any) -> Json | None:
    """The first element whose keys equal `match`."""
    return next((i for i in items if all(i.get(k) == v for k, v in match.items())), None)
