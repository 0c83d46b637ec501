"""The natively checked invariants agree with fhirpathpy on the corpus and on edge cases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fhirpathpy
import pytest
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

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
