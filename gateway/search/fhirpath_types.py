"""What a FHIRPath member name reaches in R4 JSON, and which values a type name selects.

Types come from `fhir_profiles.elements()`: `elements()[T][name] = [type code, is array, ...]`,
with backbone elements under `"Type.path"` keys (their type code is that key, also for
`contentReference` elements such as `Questionnaire.item.item`) and choice elements expanded
(`onsetDateTime`, `onsetAge`, ...). A member `onset` therefore reaches every `onset*` key whose
suffix is its own type, and each value keeps that type: the FHIRPath view of `value[x]`
(http://hl7.org/fhirpath/N1/#paths-and-polymorphic-items).
"""

from __future__ import annotations

from functools import cache

import fhir_profiles

# An element typed Resource (`contained`, `Bundle.entry.resource`) takes its type at run time
# from `resourceType`.
RESOURCE = "Resource"
# Root types whose elements every resource has (expressions `Resource.id`, `DomainResource.text`).
ABSTRACT_ROOTS = frozenset({"Resource", "DomainResource"})
# R4 types derived from another by constraint or specialisation: `onset.as(Quantity)` keeps an
# `onsetAge`, `ofType(string)` a `code` (the hierarchy fhirpathpy's R4 model holds as well).
_PARENTS = {
    **dict.fromkeys(
        ("Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity"), "Quantity"
    ),
    **dict.fromkeys(("code", "id", "markdown"), "string"),
    **dict.fromkeys(("canonical", "oid", "url", "uuid"), "uri"),
    **dict.fromkeys(("positiveInt", "unsignedInt"), "integer"),
}


@cache
def children(type_code: str, name: str) -> tuple[tuple[str, str], ...]:
    """The JSON keys (and their types) that member `name` reaches in a value of `type_code`."""
    elements = fhir_profiles.elements().get(type_code, {})
    if name in elements:
        return ((name, elements[name][0]),)
    return tuple(
        (key, spec[0])
        for key, spec in elements.items()
        if key.startswith(name) and key[len(name) :] == _capitalised(spec[0])
    )


def known_type(type_code: str) -> bool:
    return type_code in fhir_profiles.elements() or type_code == RESOURCE


def is_resource_type(name: str) -> bool:
    return name in fhir_profiles.resource_types() or name in ABSTRACT_ROOTS


def type_code(name: str) -> str:
    """The FHIR type a type specifier names: `FHIR.Quantity` and `Quantity` are `Quantity`.

    A System type (`System.DateTime`, or unqualified `DateTime` as R4's `code-value-date`
    writes it) names the FHIR primitive it is written as: the R4 expressions mean the FHIR
    element (fhirpathpy would select nothing there, since it keeps the two apart).
    """
    bare = name.removeprefix("FHIR.").removeprefix("System.")
    if known_type(bare):
        return bare
    lowered = bare[:1].lower() + bare[1:]
    if lowered in fhir_profiles.elements() and lowered[:1].islower():
        return lowered
    raise KeyError(name)


def matches(actual: str, wanted: str) -> bool:
    """Whether a value of type `actual` is a `wanted` (itself or a type derived from it)."""
    while actual != wanted:
        parent = _PARENTS.get(actual)
        if parent is None:
            return wanted == RESOURCE and is_resource_type(actual)
        actual = parent
    return True


def _capitalised(type_code: str) -> str:
    return type_code[:1].upper() + type_code[1:]
