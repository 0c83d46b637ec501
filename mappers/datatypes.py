"""FHIR datatypes <-> the domain's structured values: their FHIR names, and the readings of
them that derived views share (a concept's label, a reference's target).

https://hl7.org/fhir/R4/datatypes.html, references.html#Reference
"""

from __future__ import annotations

from operator import attrgetter, itemgetter
from typing import Any

from gateway.domain.elements import (
    Address,
    CodeableConcept,
    Coding,
    ContactPoint,
    HumanName,
    Identifier,
    Period,
    Quantity,
    Range,
    Ratio,
    Reference,
)
from gateway.domain.time import FhirDateTime, fields_of
from mappers.names import FhirNames, NameTable, TextTable, TextValue
from mappers.schema import fhir_validator

CLINICIANS = ("Practitioner", "PractitionerRole")  # the resource types that name a clinician

NAMES: NameTable = {
    Coding: FhirNames.of(
        "Coding", "system", "version", "code", "display", user_selected="userSelected"
    ),
    CodeableConcept: FhirNames.of("CodeableConcept", "coding", "text"),
    Quantity: FhirNames.of("Quantity", "value", "comparator", "unit", "system", "code"),
    Range: FhirNames.of("Range", "low", "high"),
    Ratio: FhirNames.of("Ratio", "numerator", "denominator"),
    Period: FhirNames.of("Period", "start", "end"),
    Identifier: FhirNames.of("Identifier", "use", "type", "system", "value", "period"),
    Reference: FhirNames.of("Reference", "reference", "type", "identifier", "display"),
    HumanName: FhirNames.of(
        "HumanName", "use", "text", "family", "given", "prefix", "suffix", "period"
    ),
    ContactPoint: FhirNames.of("ContactPoint", "system", "value", "use", "rank", "period"),
    Address: FhirNames.of(
        "Address",
        "use",
        "type",
        "text",
        "line",
        "city",
        "district",
        "state",
        "country",
        "period",
        postal_code="postalCode",
    ),
}
TEXTS: TextTable = {
    FhirDateTime: TextValue(
        parse=fields_of, text=attrgetter("value"), stored_text=itemgetter("value")
    )
}
_CONCEPT = fhir_validator(CodeableConcept, NAMES, TEXTS)


def concept(fhir: dict[str, Any]) -> CodeableConcept:
    """A CodeableConcept read from FHIR JSON found outside the typed fields (an extension)."""
    result: CodeableConcept = _CONCEPT.validate_python(fhir)
    return result


def codes(concept: CodeableConcept, system: str | None = None) -> list[str]:
    """The concept's codes, those of `system` only when given."""
    return [
        c.code
        for c in concept.coding or []
        if c.code is not None and (system is None or c.system == system)
    ]


def has_code(concept: CodeableConcept, system: str, code: str) -> bool:
    return any(c.system == system and c.code == code for c in concept.coding or [])


def without(concept: CodeableConcept, system: str, code: str) -> CodeableConcept:
    """A copy without that coding, to read what else the concept says."""
    kept = [c for c in concept.coding or [] if not (c.system == system and c.code == code)]
    return concept.model_copy(update={"coding": kept})


def label(concept: CodeableConcept) -> str | None:
    """The text a person would read: `text`, else the first display, else the first code."""
    if concept.text:
        return concept.text
    for coding in concept.coding or []:
        if coding.display:
            return coding.display
    found = codes(concept)
    return found[0] if found else None


def target(reference: Reference) -> tuple[str, str] | None:
    """(type, id) of a relative or absolute `Type/id` reference; None for others."""
    if not reference.reference or reference.reference.startswith(("#", "urn:")):
        return None
    parts = reference.reference.split("/_history/")[0].rstrip("/").split("/")
    if len(parts) < 2:
        return None
    return parts[-2], parts[-1]


def target_id(reference: Reference | None, resource_type: str) -> str | None:
    """The id `reference` points at if it is a `resource_type/id` reference."""
    found = target(reference) if reference else None
    return found[1] if found and found[0] == resource_type else None


def points_to(reference: Reference, *resource_types: str) -> bool:
    """Whether it refers to one of `resource_types`, by its URL, else by its `type` element.

    Reads the URL with `target()`, so absolute and versioned references count too.
    """
    found = target(reference)
    return (found[0] if found else reference.type) in resource_types


def reference_label(reference: Reference) -> str | None:
    """What a person would read: `display`, else the `reference` itself."""
    return reference.display or reference.reference


def name_text(name: HumanName | None) -> str | None:
    """The name as written: `text`, else the given names and the family name."""
    if name is None:
        return None
    if name.text:
        return name.text
    parts = [p for p in (name.given or []) if p] + ([name.family] if name.family else [])
    return " ".join(parts) or None
