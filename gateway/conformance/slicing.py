"""Slices told apart by `value` and `pattern` discriminators.

https://hl7.org/fhir/R4/profiling.html#discriminator — at compile time each slice gets what it
fixes at each discriminator path (`code`, `url`, `coding.code`, `$this`); at validation time an
item belongs to the first slice all of whose discriminators it meets. `type` on a choice element
is handled by the compiler (`value[x]:valueQuantity`); `exists`, `profile` and `type` elsewhere,
or a slice fixing nothing at a path, make the slicing one this engine does not tell apart: its
items are then checked against the sliced element alone, with a warning. `check` walks a
sliced element's items, each against its slice, then counts each slice's against its min/max.
"""

from __future__ import annotations

from typing import Any, Protocol

from gateway.conformance.rules import ElementRule, Json
from gateway.conformance.values import contains, equals, expected_at, select
from gateway.errors import Severity


class Walker(Protocol):
    """What `check` needs of the walk (`walk.Walk`)."""

    selecting: bool

    def report(
        self, severity: Severity, code: str, key: str, message: str, expression: str
    ) -> None: ...

    def value(
        self, item: Any, rule: ElementRule, type_code: str, path: str, resource: Json
    ) -> None: ...


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


def check(
    walk: Walker, items: list[Any], rule: ElementRule, type_code: str, path: str, resource: Json
) -> bool:
    """A sliced element's items, each checked against its slice, and the slices' counts; True
    when the caller should check the items itself (slices this engine cannot tell apart)."""
    if rule.unsupported_slicing:
        if not walk.selecting:
            walk.report(
                "warning",
                "not-supported",
                rule.id,
                f"slices not checked: {rule.unsupported_slicing}",
                path,
            )
        return True
    counts = dict.fromkeys((s.id for s in rule.slices), 0)
    for index, item in enumerate(items):
        item_path = f"{path}[{index}]"
        found = slice_of(rule, item)
        if found is not None:
            counts[found.id] += 1
        elif rule.closed:
            walk.report(
                "error",
                "structure",
                rule.id,
                "matches no slice and the slicing is closed",
                item_path,
            )
        if item is not None:
            walk.value(item, found or rule, type_code, item_path, resource)
    if walk.selecting and not any(counts.values()) and all(s.min == 0 for s in rule.slices):
        # R4's vitalspanel fixes its LOINC code in an optional slice: still what selects it
        walk.report("error", "value", rule.id, "meets none of the slices", path)
    for slice_ in rule.slices:
        count = counts[slice_.id]
        if count < slice_.min:
            walk.report(
                "error",
                "required",
                slice_.id,
                f"slice `{slice_.slice_name}` needs at least {slice_.min}, found {count}",
                path,
            )
        elif slice_.max is not None and count > slice_.max:
            walk.report(
                "error",
                "structure",
                slice_.id,
                f"slice `{slice_.slice_name}` allows at most {slice_.max}, found {count}",
                path,
            )
    return False
