"""Invariants that only test existence and compare single values, evaluated natively.

A third of R4's invariants are boolean combinations of `path.exists()`, `path.empty()` and
`path.hasValue()` (`obs-6` "dataAbsentReason.empty() or value.empty()", `vs-3`, `obs-3`), and
profiles add comparisons of one number with another (`(low.exists() and high.exists()) implies
low.value <= high.value`). Those are compiled here into closures over the JSON: no FHIRPath
engine per element. The grammar is FHIRPath's (https://hl7.org/fhirpath/#boolean-logic: `and`
binds tighter than `or`/`xor`, which bind tighter than `implies`), with its three-valued logic
(None is the empty result; an invariant fails only on false), the right side of `and`, `or`
and `implies` evaluated only when the left does not settle it. Paths are followed by `paths`
(a choice step `value` reaches `valueQuantity`; a primitive exists when it has a value or an
extension `_name`). A comparison whose sides are
not one number each (dates, strings, several items) raises `AskEngine`: the caller asks
fhirpathpy. Any other text makes the expression not native (None).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gateway.conformance.paths import present, reach

Value = bool | None  # None: FHIRPath's empty result
Test = Callable[[Any, str], Value]  # (focus, its type path) -> value
_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))(?P<close_not>\.not\(\))?"
    r"|(?P<op>or|and|xor|implies)\b"
    r"|(?P<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.(?P<fn>exists|empty|hasValue)\(\)(?P<not>\.not\(\))?"
    r"|(?P<compare><=|>=|!=|<|>|=)"
    r"|(?P<number>-?\d+(?:\.\d+)?)\b"
    r"|(?P<operand>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*))"
)
_LEVELS = (("implies",), ("or", "xor"), ("and",))
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


class AskEngine(Exception):
    """This occurrence is beyond the native evaluator (a comparison of non-numbers)."""


def compile_existence(expression: str) -> Test | None:
    """The expression as a closure, when it is within the native grammar."""
    tokens = _tokens(expression)
    if tokens is None:
        return None
    parser = _Parser(tokens)
    test = parser.expression(0)
    return test if test is not None and parser.at_end() else None


def _tokens(expression: str) -> list[tuple[str, str, bool]] | None:
    found, position = [], 0
    text = expression.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            return None
        position = match.end()
        if match["open"]:
            found.append(("(", "", False))
        elif match["close"]:
            found.append((")", "", bool(match["close_not"])))
        elif match["path"]:
            negate = (match["fn"] == "empty") != bool(match["not"])
            kind = "value" if match["fn"] == "hasValue" else "path"
            found.append((kind, match["path"], negate))
        else:
            kind = next(k for k in ("op", "compare", "number", "operand") if match[k])
            found.append((kind, match[kind], False))
    return found


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, bool]]) -> None:
        self.tokens, self.position = tokens, 0

    def at_end(self) -> bool:
        return self.position == len(self.tokens)

    def expression(self, level: int) -> Test | None:
        if level == len(_LEVELS):
            return self.atom()
        left = self.expression(level + 1)
        while left is not None and self._peek("op") in _LEVELS[level]:
            operator = _LOGIC[self.tokens[self.position][1]]
            self.position += 1
            right = self.expression(level + 1)
            if right is None:
                return None
            left = _combine(operator, left, right)
        return left

    def atom(self) -> Test | None:
        if self.at_end():
            return None
        kind, text, negate = self.tokens[self.position]
        self.position += 1
        if kind in ("path", "value"):
            return _exists(tuple(text.split(".")), negate, values=kind == "value")
        if kind in ("number", "operand"):
            return self._comparison(kind, text)
        if kind != "(":
            return None
        inner = self.expression(0)
        if inner is None or self._peek(")") is None:
            return None
        negate = self.tokens[self.position][2]
        self.position += 1
        return _not(inner) if negate else inner

    def _comparison(self, kind: str, text: str) -> Test | None:
        operator = self._peek("compare")
        if operator is None or self.position + 1 >= len(self.tokens):
            return None
        other_kind, other, _ = self.tokens[self.position + 1]
        if other_kind not in ("number", "operand"):
            return None
        self.position += 2
        return _compare(_operand(kind, text), _COMPARE[operator], _operand(other_kind, other))

    def _peek(self, kind: str) -> str | None:
        if self.at_end() or self.tokens[self.position][0] != kind:
            return None
        return self.tokens[self.position][1]


def _and(a: Value, b: Value) -> Value:
    return False if a is False or b is False else (None if a is None or b is None else True)


def _or(a: Value, b: Value) -> Value:
    return True if a is True or b is True else (None if a is None or b is None else False)


def _xor(a: Value, b: Value) -> Value:
    return None if a is None or b is None else a != b


def _implies(a: Value, b: Value) -> Value:
    return True if a is False else (b if a is True else (True if b is True else None))


_LOGIC: dict[str, Callable[[Value, Value], Value]] = {
    "and": _and,
    "or": _or,
    "xor": _xor,
    "implies": _implies,
}


# the left operand's value that settles `and`, `or`, `implies` whatever the right one is
_SETTLES: dict[Callable[[Value, Value], Value], tuple[bool, bool]] = {
    _and: (False, False),
    _or: (True, True),
    _implies: (False, True),
}


def _combine(operator: Callable[[Value, Value], Value], left: Test, right: Test) -> Test:
    """`left operator right`, the right side not evaluated when the left settles it (`false
    and x` is false whatever x is, even a comparison only the engine could make)."""
    if operator not in _SETTLES:
        return lambda focus, type_path: operator(left(focus, type_path), right(focus, type_path))
    settling, settled = _SETTLES[operator]

    def combined(focus: Any, type_path: str) -> Value:
        first = left(focus, type_path)
        if first is settling:
            return settled
        return operator(first, right(focus, type_path))

    return combined


def _not(test: Test) -> Test:
    def negated(focus: Any, type_path: str) -> Value:
        value = test(focus, type_path)
        return None if value is None else not value

    return negated


def _exists(path: tuple[str, ...], negate: bool, *, values: bool = False) -> Test:
    """`path.exists()`, `path.empty()` (negated) or `path.hasValue()` (a primitive's value)."""

    def test(focus: Any, type_path: str) -> bool:
        found = reach(focus, type_path, path)
        if values:
            found = [v for v in found if not isinstance(v, dict | list)]
        return bool(found) != negate

    def one_step(focus: Any, type_path: str) -> bool:
        return present(focus, type_path, path[0]) != negate

    return one_step if len(path) == 1 and not values else test


Operand = Callable[[Any, str], list[Any]]


def _operand(kind: str, text: str) -> Operand:
    if kind == "number":
        number = float(text)
        return lambda _focus, _type_path: [number]
    path = tuple(text.split("."))
    return lambda focus, type_path: reach(focus, type_path, path)


def _compare(left: Operand, compare: Callable[[float, float], bool], right: Operand) -> Test:
    def test(focus: Any, type_path: str) -> Value:
        a, b = left(focus, type_path), right(focus, type_path)
        if not a or not b:
            return None
        if len(a) > 1 or len(b) > 1 or not all(_number(v) for v in (*a, *b)):
            raise AskEngine
        return compare(a[0], b[0])

    return test


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
