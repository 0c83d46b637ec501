"""compose.include.filter over a held CodeSystem (valueset-definitions.html, filter-operator)."""

from __future__ import annotations

import pytest

from fhir_profiles.canonical import Canonicals, held
from gateway.terminology import LocalSource, NotEnumerable
from tests.terminology.conftest import Json

SYSTEM = "http://example.org/fhir/CodeSystem/shapes"
SHAPES: Json = {
    "resourceType": "CodeSystem", "url": SYSTEM, "content": "complete", "hierarchyMeaning": "is-a",
    "property": [{"code": "sides", "type": "integer"}, {"code": "round", "type": "boolean"}],
    "concept": [
        {"code": "shape", "display": "Shape", "concept": [
            {"code": "polygon", "display": "Polygon", "concept": [
                {"code": "triangle", "display": "Triangle", "property": [{"code": "sides", "valueInteger": 3}]},
                {"code": "square", "display": "Square", "property": [{"code": "sides", "valueInteger": 4}]},
            ]},
            {"code": "circle", "display": "Circle", "property": [{"code": "round", "valueBoolean": True}]},
        ]},
    ],
}  # fmt: skip


def filtered(*filters: Json) -> Json:
    return {"resourceType": "ValueSet", "url": f"http://example.org/fhir/ValueSet/{id(filters)}",
            "compose": {"include": [{"system": SYSTEM, "filter": list(filters)}]}}  # fmt: skip


def expand(*filters: Json) -> list[str]:
    value_set = filtered(*filters)
    source = LocalSource(Canonicals([*held(), SHAPES, value_set]))
    contains = source.expand(value_set["url"])["expansion"].get("contains", [])
    return sorted(c["code"] for c in contains)


def f(prop: str, op: str, value: str) -> Json:
    return {"property": prop, "op": op, "value": value}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param([f("concept", "is-a", "polygon")], ["polygon", "square", "triangle"], id="is-a"),
        pytest.param([f("concept", "descendent-of", "polygon")], ["square", "triangle"], id="descendent-of"),
        pytest.param([f("concept", "is-not-a", "polygon")], ["circle", "shape"], id="is-not-a"),
        pytest.param([f("concept", "generalizes", "square")], ["polygon", "shape", "square"], id="generalizes"),
        pytest.param([f("sides", "=", "4")], ["square"], id="property-equals"),
        pytest.param([f("round", "=", "true")], ["circle"], id="boolean-property"),
        pytest.param([f("concept", "in", "circle, square")], ["circle", "square"], id="in"),
        pytest.param([f("code", "not-in", "circle,square,shape")], ["polygon", "triangle"], id="not-in"),
        pytest.param([f("code", "regex", "[st].*e")], ["shape", "square", "triangle"], id="regex-whole-code"),
        pytest.param([f("display", "regex", "Tri.*")], ["triangle"], id="regex-display"),
        pytest.param([f("sides", "exists", "true")], ["square", "triangle"], id="exists"),
        pytest.param([f("sides", "exists", "false")], ["circle", "polygon", "shape"], id="not-exists"),
        pytest.param([f("parent", "=", "polygon")], ["square", "triangle"], id="parent-equals"),
        pytest.param(
            [f("concept", "is-a", "polygon"), f("sides", "=", "3")], ["triangle"], id="filters-and"
        ),
    ],
)  # fmt: skip
def test_filter(filters: list[Json], expected: list[str]) -> None:
    assert expand(*filters) == expected


@pytest.mark.parametrize(
    ("filter_", "reason"),
    [
        pytest.param(f("colour", "=", "red"), "property `colour` is not defined by the CodeSystem", id="unknown-property"),
        pytest.param(f("concept", "child-of", "x"), "filter operator `child-of` is not supported", id="unknown-op"),
        pytest.param(f("sides", "is-a", "3"), "`is-a` applies to `concept`, not to `sides`", id="is-a-on-property"),
        pytest.param(f("code", "regex", "(["), "regex `([` is not valid", id="bad-regex"),
    ],
)  # fmt: skip
def test_a_filter_that_cannot_be_evaluated_is_not_enumerable(filter_: Json, reason: str) -> None:
    with pytest.raises(NotEnumerable) as raised:
        expand(filter_)
    assert reason in raised.value.diagnostics
    assert SYSTEM in raised.value.diagnostics


def test_r4_is_not_a() -> None:
    """patient-contactrelationship: v2-0131 is-not-a O (other)."""
    expanded = LocalSource(held()).expand(
        "http://hl7.org/fhir/ValueSet/patient-contactrelationship"
    )
    codes = [c["code"] for c in expanded["expansion"]["contains"]]
    assert "O" not in codes
    assert {"C", "E", "N"} <= set(codes)


def test_r4_filter_on_a_code_system_defined_filter_is_not_enumerable() -> None:
    """example-filter tests `acme-plasma`, a CodeSystem.filter only its description explains."""
    with pytest.raises(NotEnumerable, match="acme-plasma"):
        LocalSource(held()).expand("http://hl7.org/fhir/ValueSet/example-filter")


def test_an_import_not_held_makes_membership_uncertain() -> None:
    """use-context imports usps-state, which R4 does not ship: no code is surely out."""
    source = LocalSource(held())
    use_context = "http://hl7.org/fhir/ValueSet/use-context"
    with pytest.raises(NotEnumerable, match="usps-state"):
        source.expand(use_context)
    assert source.contains(use_context, "http://other.example.org", "x") is None
    gender = "http://hl7.org/fhir/administrative-gender"
    assert source.contains(use_context, gender, "male") is True
