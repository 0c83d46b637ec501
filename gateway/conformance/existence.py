"""Invariants that only ask which elements exist, evaluated natively.

A third of R4's invariants are boolean combinations of `path.exists()` and `path.empty()`
(`obs-6` "dataAbsentReason.empty() or value.empty()", `vs-3`, `obs-3`, `per-1`'s kin), and many
more open with such a disjunct (`obs-7` "value.empty() or component.code.where(…)…"). Those
are compiled here into closures over the JSON: no FHIRPath engine per element. The grammar is
FHIRPath's (https://hl7.org/fhirpath/#boolean-logic; `and` binds tighter than `or`/`xor`, which
bind tighter than `implies`); `exists()` and `empty()` always give a boolean, so the logic is
two-valued. A path step naming a choice element (`value`) reaches any of its JSON names
(`valueQuantity`), by fhirpathpy's R4 model; a primitive exists when it has a value or an
extension (`_name`). Anything else in the text makes the expression not native (None).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fhirpathpy.models import models

Test = Callable[[Any, str], bool]  # (focus, its type path) -> value
_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))(?P<close_not>\.not\(\))?"
    r"|(?P<op>or|and|xor|implies)\b"
    r"|(?P<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.(?P<fn>exists|empty|hasValue)\(\)(?P<not>\.not\(\))?)"
)
_CHOICES: dict[str, list[str]] = models["r4"]["choiceTypePaths"]
_TYPES: dict[str, str] = models["r4"]["path2Type"]
_OPERATORS: dict[str, Callable[[bool, bool], bool]] = {
    "and": lambda a, b: a and b,
    "or": lambda a, b: a or b,
    "xor": lambda a, b: a != b,
    "implies": lambda a, b: (not a) or b,
}
_LEVELS = (("implies",), ("or", "xor"), ("and",))


def compile_existence(expression: str) -> Test | None:
    """The expression as a closure, when it is only existence tests and boolean logic."""
    tokens = _tokens(expression)
    if tokens is None:
        return None
    parser = _Parser(tokens)
    test = parser.expression(0)
    return test if test is not None and parser.at_end() else None


def shortcuts(expression: str) -> list[Test]:
    """Native tests any one of which, when true, settles the whole expression as true: its
    native top-level `or` operands; the negated native antecedent of a top-level `implies`; a
    `path.all(…)` or `path.where(…).empty()` chain over a path that reaches nothing."""
    if len(_split(expression, "xor")) > 1:
        return []
    implied = _split(expression, "implies")
    if len(implied) == 2:
        antecedent = compile_existence(implied[0])
        return [_negated(antecedent)] if antecedent is not None else []
    parts = _split(expression, "or") if len(implied) == 1 else []
    found = [compile_existence(part) or _empty_chain(part) for part in parts]
    if len(parts) == 1:
        found = [_empty_chain(expression)]
    return [test for test in found if test is not None]


def _split(expression: str, word: str) -> list[str]:
    """The operands of `word` at the top level (string literals and parentheses respected)."""
    masked = re.sub(r"'(?:[^'\\]|\\.)*'", lambda m: "_" * len(m[0]), expression)
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


def _negated(test: Test) -> Test:
    return lambda focus, type_path: not test(focus, type_path)


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
    return lambda focus, type_path: not _reach(focus, type_path, path)


_PATH = re.compile(r"[A-Za-z_]\w*(?:\.(?!where\(|select\(|ofType\(|all\()[A-Za-z_]\w*)*")
_LINK = re.compile(r"\.(where|select|ofType|all)\(")


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
        elif match["op"]:
            found.append(("op", match["op"], False))
        else:
            negate = (match["fn"] == "empty") != bool(match["not"])
            kind = "value" if match["fn"] == "hasValue" else "path"
            found.append((kind, match["path"], negate))
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
        while left is not None and self._peek() in _LEVELS[level]:
            operator = _OPERATORS[self.tokens[self.position][1]]
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
        if kind != "(":
            return None
        inner = self.expression(0)
        if inner is None or self.at_end() or self.tokens[self.position][0] != ")":
            return None
        negate = self.tokens[self.position][2]
        self.position += 1
        return (lambda focus, type_path: not inner(focus, type_path)) if negate else inner

    def _peek(self) -> str:
        if self.at_end() or self.tokens[self.position][0] != "op":
            return ""
        return self.tokens[self.position][1]


def _combine(operator: Callable[[bool, bool], bool], left: Test, right: Test) -> Test:
    return lambda focus, type_path: operator(left(focus, type_path), right(focus, type_path))


def _exists(path: tuple[str, ...], negate: bool, *, values: bool = False) -> Test:
    """`path.exists()`, `path.empty()` (negated) or `path.hasValue()` (a primitive's value)."""

    def test(focus: Any, type_path: str) -> bool:
        found = _reach(focus, type_path, path)
        if values:
            found = [v for v in found if not isinstance(v, dict | list)]
        return bool(found) != negate

    return test


def _reach(focus: Any, type_path: str, path: tuple[str, ...]) -> list[Any]:
    """The nodes a dotted path reaches from `focus` (arrays flattened, `_name` objects too)."""
    current: list[tuple[Any, str]] = [(focus, type_path)]
    for name in path:
        found: list[tuple[Any, str]] = []
        for item, item_type in current:
            if not isinstance(item, dict):
                continue
            choices = _CHOICES.get(f"{item_type}.{name}")
            keys = [(name + t, t) for t in choices] if choices else [(name, _type(item_type, name))]
            for key, key_type in keys:
                for value in (item.get(key), item.get("_" + key)):
                    if isinstance(value, list):
                        found += [(v, key_type) for v in value if v is not None]
                    elif value is not None:
                        found.append((value, key_type))
        current = found
    return [item for item, _ in current]


def _type(parent: str, name: str) -> str:
    path = f"{parent}.{name}"
    return _TYPES.get(path) or path
