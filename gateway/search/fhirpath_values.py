"""FHIRPath collections as the compiled steps pass them: lists of (JSON value, FHIR type code).

Values are the JSON as stored, never copied or converted: a decimal stays the
`gateway.jsonio.ExactDecimal` (or `Decimal`) it was read as.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from decimal import Decimal
from typing import Any

import fhir_profiles
from gateway.jsonio import Json
from gateway.search.fhirpath_types import RESOURCE

Element = tuple[Any, str]
# The focus collection and the root resource -> the result collection.
Step = Callable[[list[Element], Json], list[Element]]

_TRUE: list[Element] = [(True, "boolean")]
_FALSE: list[Element] = [(False, "boolean")]


def typed(value: Any, type_code: str) -> Element:
    """`value` as an element of `type_code`; a Resource-typed one takes its `resourceType`
    when that is an R4 resource type (anything else a client sends stays `Resource`)."""
    if type_code == RESOURCE and isinstance(value, dict):
        kind = value.get("resourceType")
        if isinstance(kind, str) and kind in fhir_profiles.resource_types():
            return value, kind
        return value, RESOURCE
    return value, type_code


def boolean(value: bool) -> list[Element]:
    return list(_TRUE if value else _FALSE)


def literal_type(value: str | bool | int | Decimal) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return "decimal" if isinstance(value, Decimal) else "string"


def as_boolean(collection: list[Element]) -> bool | None:
    """Singleton evaluation (http://hl7.org/fhirpath/N1/#singleton-evaluation-of-collections).

    Empty is None; one boolean is itself; one other value is true. More than one is an error in
    FHIRPath; a search index treats it as no value (None), never as a failure.
    """
    if len(collection) != 1:
        return None
    value = collection[0][0]
    return value if isinstance(value, bool) else True


def equal(left: list[Element], right: list[Element]) -> bool | None:
    """FHIRPath `=`: None if either side is empty, else item by item, in order."""
    if not left or not right:
        return None
    if len(left) != len(right):
        return False
    return all(_same(a[0], b[0]) for a, b in zip(left, right, strict=True))


def distinct(collection: list[Element]) -> list[Element]:
    """The collection without repeated (equal) values, order kept: what FHIRPath `|` gives."""
    if len(collection) < 2:
        return collection
    seen: set[Hashable] = set()
    merged: list[Element] = []
    for item in collection:
        key = _frozen(item[0])
        if key not in seen:
            seen.add(key)
            merged.append(item)
    return merged


def _same(a: Any, b: Any) -> bool:
    """Equal values of comparable kinds: `true` is not `1`, a string is never a number."""
    if isinstance(a, bool) != isinstance(b, bool) or isinstance(a, str) != isinstance(b, str):
        return False
    return bool(a == b)


def _frozen(value: Any) -> Hashable:
    if isinstance(value, dict):
        return ("{", frozenset((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("[", tuple(_frozen(item) for item in value))
    return (type(value) is bool, isinstance(value, str), value)
