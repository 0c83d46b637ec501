"""Checks of the JSON representation that fhir.resources leaves out.

fhir.resources accepts `"active": "true"`, `null`, `[]`, `{}` and any code where the spec binds
a required value set (`"gender": "banana"`). This walk follows the R4 StructureDefinitions
(`fhir_profiles`) and reports, with the element path, every
- JSON type that does not match the FHIR primitive (https://hl7.org/fhir/R4/json.html#primitive),
- null, empty array or empty object (json.html: "empty ... not allowed"; ele-1),
- array given for a single element or the reverse,
- missing element whose minimum cardinality is 1, all of them at once (fhir.resources stops
  at the first of some),
- code outside a required binding's value set (https://hl7.org/fhir/R4/terminologies.html#required),
- object key that is no element name at all (`""`, `$where`, `a.b`): unknown names that look
  like names are left to fhir.resources, but these never reach it, nor MongoDB,
- string over 1 MB or with control characters, and the R4 formats fhir.resources leaves
  unchecked (`primitives.py`),
and, as issues of code `invariant`, the datatype invariants per-1 (a Period's start is not after
its end) and qty-3 (a Quantity's unit code comes with its system).
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

import fhir_profiles
from gateway.domain.time import parse_range
from gateway.errors import Issue
from gateway.jsonio import ExactDecimal
from mappers.primitives import (
    FORMATS,
    JSON_KIND,
    URI_TYPES,
    Problem,
    max_length,
    number_problem,
    shown,
    string_problem,
)

# json.html: a JSON object's keys are the element names the definitions give (letters and
# digits, eld-19), `_` + a name for a primitive's extensions, `resourceType` and `fhir_comments`.
_ELEMENT_NAME = re.compile(r"_?[A-Za-z][A-Za-z0-9_]{0,63}")


class _Spec(NamedTuple):
    """One element of one type, precompiled: this walk runs on every write."""

    type_name: str
    is_array: bool
    kind: type | None  # the JSON type of a primitive; None for complex types
    value_set: frozenset[str] | None  # the codes of a required binding, when enumerable
    value_set_url: str | None
    max_length: int  # of a string-like primitive's text
    plain: bool  # a single string-like element the walk's inline test decides when it passes
    spaced: bool  # spaces allowed: all but the uri types, whose R4 format `\S*` the test covers


def _compile() -> dict[str, dict[str, _Spec]]:
    value_sets = fhir_profiles.required_value_sets()
    resource_types = fhir_profiles.resource_types()
    compiled: dict[str, dict[str, _Spec]] = {}
    for type_name, elements in fhir_profiles.elements().items():
        compiled[type_name] = {}
        for name, spec in elements.items():
            # R4 types Resource.id as System.String; resource.html defines it as an `id`
            element_type = "id" if name == "id" and type_name in resource_types else spec[0]
            url = spec[2] if len(spec) > 2 else None
            value_set = value_sets.get(url) if url else None
            kind = JSON_KIND.get(element_type)
            compiled[type_name][name] = _Spec(
                element_type,
                bool(spec[1]),
                kind,
                value_set,
                url,
                max_length(element_type),
                kind is str
                and not spec[1]
                and value_set is None
                and (element_type not in FORMATS or element_type in URI_TYPES),
                element_type not in URI_TYPES,
            )
    return compiled


_SPECS = _compile()
_RESOURCE_TYPES = fhir_profiles.resource_types()  # concrete: not Resource, nor a datatype
# Real resources nest a few dozen levels at most; MongoDB refuses documents past 100, and
# Python's recursion would fail first on a hostile body (nested extensions).
MAX_DEPTH = 64
_REQUIRED = {
    type_name: tuple((name, name.endswith("[x]")) for name in names)
    for type_name, names in fhir_profiles.required_elements().items()
}


def shape_issues(resource: dict[str, Any], *, limit: int = 50) -> list[Issue]:
    """Every shape problem of `resource`, path first (`Patient.gender`), at most `limit`."""
    issues: list[Issue] = []
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or resource_type not in _RESOURCE_TYPES:
        return [Issue(f"Unknown resourceType `{resource_type}`.", code="invalid",
                      expression="resourceType")]  # fmt: skip
    _walk_resource(resource, resource_type, issues)
    return issues[:limit]


def _walk_resource(
    resource: dict[str, Any], path: str, issues: list[Issue], depth: int = 0
) -> None:
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or resource_type not in _RESOURCE_TYPES:
        issues.append(Issue(f"Unknown resourceType `{resource_type}`.", expression=path))
        return
    _walk_complex(resource, resource_type, path, issues, depth)


def _walk_complex(
    value: dict[str, Any], type_name: str, path: str, issues: list[Issue], depth: int = 0
) -> None:
    """Check one JSON object of FHIR type `type_name`; child paths are built only on a problem."""
    if not value:
        issues.append(Issue("Empty objects are not allowed in FHIR JSON.", expression=path))
        return
    if depth > MAX_DEPTH:
        issues.append(Issue(f"Elements are nested more than {MAX_DEPTH} deep.",
                            code="too-long", expression=path))  # fmt: skip
        return
    specs = _SPECS.get(type_name, {})
    for name, is_choice in _REQUIRED.get(type_name, ()):
        if (
            name not in value
            and f"_{name}" not in value
            and not (is_choice and _has_choice(value, name))
        ):
            issues.append(Issue("Missing required element.", code="required",
                                expression=f"{path}.{name}"))  # fmt: skip
    check = _DATATYPE_INVARIANTS.get(type_name)
    if check is not None:
        issues.extend(check(value, path))
    for key, child in value.items():
        spec = specs.get(key)
        if spec is None:
            if key[:1] == "_":
                base = specs.get(key[1:])
                if base is not None and base.kind is not None:
                    _walk_primitive_extensions(
                        child, base.is_array, f"{path}.{key}", issues, depth + 1
                    )
                    continue
            if key == "resourceType":
                if type_name not in _RESOURCE_TYPES:  # fhir.resources lets a datatype have one
                    issues.append(Issue("Only a resource has a resourceType.", code="structure",
                                        expression=f"{path}.resourceType"))  # fmt: skip
            elif not _ELEMENT_NAME.fullmatch(key):
                issues.append(_name_issue(key, path))
            elif child is None:  # `fhir_comments: null` would be stored as no key at all
                issues.append(Issue("null is not allowed here.", expression=f"{path}.{key}"))
            continue  # resourceType, fhir_comments, or unknown: fhir.resources reports those
        if (
            spec.plain
            and type(child) is str
            and child.isprintable()  # no control characters, no whitespace but " "
            and len(child) <= spec.max_length
            and child.strip()
            and (spec.spaced or " " not in child)
        ):
            continue  # the common case, a short plain string, decided without a Python call
        if child is None:
            issues.append(Issue("null is not allowed here.", expression=f"{path}.{key}"))
        elif spec.is_array:
            if type(child) is not list:
                issues.append(Issue("Expected an array.", expression=f"{path}.{key}"))
            elif not child:
                issues.append(Issue("Empty arrays are not allowed in FHIR JSON.",
                                    expression=f"{path}.{key}"))  # fmt: skip
            elif spec.kind is not None:
                may_be_null = f"_{key}" in value
                for index, item in enumerate(child):
                    if item is None and may_be_null:
                        continue
                    problem = _primitive_problem(item, spec)
                    if problem:
                        issues.append(_primitive_issue(problem, f"{path}.{key}[{index}]"))
            else:
                for index, item in enumerate(child):
                    _walk_complex_value(
                        item, spec.type_name, f"{path}.{key}[{index}]", issues, depth + 1
                    )
        elif type(child) is list:
            issues.append(Issue("Expected a single value, not an array.",
                                expression=f"{path}.{key}"))  # fmt: skip
        elif spec.kind is not None:
            problem = _primitive_problem(child, spec)
            if problem:
                issues.append(_primitive_issue(problem, f"{path}.{key}"))
        else:
            _walk_complex_value(child, spec.type_name, f"{path}.{key}", issues, depth + 1)


def _name_issue(key: str, path: str) -> Issue:
    """An object key that no FHIR element could have, named as a FHIRPath delimited identifier
    (backticks: ``Patient.`$where` ``) with JSON escapes, so the path stays one readable line."""
    escaped = shown(json.dumps(key)[1:-1]).replace("`", "\\`")
    return Issue(
        f"`{escaped}` is not a FHIR element name.",
        code="structure",
        expression=f"{path}.`{escaped}`",
    )


def _walk_complex_value(
    value: Any, element_type: str, path: str, issues: list[Issue], depth: int
) -> None:
    if type(value) is not dict:
        text = (
            "null is not allowed here."
            if value is None
            else f"Expected a JSON object ({element_type})."
        )
        issues.append(Issue(text, expression=path))
    elif element_type == "Resource":
        _walk_resource(value, path, issues, depth)
    else:
        _walk_complex(value, element_type, path, issues, depth)


def _primitive_problem(value: Any, spec: _Spec) -> Problem | None:
    """What is wrong with a primitive's JSON value, or None."""
    kind = spec.kind
    if kind is str:
        if type(value) is not str:
            return (
                "invalid",
                "Expected a JSON string." if value is not None else "null is not allowed here.",
            )
        if not value.strip():
            return "invalid", "Strings must not be empty or only whitespace."
        if spec.value_set is None:
            return string_problem(value, spec.type_name, spec.max_length)
        if value in spec.value_set:
            return None  # one of the value set's codes: short, printable and well formed
        return (
            "code-invalid",
            f"`{shown(value)}` is not in the required value set {spec.value_set_url}.",
        )
    if value is None:
        return "invalid", "null is not allowed here."
    if kind is bool:
        return None if type(value) is bool else ("invalid", "Expected a JSON boolean.")
    if kind is int:
        return None if type(value) is int else ("invalid", "Expected a JSON integer.")
    if type(value) is float or type(value) is ExactDecimal:
        return None
    return number_problem(value) if type(value) is int else ("invalid", "Expected a JSON number.")


def _primitive_issue(problem: Problem, path: str) -> Issue:
    code, text = problem
    details = "MSG_CODE_INVALID" if code == "code-invalid" else None
    return Issue(text, code=code, expression=path, details_code=details)


def _walk_primitive_extensions(
    child: Any, is_array: bool, path: str, issues: list[Issue], depth: int
) -> None:
    items = child if is_array and isinstance(child, list) else [child]
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]" if is_array else path
        if item is None and is_array:
            continue
        if not isinstance(item, dict):
            issues.append(Issue("Expected a JSON object (Element).", expression=item_path))
        else:
            _walk_complex(item, "Element", item_path, issues, depth)


def _has_choice(value: dict[str, Any], name: str) -> bool:
    """A required choice `value[x]` is there as some `valueQuantity`, `_valueString`..."""
    stem = name[:-3]
    for key in value:
        bare = key.lstrip("_")
        if bare.startswith(stem) and bare[len(stem) : len(stem) + 1].isupper():
            return True
    return False


def _period_invariant(value: dict[str, Any], path: str) -> list[Issue]:
    """per-1: if present, start SHALL have a lower value than end."""
    start, end = value.get("start"), value.get("end")
    if not (isinstance(start, str) and isinstance(end, str)):
        return []
    try:
        if parse_range(start)[0] >= parse_range(end)[1]:
            return [Issue("per-1: the period starts after it ends.", code="invariant",
                          expression=path)]  # fmt: skip
    except ValueError:
        pass  # a malformed date is reported by fhir.resources
    return []


def _quantity_invariant(value: dict[str, Any], path: str) -> list[Issue]:
    """qty-3: if a code for the unit is present, the system SHALL also be present."""
    if "code" in value and "system" not in value:
        return [Issue("qty-3: a unit code needs its system.", code="invariant",
                      expression=f"{path}.code")]  # fmt: skip
    return []


_QUANTITIES = (
    "Quantity",
    "Age",
    "Count",
    "Distance",
    "Duration",
    "MoneyQuantity",
    "SimpleQuantity",
)
_DATATYPE_INVARIANTS = {
    "Period": _period_invariant,
    **dict.fromkeys(_QUANTITIES, _quantity_invariant),
}
