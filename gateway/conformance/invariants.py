"""Invariants (`ElementDefinition.constraint.expression`) compiled once, evaluated by fhirpathpy.

https://hl7.org/fhir/R4/conformance-rules.html#constraints — each expression is compiled once
per distinct text (the same base invariants recur in every StructureDefinition) with
`fhirpathpy.compile(expression, models["r4"])` and evaluated on each occurrence of its element
with `%resource` and `%rootResource` set. A constraint fails only when the expression gives
`false`; an empty result is no finding (FHIRPath's three-valued logic).

Some are checked natively, because they are structural and hold on every element, so that the
engine spends nothing on them per element (tests compare each with fhirpathpy):
- `ele-1` "All FHIR elements must have a @value or children": an object has a key besides `id`
  (the walk checks it where it meets an object);
- `ext-1` "Must have either extensions or value[x], not both";
- `dom-6` "A resource should have narrative": `text.div` exists;
- `txt-1`/`txt-2` (`htmlChecks()`, which fhirpathpy lacks): the div is a `<div>` with some
  non-whitespace content and no `<script>`, event attributes or other active content (a lexical
  check of https://hl7.org/fhir/R4/narrative.html#xhtml, not an XHTML parse).
`dom-2`..`dom-5` only constrain `contained`, so they are evaluated only where it is present.
fhirpathpy lacks `hasValue()` and `resolve()`; the engine gives it both (`resolve()` finds
`#id` in the root's `contained` and nothing else, so `resolve() is Patient` on a remote target
is empty and passes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextvars import ContextVar
from functools import cache
from typing import Any, Literal

import fhirpathpy
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

from gateway.conformance.rules import Constraint, ConstraintCheck, Json

NATIVE_STRUCTURAL = frozenset({"ele-1", "ext-1"})
NEEDS_CONTAINED = frozenset({"dom-2", "dom-3", "dom-4", "dom-5"})
_ACTIVE = re.compile(
    r"<\s*(script|object|applet|iframe|embed|form|input|style)\b|\son\w+\s*=", re.I
)


def has_value_or_children(value: Any) -> bool:
    """ele-1 natively: a primitive has a value; an object has an element besides `id`."""
    if isinstance(value, dict):
        return any(key != "id" for key in value)
    return value is not None and value != [] and value != ""


def extension_or_value(extension: Json) -> bool:
    """ext-1 natively: an Extension has nested extensions or a `value[x]`, not both."""
    has_value = any(key.startswith("value") for key in extension)
    return bool(extension.get("extension")) != has_value


def _narrative(focus: Any, _type: str, _resource: Json, _root: Json) -> bool:
    """dom-6: `text.div.exists()` on a DomainResource."""
    text = focus.get("text") if isinstance(focus, dict) else None
    return isinstance(text, dict) and "div" in text


def _html_checks(focus: Any, _type: str, _resource: Json, _root: Json) -> bool:
    """txt-1/txt-2 (`htmlChecks()`) lexically: a div with content and nothing active."""
    div = focus.get("div") if isinstance(focus, dict) else None
    if not isinstance(div, str):
        return True  # a missing div is Narrative.div's cardinality, not this invariant
    inner = re.sub(r"<[^>]*>", "", div)
    return div.lstrip().startswith("<div") and bool(inner.strip()) and not _ACTIVE.search(div)


def _local_reference(focus: Any, type_path: str, resource: Json, root: Json) -> bool:
    """ref-1 is about `#id` references only; any other reference holds without evaluation."""
    reference = focus.get("reference") if isinstance(focus, dict) else None
    if not (isinstance(reference, str) and reference.startswith("#")):
        return True
    check = _compiled(_REF_1)
    return check is None or check(focus, type_path, resource, root)


_REF_1 = (
    "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
    "%rootResource.contained.id.trace('ids'))"
)
_NATIVE: dict[str, ConstraintCheck] = {
    "dom-6": _narrative,
    "txt-1": _html_checks,
    "txt-2": _html_checks,
}
_GUARDED: dict[str, ConstraintCheck] = {"ref-1": _local_reference}


def _has_value(items: list[Any]) -> bool:
    return len(items) == 1 and items[0] is not None and not isinstance(items[0], dict | list)


def _resolve_contained(items: list[Any]) -> list[Any]:
    """`resolve()` for `#id` references: fhirpathpy passes no context, so the root is a ContextVar."""
    contained = (_ROOT.get() or {}).get("contained")
    found: list[Any] = []
    for item in items:
        ref = item.get("reference") if isinstance(item, dict) else None
        if isinstance(ref, str) and ref.startswith("#") and isinstance(contained, list):
            found += [c for c in contained if isinstance(c, dict) and c.get("id") == ref[1:]]
    return found


_ROOT: ContextVar[Json | None] = ContextVar("root", default=None)
_OPTIONS = {
    "traceFn": lambda *_: None,  # ref-1 calls trace(); fhirpathpy would print
    "userInvocationTable": {
        "hasValue": {"fn": _has_value, "arity": {0: []}},
        "resolve": {"fn": _resolve_contained, "arity": {0: []}},
    },
}


_AS = re.compile(r" as ([A-Za-z]+)|\.as\(")


def _of_type(match: re.Match[str]) -> str:
    """R4's invariants use `as` as a filter (`descendants().as(canonical)`); fhirpathpy applies
    FHIRPath's singleton rule to it and fails on several items, so it is asked for `ofType`."""
    return f".ofType({match[1]})" if match[1] else ".ofType("


@cache
def _compiled(expression: str) -> ConstraintCheck | None:
    """fhirpathpy's function for one expression text, or None when it cannot compile it."""
    try:
        function = fhirpathpy.compile(_AS.sub(_of_type, expression), models["r4"], _OPTIONS)
    except Exception:  # fhirpathpy raises plain Exceptions on what it cannot parse
        return None

    def check(focus: Any, type_path: str, resource: Json, root: Json) -> bool:
        node = ResourceNode.create_node(focus, type_path)  # type: ignore[no-untyped-call]
        _ROOT.set(root)
        result = function(node, {"resource": resource, "rootResource": root})
        return not (len(result) == 1 and result[0] is False)

    return check


def compile_constraints(element: Json) -> tuple[tuple[Constraint, ...], bool, bool]:
    """An element's constraints, less the natively checked ele-1 and ext-1 (returned as flags)."""
    found: list[Constraint] = []
    keys = set()
    for constraint in _each(element.get("constraint")):
        key = str(constraint.get("key", ""))
        keys.add(key)
        if key in NATIVE_STRUCTURAL or key in {c.key for c in found}:
            continue
        severity: Literal["error", "warning"] = (
            "warning" if constraint.get("severity") == "warning" else "error"
        )
        expression = constraint.get("expression")
        check = (
            _NATIVE.get(key)
            or _guarded(key, expression)
            or (_compiled(expression) if isinstance(expression, str) else None)
        )
        human = str(constraint.get("human", ""))
        found.append(
            Constraint(key, severity, human, check, needs_contained=key in NEEDS_CONTAINED)
        )
    return tuple(found), "ele-1" in keys, "ext-1" in keys


def _guarded(key: str, expression: Any) -> ConstraintCheck | None:
    """A cheap precondition in front of fhirpathpy, for the expression R4 gives that key."""
    return _GUARDED.get(key) if key == "ref-1" and expression == _REF_1 else None


def _each(value: Any) -> Iterable[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
