"""Search parameters of the types kept whole (`GenericRecord`), derived from the R4 definitions.

Every R4 resource type other than our four gets the parameters of all resources (`_id`,
`_lastUpdated`, `_tag`, `_security`, `_profile`, `_source`) and `identifier`, `patient`,
`subject` and `encounter` where R4 defines them for the type and their expression reads
top-level elements of it (https://hl7.org/fhir/R4/searchparameter-registry.html): Condition's
`patient` reads `Condition.subject.where(resolve() is Patient)`, Immunization's reads
`Immunization.patient`. A parameter whose expression reaches deeper for the type
(`DocumentReference.context.encounter`) is not offered, since it could not be exact.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any

import fhir_profiles
from gateway.search.model import SearchParameter

# What each reference parameter may select: R4 targets `patient` at Patient, and `encounter`
# reads elements typed Reference(Encounter); `subject` takes its targets from R4.
_REFERENCES: dict[str, tuple[str, ...] | None] = {
    "patient": ("Patient",),
    "subject": None,
    "encounter": ("Encounter",),
}
# One branch of a FHIRPath expression after `Type.`: an element, perhaps narrowed by type.
_PLAIN_BRANCH = re.compile(r"([A-Za-z]+)(?:\.where\(resolve\(\) is [A-Za-z]+\))?")


def derive(
    resource_type: str, resource_level: Iterable[SearchParameter]
) -> dict[str, SearchParameter]:
    """The parameters of `resource_type`, an R4 resource type kept whole."""
    elements = fhir_profiles.elements()[resource_type]
    found = [dataclasses.replace(p, resource_types=(resource_type,)) for p in resource_level]
    identifiers = _reads(resource_type, "identifier", elements, "Identifier")
    if identifiers:
        paths = tuple(f"fhir_rest.{name}[]" for name in identifiers)
        found.append(
            SearchParameter("identifier", "token", (resource_type,), paths, kind="identifier")
        )
    for code, targets in _REFERENCES.items():
        names = _reads(resource_type, code, elements, "Reference")
        if not names:
            continue
        definition = fhir_profiles.search_parameters()[(resource_type, code)]
        found.append(
            SearchParameter(
                code,
                "reference",
                (resource_type,),
                tuple(f"fhir_rest.{name}" for name in names),
                targets=targets or tuple(definition.get("target", ())),
                single=len(names) == 1 and not elements[names[0]][1],
            )
        )
    return {parameter.code: parameter for parameter in found}


def _reads(
    resource_type: str, code: str, elements: dict[str, list[Any]], type_code: str
) -> tuple[str, ...]:
    """The top-level elements of type `type_code` the R4 parameter `code` reads in
    `resource_type`; none when R4 does not define it there or any branch reaches further."""
    definition = fhir_profiles.search_parameters().get((resource_type, code))
    if definition is None:
        return ()
    prefix = f"{resource_type}."
    branches = [
        branch.strip() for branch in definition.get("expression", "").split("|")
    ]  # `(Type.value as Quantity)` is a branch for Type too
    names: list[str] = []
    for branch in branches:
        if not branch.lstrip("(").startswith(prefix):
            continue
        match = _PLAIN_BRANCH.fullmatch(branch.removeprefix(prefix))
        if match is None or elements.get(match.group(1), [None])[0] != type_code:
            return ()
        names.append(match.group(1))
    return tuple(dict.fromkeys(names))
