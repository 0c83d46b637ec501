"""Document paths with array markers, turned into MongoDB filter keys.

`code.coding[]` with {system, code} becomes `{"code.coding": {"$elemMatch": {...}}}`, so both
conditions hold for the same Coding; without a marker, conditions become dotted keys.
"""

from __future__ import annotations

from typing import Any

from gateway.search.model import Clause


def dotted(path: str) -> str:
    """The plain dotted key of a path: `components[].code.coding[].code` -> dots only."""
    return path.replace("[]", "")


def nest(path: str, fields: dict[str, Any]) -> Clause:
    """Conditions on sub-fields of the element at `path`, each held by one array element.

    An empty sub-field name ("") is a condition on the element itself.
    """
    head, marker, tail = path.partition("[]")
    if not marker:
        return {_join(head, name): condition for name, condition in fields.items()}
    inner = nest(tail.lstrip("."), fields) if tail else dict(fields)
    if "" in inner:  # the element itself is a scalar: {$elemMatch: {$eq: ...}}
        condition = inner.pop("")
        inner = {**condition} if isinstance(condition, dict) else {"$eq": condition}
    return {head: {"$elemMatch": inner}}


def any_of(clauses: list[Clause]) -> Clause:
    if not clauses:
        return {"_id": {"$in": []}}
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def all_of(clauses: list[Clause]) -> Clause:
    clauses = [c for c in clauses if c]
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _join(head: str, name: str) -> str:
    if not name:
        return head
    return f"{head}.{name}" if head else name
