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
- `dom-3` "contained resources are referenced from the resource, or refer to it" (fhirpathpy
  walks `descendants()` four times, tens of milliseconds on a large resource): natively, one
  walk collecting `reference` values and `#…` strings;
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
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import cache
from typing import Any, Literal

import fhirpathpy
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

from gateway.conformance.existence import compile_existence, native_disjuncts
from gateway.conformance.rules import Constraint, ConstraintCheck, Json

NATIVE_STRUCTURAL = frozenset({"ele-1", "ext-1"})
NEEDS_CONTAINED = frozenset({"dom-2", "dom-3", "dom-4", "dom-5"})  # hold without `contained`
_ACTIVE_TAGS = ("<script", "<object", "<applet", "<iframe", "<embed", "<form", "<input", "<style")
_EVENT = re.compile(r"on[a-z]+\s*=")
_CONTENT = re.compile(r">[^<]*[^<\s]|<img\b")  # some text between tags, or an image


def has_value_or_children(value: Any) -> bool:
    """ele-1 natively: a primitive has a value; an object has an element besides `id`."""
    if isinstance(value, dict):
        return any(key != "id" and v is not None and v != [] for key, v in value.items())
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
    div = focus.get("div") if isinstance(focus, dict) else focus
    if not isinstance(div, str):
        return True  # a missing div is Narrative.div's cardinality, not this invariant
    return div.lstrip().startswith("<div") and bool(_CONTENT.search(div)) and not _active(div)


def _active(div: str) -> bool:
    """Script or an event attribute; substring searches, as regexes over a div are slow."""
    lower = div.lower().replace("\n", " ").replace("\t", " ")
    if any(tag in lower for tag in _ACTIVE_TAGS):
        return True
    at = lower.find(" on")
    while at != -1:
        if _EVENT.match(lower, at + 1):
            return True
        at = lower.find(" on", at + 3)
    return False


def _contained_referenced(focus: Any, _type: str, _resource: Json, _root: Json) -> bool:
    """dom-3: each contained resource is referenced (`#id`) from the resource, or refers to it
    (`#`). A reference is a `reference` value or any `#…` string (a canonical, uri or url)."""
    contained = focus.get("contained") if isinstance(focus, dict) else None
    if not isinstance(contained, list):
        return True
    references: set[str] = set()
    _references(focus, references)
    for resource in contained:
        local = resource.get("id") if isinstance(resource, dict) else None
        if f"#{local}" in references:
            continue
        own: set[str] = set()
        _references(resource, own)
        if "#" not in own:
            return False
    return True


def _references(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key == "reference" or item.startswith("#")):
                found.add(item)
            elif isinstance(item, dict | list):
                _references(item, found)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str) and item.startswith("#"):
                found.add(item)
            else:
                _references(item, found)


_NATIVE: dict[str, ConstraintCheck] = {
    "dom-3": _contained_referenced,
    "dom-6": _narrative,
    "txt-1": _html_checks,
    "txt-2": _html_checks,
}


def _local_reference(focus: Any) -> bool | None:
    """ref-1 is about `#id` references only: any other holds without the engine."""
    reference = focus.get("reference") if isinstance(focus, dict) else None
    return None if isinstance(reference, str) and reference.startswith("#") else True


def _period_order(focus: Any) -> bool | None:
    """per-1 where start and end have one precision and one time zone (or no time): text order."""
    start = focus.get("start") if isinstance(focus, dict) else None
    end = focus.get("end") if isinstance(focus, dict) else None
    if not (isinstance(start, str) and isinstance(end, str)):
        return True
    same_zone = start[-1] == end[-1] == "Z" or (start[-6:] == end[-6:] and start[-6:-5] in "+-")
    comparable = len(start) == len(end) and (len(start) <= 10 or same_zone)
    return start <= end if comparable else None


# Invariants a cheap look at the focus often settles (None: ask the engine), for R4's text
_GUARDS: dict[str, tuple[str, Callable[[Any], bool | None]]] = {
    "ref-1": (
        "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
        "%rootResource.contained.id.trace('ids'))",
        _local_reference,
    ),
    "per-1": ("start.hasValue().not() or end.hasValue().not() or (start <= end)", _period_order),
}


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


@cache
def _checker(expression: str) -> ConstraintCheck | None:
    """Native when the expression only tests existence (see `existence`); else fhirpathpy, with
    any native top-level `or` operand tried first (when one holds, so does the whole)."""
    native = compile_existence(expression)
    if native is not None:
        return lambda focus, type_path, _resource, _root: native(focus, type_path)
    engine = _compiled(expression)
    shortcuts = native_disjuncts(expression)
    if engine is None or not shortcuts:
        return engine

    def check(focus: Any, type_path: str, resource: Json, root: Json) -> bool:
        if any(test(focus, type_path) for test in shortcuts):
            return True
        return engine(focus, type_path, resource, root)

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
            or (_checker(expression) if isinstance(expression, str) else None)
        )
        human = str(constraint.get("human", ""))
        found.append(
            Constraint(
                key,
                severity,
                human,
                str(expression),
                check,
                needs_contained=key in NEEDS_CONTAINED,
            )
        )
    return tuple(found), "ele-1" in keys, "ext-1" in keys


def _guarded(key: str, expression: Any) -> ConstraintCheck | None:
    """The guard of `_GUARDS` in front of the engine, for the expression R4 gives that key."""
    text, guard = _GUARDS.get(key, ("", None))
    engine = _compiled(text) if guard is not None and expression == text else None
    if guard is None or engine is None:
        return None

    def check(focus: Any, type_path: str, resource: Json, root: Json) -> bool:
        settled = guard(focus)
        return settled if settled is not None else engine(focus, type_path, resource, root)

    return check


def _each(value: Any) -> Iterable[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
