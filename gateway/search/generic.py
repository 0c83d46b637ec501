"""Search parameters of the types kept whole (`GenericRecord`), derived from the R4 definitions.

Every R4 resource type other than our four gets the parameters of all resources (`_id`,
`_lastUpdated`, `_tag`, `_security`, `_profile`, `_source`) and every parameter R4 defines for
it (https://hl7.org/fhir/R4/searchparameter-registry.html), its FHIRPath expression compiled
once into an extractor (gateway.search.fhirpath). A write runs the extractors over the FHIR JSON
and keeps the values under `index.<code>` (gateway.search.generic_index); searches compare with
those, through the same clause module per parameter type as our four types. A parameter whose
expression cannot be evaluated exactly, or whose type has no clause module here, is named with
the reason instead (`Derivation.unsupported`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import fhir_profiles
from gateway.search.fhirpath import (
    ComponentExtractor,
    Extractor,
    UnsupportedExpression,
    compile_component,
    compile_expression,
)
from gateway.search.generic_shape import (
    boolean_valued,
    implicit_system,
    single_valued,
    top_level_keys,
)
from gateway.search.model import ParamType, SearchParameter

# Parameter types whose values the index keeps in a sortable scalar (`sort.<code>`).
SORTABLE = frozenset({"token", "string", "date", "number", "quantity", "uri"})
_SEARCHABLE = frozenset({*SORTABLE, "reference", "composite"})
# Composite components matched inside one entry through their paths (gateway.search.filters).
_COMPONENT_TYPES = frozenset({"token", "quantity", "number"})
# Offered on no type, whatever the expression (Patient's is listed in parameters.UNSUPPORTED).
NOT_OFFERED = {"phonetic": "no phonetic algorithm is defined by R4; use name"}
_SPECIAL = "special parameters (geographic `near`) need a location index this server lacks"


@dataclass(frozen=True, slots=True)
class Component:
    """One component of a composite: its values within one value of the composite's own
    expression are kept under `code` in that value's index entry."""

    code: str
    type: ParamType
    extract: ComponentExtractor


@dataclass(frozen=True, slots=True)
class Compiled:
    """What a write computes for one parameter: `extract` on the FHIR JSON, run only when the
    resource holds one of `keys` (its top-level elements; None: always); a composite's
    `components` then on each value extracted."""

    parameter: SearchParameter
    extract: Extractor
    keys: frozenset[str] | None
    components: tuple[Component, ...] = ()


@dataclass(frozen=True, slots=True)
class Derivation:
    parameters: dict[str, SearchParameter]
    compiled: tuple[Compiled, ...]
    unsupported: dict[str, str]  # code -> why it is not offered


def derive(resource_type: str, resource_level: Iterable[SearchParameter]) -> Derivation:
    """The parameters of `resource_type`, an R4 resource type kept whole."""
    parameters = {
        p.code: dataclasses.replace(p, resource_types=(resource_type,)) for p in resource_level
    }
    compiled: list[Compiled] = []
    unsupported: dict[str, str] = {}
    for code, definition in _definitions(resource_type):
        try:
            found = _compiled(resource_type, code, definition)
        except UnsupportedExpression as error:
            unsupported[code] = str(error)
            continue
        parameters[code] = found.parameter
        compiled.append(found)
    return Derivation(parameters, tuple(compiled), unsupported)


def _compiled(resource_type: str, code: str, definition: dict[str, Any]) -> Compiled:
    type_: ParamType = definition["type"]
    if code in NOT_OFFERED:
        raise UnsupportedExpression(NOT_OFFERED[code])
    if type_ not in _SEARCHABLE:
        raise UnsupportedExpression(_SPECIAL if type_ == "special" else f"{type_} parameter")
    expression = definition.get("expression", "")
    extract = compile_expression(resource_type, expression)
    keys = top_level_keys(resource_type, expression)
    if type_ == "composite":
        components = _components(resource_type, expression, definition.get("component", []))
        parts = tuple(_component_parameter(resource_type, c) for c in components)
        parameter = dataclasses.replace(
            indexed_parameter(resource_type, code, type_), parts=parts, scope=f"index.{code}"
        )
        return Compiled(parameter, extract, keys, components)
    parameter = indexed_parameter(
        resource_type, code, type_, targets=tuple(definition.get("target", ())),
        single=single_valued(resource_type, expression),
    )  # fmt: skip
    if type_ == "token" and boolean_valued(resource_type, expression):
        parameter = dataclasses.replace(parameter, allowed=("true", "false"))
    if type_ == "token":  # matched at query time: the entries keep the bare code (token._bare)
        parameter = dataclasses.replace(
            parameter, system=implicit_system(resource_type, expression)
        )
    return Compiled(parameter, extract, keys)


def _components(
    resource_type: str, expression: str, definitions: list[dict[str, Any]]
) -> tuple[Component, ...]:
    """search.html#composite: each component's parameter (its type) and relative expression."""
    found = []
    for component in definitions:
        definition = _by_url().get(component.get("definition", ""))
        if definition is None or definition["type"] not in _COMPONENT_TYPES:
            kind = definition["type"] if definition else "unknown"
            raise UnsupportedExpression(f"a composite with a {kind} component is not indexed")
        extract = compile_component(resource_type, expression, component["expression"])
        found.append(Component(definition["code"], definition["type"], extract))
    return tuple(found)


def _component_parameter(resource_type: str, component: Component) -> SearchParameter:
    """A component as a composite's part: its values sit under its code in one index entry."""
    return SearchParameter(
        component.code,
        component.type,
        (resource_type,),
        (f"{component.code}[]",),
        kind="indexed" if component.type == "token" else None,
        indexed=True,
    )


@cache
def _by_url() -> dict[str, dict[str, Any]]:
    return {d["url"]: d for d in fhir_profiles.search_parameters().values() if "url" in d}


def _definitions(resource_type: str) -> list[tuple[str, dict[str, Any]]]:
    return sorted(
        (code, definition)
        for (base, code), definition in fhir_profiles.search_parameters().items()
        if base == resource_type
    )


def indexed_parameter(
    resource_type: str,
    code: str,
    type_: ParamType,
    *,
    targets: tuple[str, ...] = (),
    single: bool = False,
) -> SearchParameter:
    """A parameter searched on its write-time values: `index.<code>` (`exact.<code>` for
    `:exact`), laid out as gateway.search.values describes."""
    field = f"index.{code}"
    paths = {"token": f"{field}[]", "quantity": f"{field}[]", "number": f"{field}[]",
             "string": f"exact.{code}"}  # fmt: skip
    return SearchParameter(
        code,
        type_,
        (resource_type,),
        (paths.get(type_, field),),
        kind="indexed" if type_ == "token" else None,
        targets=targets,
        sort_path=f"sort.{code}" if type_ in SORTABLE else None,
        single=single and type_ in ("date", "reference"),
        indexed=True,
    )
