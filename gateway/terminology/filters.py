"""ValueSet.compose filters evaluated over one held CodeSystem.

https://hl7.org/fhir/R4/valueset-definitions.html#ValueSet.compose.include.filter and the
filter-operator codes: `is-a`, `descendent-of`, `is-not-a`, `generalizes` on the hierarchy;
`=`, `in`, `not-in`, `regex`, `exists` on properties (`concept`/`code` mean the code itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gateway.terminology.codesystem import CodeSystemIndex
from gateway.terminology.model import Json

_Op = Callable[[CodeSystemIndex, str, str], frozenset[str]]


class UnsupportedFilter(Exception):
    """A filter this module cannot evaluate; the caller turns it into NotEnumerable."""


def apply(system: CodeSystemIndex, filter_: Json) -> frozenset[str]:
    """The codes of `system` that pass one filter."""
    prop, op, value = filter_.get("property"), filter_.get("op"), filter_.get("value")
    if not isinstance(prop, str) or not isinstance(op, str) or not isinstance(value, str):
        raise UnsupportedFilter("a filter without property, op and value")
    handler = _OPS.get(op)
    if handler is None:
        raise UnsupportedFilter(f"filter operator `{op}` is not supported")
    return handler(system, prop, value)


def _is_a(system: CodeSystemIndex, prop: str, value: str) -> frozenset[str]:
    _hierarchical(prop, "is-a")
    return system.descendants(value)


def _descendent_of(system: CodeSystemIndex, prop: str, value: str) -> frozenset[str]:
    _hierarchical(prop, "descendent-of")
    return system.descendants(value) - {value}


def _is_not_a(system: CodeSystemIndex, prop: str, value: str) -> frozenset[str]:
    _hierarchical(prop, "is-not-a")
    return frozenset(system.codes()) - system.descendants(value)


def _generalizes(system: CodeSystemIndex, prop: str, value: str) -> frozenset[str]:
    _hierarchical(prop, "generalizes")
    return system.ancestors(value)


def _equals(system: CodeSystemIndex, prop: str, value: str) -> frozenset[str]:
    return _where(system, prop, lambda values: value in values)


def _in(system: CodeSystemIndex, prop: str, value: str) -> frozenset[str]:
    wanted = {part.strip() for part in value.split(",")}
    return _where(system, prop, lambda values: bool(wanted.intersection(values)))


def _not_in(system: CodeSystemIndex, prop: str, value: str) -> frozenset[str]:
    return frozenset(system.codes()) - _in(system, prop, value)


def _regex(system: CodeSystemIndex, prop: str, value: str) -> frozenset[str]:
    try:
        pattern = re.compile(value)
    except re.error as error:
        raise UnsupportedFilter(f"regex `{value}` is not valid ({error})") from error
    return _where(system, prop, lambda values: any(pattern.fullmatch(v) for v in values))


def _exists(system: CodeSystemIndex, prop: str, value: str) -> frozenset[str]:
    wanted = value == "true"
    return _where(system, prop, lambda values: bool(values) == wanted)


def _where(system: CodeSystemIndex, prop: str, test: Callable[[list[str]], bool]) -> frozenset[str]:
    name = "code" if prop == "concept" else prop
    if not system.defines(name):  # e.g. a CodeSystem.filter whose meaning only its text gives
        raise UnsupportedFilter(f"property `{prop}` is not defined by the CodeSystem")
    return frozenset(code for code in system.codes() if test(system.property_values(code, name)))


def _hierarchical(prop: str, op: str) -> None:
    if prop not in ("concept", "code"):
        raise UnsupportedFilter(f"`{op}` applies to `concept`, not to `{prop}`")


_OPS: dict[str, _Op] = {
    "is-a": _is_a,
    "descendent-of": _descendent_of,
    "is-not-a": _is_not_a,
    "generalizes": _generalizes,
    "=": _equals,
    "in": _in,
    "not-in": _not_in,
    "regex": _regex,
    "exists": _exists,
}
