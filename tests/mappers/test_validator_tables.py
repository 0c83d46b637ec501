"""The compiled validator's tables against fhir.resources' models, element by element.

The differential test (test_validator_differential.py) compares verdicts on resources; this one
compares what each side knows, everywhere, so a difference no sample reaches still shows: for
every type the server keeps, and every datatype and backbone element below it, the element
names, which take a `_name` sibling, array or single, the primitive type, required elements
and choice groups. The differences are R4 against R4B (fhir.resources ships R4B models for R4),
each listed with its reason; anything else fails. Evidence and EvidenceVariable differ
throughout: the compiled engine leaves them to fhir.resources (definitions.DEFERRED).
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir_core.utils import get_fhir_type_name, is_list_type, is_primitive_type
from pydantic._internal._validators import import_string

import fhir_profiles
from mappers.definitions import DEFERRED, NOT_IN_R4B
from mappers.element_tables import COMPLETE, RESOURCE_TYPES, TypeTable
from mappers.r4 import has_model

R4_ONLY_META = "R4 lets these open types hold a Meta; R4B dropped it (R4B extension.html)"
R4B_ADDED = "R4B added these variants and elements; R4 has none of them"
R4B_REWORKED = "R4B rewrote it (and ours is not 4.0.1's): left to fhir.resources (DEFERRED)"
# path -> why our R4 tables and fhir.resources' R4B models differ there
KNOWN: dict[str, str] = {
    **dict.fromkeys(
        (
            "Extension.valueMeta",
            "ElementDefinition.defaultValueMeta",
            "ElementDefinition.fixedMeta",
            "ElementDefinition.patternMeta",
            "ElementDefinition.example.valueMeta",
        ),
        R4_ONLY_META,
    ),
    **dict.fromkeys(
        (
            "Extension.valueCodeableReference",
            "Extension.valueRatioRange",
            "ElementDefinition.defaultValueCodeableReference",
            "ElementDefinition.defaultValueRatioRange",
            "ElementDefinition.fixedCodeableReference",
            "ElementDefinition.fixedRatioRange",
            "ElementDefinition.patternCodeableReference",
            "ElementDefinition.patternRatioRange",
            "ElementDefinition.example.valueCodeableReference",
            "ElementDefinition.example.valueRatioRange",
            "ActivityDefinition.subjectCanonical",
            "ActivityDefinition._subjectCanonical",
            "PlanDefinition.subjectCanonical",
            "PlanDefinition._subjectCanonical",
            "PlanDefinition.action.subjectCanonical",
            "PlanDefinition.action._subjectCanonical",
        ),
        R4B_ADDED,
    ),
    "Evidence": R4B_REWORKED,
    "EvidenceVariable": R4B_REWORKED,
}


def _model_type(annotation: Any) -> Any:
    """The fhir.resources model class a field's annotation names (a `*Type` with a path)."""
    if hasattr(annotation, "_model_klass"):
        return import_string(annotation._model_klass)
    for argument in typing.get_args(annotation):
        found = _model_type(argument)
        if found is not None:
            return found
    return None


def _differences(path: str, table: TypeTable, model: Any) -> Iterator[tuple[str, str]]:
    fields = {(f.alias or n): f for n, f in model.model_fields.items() if n != "fhir_comments"}
    ours = set(table.specs) | {f"_{n}" for n, s in table.specs.items() if s.extensible}
    for name in sorted(ours ^ set(fields)):
        yield f"{path}.{name}", "only ours" if name in ours else "only fhir.resources"
    for name in sorted(set(table.specs) & set(fields)):
        spec, field = table.specs[name], fields[name]
        if spec.is_array != is_list_type(field):
            yield f"{path}.{name}", "array or single"
        if spec.kind is not None and get_fhir_type_name(field) != spec.type_name:
            yield f"{path}.{name}", f"{spec.type_name} or {get_fhir_type_name(field)}"
        if spec.kind is None and is_primitive_type(field):
            yield f"{path}.{name}", "complex or primitive"
    instance = model.model_construct()
    theirs = {name for name, _ in instance.get_required_fields()}
    theirs |= {(f.alias or n) for n, f in model.model_fields.items() if f.is_required()}
    choices = instance.get_one_of_many_fields()
    theirs |= {
        f"{stem}[x]"
        for stem, variants in choices.items()
        if model.model_fields[variants[0]].json_schema_extra["one_of_many_required"]
    }
    required = {name for name, _ in table.required}
    for name in sorted(required ^ theirs):
        yield f"{path}.{name}", "required on one side only"
    our_groups = {_common(path, group) for group in table.choices}
    their_groups = {
        _common(path, [(model.model_fields[v].alias or v) for v in variants])
        for variants in choices.values()
    }
    for group in our_groups ^ their_groups:
        yield f"{path}.{sorted(group)[0]}", "choice group"


def _common(path: str, variants: Iterable[str]) -> frozenset[str]:
    """A choice's variants less those listed as R4 or R4B only."""
    return frozenset(name for name in variants if f"{path}.{name}" not in KNOWN)


def _walk(path: str, model: Any, seen: set[str]) -> Iterator[tuple[str, str]]:
    if path in seen:
        return
    seen.add(path)
    table = COMPLETE.of(path)
    yield from _differences(path, table, model)
    fields = {(f.alias or n): f for n, f in model.model_fields.items()}
    for name, spec in table.specs.items():
        field = fields.get(name)
        if spec.kind is None and spec.type_name != "Resource" and field is not None:
            nested = _model_type(field.annotation)
            if nested is not None:
                yield from _walk(spec.type_name, nested, seen)


def _explained(path: str) -> bool:
    return path in KNOWN or path.split(".", 1)[0] in KNOWN


def test_every_difference_from_fhir_resources_models_is_a_listed_r4_r4b_one() -> None:
    seen: set[str] = set()
    found = [
        (path, what)
        for resource_type in sorted(RESOURCE_TYPES)
        for path, what in _walk(resource_type, get_fhir_model_class(resource_type), seen)
    ]
    assert [d for d in found if not _explained(d[0])] == []
    assert {path for path in KNOWN if "." not in path} == DEFERRED
    assert {p for p, _ in found if p in KNOWN} == set(KNOWN) - {"Evidence", "EvidenceVariable"}


def test_the_types_held_out_are_exactly_those_fhir_resources_lacks() -> None:
    lacking = {name for name in fhir_profiles.resource_types() if not has_model(name)}
    assert lacking == NOT_IN_R4B


def test_a_primitive_extension_object_takes_the_elements_fhir_resources_takes() -> None:
    """`_birthDate: {...}` is walked as an Element; fhir.resources reads FHIRPrimitiveExtension."""
    from fhir.resources.R4B.fhirprimitiveextension import FHIRPrimitiveExtension

    table = COMPLETE.of("Element")
    ours = set(table.specs) | {f"_{n}" for n, s in table.specs.items() if s.extensible}
    fields = FHIRPrimitiveExtension.model_fields
    assert ours == {(f.alias or n) for n, f in fields.items() if n != "fhir_comments"}
