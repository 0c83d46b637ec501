"""Every compiled R4 expression of every type gives what fhirpathpy gives, on generated resources.

The corpus has a score of types; R4 has 146. For each type this builds a few resources from the
R4 element definitions: every element present (to a depth), each choice element in a different
variant per resource, references to several types (relative, absolute, contained, `urn:uuid:`),
and codes drawn from the literals R4's expressions compare with (`phone`, `successor`, ...). The
values mean nothing; the paths they sit on are what the extractors must get right.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

import fhir_profiles
from gateway.jsonio import Json
from gateway.search.fhirpath import compile_expression
from tests.search.fhirpath_engine import compare, engine
from tests.search.test_fhirpath_coverage import parameters

VARIANTS = 5
DEPTH = 4
# Variant v's references and codes are REFERENCES[v] / CODES[v] (a second array item takes the
# entry VARIANTS further), so each element meets each target type and each compared literal.
REFERENCES = (
    "Patient/p1", "Practitioner/pr1", "http://example.org/fhir/Location/l1", "RelatedPerson/r1",
    "#c1", "Group/g1", "urn:uuid:0b8d8a5e-7c41-4d6b-9d1c-0c7f", "Patient/p2/_history/2",
    "Device/d1", "Patient?identifier=x",
)  # fmt: skip
CODES = (
    "phone", "email", "successor", "predecessor", "derived-from", "depends-on", "composed-of",
    "x", "y", "z",
)  # fmt: skip
_PRIMITIVES: dict[str, tuple[Any, ...]] = {
    "boolean": (True, False),
    "integer": (3, 0),
    "positiveInt": (1, 7),
    "unsignedInt": (0, 5),
    "decimal": (1.5, 120),
    "date": ("2020-02-03", "2019"),
    "dateTime": ("2020-02-03T04:05:06Z", "2021-07"),
    "instant": ("2020-02-03T04:05:06.789Z",),
    "time": ("10:30:00",),
}


class Generator:
    """Values for one resource; `variant` picks choice types, references and codes."""

    def __init__(self, variant: int) -> None:
        self.variant = variant

    def resource(self, resource_type: str) -> Json:
        resource = {"resourceType": resource_type, **self.object(resource_type, DEPTH)}
        resource["contained"] = [{"resourceType": "Patient", "id": "c1"}]
        return resource

    def object(self, type_code: str, depth: int, item: int = 0) -> Json:
        elements = fhir_profiles.elements()[type_code]
        chosen: Json = {}
        for name, kind in self.choose(elements):
            if name in ("contained", "extension", "modifierExtension") and depth < DEPTH:
                continue
            value = self.value(kind, depth - 1, item)
            if value is not None:
                chosen[name] = self.array(value, kind, depth) if elements[name][1] else value
        return chosen

    def array(self, value: Any, kind: str, depth: int) -> list[Any]:
        """Near the root two items, and in odd variants the first again (unions drop repeats)."""
        second = self.value(kind, depth - 1, 1) if depth >= DEPTH - 1 else None
        if second is None:
            return [value]
        return [value, second, value] if self.variant % 2 else [value, second]

    def choose(self, elements: dict[str, list[Any]]) -> Iterator[tuple[str, str]]:
        """Each element, but of a choice group (`onsetDateTime`, `onsetAge`...) one variant."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for name, spec in elements.items():
            suffix = spec[0][:1].upper() + spec[0][1:]
            base = name[: -len(suffix)] if name.endswith(suffix) and name != suffix else name
            groups.setdefault(base or name, []).append((name, spec[0]))
        for members in groups.values():
            yield members[self.variant % len(members)]

    def value(self, kind: str, depth: int, item: int) -> Any:
        pick = self.variant + item * VARIANTS
        if kind in _PRIMITIVES:
            options = _PRIMITIVES[kind]
            return options[pick % len(options)]
        if kind == "Reference":
            return {"reference": REFERENCES[pick % len(REFERENCES)], "display": "d"}
        if kind == "Resource":
            return {"resourceType": "Patient", "id": f"r{pick}"} if depth > 0 else None
        if kind[:1].islower():
            return CODES[pick % len(CODES)]
        if depth <= 0:
            return None
        return self.object(kind, depth, item) or None


@cache
def resources(resource_type: str) -> tuple[Json, ...]:
    return tuple(Generator(variant).resource(resource_type) for variant in range(VARIANTS))


@pytest.mark.parametrize("resource_type", sorted({kind for kind, _, _ in parameters()}))
def test_extractors_agree_with_fhirpathpy_on_generated_resources(resource_type: str) -> None:
    disagreements = []
    found_values = 0
    for kind, code, expression in parameters():
        if kind != resource_type:
            continue
        ours, theirs = compile_expression(resource_type, expression), engine(expression)
        for resource in resources(resource_type):
            mine, engines = compare(ours(resource), theirs(resource))
            found_values += bool(mine)
            if mine != engines:
                disagreements.append((code, mine, engines))
    assert disagreements == []
    assert found_values  # the generated resources reach the type's parameters
