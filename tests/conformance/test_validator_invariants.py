"""The natively checked invariants agree with fhirpathpy on the corpus and on edge cases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fhirpathpy
import pytest
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

from gateway.conformance import base_profile
from gateway.conformance.existence import AskEngine, compile_existence
from gateway.conformance.invariants import ENGINE_OPTIONS
from gateway.conformance.natives import (
    extension_or_value,
    has_value_or_children,
    html_checks,
    narrative,
)
from tests.conftest import samples_dir

_DIR = samples_dir()
EXAMPLES = sorted((_DIR / "hl7-r4").glob("*.json")) if _DIR else []
CHILDREN = fhirpathpy.compile("children().count() > id.count()", models["r4"])
EXT_1 = fhirpathpy.compile("extension.exists() != value.exists()", models["r4"])
DOM_6 = fhirpathpy.compile("text.`div`.exists()", models["r4"])
EXTENSIONS = [
    {"url": "u", "valueString": "a"},
    {"url": "u", "extension": [{"url": "v", "valueCode": "c"}]},
    {"url": "u"},
    {"url": "u", "valueString": "a", "extension": [{"url": "v", "valueCode": "c"}]},
    {"url": "u", "extension": []},
]
OBJECTS: list[Any] = [{}, {"id": "a"}, {"id": "a", "text": "x"}, {"coding": []}, {"extension": []}]


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _corpus() -> list[dict[str, Any]]:
    import json

    if not EXAMPLES:
        pytest.skip("third-party FHIR samples not found: set FHIR_SAMPLES_DIR")
    return [o for p in EXAMPLES for o in _objects(json.loads(p.read_text("utf-8")))]


@pytest.mark.corpus
def test_ele_1_agrees_with_fhirpathpy_on_every_object_of_the_corpus() -> None:
    objects = [*_corpus(), *OBJECTS]
    assert len(objects) > 1000
    for obj in objects:
        node = ResourceNode.create_node(obj, "Element")  # children() needs a path to extend
        assert has_value_or_children(obj) == (CHILDREN(node) == [True]), obj


def test_ele_1_on_primitives() -> None:
    assert has_value_or_children("a")
    assert has_value_or_children(False)
    assert not has_value_or_children(None)


@pytest.mark.corpus
def test_ext_1_agrees_with_fhirpathpy() -> None:
    extensions = [o for o in _corpus() if isinstance(o.get("url"), str) and len(o) > 1]
    extensions += [o for o in _corpus() if "url" in o and any(k.startswith("value") for k in o)]
    for extension in [*extensions, *EXTENSIONS]:
        node = ResourceNode.create_node(extension, "Extension")
        assert extension_or_value(extension) == (EXT_1(node) == [True]), extension


@pytest.mark.corpus
def test_dom_6_agrees_with_fhirpathpy() -> None:
    import json

    resources = [json.loads(p.read_text("utf-8")) for p in EXAMPLES]
    resources += [
        {"resourceType": "Patient"},
        {"resourceType": "Patient", "text": {"status": "empty"}},
    ]
    for resource in resources:
        assert narrative(resource, "", resource, resource) == (DOM_6(resource) == [True])


@pytest.mark.parametrize(
    ("div", "holds"),
    [
        ('<div xmlns="http://www.w3.org/1999/xhtml"><p>Hello</p></div>', True),
        ('<div xmlns="http://www.w3.org/1999/xhtml">   </div>', False),
        ('<div xmlns="http://www.w3.org/1999/xhtml"><script>x()</script>x</div>', False),
        ('<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">x</p></div>', False),
        ("<p>not a div</p>", False),
    ],
)
def test_narrative_html_checks(div: str, holds: bool) -> None:
    narrative = {"status": "generated", "div": div}
    assert html_checks(narrative, "Narrative", {}, {}) is holds


EXPRESSIONS = [
    "a.exists() and b.empty()",
    "a.exists() or b.exists() implies c.exists()",
    "(a.exists() xor b.exists()).not()",
    "a.hasValue().not() or b.exists()",
    "(a.exists() and b.exists()) implies a <= b",
    "a > 2 or b.exists()",
    "a = b and c.empty()",
    "a >= 0 and a <= 100",
    "a.exists() implies (a != 3 and c.exists().not())",
    # the left side settles these natively, whatever the comparison the engine would make
    "a.empty() and b < c",
    "a.exists() or b < c",
    "a.exists() implies b < c",
]
FOCI: list[dict[str, Any]] = [
    {},
    {"a": 1},
    {"a": 3, "b": 2},
    {"a": 1, "b": 2, "c": 3},
    {"a": 5.5, "c": "x"},
    {"_a": {"extension": [{"url": "u", "valueString": "x"}]}, "b": 0},
    {"a": 101, "b": 101},
    {"a": -1, "b": [1, 2]},
    {"a": "x", "b": "x", "c": "y"},
    {"a": [], "b": "y", "c": None},
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_native_grammar_agrees_with_fhirpathpy(expression: str) -> None:
    """Three-valued logic included: an empty comparison is empty, not false."""
    native = compile_existence(expression)
    assert native is not None
    engine = fhirpathpy.compile(expression, models["r4"], ENGINE_OPTIONS)  # with hasValue()
    for focus in FOCI:
        try:
            got = native(focus, "Element")
        except AskEngine:
            continue  # several items, or not numbers: fhirpathpy's to answer
        expected = engine(ResourceNode.create_node(focus, "Element"))
        assert got == (expected[0] if expected else None), (expression, focus)


@pytest.mark.parametrize(
    "expression",
    ["a.where(b = 'x').exists()", "a.count() > 1", "$this.exists()", "a = 'text'", "a.exists("],
)
def test_beyond_the_native_grammar(expression: str) -> None:
    assert compile_existence(expression) is None


@pytest.mark.parametrize(
    ("start", "end", "broken"),
    [
        # a daylight-saving change: 05:52Z then 06:07Z, though the local clock went back
        ("2022-11-06T01:52:06-04:00", "2022-11-06T01:07:06-05:00", False),
        ("2022-11-06T01:07:06-05:00", "2022-11-06T01:52:06-04:00", True),
        ("2022-11-06T05:52:06Z", "2022-11-06T01:52:06.5-04:00", False),
        ("2022-11-06", "2022-11-05", True),
    ],
)
def test_period_order_compares_instants_across_time_zones(
    start: str, end: str, broken: bool
) -> None:
    encounter = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "period": {"start": start, "end": end},
    }
    keys = {issue.details_code for issue in base_profile("Encounter").validate(encounter)}
    assert ("per-1" in keys) is broken
