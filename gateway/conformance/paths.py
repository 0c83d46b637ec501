"""Simple FHIRPath paths (`component.code`, `value`) over an instance's JSON, for the native
invariants (`existence`, `shortcuts`).

https://hl7.org/fhirpath/#path-selection — a step names a child element; one naming a choice
element (`value`) reaches any of its JSON names (`valueQuantity`), by fhirpathpy's R4 model, and
a primitive's `_name` object counts as a node. The JSON keys a step reads are worked out once
per (type, name): a choice element of Observation has 22.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhirpathpy.models import models

_CHOICES: dict[str, list[str]] = models["r4"]["choiceTypePaths"]
_TYPES: dict[str, str] = models["r4"]["path2Type"]


def reach(focus: Any, type_path: str, path: tuple[str, ...]) -> list[Any]:
    """The nodes a dotted path reaches from `focus`, arrays flattened; a primitive's `_name`
    object counts as a node too (it exists, though it may have no value: compared, it is not
    a number, so the engine is asked)."""
    current: list[tuple[Any, str]] = [(focus, type_path)]
    for name in path:
        found: list[tuple[Any, str]] = []
        for item, item_type in current:
            if not isinstance(item, dict):
                continue
            keys, names = _step(item_type, name)
            if names.isdisjoint(item):  # most steps reach nothing: one test, not a get per key
                continue
            for key, key_type in keys:
                value = item.get(key)
                if isinstance(value, list):
                    found += [(v, key_type) for v in value if v is not None]
                elif value is not None:
                    found.append((value, key_type))
        current = found
    return [item for item, _ in current]


@cache
def _step(item_type: str, name: str) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    """The JSON keys (with their types) a path step `name` reads in an object of `item_type`:
    a choice element's every JSON name, each with its `_name` sibling; and those keys as a set."""
    choices = _CHOICES.get(f"{item_type}.{name}")
    named = [(name + t, t) for t in choices] if choices else [(name, _type(item_type, name))]
    keys = tuple((prefix + key, key_type) for key, key_type in named for prefix in ("", "_"))
    return keys, frozenset(key for key, _ in keys)


def _type(parent: str, name: str) -> str:
    path = f"{parent}.{name}"
    return _TYPES.get(path) or path


def present(focus: Any, type_path: str, name: str) -> bool:
    """`name.exists()`, as `reach` would find it, without collecting what it reaches."""
    if not isinstance(focus, dict):
        return False
    keys, names = _step(type_path, name)
    if names.isdisjoint(focus):
        return False
    for key, _ in keys:
        value = focus.get(key)
        if isinstance(value, list):
            if any(item is not None for item in value):
                return True
        elif value is not None:
            return True
    return False
