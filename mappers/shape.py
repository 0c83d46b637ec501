"""Checks of the JSON representation that fhir.resources leaves out.

fhir.resources accepts `"active": "true"`, `null`, `[]`, `{}` and any code where the spec binds
a required value set (`"gender": "banana"`). This walk follows the R4 StructureDefinitions
(`fhir_profiles`) and reports, with the element path, every
- JSON type that does not match the FHIR primitive (https://hl7.org/fhir/R4/json.html#primitive),
- null, empty array or empty object (json.html: "empty ... not allowed"; ele-1),
- array given for a single element or the reverse,
- code outside a required binding's value set (https://hl7.org/fhir/R4/terminologies.html#required).
"""

from __future__ import annotations

from typing import Any

import fhir_profiles
from gateway.errors import Issue

_BOOLEAN = {"boolean"}
_INTEGER = {"integer", "positiveInt", "unsignedInt"}
_DECIMAL = {"decimal"}
_STRING_LIKE = {
    "string", "code", "id", "uri", "url", "canonical", "oid", "uuid", "markdown", "base64Binary",
    "date", "dateTime", "instant", "time", "xhtml",
}  # fmt: skip
_PRIMITIVES = _BOOLEAN | _INTEGER | _DECIMAL | _STRING_LIKE


def shape_issues(resource: dict[str, Any], *, limit: int = 50) -> list[Issue]:
    """Every shape problem of `resource`, path first (`Patient.gender`), at most `limit`."""
    issues: list[Issue] = []
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or resource_type not in fhir_profiles.elements():
        return [Issue(f"Unknown resourceType `{resource_type}`.", code="invalid",
                      expression="resourceType")]  # fmt: skip
    _walk_resource(resource, resource_type, issues)
    return issues[:limit]


def _walk_resource(resource: dict[str, Any], path: str, issues: list[Issue]) -> None:
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or resource_type not in fhir_profiles.elements():
        issues.append(Issue(f"Unknown resourceType `{resource_type}`.", expression=path))
        return
    _walk_complex(resource, resource_type, path, issues, skip=("resourceType",))


def _walk_complex(
    value: dict[str, Any],
    type_name: str,
    path: str,
    issues: list[Issue],
    skip: tuple[str, ...] = (),
) -> None:
    definition = fhir_profiles.elements().get(type_name, {})
    if not value:
        issues.append(Issue("Empty objects are not allowed in FHIR JSON.", expression=path))
    for key, child in value.items():
        if key in skip or key == "fhir_comments":
            continue
        child_path = f"{path}.{key}"
        if key.startswith("_"):
            spec = definition.get(key[1:])
            if spec is not None and spec[0] in _PRIMITIVES:
                _walk_primitive_extensions(child, bool(spec[1]), child_path, issues)
            continue  # unknown `_x`: fhir.resources reports it
        spec = definition.get(key)
        if spec is None:
            continue  # unknown element: fhir.resources reports it
        element_type, is_array = spec[0], bool(spec[1])
        value_set = spec[2] if len(spec) > 2 else None
        if child is None:
            issues.append(Issue("null is not allowed here.", expression=child_path))
        elif is_array:
            if not isinstance(child, list):
                issues.append(Issue("Expected an array.", expression=child_path))
            elif not child:
                issues.append(Issue("Empty arrays are not allowed in FHIR JSON.",
                                    expression=child_path))  # fmt: skip
            else:
                for index, item in enumerate(child):
                    _walk_value(item, element_type, value_set, f"{child_path}[{index}]", issues,
                                may_be_null=element_type in _PRIMITIVES and f"_{key}" in value)  # fmt: skip
        elif isinstance(child, list):
            issues.append(Issue("Expected a single value, not an array.", expression=child_path))
        else:
            _walk_value(child, element_type, value_set, child_path, issues, may_be_null=False)


def _walk_value(
    value: Any,
    element_type: str,
    value_set: str | None,
    path: str,
    issues: list[Issue],
    *,
    may_be_null: bool,
) -> None:
    if value is None:
        if not may_be_null:
            issues.append(Issue("null is not allowed here.", expression=path))
        return
    if element_type in _PRIMITIVES:
        problem = _primitive_problem(value, element_type)
        if problem:
            issues.append(Issue(problem, expression=path))
        elif value_set and isinstance(value, str):
            codes = fhir_profiles.required_value_sets().get(value_set)
            if codes is not None and value not in codes:
                issues.append(Issue(
                    f"`{value}` is not in the required value set {value_set}.",
                    code="code-invalid", expression=path, details_code="MSG_CODE_INVALID",
                ))  # fmt: skip
        return
    if not isinstance(value, dict):
        issues.append(Issue(f"Expected a JSON object ({element_type}).", expression=path))
    elif element_type == "Resource":
        _walk_resource(value, path, issues)
    else:
        _walk_complex(value, element_type, path, issues)


def _primitive_problem(value: Any, element_type: str) -> str | None:
    if element_type in _BOOLEAN:
        return None if isinstance(value, bool) else "Expected a JSON boolean."
    if element_type in _INTEGER:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "Expected a JSON integer."
    if element_type in _DECIMAL:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "Expected a JSON number."
    if not isinstance(value, str):
        return "Expected a JSON string."
    if not value.strip():
        return "Strings must not be empty or only whitespace."
    return None


def _walk_primitive_extensions(child: Any, is_array: bool, path: str, issues: list[Issue]) -> None:
    items = child if is_array and isinstance(child, list) else [child]
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]" if is_array else path
        if item is None and is_array:
            continue
        if not isinstance(item, dict):
            issues.append(Issue("Expected a JSON object (Element).", expression=item_path))
        else:
            _walk_complex(item, "Element", item_path, issues)
