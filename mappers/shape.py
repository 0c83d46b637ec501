"""One walk over a resource's JSON, reading the R4 element tables (element_tables.py).

With the `SHAPE` tables it checks what fhir.resources leaves out. fhir.resources accepts
`"active": "true"`, `null`, `[]`, `{}` and any code where the spec binds a required value set
(`"gender": "banana"`); this walk reports, with the element path, every
- JSON type that does not match the FHIR primitive (https://hl7.org/fhir/R4/json.html#primitive),
- null, empty array or empty object (json.html: "empty ... not allowed"; ele-1),
- array given for a single element or the reverse,
- missing element whose minimum cardinality is 1, all of them at once (fhir.resources stops
  at the first of some),
- code outside a required binding's value set (https://hl7.org/fhir/R4/terminologies.html#required),
- object key that is no element name at all (`""`, `$where`, `a.b`): unknown names that look
  like names are left to fhir.resources (or to the `COMPLETE` tables), but these never reach
  it, nor MongoDB,
- string over 1 MB or with control characters, and the R4 formats fhir.resources leaves
  unchecked (`primitives.py`),
and, as issues of code `invariant`, the datatype invariants per-1 and qty-3
(datatype_invariants.py). With the `COMPLETE` tables the same walk also gives fhir.resources'
verdicts (unknown elements, primitive formats, choices; element_tables.py), so no model runs.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gateway.errors import Issue
from gateway.jsonio import ExactDecimal
from mappers.datatype_invariants import DATATYPE_INVARIANTS
from mappers.definitions import DEFERRED
from mappers.element_tables import RESOURCE_TYPES, SHAPE, Spec, Tables, TypeTable
from mappers.primitives import Problem, number_problem, shown, string_problem

# json.html: a JSON object's keys are the element names the definitions give (letters and
# digits, eld-19), `_` + a name for a primitive's extensions, `resourceType` and `fhir_comments`.
_ELEMENT_NAME = re.compile(r"_?[A-Za-z][A-Za-z0-9_]{0,63}")
# Real resources nest a few dozen levels at most; MongoDB refuses documents past 100, and
# Python's recursion would fail first on a hostile body (nested extensions).
MAX_DEPTH = 64
EXTRA = "Extra inputs are not permitted"  # fhir.resources' (pydantic's) words, kept for clients


def shape_issues(
    resource: dict[str, Any], *, limit: int = 50, tables: Tables = SHAPE
) -> list[Issue]:
    """Every shape problem of `resource`, path first (`Patient.gender`), at most `limit`."""
    return walked(resource, limit=limit, tables=tables)[0]


def walked(
    resource: dict[str, Any], *, limit: int = 50, tables: Tables = SHAPE
) -> tuple[list[Issue], bool]:
    """`shape_issues`, and whether the walk met a resource of a type the `COMPLETE` tables
    cannot judge (definitions.DEFERRED: walked with the `SHAPE` tables, for a model to finish)."""
    issues: list[Issue] = []
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or resource_type not in RESOURCE_TYPES:
        return [Issue(f"Unknown resourceType `{resource_type}`.", code="invalid",
                      expression="resourceType")], False  # fmt: skip
    walk = _Walk(tables, issues)
    walk.resource(resource, resource_type)
    return issues[:limit], walk.deferred


class _Walk:
    """The tables and the issues found so far, shared by the recursive steps."""

    __slots__ = ("compiled", "deferred", "issues", "tables")

    def __init__(self, tables: Tables, issues: list[Issue]) -> None:
        self.tables, self.issues, self.deferred = tables, issues, False
        self.compiled = tables.compiled  # read first: `of` compiles what it lacks

    def resource(self, resource: dict[str, Any], path: str, depth: int = 0) -> None:
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str) or resource_type not in RESOURCE_TYPES:
            self.issues.append(Issue(f"Unknown resourceType `{resource_type}`.", expression=path))
        elif self.tables.complete and resource_type in DEFERRED:
            self.deferred = True
            _Walk(SHAPE, self.issues).complex(resource, resource_type, path, depth)
        else:
            self.complex(resource, resource_type, path, depth)

    def complex(self, value: dict[str, Any], type_name: str, path: str, depth: int = 0) -> None:
        """Check one JSON object of FHIR type `type_name`; child paths are built only on a
        problem."""
        issues = self.issues
        if not value:
            issues.append(Issue("Empty objects are not allowed in FHIR JSON.", expression=path))
            return
        if depth > MAX_DEPTH:
            issues.append(Issue(f"Elements are nested more than {MAX_DEPTH} deep.",
                                code="too-long", expression=path))  # fmt: skip
            return
        table = self.compiled.get(type_name) or self.tables.of(type_name)
        if table.required:
            self.required(value, table, path)
        check = DATATYPE_INVARIANTS.get(type_name)
        if check is not None:
            issues.extend(check(value, path))
        specs = table.specs
        for key, child in value.items():
            spec = specs.get(key)
            if spec is None:
                self.other_key(value, key, child, table, type_name, path, depth)
                continue
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
                self.array(value, key, child, spec, path, depth)
            elif type(child) is list:
                issues.append(Issue("Expected a single value, not an array.",
                                    expression=f"{path}.{key}"))  # fmt: skip
            elif spec.kind is not None:
                problem = _primitive_problem(child, spec)
                if problem:
                    issues.append(_primitive_issue(problem, f"{path}.{key}"))
            else:
                self.complex_value(child, spec.type_name, f"{path}.{key}", depth + 1)
        if table.variants and len(table.variants.intersection(value)) > 1:
            self.choices(value, table, path)

    def array(
        self, value: dict[str, Any], key: str, child: Any, spec: Spec, path: str, depth: int
    ) -> None:
        issues = self.issues
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
                self.complex_value(item, spec.type_name, f"{path}.{key}[{index}]", depth + 1)

    def other_key(
        self,
        value: dict[str, Any],
        key: str,
        child: Any,
        table: TypeTable,
        type_name: str,
        path: str,
        depth: int,
    ) -> None:
        """A key that is no element of the type: a primitive's `_name` sibling, resourceType,
        fhir_comments, or unknown (the `SHAPE` tables leave unknown names to fhir.resources)."""
        if key[:1] == "_":
            base = table.specs.get(key[1:])
            if base is not None and base.extensible:
                self.primitive_extensions(child, base.is_array, f"{path}.{key}", depth + 1)
                return
        if key == "resourceType":
            if type_name not in RESOURCE_TYPES:  # fhir.resources lets a datatype have one
                self.issues.append(Issue("Only a resource has a resourceType.", code="structure",
                                         expression=f"{path}.resourceType"))  # fmt: skip
        elif not _ELEMENT_NAME.fullmatch(key):
            self.issues.append(_name_issue(key, path))
        elif child is None:  # `fhir_comments: null` would be stored as no key at all
            self.issues.append(Issue("null is not allowed here.", expression=f"{path}.{key}"))
        elif not table.complete:
            return
        elif key != "fhir_comments":
            self.issues.append(Issue(EXTRA, code="structure", expression=f"{path}.{key}"))
        elif not (
            type(child) is str or (type(child) is list and all(type(c) is str for c in child))
        ):  # fhir.resources: a string or a list of strings, anywhere
            self.issues.append(Issue("Expected a string or an array of strings.",
                                     code="structure", expression=f"{path}.{key}"))  # fmt: skip

    def complex_value(self, value: Any, element_type: str, path: str, depth: int) -> None:
        if type(value) is not dict:
            text = (
                "null is not allowed here."
                if value is None
                else f"Expected a JSON object ({element_type})."
            )
            self.issues.append(Issue(text, expression=path))
        elif element_type == "Resource":
            self.resource(value, path, depth)
        else:
            self.complex(value, element_type, path, depth)

    def primitive_extensions(self, child: Any, is_array: bool, path: str, depth: int) -> None:
        if child is None:  # json.html: no nulls, but as a place holder inside an array
            self.issues.append(Issue("null is not allowed here.", expression=path))
            return
        if is_array and type(child) is not list:
            self.issues.append(Issue("Expected an array.", code="structure", expression=path))
            return
        items = child if is_array else [child]
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]" if is_array else path
            if item is None and is_array:
                continue
            if not isinstance(item, dict):
                self.issues.append(Issue("Expected a JSON object (Element).", expression=item_path))
            else:
                self.complex(item, "Element", item_path, depth)

    def required(self, value: dict[str, Any], table: TypeTable, path: str) -> None:
        complete = table.complete
        for name, requirement in table.required:
            if name in value:
                continue
            if requirement == "choice":
                if _has_choice(value, name, extensions=not complete):
                    continue
            elif not complete:
                if f"_{name}" in value:
                    continue
            # extensibility.html#Special-Case: a required primitive may be absent when its
            # extensions say why; fhir.resources wants at least one extension there
            elif requirement == "primitive" and _extended(value.get(f"_{name}")):
                continue
            self.issues.append(Issue("Missing required element.", code="required",
                                     expression=f"{path}.{name}"))  # fmt: skip

    def choices(self, value: dict[str, Any], table: TypeTable, path: str) -> None:
        """formats.html#choice: an element with a choice of types has one of them, or none."""
        for variants in table.choices:
            given = [name for name in variants if name in value]
            if len(given) > 1:
                names = ", ".join(f"`{name}`" for name in given)
                self.issues.append(Issue(f"Only one of {names} may be given (a choice of types).",
                                         code="structure", expression=path))  # fmt: skip


def _extended(sibling: Any) -> bool:
    return type(sibling) is dict and bool(sibling.get("extension"))


def _name_issue(key: str, path: str) -> Issue:
    """An object key that no FHIR element could have, named as a FHIRPath delimited identifier
    (backticks: ``Patient.`$where` ``) with JSON escapes, so the path stays one readable line."""
    escaped = shown(json.dumps(key)[1:-1]).replace("`", "\\`")
    return Issue(
        f"`{escaped}` is not a FHIR element name.",
        code="structure",
        expression=f"{path}.`{escaped}`",
    )


def _primitive_problem(value: Any, spec: Spec) -> Problem | None:
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
            problem = string_problem(value, spec.type_name, spec.max_length)
            return problem if problem or spec.check is None else spec.check(value)
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
        if type(value) is not int:
            return "invalid", "Expected a JSON integer."
        return None if spec.check is None else spec.check(value)
    if type(value) is float or type(value) is ExactDecimal:
        return None if spec.check is None else spec.check(value)
    return number_problem(value) if type(value) is int else ("invalid", "Expected a JSON number.")


def _primitive_issue(problem: Problem, path: str) -> Issue:
    code, text = problem
    details = "MSG_CODE_INVALID" if code == "code-invalid" else None
    return Issue(text, code=code, expression=path, details_code=details)


def _has_choice(value: dict[str, Any], name: str, *, extensions: bool) -> bool:
    """A required choice `value[x]` is there as some `valueQuantity` (or, with `extensions`,
    `_valueString`: the SHAPE walk leaves the rest to fhir.resources, which wants a value)."""
    stem = name[:-3]
    for key in value:
        bare = key.lstrip("_") if extensions else key
        if bare.startswith(stem) and bare[len(stem) : len(stem) + 1].isupper():
            return True
    return False
