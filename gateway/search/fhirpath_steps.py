"""Compiled FHIRPath steps, and the operators that combine two or more of them.

http://hl7.org/fhirpath/N1/#operations: `|` (union, duplicates removed), `=` / `!=`, and the
three-valued `and`, `or`, `xor`, `implies`. The compiler (`fhirpath_compile`) builds the
operands; this module only joins them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.jsonio import Json
from gateway.search.fhirpath_errors import UnsupportedExpression
from gateway.search.fhirpath_values import Element, Step, as_boolean, boolean, distinct, equal

# Three-valued logic of http://hl7.org/fhirpath/N1/#boolean-logic; None is the empty collection.
_LOGIC: dict[str, Callable[[bool | None, bool | None], bool | None]] = {
    "and": lambda a, b: False if False in (a, b) else (None if None in (a, b) else True),
    "or": lambda a, b: True if True in (a, b) else (None if None in (a, b) else False),
    "xor": lambda a, b: None if None in (a, b) else a != b,
    "implies": lambda a, b: True if a is False or b is True else (None if None in (a, b) else b),
}


@dataclass(frozen=True, slots=True)
class Scope:
    """What the compiler knows where a node is evaluated.

    `focus` is the set of type codes of the focus items (None: known only at run time, e.g.
    below a `Resource` element). `resource_type` is the type the expression is compiled for.
    """

    resource_type: str
    focus: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Compiled:
    """A step, the types its values may have, and whether it reads the compiled-for type.

    `applies` is False for a branch rooted at another type (`Observation.subject` compiled for
    Condition): FHIRPath evaluates it to empty, and a union keeps only the other branches.
    """

    step: Step
    types: frozenset[str] | None
    applies: bool = True


def union(branches: list[Compiled]) -> Compiled:
    """One step for a whole union: the branches for another type drop out at compile time."""
    kept = [branch for branch in branches if branch.applies]
    if not kept:
        return Compiled(lambda focus, root: [], frozenset(), applies=False)
    steps = [branch.step for branch in kept]
    result_types: frozenset[str] | None = frozenset()
    for branch in kept:
        result_types = (
            None if result_types is None or branch.types is None else result_types | branch.types
        )
    if len(steps) == 1:
        only = steps[0]
        return Compiled(lambda focus, root: distinct(only(focus, root)), result_types)

    def union(focus: list[Element], root: Json) -> list[Element]:
        return distinct([item for step in steps for item in step(focus, root)])

    return Compiled(union, result_types)


def binary(operator: str, left: Compiled, right: Compiled) -> Compiled:
    applies = left.applies or right.applies
    first, second = left.step, right.step
    if operator in ("=", "!="):
        negate = operator == "!="

        def compare(focus: list[Element], root: Json) -> list[Element]:
            outcome = equal(first(focus, root), second(focus, root))
            return [] if outcome is None else boolean(outcome != negate)

        return Compiled(compare, frozenset({"boolean"}), applies)
    logic = _LOGIC.get(operator)
    if logic is None:
        raise UnsupportedExpression(f"the FHIRPath operator `{operator}` is not supported")

    def combine(focus: list[Element], root: Json) -> list[Element]:
        outcome = logic(as_boolean(first(focus, root)), as_boolean(second(focus, root)))
        return [] if outcome is None else boolean(outcome)

    return Compiled(combine, frozenset({"boolean"}), applies)
