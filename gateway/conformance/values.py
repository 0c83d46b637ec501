"""fixed[x] and pattern[x] matching, and the values a slicing discriminator path selects.

https://hl7.org/fhir/R4/elementdefinition-definitions.html#ElementDefinition.fixed_x_ — fixed:
the instance SHALL be exactly the value; pattern (…#ElementDefinition.pattern_x_): the instance
SHALL contain what the pattern holds, each pattern array item matched by some instance item, and
may hold more. Numbers compare by value (`1.0` is `1`), as decimals do.
"""

from __future__ import annotations

from typing import Any

from gateway.conformance.rules import UNSET, ElementRule


def equals(instance: Any, fixed: Any) -> bool:
    """fixed[x]: exact equality, objects and arrays included."""
    if isinstance(fixed, dict):
        return (
            isinstance(instance, dict)
            and instance.keys() == fixed.keys()
            and all(equals(instance[k], v) for k, v in fixed.items())
        )
    if isinstance(fixed, list):
        return (
            isinstance(instance, list)
            and len(instance) == len(fixed)
            and all(equals(i, f) for i, f in zip(instance, fixed, strict=True))
        )
    return _scalar(instance, fixed)


def contains(instance: Any, pattern: Any) -> bool:
    """pattern[x]: the instance holds every element of the pattern, recursively."""
    if isinstance(pattern, dict):
        return isinstance(instance, dict) and all(
            k in instance and contains(instance[k], v) for k, v in pattern.items()
        )
    if isinstance(pattern, list):
        items = instance if isinstance(instance, list) else [instance]
        return all(any(contains(i, p) for i in items) for p in pattern)
    return _scalar(instance, pattern)


def _scalar(instance: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(instance, bool):
        return instance is expected
    if isinstance(expected, int | float) and isinstance(instance, int | float):
        return float(instance) == float(expected)
    return bool(instance == expected) and type(instance) is type(expected)


def select(value: Any, path: tuple[str, ...]) -> list[Any]:
    """The values a simple FHIRPath (`coding.code`, `url`) reaches in JSON, arrays flattened."""
    current = value if isinstance(value, list) else [value]
    for name in path:
        found: list[Any] = []
        for item in current:
            child = item.get(name) if isinstance(item, dict) else None
            if isinstance(child, list):
                found += child
            elif child is not None:
                found.append(child)
        current = found
    return current


def expected_at(rule: ElementRule, path: tuple[str, ...]) -> tuple[str, Any] | None:
    """What a slice fixes at a discriminator path: ("fixed" | "pattern", value), or None.

    Follows the slice's child rules; a fixed or pattern value met on the way (a pattern on
    `code` for the path `code.coding.code`) gives the part of it the rest of the path names.
    An extension slice's `url` is its `type.profile` when the snapshot does not fix it.
    """
    node = rule
    for depth, name in enumerate(path):
        for kind, value in (("fixed", node.fixed), ("pattern", node.pattern)):
            if value is not UNSET:
                found = select(value, path[depth:])
                return (kind, found[0]) if len(found) == 1 else None
        child = node.children.get(name) or _through_slice(node, name)
        if child is None:
            profiles = node.type_profiles.get("Extension", ())
            extension_url = name == "url" and profiles and depth == len(path) - 1
            return ("fixed", profiles[0]) if extension_url else None
        node = child
    if node.fixed is not UNSET:
        return "fixed", node.fixed
    if node.pattern is not UNSET:
        return "pattern", node.pattern
    return None


def _through_slice(node: ElementRule, name: str) -> ElementRule | None:
    """A child the snapshot defines only inside a required slice (`coding:SBPCode.code`)."""
    for slice_ in node.slices:
        if slice_.min > 0 and name in slice_.children:
            return slice_.children[name]
    return None
