"""FHIRPath text -> syntax tree, for the expressions of search parameters.

The grammar and operator precedence of http://hl7.org/fhirpath/N1/#grammar, without date, time
and quantity literals (no R4 search parameter uses them). The parser knows no FHIR: what a tree
means, and whether the gateway can evaluate it, is `fhirpath_compile`'s business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from gateway.search.fhirpath_errors import UnsupportedExpression


@dataclass(frozen=True, slots=True)
class Name:
    """An identifier at the start of a path: a type name (`Patient`) or a member of the focus."""

    name: str


@dataclass(frozen=True, slots=True)
class Member:
    base: Node
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    """A function invocation; `base` None is a call on the focus (`where(resolve() is X)`)."""

    base: Node | None
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Index:
    base: Node
    index: Node


@dataclass(frozen=True, slots=True)
class TypeTest:
    """`x is T` / `x as T` (the operator forms)."""

    base: Node
    operator: str
    type_name: str


@dataclass(frozen=True, slots=True)
class Binary:
    operator: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | bool | int | Decimal


@dataclass(frozen=True, slots=True)
class Variable:
    """`%resource`, `%context`, `$this` ..."""

    name: str


Node = Name | Member | Call | Index | TypeTest | Binary | Literal | Variable

# Binary operators by precedence, loosest first (FHIRPath N1 §"Operator precedence").
_LEVELS: tuple[frozenset[str], ...] = (
    frozenset({"implies"}),
    frozenset({"or", "xor"}),
    frozenset({"and"}),
    frozenset({"in", "contains"}),
    frozenset({"=", "~", "!=", "!~"}),
    frozenset({"<", ">", "<=", ">="}),
    frozenset({"|"}),
    frozenset({"is", "as"}),
    frozenset({"+", "-", "&"}),
    frozenset({"*", "/", "div", "mod"}),
)
_TYPE_OPERATORS = frozenset({"is", "as"})
_WORD_OPERATORS = frozenset(
    {"implies", "or", "xor", "and", "in", "contains", "is", "as", "div", "mod"}
)

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<variable>[%$](?:[A-Za-z_][A-Za-z0-9_]*|`[^`]*`|'[^']*'))
    | (?P<identifier>[A-Za-z_][A-Za-z0-9_]*|`[^`]*`)
    | (?P<symbol><=|>=|!=|!~|[.()\[\],|=~<>+\-*/&])
    )""",
    re.VERBOSE,
)
# http://hl7.org/fhirpath/N1/#string: the escapes a string literal may hold.
_ESCAPES = {"f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str


def parse(expression: str) -> Node:
    """The syntax tree of `expression`; UnsupportedExpression when it is not FHIRPath we read."""
    parser = _Parser(_tokens(expression), expression)
    node = parser.expression(0)
    if parser.peek() is not None:
        raise parser.error(f"unexpected `{parser.peek_text()}`")
    return node


def _tokens(expression: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(expression):
        if expression[position:].strip() == "":
            break
        match = _TOKEN.match(expression, position)
        if match is None or match.lastgroup is None:
            raise UnsupportedExpression(
                f"`{expression}` is not FHIRPath the gateway reads (at `{expression[position:]}`)"
            )
        found.append(_Token(match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return found


class _Parser:
    """Recursive descent over the precedence levels; one method per grammar rule."""

    def __init__(self, tokens: list[_Token], expression: str) -> None:
        self.tokens, self.position, self.expression_text = tokens, 0, expression

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def peek_text(self) -> str:
        token = self.peek()
        return "" if token is None else token.text

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error("it ends too early")
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        if self.take().text != text:
            raise self.error(f"`{text}` expected")

    def error(self, reason: str) -> UnsupportedExpression:
        return UnsupportedExpression(
            f"`{self.expression_text}` is not FHIRPath the gateway reads: {reason}"
        )

    def operator_at(self, level: int) -> str | None:
        token = self.peek()
        if token is None or token.kind == "string":
            return None
        if token.kind == "identifier" and token.text not in _WORD_OPERATORS:
            return None
        return token.text if token.text in _LEVELS[level] else None

    def expression(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.expression(level + 1)
        while (operator := self.operator_at(level)) is not None:
            self.take()
            if operator in _TYPE_OPERATORS:
                left = TypeTest(left, operator, self.type_name())
            else:
                left = Binary(operator, left, self.expression(level + 1))
        return left

    def unary(self) -> Node:
        if self.peek_text() in ("+", "-"):
            sign = self.take().text
            operand = self.unary()
            if (
                sign == "-"
                and isinstance(operand, Literal)
                and type(operand.value) in (int, Decimal)
            ):
                return Literal(-operand.value)  # type: ignore[operator]
            raise self.error("a sign is supported on number literals only")
        return self.postfix(self.term())

    def postfix(self, node: Node) -> Node:
        while self.peek_text() in (".", "["):
            if self.take().text == "[":
                node = Index(node, self.expression(0))
                self.expect("]")
                continue
            name = _identifier(self.take(), self)
            node = self.call(node, name) if self.peek_text() == "(" else Member(node, name)
        return node

    def term(self) -> Node:
        token = self.take()
        if token.text == "(" and token.kind == "symbol":
            inner = self.expression(0)
            self.expect(")")
            return inner
        if token.kind == "string":
            return Literal(_unescape(token.text[1:-1]))
        if token.kind == "number":
            return Literal(Decimal(token.text) if "." in token.text else int(token.text))
        if token.kind == "variable":
            return Variable(token.text[0] + token.text[1:].strip("`'"))
        if token.kind == "identifier" and token.text in ("true", "false"):
            return Literal(token.text == "true")
        name = _identifier(token, self)
        return self.call(None, name) if self.peek_text() == "(" else Name(name)

    def call(self, base: Node | None, name: str) -> Node:
        self.expect("(")
        args: list[Node] = []
        while self.peek_text() != ")":
            if args:
                self.expect(",")
            args.append(self.expression(0))
        self.take()
        return Call(base, name, tuple(args))

    def type_name(self) -> str:
        parts = [_identifier(self.take(), self)]
        while self.peek_text() == ".":
            self.take()
            parts.append(_identifier(self.take(), self))
        return ".".join(parts)


def _identifier(token: _Token, parser: _Parser) -> str:
    if token.kind != "identifier":
        raise parser.error(f"a name expected, not `{token.text}`")
    return token.text.strip("`")


def _unescape(text: str) -> str:
    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _escape, text)


def _escape(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if len(code) == 5 else _ESCAPES.get(code, code)
