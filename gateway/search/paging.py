"""Sorting and keyset paging (search.html#sort, #paging).

Pages continue from the last row's sort values, never from an offset, so records added or
removed while a client pages neither repeat nor skip rows of the original result set. Every
sort ends with `_id`, making the order total. MongoDB orders a missing or null value before
any other, and its comparisons only match values of the same type: the conditions below say so
explicitly.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from gateway.errors import InvalidSearch
from gateway.search.model import NOTHING, Clause
from gateway.search.parameters import parameters_of

SortSpec = list[tuple[str, int]]  # (document field, 1 or -1)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page starts: after (or, going back, before) the row with these sort values."""

    values: tuple[Any, ...]  # one per sort field, `_id` last
    backwards: bool = False
    total: int | None = None


def sort_spec(resource_type: str, sort: tuple[tuple[str, bool], ...]) -> SortSpec:
    """`_sort` codes -> document fields, ending with `_id`."""
    known = parameters_of(resource_type)
    spec: SortSpec = []
    for code, descending in sort:
        parameter = known.get(code)
        if parameter is None or parameter.sort_path is None:
            raise InvalidSearch(f"Cannot sort {resource_type} by `{code}`.", expression="_sort")
        spec.append((parameter.sort_path, -1 if descending else 1))
    if not any(field == "_id" for field, _ in spec):
        spec.append(("_id", 1))
    return spec


def reversed_spec(spec: SortSpec) -> SortSpec:
    return [(field, -direction) for field, direction in spec]


def sort_values(document: dict[str, Any], spec: SortSpec) -> tuple[Any, ...]:
    return tuple(_get(document, field) for field, _ in spec)


def after(spec: SortSpec, values: tuple[Any, ...]) -> Clause:
    """Rows strictly after `values` in `spec` order (lexicographic over the sort fields)."""
    alternatives: list[Clause] = []
    for position, (field, direction) in enumerate(spec):
        equal_before = [_equals(f, values[i]) for i, (f, _) in enumerate(spec[:position])]
        beyond = _beyond(field, direction, values[position])
        if beyond is not NOTHING:
            alternatives.append(_and([*equal_before, beyond]))
    if not alternatives:
        return NOTHING
    return alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}


def _beyond(field: str, direction: int, value: Any) -> Clause:
    if direction == 1:  # ascending: nulls first, so after a null comes every non-null
        return {field: {"$ne": None}} if value is None else {field: {"$gt": value}}
    if value is None:  # descending: nulls come last; nothing is beyond them
        return NOTHING
    return {"$or": [{field: {"$lt": value}}, {field: None}]}


def _equals(field: str, value: Any) -> Clause:
    return {field: value}


def _and(clauses: list[Clause]) -> Clause:
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _get(document: Any, field: str) -> Any:
    for part in field.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(part)
    return document


def encode_cursor(cursor: Cursor) -> str:
    payload = {"v": [_encode(v) for v in cursor.values], "b": cursor.backwards, "t": cursor.total}
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(token: str, *, fields: int) -> Cursor:
    """Parse a `_cursor` this server made; anything else is a client error, never a crash."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        values = tuple(_decode(v) for v in payload["v"])
        total = payload.get("t")
        if len(values) != fields or not isinstance(payload.get("b"), bool):
            raise ValueError("shape")
        if total is not None and not isinstance(total, int):
            raise ValueError("total")
        return Cursor(values, payload["b"], total)
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as error:
        raise InvalidSearch(
            "The `_cursor` is not one this server issued for this search.", expression="_cursor"
        ) from error


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"d": value.isoformat()}
    if isinstance(value, float):
        return float(value)  # an ExactDecimal (gateway.jsonio) compares as its float
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        return datetime.fromisoformat(value["d"])
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError("value")
