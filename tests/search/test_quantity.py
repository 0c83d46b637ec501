"""Quantity search: golden filters, then which documents they match.

https://hl7.org/fhir/R4/search.html#quantity. A UCUM code that converts searches the canonical
value (tests/search/test_quantity_units.py has the conversions); these cases are about the
syntax, so a unit that converts appears only where the canonical form is the point.
"""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from gateway.errors import InvalidSearch, Issue
from gateway.search import quantity
from gateway.search.model import Clause, SearchParameter
from gateway.ucum import with_canonical

UCUM = "http://unitsofmeasure.org"
VALUE_QUANTITY = SearchParameter(
    "value-quantity", "quantity", ("Observation",), ("value_quantity",)
)
COMBO = SearchParameter(
    "combo-value-quantity",
    "quantity",
    ("Observation",),
    ("value_quantity", "components[].value_quantity"),
)


def on_value(value: dict[str, float], **unit: str) -> Clause:
    return {"value_quantity.value": value, **{f"value_quantity.{k}": v for k, v in unit.items()}}


def on_canonical(value: dict[str, float], code: str) -> Clause:
    return {"value_quantity.canonical.value": value, "value_quantity.canonical.code": code}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # search.html#quantity, the examples table
        pytest.param(
            f"5.4|{UCUM}|mg",
            {
                "$or": [
                    on_canonical({"$gte": 0.00535, "$lt": 0.00545}, "g"),
                    on_value({"$gte": 5.35, "$lt": 5.45}, system=UCUM, code="mg"),
                ]
            },
            id="spec-system-and-code",
        ),
        pytest.param(
            f"5.40e-3|{UCUM}|g",
            {
                "$or": [
                    on_canonical({"$gte": 0.005395, "$lt": 0.005405}, "g"),
                    on_value({"$gte": 0.005395, "$lt": 0.005405}, system=UCUM, code="g"),
                ]
            },
            id="spec-exponent",
        ),
        pytest.param(
            f"5.4|{UCUM}|{{tablets}}",
            on_value({"$gte": 5.35, "$lt": 5.45}, system=UCUM, code="{tablets}"),
            id="ucum-code-that-does-not-convert",
        ),
        pytest.param(
            "5.4||mg",
            {
                "$or": [
                    on_value({"$gte": 5.35, "$lt": 5.45}, code="mg"),
                    on_value({"$gte": 5.35, "$lt": 5.45}, unit="mg"),
                ]
            },
            id="spec-code-or-unit",
        ),
        pytest.param("5.4", on_value({"$gte": 5.35, "$lt": 5.45}), id="spec-any-unit"),
        pytest.param(
            f"le5.4|{UCUM}|mg",
            {
                "$or": [
                    on_canonical({"$lte": 0.0054}, "g"),
                    on_value({"$lte": 5.4}, system=UCUM, code="mg"),
                ]
            },
            id="spec-le",
        ),
        pytest.param(
            f"ap5.4|{UCUM}|mg",
            {
                "$or": [
                    on_canonical({"$gte": 0.00486, "$lte": 0.00594}, "g"),
                    on_value({"$gte": 4.86, "$lte": 5.94}, system=UCUM, code="mg"),
                ]
            },
            id="spec-ap",
        ),
        pytest.param(
            f"ne5.4|{UCUM}|mg",
            {
                "$or": [
                    on_canonical({"$lt": 0.00535}, "g"),
                    on_canonical({"$gte": 0.00545}, "g"),
                    on_value({"$lt": 5.35}, system=UCUM, code="mg"),
                    on_value({"$gte": 5.45}, system=UCUM, code="mg"),
                ]
            },
            id="ne",
        ),
        pytest.param(
            f"ne5.4|{UCUM}|{{tablets}}",
            {
                "$or": [
                    on_value({"$lt": 5.35}, system=UCUM, code="{tablets}"),
                    on_value({"$gte": 5.45}, system=UCUM, code="{tablets}"),
                ]
            },
            id="ne-by-code",
        ),
        pytest.param("gt5.4", on_value({"$gt": 5.4}), id="gt"),
        pytest.param("lt5.4", on_value({"$lt": 5.4}), id="lt"),
        pytest.param("ge5.4", on_value({"$gte": 5.4}), id="ge"),
        pytest.param("sa5.4", on_value({"$gt": 5.4}), id="sa-is-gt"),
        pytest.param("eb5.4", on_value({"$lt": 5.4}), id="eb-is-lt"),
        pytest.param("5.4||", on_value({"$gte": 5.35, "$lt": 5.45}), id="empty-unit"),
        pytest.param(
            f"5.4|{UCUM}|", on_value({"$gte": 5.35, "$lt": 5.45}, system=UCUM), id="system-only"
        ),
        pytest.param(
            r"5.4|http://x.org/a\|b|m\,g\$\\",
            on_value({"$gte": 5.35, "$lt": 5.45}, system="http://x.org/a|b", code="m,g$\\"),
            id="escaped-separators",
        ),
    ],
)
def test_filter(value: str, expected: Clause) -> None:
    assert quantity.clause(VALUE_QUANTITY, value) == expected


def test_filter_nests_each_path_on_its_element() -> None:
    canonical = on_canonical({"$gte": 0.00535, "$lt": 0.00545}, "g")
    recorded = on_value({"$gte": 5.35, "$lt": 5.45}, system=UCUM, code="mg")
    assert quantity.clause(COMBO, f"5.4|{UCUM}|mg") == {
        "$or": [
            canonical,
            recorded,
            {"components": {"$elemMatch": canonical}},
            {"components": {"$elemMatch": recorded}},
        ]
    }


def test_filter_by_code_nests_each_path_on_its_element() -> None:
    assert quantity.clause(COMBO, "5.4|http://example.org/units|mg") == {
        "$or": [
            on_value({"$gte": 5.35, "$lt": 5.45}, system="http://example.org/units", code="mg"),
            {
                "components": {
                    "$elemMatch": on_value(
                        {"$gte": 5.35, "$lt": 5.45}, system="http://example.org/units", code="mg"
                    )
                }
            },
        ]
    }


def test_paths_override_the_parameter() -> None:
    assert quantity.clause(VALUE_QUANTITY, "5.4||mg", paths=("components[].value_quantity",)) == {
        "$or": [
            {"components": {"$elemMatch": on_value({"$gte": 5.35, "$lt": 5.45}, code="mg")}},
            {"components": {"$elemMatch": on_value({"$gte": 5.35, "$lt": 5.45}, unit="mg")}},
        ]
    }


def mg(value: float, **overrides: Any) -> dict[str, Any]:
    """A stored Quantity, with its canonical value as the write path adds it."""
    return with_canonical({"value": value, "unit": "mg", "system": UCUM, "code": "mg", **overrides})


OBSERVATIONS: dict[str, dict[str, Any]] = {
    "mg-5.36": {"value_quantity": mg(5.36)},
    "mg-5.4": {"value_quantity": mg(5.4)},
    "mg-5.45": {"value_quantity": mg(5.45)},
    "g-0.0054": {"value_quantity": mg(0.0054, unit="g", code="g")},
    "unit-only": {"value_quantity": {"value": 5.4, "unit": "mg"}},
    "other-system": {"value_quantity": mg(5.4, system="http://example.org/units")},
    "no-value": {"value_quantity": {"unit": "mg", "system": UCUM, "code": "mg"}},
    "tablets": {"value_quantity": mg(5.4, unit="tablets", code="{tablets}")},
    # 5.4 in one component and mg in another: no single Quantity is 5.4 mg
    "components": {
        "components": [
            {"value_quantity": mg(5.4, unit="mmHg", code="mm[Hg]")},
            {"value_quantity": mg(120)},
        ]
    },
}


@pytest.fixture(scope="module")
def observations() -> mongomock.Collection[dict[str, Any]]:
    collection: mongomock.Collection[dict[str, Any]] = mongomock.MongoClient().db.observations
    collection.insert_many([{"_id": key, **fields} for key, fields in OBSERVATIONS.items()])
    return collection


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # 0.0054 g is 5.4 mg: a UCUM code that converts finds the other units of the dimension
        pytest.param(f"5.4|{UCUM}|mg", {"mg-5.36", "mg-5.4", "g-0.0054"}, id="system-and-code"),
        pytest.param(f"5.40e-3|{UCUM}|g", {"g-0.0054", "mg-5.4"}, id="exponent"),
        pytest.param(f"5.4|{UCUM}|{{tablets}}", {"tablets"}, id="code-that-does-not-convert"),
        pytest.param(
            "5.4||mg", {"mg-5.36", "mg-5.4", "unit-only", "other-system"}, id="code-or-unit"
        ),
        pytest.param(
            "5.4",
            {"mg-5.36", "mg-5.4", "unit-only", "other-system", "components", "tablets"},
            id="any-unit",
        ),
        pytest.param(f"5.4|{UCUM}|mm[Hg]", {"components"}, id="component-unit"),
        pytest.param(f"120|{UCUM}|mg", {"components"}, id="other-component"),
        pytest.param("5.4|http://example.org/units|", {"other-system"}, id="system-only"),
        pytest.param(f"le5.4|{UCUM}|mg", {"mg-5.36", "mg-5.4", "g-0.0054"}, id="le"),
        pytest.param(f"lt5.4|{UCUM}|mg", {"mg-5.36"}, id="lt"),
        pytest.param("gt5.4||mg", {"mg-5.45", "components"}, id="gt"),
        pytest.param(
            "ge5.4||mg",
            {"mg-5.4", "mg-5.45", "unit-only", "other-system", "components"},
            id="ge",
        ),
        pytest.param(f"ne5.4|{UCUM}|mg", {"mg-5.45", "components"}, id="ne"),
        pytest.param("sa5.4", {"mg-5.45", "components"}, id="sa"),
        pytest.param("eb5.4", {"mg-5.36", "g-0.0054"}, id="eb"),
        pytest.param(
            "ap5.4||mg",
            {"mg-5.36", "mg-5.4", "mg-5.45", "unit-only", "other-system"},
            id="ap",
        ),
    ],
)
def test_matches(
    observations: mongomock.Collection[dict[str, Any]], value: str, expected: set[str]
) -> None:
    found = {document["_id"] for document in observations.find(quantity.clause(COMBO, value))}
    assert found == expected


def test_a_value_finer_than_a_double_matches_itself_in_any_unit() -> None:
    """17 significant digits (Synthea): eq in the unit recorded and in a converted one."""
    collection: mongomock.Collection[dict[str, Any]] = mongomock.MongoClient().db.fine
    value = 160.07303938032456
    stored = with_canonical({"system": UCUM, "code": "cm", "value": value})
    collection.insert_one({"_id": "it", "value_quantity": stored})
    for asked in (f"{value!r}|{UCUM}|cm", f"{value!r}||cm", f"{value / 100!r}|{UCUM}|m"):
        found = {d["_id"] for d in collection.find(quantity.clause(COMBO, asked))}
        assert found == {"it"}, asked
    ne = {d["_id"] for d in collection.find(quantity.clause(COMBO, f"ne{value!r}|{UCUM}|cm"))}
    assert ne == set()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("gtabc", id="prefix-and-letters"),
        pytest.param("5.4|a|b|c", id="four-parts"),
        pytest.param("5.4|mg", id="two-parts"),
        pytest.param(f"|{UCUM}|mg", id="no-number"),
        pytest.param("abc||mg", id="letters-with-unit"),
        pytest.param(r"5.4\|x|y", id="escaped-separator-in-number"),
    ],
)
def test_invalid_value(value: str) -> None:
    with pytest.raises(InvalidSearch) as caught:
        quantity.clause(VALUE_QUANTITY, value)
    message = f"Invalid quantity `{value}` for parameter `value-quantity`."
    assert caught.value.issues == [Issue(message, code="invalid", expression="value-quantity")]
