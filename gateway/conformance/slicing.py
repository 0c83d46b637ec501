"""Slices told apart by `value` and `pattern` discriminators.

https://hl7.org/fhir/R4/profiling.html#discriminator — at compile time each slice gets what it
fixes at each discriminator path (`code`, `url`, `coding.code`, `$this`); at validation time an
item belongs to the first slice all of whose discriminators it meets. `type` on a choice element
is handled by the compiler (`value[x]:valueQuantity`); `exists`, `profile` and `type` elsewhere,
or a slice fixing nothing at a path, make the slicing one this engine does not tell apart: its
items are then checked against the sliced element alone, with a warning.
"""

from __future__ import annotations

from typing import Any

from gateway.conformance.rules import ElementRule
from gateway.conformance.values import contains, equals, expected_at, select


def prepare(rule: ElementRule) -> None:
    """Precompute `rule.matchers` (or `rule.unsupported_slicing`) for a sliced element."""
    if not rule.slices:
        return
    if not rule.discriminators:
        rule.unsupported_slicing = "the slicing has no discriminator"
        return
    matchers = []
    for slice_ in rule.slices:
        tests = []
        for discriminator in rule.discriminators:
            expected = (
                expected_at(slice_, discriminator.path)
                if discriminator.type in ("value", "pattern")
                else None
            )
            if expected is None:
                path = ".".join(discriminator.path) or "$this"
                rule.unsupported_slicing = (
                    f"slice `{slice_.slice_name}` has no fixed or pattern value at the "
                    f"{discriminator.type} discriminator `{path}`"
                )
                return
            tests.append((discriminator.path, *expected))
        matchers.append((slice_, tuple(tests)))
    rule.matchers = tuple(matchers)


def slice_of(rule: ElementRule, item: Any) -> ElementRule | None:
    """The slice `item` belongs to, or None when it meets no slice's discriminators."""
    for slice_, tests in rule.matchers:
        if all(_meets(item, path, kind, value) for path, kind, value in tests):
            return slice_
    return None


def _meets(item: Any, path: tuple[str, ...], kind: str, expected: Any) -> bool:
    match = equals if kind == "fixed" else contains
    return any(match(found, expected) for found in select(item, path))
