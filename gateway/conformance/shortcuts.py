"""Native tests that settle an invariant as holding before fhirpathpy is asked.

https://hl7.org/fhirpath/#boolean-logic — `A or B` holds when A is true, `A implies B` when A is
false, whatever B is; a chain of `where`/`select`/`ofType`/`all` over a path that reaches
nothing is empty, so `….empty()` and `….all(…)` of it are true. Where A (or the path) is within
`existence`'s grammar, that costs a dictionary look-up instead of an engine call.
"""

from __future__ import annotations

import re
from typing import Any

from gateway.conformance.existence import AskEngine, Test, compile_existence
from gateway.conformance.paths import reach

_PATH = re.compile(r"[A-Za-z_]\w*(?:\.(?!where\(|select\(|ofType\(|all\()[A-Za-z_]\w*)*")
_LINK = re.compile(r"\.(where|select|ofType|all)\(")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")


def shortcuts(expression: str) -> list[Test]:
    """Native tests any one of which, when true, settles the whole expression as true: its
    native top-level `or` operands; the negated native antecedent of a top-level `implies`; a
    `path.all(…)` or `path.where(…).empty()` chain over a path that reaches nothing."""
    if len(_split(expression, "xor")) > 1:
        return []
    implied = _split(expression, "implies")
    if len(implied) == 2:
        antecedent = compile_existence(implied[0])
        return [_is(antecedent, False)] if antecedent is not None else []
    parts = _split(expression, "or") if len(implied) == 1 else []
    found = [_true(compile_existence(part)) or _empty_chain(part) for part in parts]
    if len(parts) == 1:
        found = [_empty_chain(expression)]
    return [test for test in found if test is not None]


def _split(expression: str, word: str) -> list[str]:
    """The operands of `word` at the top level (string literals and parentheses respected)."""
    masked = _STRING.sub(lambda m: "_" * len(m[0]), expression)
    parts, depth, start = [], 0, 0
    for match in re.finditer(rf"\(|\)|\b{word}\b", masked):
        if match[0] == "(":
            depth += 1
        elif match[0] == ")":
            depth -= 1
        elif depth == 0:
            parts.append(expression[start : match.start()])
            start = match.end()
    return [*parts, expression[start:]]


def _is(test: Test, wanted: bool) -> Test:
    """True when `test` gives `wanted`; an occurrence beyond it settles nothing."""

    def settled(focus: Any, type_path: str) -> bool:
        try:
            return test(focus, type_path) is wanted
        except AskEngine:
            return False

    return settled


def _true(test: Test | None) -> Test | None:
    return _is(test, True) if test is not None else None


def _empty_chain(text: str) -> Test | None:
    """`path.where(…).empty()` or `path.where(…).all(…)` (`where`, `select`, `ofType`, `all`
    links): true whenever `path` reaches nothing, as each link keeps an empty input empty and
    `all()` and `empty()` of nothing are true."""
    text = text.strip()
    match = _PATH.match(text)
    if match is None:
        return None
    position, last = match.end(), ""
    while (link := _LINK.match(text, position)) is not None:
        depth, position, last = 1, link.end(), link[1]
        while depth and position < len(text):
            depth += {"(": 1, ")": -1}.get(text[position], 0)
            position += 1
    rest = text[position:].strip()
    if not last or not (rest == ".empty()" or (rest == "" and last == "all")):
        return None
    path = tuple(match[0].split("."))
    return lambda focus, type_path: not reach(focus, type_path, path)
