"""What MedRecord AI's mappings share: code systems, profiles, the AI flag, the spelling tag.

The spelling tags: seed 003 (the Prisma schema) and seed 004 (ticket 001) name some values
differently (`conditionName` / `condition`). Both land on one FHIR element, so a resource made
from a row that used a seed-004 name carries one `meta.tag` per such name
(`medrecord-field-spelling#ChronicCondition.condition`), and the way back answers with the
names the row was sent with. https://hl7.org/fhir/R4/resource.html#tag
"""

from __future__ import annotations

import html
import re

from gateway.jsonio import Json
from mappers.apps.base import RowProblem
from mappers.apps.native import NativeRow, fhir_datetime

__all__ = [
    "AI_EXTRACTED",
    "APP",
    "CS",
    "DATA_ABSENT",
    "LOINC",
    "PROFILE",
    "SNOMED",
    "UCUM",
    "ai_flag",
    "ai_value",
    "cm",
    "instant",
    "meta",
    "narrative",
    "narrative_text",
    "patient_of",
    "practitioner_of",
    "spelled",
]

APP = "medrecord"
GATEWAY = "http://fhir-gateway.org/fhir"
CS = f"{GATEWAY}/CodeSystem"
PROFILE = f"{GATEWAY}/StructureDefinition"
AI_EXTRACTED = f"{PROFILE}/ai-extracted"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
SPELLING = f"{CS}/medrecord-field-spelling"


def cm(name: str) -> str:
    """The canonical URL of the gateway's ConceptMap `name`."""
    return f"{GATEWAY}/ConceptMap/{name}"


def meta(profile: str | None, row: NativeRow | None = None, *names: str) -> Json:
    """`meta.profile`, and a spelling tag for each of `names` (seed-004 names of a two-named
    value) the row used."""
    found: Json = {}
    if profile:
        found["profile"] = [profile]
    entity = type(row).__name__
    tags = [
        {"system": SPELLING, "code": f"{entity}.{name}"}
        for name in names
        if getattr(row, name) is not None
    ]
    if tags:
        found["tag"] = tags
    return found


def spelled(resource: Json, entity: str, name: str) -> bool:
    """Whether the row the resource was made from named `entity.name` the seed-004 way."""
    tags = resource.get("meta", {}).get("tag", ())
    return any(t.get("system") == SPELLING and t.get("code") == f"{entity}.{name}" for t in tags)


def ai_flag(value: bool | None) -> list[Json]:
    """The `ai-extracted` extension, present exactly when the row says true or false."""
    return [] if value is None else [{"url": AI_EXTRACTED, "valueBoolean": value}]


def ai_value(resource: Json) -> bool | None:
    for extension in resource.get("extension", ()):
        if extension.get("url") == AI_EXTRACTED:
            value = extension.get("valueBoolean")
            return value if isinstance(value, bool) else None
    return None


_XHTML = '<div xmlns="http://www.w3.org/1999/xhtml">'


def narrative(text: str) -> Json:
    """Free text as R4 Narrative (`additional`: it says no more than the row's text)."""
    return {"status": "additional", "div": f"{_XHTML}{html.escape(text, quote=False)}</div>"}


def narrative_text(value: Json | None) -> str | None:
    """The text `narrative` wrapped, or any other narrative's text with its markup removed."""
    if not value or value.get("status") == "empty":
        return None
    div = str(value.get("div", ""))
    if div.startswith(_XHTML) and div.endswith("</div>"):
        return html.unescape(div[len(_XHTML) : -len("</div>")])
    return html.unescape(re.sub(r"<[^>]+>", "", div))


def instant(value: str, field_name: str) -> str:
    """An `Instant` as a FHIR instant, which needs a time of day (datatypes.html#instant)."""
    converted = fhir_datetime(value)
    if "T" not in converted:
        raise RowProblem(field_name, f"`{value}` has no time of day; FHIR needs one here.")
    return converted


def patient_of(resource: Json | None) -> Json | None:
    """The Patient reference of a resource made from this app's rows (Appointment, Composition)."""
    return _reference_to(resource, "Patient")


def practitioner_of(resource: Json | None) -> Json | None:
    return _reference_to(resource, "Practitioner")


def _reference_to(resource: Json | None, resource_type: str) -> Json | None:
    if resource is None:
        return None
    candidates = [p.get("actor") for p in resource.get("participant", ())]
    candidates += [resource.get("subject"), *resource.get("author", ())]
    for reference in candidates:
        if isinstance(reference, dict) and str(reference.get("reference", "")).startswith(
            f"{resource_type}/"
        ):
            return {"reference": reference["reference"]}
    return None
