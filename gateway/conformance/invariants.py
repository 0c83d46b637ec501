"""Invariants (`ElementDefinition.constraint.expression`) compiled once, evaluated by fhirpathpy.

https://hl7.org/fhir/R4/conformance-rules.html#constraints — each expression is compiled once
per distinct text (the same base invariants recur in every StructureDefinition) with
`fhirpathpy.compile(expression, models["r4"])` and evaluated on each occurrence of its element
with `%resource` and `%rootResource` set. A constraint fails only when the expression gives
`false`; an empty result is no finding (FHIRPath's three-valued logic).

Before fhirpathpy: `natives` (ele-1, ext-1, dom-3, dom-6, txt-1/2 natively; guards on ref-1,
per-1, rng-2), then `existence` (expressions that only test existence, and native first
disjuncts of an `or`). fhirpathpy lacks `hasValue()` and `resolve()`; the engine gives it both (`resolve()` finds
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

from gateway.conformance.existence import AskEngine, compile_existence
from gateway.conformance.natives import GUARDS, NATIVE, NATIVE_STRUCTURAL, NEEDS_CONTAINED
from gateway.conformance.rules import Constraint, ConstraintCheck, Json
from gateway.conformance.shortcuts import shortcuts


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
ENGINE_OPTIONS = {
    "traceFn": lambda *_: None,  # ref-1 calls trace(); fhirpathpy would print
    "userInvocationTable": {
        "hasValue": {"fn": _has_value, "arity": {0: []}},
        "resolve": {"fn": _resolve_contained, "arity": {0: []}},
    },
}


# what makes an invariant's answer depend on more than its focus: the environment variables
# (%resource, %rootResource), resolve() (the root's contained resources) and the clock
_CONTEXT = re.compile(r"%|\bresolve\(|\bnow\(|\btoday\(|\btimeOfDay\(")
_AS = re.compile(r" as ([A-Za-z]+)|\.as\(")


def _of_type(match: re.Match[str]) -> str:
    """R4's invariants use `as` as a filter (`descendants().as(canonical)`); fhirpathpy applies
    FHIRPath's singleton rule to it and fails on several items, so it is asked for `ofType`."""
    return f".ofType({match[1]})" if match[1] else ".ofType("


@cache
def fhirpathpy_check(expression: str) -> ConstraintCheck | None:
    """fhirpathpy's function for one expression text, or None when it cannot compile it."""
    try:
        function = fhirpathpy.compile(_AS.sub(_of_type, expression), models["r4"], ENGINE_OPTIONS)
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
    """Native when the expression is within `existence`'s grammar (fhirpathpy for an occurrence
    beyond it); else fhirpathpy after the expression's `shortcuts` (when one holds, so does
    the whole)."""
    native = compile_existence(expression)
    engine = fhirpathpy_check(expression)
    if native is not None:

        def evaluate(focus: Any, type_path: str, resource: Json, root: Json) -> bool:
            try:
                return native(focus, type_path) is not False
            except AskEngine:
                if engine is None:
                    raise
                return engine(focus, type_path, resource, root)

        return evaluate
    settling = shortcuts(expression)
    if engine is None or not settling:
        return engine

    def check(focus: Any, type_path: str, resource: Json, root: Json) -> bool:
        if any(test(focus, type_path) for test in settling):
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
            NATIVE.get(key)
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
                contextual=_contextual(key, expression),
            )
        )
    return tuple(found), "ele-1" in keys, "ext-1" in keys


def _contextual(key: str, expression: Any) -> Callable[[Any], bool] | None:
    """Which occurrences of an invariant read more than their focus (`Constraint.contextual`):
    none, all, or (for a guarded one) those its guard leaves to the engine."""
    if key not in NEEDS_CONTAINED and not _CONTEXT.search(str(expression)):
        return None
    text, guard = GUARDS.get(key, ("", None))
    if guard is not None and expression == text and key not in NEEDS_CONTAINED:
        return lambda focus: guard(focus) is None
    return _always


def _always(_focus: Any) -> bool:
    return True


def _guarded(key: str, expression: Any) -> ConstraintCheck | None:
    """The guard of `_GUARDS` in front of the engine, for the expression R4 gives that key."""
    text, guard = GUARDS.get(key, ("", None))
    engine = fhirpathpy_check(text) if guard is not None and expression == text else None
    if guard is None or engine is None:
        return None

    def check(focus: Any, type_path: str, resource: Json, root: Json) -> bool:
        settled = guard(focus)
        return settled if settled is not None else engine(focus, type_path, resource, root)

    return check


def _each(value: Any) -> Iterable[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
