"""FHIRPath syntax trees -> Python closures over R4 JSON, built once per search parameter.

Each node becomes a `Step`: a function from the focus collection (and the root resource, for
`%resource` and contained references) to the result collection, so the per-resource work is
dictionary look-ups along precomputed keys. Member names are checked against the R4 element
definitions at compile time: a path R4 does not define is an UnsupportedExpression, never a
parameter that silently finds nothing.
"""

from __future__ import annotations

from dataclasses import replace

from gateway.jsonio import Json
from gateway.search import fhirpath_types as types
from gateway.search.fhirpath_errors import UnsupportedExpression
from gateway.search.fhirpath_functions import FUNCTIONS
from gateway.search.fhirpath_parse import (
    Binary,
    Call,
    Index,
    Literal,
    Member,
    Name,
    Node,
    TypeTest,
    Variable,
)
from gateway.search.fhirpath_references import reference_type
from gateway.search.fhirpath_steps import Compiled, Scope, binary, union
from gateway.search.fhirpath_values import Element, as_boolean, boolean, literal_type, typed


def compile_node(node: Node, scope: Scope) -> Compiled:
    """The step of `node`; UnsupportedExpression when it cannot be evaluated exactly."""
    match node:
        case Name(name):
            return _name(name, scope)
        case Member(base, name):
            return _member(compile_node(base, scope), name)
        case Call(Call(None, "resolve", ()), "is", (type_name,)):
            return _resolves_to(_type_argument(type_name), scope.resource_type)
        case Call(base, name, args):
            subject = _identity(scope) if base is None else compile_node(base, scope)
            return _call(subject, name, args, scope)
        case Index(base, index):
            return _index(compile_node(base, scope), index)
        case TypeTest(base, operator, type_name):
            wanted = _type_argument(Name(type_name))
            if operator == "is" and base == Call(None, "resolve", ()):
                return _resolves_to(wanted, scope.resource_type)
            return _type_filter(compile_node(base, scope), operator, wanted)
        case Binary("|", _, _):
            return union([compile_node(branch, scope) for branch in _branches(node)])
        case Binary(operator, left, right):
            return binary(operator, compile_node(left, scope), compile_node(right, scope))
        case Literal(value):
            constant = [(value, literal_type(value))]
            return Compiled(lambda focus, root: constant, frozenset({constant[0][1]}))
        case Variable(name):
            return _variable(name, scope)
    raise UnsupportedExpression(f"`{node}` is not supported")  # pragma: no cover - exhaustive


def _identity(scope: Scope) -> Compiled:
    return Compiled(lambda focus, root: focus, scope.focus)


def _name(name: str, scope: Scope) -> Compiled:
    """A leading name: a type filter when capitalised (`Patient.x`), else a member of the focus."""
    if not name[:1].isupper():
        return _member(_identity(scope), name)
    if not types.known_type(name):
        raise UnsupportedExpression(f"`{name}` is not an R4 type")
    if name in types.ABSTRACT_ROOTS or name == scope.resource_type:
        wanted = scope.resource_type if name in types.ABSTRACT_ROOTS else name
        if scope.focus is not None and all(types.matches(t, wanted) for t in scope.focus):
            return _identity(scope)  # the resource itself, known at compile time

        def of_type(focus: list[Element], root: Json) -> list[Element]:
            return [item for item in focus if types.matches(item[1], wanted)]

        narrowed = scope.focus if scope.focus is None else scope.focus & {wanted}
        return Compiled(of_type, narrowed)
    return Compiled(lambda focus, root: [], frozenset(), applies=False)


def _member(base: Compiled, name: str) -> Compiled:
    static = base.types
    if static is not None and types.RESOURCE in static:
        static = None
    table = {type_code: types.children(type_code, name) for type_code in static or ()}
    if static and base.applies and not any(table.values()):
        described = " or ".join(sorted(static))
        raise UnsupportedExpression(f"R4 defines no element `{name}` on {described}")
    result_types = (
        None if static is None else frozenset(kind for kids in table.values() for _, kind in kids)
    )
    inner = base.step

    def member(focus: list[Element], root: Json) -> list[Element]:
        found: list[Element] = []
        for value, type_code in inner(focus, root):
            if not isinstance(value, dict):
                continue
            kids = table.get(type_code)
            if kids is None:
                kids = table[type_code] = types.children(type_code, name)
            for key, child_type in kids:
                child = value.get(key)
                if child is None:
                    continue
                if isinstance(child, list):
                    found.extend(typed(item, child_type) for item in child if item is not None)
                else:
                    found.append(typed(child, child_type))
        return found

    return Compiled(member, result_types, base.applies)


def _call(subject: Compiled, name: str, args: tuple[Node, ...], scope: Scope) -> Compiled:
    if name in ("as", "ofType", "is"):
        if len(args) != 1:
            raise UnsupportedExpression(f"`{name}()` takes one type name")
        operator = "is" if name == "is" else "as"
        return _type_filter(subject, operator, _type_argument(args[0]))
    if name == "where" or (name == "exists" and args):
        if len(args) != 1:
            raise UnsupportedExpression(f"`{name}()` takes one criterion")
        where = _where(subject, compile_node(args[0], replace(scope, focus=subject.types)))
        return where if name == "where" else _call(where, "exists", (), scope)
    if name == "extension":
        return _extension(subject, args)
    if name == "resolve":
        raise UnsupportedExpression(
            "`resolve()` reads the referenced resource, which the index of one resource does "
            "not have; only `where(resolve() is Type)` is supported"
        )
    function = FUNCTIONS.get(name)
    if function is None or args:
        raise UnsupportedExpression(f"the FHIRPath function `{name}()` is not supported")
    apply, result_types = function
    inner = subject.step
    return Compiled(
        lambda focus, root: apply(inner(focus, root)),
        subject.types if result_types is None else result_types,
        subject.applies,
    )


def _where(subject: Compiled, criterion: Compiled) -> Compiled:
    inner, test = subject.step, criterion.step

    def where(focus: list[Element], root: Json) -> list[Element]:
        return [item for item in inner(focus, root) if as_boolean(test([item], root)) is True]

    return Compiled(where, subject.types, subject.applies)


def _extension(subject: Compiled, args: tuple[Node, ...]) -> Compiled:
    """`extension('url')`: the extensions with that url (R4 fhirpath.html#functions)."""
    if len(args) != 1 or not isinstance(args[0], Literal) or not isinstance(args[0].value, str):
        raise UnsupportedExpression("`extension()` takes one url literal")
    url, inner = args[0].value, subject.step

    def extension(focus: list[Element], root: Json) -> list[Element]:
        found: list[Element] = []
        for value, _ in inner(focus, root):
            extensions = value.get("extension") if isinstance(value, dict) else None
            for item in extensions if isinstance(extensions, list) else ():
                if isinstance(item, dict) and item.get("url") == url:
                    found.append((item, "Extension"))
        return found

    return Compiled(extension, frozenset({"Extension"}), subject.applies)


def _index(base: Compiled, index: Node) -> Compiled:
    if not isinstance(index, Literal) or type(index.value) is not int or index.value < 0:
        raise UnsupportedExpression("an indexer other than a literal 0, 1, 2... is not supported")
    position, inner = index.value, base.step
    return Compiled(
        lambda focus, root: inner(focus, root)[position : position + 1], base.types, base.applies
    )


def _type_filter(base: Compiled, operator: str, wanted: str) -> Compiled:
    """`as T` / `ofType(T)` keep the values of type T (or derived from it); `is T` tests one."""
    inner = base.step
    if operator == "is":

        def is_type(focus: list[Element], root: Json) -> list[Element]:
            values = inner(focus, root)
            return boolean(types.matches(values[0][1], wanted)) if len(values) == 1 else []

        return Compiled(is_type, frozenset({"boolean"}), base.applies)
    static = base.types
    if static is not None and types.RESOURCE not in static:
        static = frozenset(t for t in static if types.matches(t, wanted))
        if not static and base.applies:
            raise UnsupportedExpression(f"the element is never a `{wanted}` in R4")

    def as_type(focus: list[Element], root: Json) -> list[Element]:
        return [item for item in inner(focus, root) if types.matches(item[1], wanted)]

    return Compiled(as_type, static, base.applies)


def _resolves_to(wanted: str, root_type: str) -> Compiled:
    """`resolve() is T` on each Reference, from its `reference` alone (see `reference_type`)."""

    def resolves(focus: list[Element], root: Json) -> list[Element]:
        found = [reference_type(value, root, root_type) for value, _ in focus]
        return boolean(types.matches(found[0], wanted)) if len(found) == 1 and found[0] else []

    return Compiled(resolves, frozenset({"boolean"}))


def _branches(node: Node) -> list[Node]:
    """The operands of a chain of `|` (`a | b | c` parses as `(a | b) | c`)."""
    if isinstance(node, Binary) and node.operator == "|":
        return _branches(node.left) + _branches(node.right)
    return [node]


def _variable(name: str, scope: Scope) -> Compiled:
    if name == "$this":
        return _identity(scope)
    if name in ("%resource", "%rootResource", "%context"):
        root_type = scope.resource_type
        return Compiled(lambda focus, root: [(root, root_type)], frozenset({root_type}))
    raise UnsupportedExpression(f"the FHIRPath variable `{name}` is not supported")


def _type_argument(node: Node) -> str:
    """The type code of a type specifier written as a function argument or after `is`/`as`."""
    text = _dotted(node)
    try:
        return types.type_code(text)
    except KeyError:
        raise UnsupportedExpression(f"`{text}` is not an R4 type") from None


def _dotted(node: Node) -> str:
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Member):
        return f"{_dotted(node.base)}.{node.name}"
    raise UnsupportedExpression("a type name expected")
