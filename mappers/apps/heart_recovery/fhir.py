"""Small FHIR builders and readers the Heart Recovery mappings share (no I/O, plain JSON)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway.jsonio import Json

__all__ = [
    "BOOKKEEPING",
    "LOINC",
    "PROFILE",
    "SNOMED",
    "UCUM",
    "compact",
    "first",
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


def profiled(name: str) -> Json:
    return {"profile": [f"{PROFILE}/{name}"]}


def text_of(concept: Json | None) -> str | None:
    """A CodeableConcept's text, else its first coding's display."""
    if not concept:
        return None
    if concept.get("text"):
        return str(concept["text"])
    return next((str(c["display"]) for c in concept.get("coding", ()) if c.get("display")), None)


def texts(concepts: Iterable[Json]) -> list[str]:
    return [t for t in (text_of(c) for c in concepts) if t]


def first(items: Iterable[Json], **match: Any) -> Json | None:
    """The first element whose keys equal `match`."""
    return next((i for i in items if all(i.get(k) == v for k, v in match.items())), None)
