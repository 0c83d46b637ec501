"""Quantity search across units: golden filters on the canonical value, then which Observations
(mapped as the write path maps them) they find.

https://hl7.org/fhir/R4/search.html#quantity: "the server SHOULD" compare in canonical units;
#number and #prefix keep their meaning, applied in the unit of the search value and converted
bound by bound (temperatures affinely).
"""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from gateway.errors import InvalidSearch
from gateway.jsonio import ExactDecimal, loads
from gateway.search import quantity
from gateway.search.model import Clause, SearchParameter
from mappers.observation import MAPPER

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
VALUE = SearchParameter("value-quantity", "quantity", ("Observation",), ("value_quantity",))
COMPONENT = SearchParameter(
    "component-value-quantity", "quantity", ("Observation",), ("components[].value_quantity",)
)


def canonical(value: dict[str, float], code: str) -> Clause:
    return {"value_quantity.canonical.value": value, "value_quantity.canonical.code": code}


def recorded(value: dict[str, float], code: str) -> Clause:
    return {
        "value_quantity.value": value,
        "value_quantity.system": UCUM,
        "value_quantity.code": code,
    }


def either(on_canonical: list[Clause], as_recorded: list[Clause]) -> Clause:
    """The canonical conditions, or the same number in the unit as recorded (a Quantity with no
    canonical value: written before it was stored, or at a path without one)."""
    return {"$or": on_canonical + as_recorded}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            f"gt200|{UCUM}|[lb_av]",
            either([canonical({"$gt": 90718.474}, "g")], [recorded({"$gt": 200}, "[lb_av]")]),
            id="gt-pounds-in-grams",
        ),
        # 37 has two significant figures: [36.5, 37.5) Cel, then + 273.15
        pytest.param(
            f"eq37|{UCUM}|Cel",
            either(
                [canonical({"$gte": 309.65, "$lt": 310.65}, "K")],
                [recorded({"$gte": 36.5, "$lt": 37.5}, "Cel")],
            ),
            id="eq-celsius",
        ),
        pytest.param(
            f"37.0|{UCUM}|Cel",
            either(
                [canonical({"$gte": 310.1, "$lt": 310.2}, "K")],
                [recorded({"$gte": 36.95, "$lt": 37.05}, "Cel")],
            ),
            id="precision",
        ),
        pytest.param(
            f"le98.6|{UCUM}|[degF]",
            either([canonical({"$lte": 310.15}, "K")], [recorded({"$lte": 98.6}, "[degF]")]),
            id="le-fahrenheit",
        ),
        pytest.param(
            f"ne37|{UCUM}|Cel",
            either(
                [canonical({"$lt": 309.65}, "K"), canonical({"$gte": 310.65}, "K")],
                [recorded({"$lt": 36.5}, "Cel"), recorded({"$gte": 37.5}, "Cel")],
            ),
            id="ne-outside-the-range",
        ),
        # ap: 10 % of the value in the unit asked for, 90 to 110 kg, then converted
        pytest.param(
            f"ap100|{UCUM}|kg",
            either(
                [canonical({"$gte": 90000, "$lte": 110000}, "g")],
                [recorded({"$gte": 90, "$lte": 110}, "kg")],
            ),
            id="ap",
        ),
        pytest.param(
            f"72|{UCUM}|{{beats}}/min",
            either(
                [canonical({"$gte": 71.5 / 60, "$lt": 72.5 / 60}, "s-1")],
                [recorded({"$gte": 71.5, "$lt": 72.5}, "{beats}/min")],
            ),
            id="annotation",
        ),
        pytest.param(
            f"5.5|{UCUM}|mmol/L",
            either(
                [canonical({"$gte": 5.45, "$lt": 5.55}, "m-3.mol")],
                [recorded({"$gte": 5.45, "$lt": 5.55}, "mmol/L")],
            ),
            id="substance-not-mass",
        ),
        pytest.param(
            f"3|{UCUM}|[IU]/L",
            recorded({"$gte": 2.5, "$lt": 3.5}, "[IU]/L"),
            id="arbitrary-unit-by-code-only",
        ),
    ],
)
def test_filter(value: str, expected: Clause) -> None:
    assert quantity.clause(VALUE, value) == expected


def test_bounds_are_exact_decimals() -> None:
    """Stored canonical values are ExactDecimals (Decimal128 on MongoDB), so bounds are too."""
    found = quantity.clause(VALUE, f"eq37|{UCUM}|Cel")["$or"][0]["value_quantity.canonical.value"]
    assert {op: (type(bound), bound.text) for op, bound in found.items()} == {
        "$gte": (ExactDecimal, "309.65"),
        "$lt": (ExactDecimal, "310.65"),
    }


def test_component_filter_keeps_value_and_unit_in_one_component() -> None:
    assert quantity.clause(COMPONENT, f"gt15.9|{UCUM}|kPa") == {
        "$or": [
            {
                "components": {
                    "$elemMatch": {
                        "value_quantity.canonical.value": {"$gt": 15900000},
                        "value_quantity.canonical.code": "g.m-1.s-2",
                    }
                }
            },
            {
                "components": {
                    "$elemMatch": {
                        "value_quantity.value": {"$gt": 15.9},
                        "value_quantity.system": UCUM,
                        "value_quantity.code": "kPa",
                    }
                }
            },
        ]
    }


def test_bound_beyond_a_double_is_invalid() -> None:
    with pytest.raises(InvalidSearch):
        quantity.clause(VALUE, f"gt1e306|{UCUM}|Mg")


def observation(value: float | str, code: str, unit: str | None = None) -> dict[str, Any]:
    """An Observation as the write path stores it: mapped, derived views included."""
    text = (
        '{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, '
        f'"valueQuantity": {{"value": {value}, "unit": "{unit or code}", '
        f'"system": "{UCUM}", "code": "{code}"}}}}'
    )
    return MAPPER.from_fhir(loads(text.encode())).model_dump(exclude_none=True)


def blood_pressure(systolic: int, diastolic: int, code: str) -> dict[str, Any]:
    def component(loinc: str, value: int) -> dict[str, Any]:
        return {
            "code": {"coding": [{"system": LOINC, "code": loinc}]},
            "valueQuantity": {"value": value, "system": UCUM, "code": code},
        }

    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "component": [component("8480-6", systolic), component("8462-4", diastolic)],
    }
    return MAPPER.from_fhir(resource).model_dump(exclude_none=True)


OBSERVATIONS: dict[str, dict[str, Any]] = {
    "weight-95-kg": observation(95, "kg"),
    "weight-185.4-lb": observation(185.4, "[lb_av]", "lb"),  # 84.096 kg
    "temperature-98.6-degF": observation("98.6", "[degF]", "degF"),  # 37 Cel exactly
    "temperature-100.4-degF": observation("100.4", "[degF]", "degF"),  # 38 Cel
    "temperature-37.2-Cel": observation("37.2", "Cel"),
    "glucose-100-mg/dL": observation(100, "mg/dL"),  # 5.55 mmol/L with glucose's molar mass
    "glucose-1-g/L": observation(1, "g/L"),  # 100 mg/dL
    "heart-rate-72": observation(72, "{beats}/min", "beats/minute"),
    "insulin-3-IU/L": observation(3, "[IU]/L"),  # arbitrary: no canonical
    # stored before canonical values were: found in its own unit until reindexed
    "weight-old-kg": {"value_quantity": {"value": 70, "system": UCUM, "code": "kg"}},
    "bp-mmHg": blood_pressure(120, 80, "mm[Hg]"),  # 15.99864 and 10.66576 kPa
    "bp-kPa": blood_pressure(19, 12, "kPa"),  # 142.5 and 90.0 mm[Hg]
}


@pytest.fixture(scope="module")
def observations() -> mongomock.Collection[dict[str, Any]]:
    collection: mongomock.Collection[dict[str, Any]] = mongomock.MongoClient().db.observations
    collection.insert_many([{"_id": key, **fields} for key, fields in OBSERVATIONS.items()])
    return collection


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        # the case: 200 lb is 90.72 kg
        pytest.param(
            VALUE, f"gt200|{UCUM}|[lb_av]", {"weight-95-kg"}, id="95-kg-is-over-200-pounds"
        ),
        pytest.param(VALUE, f"gt210|{UCUM}|[lb_av]", set(), id="95-kg-is-under-210-pounds"),
        pytest.param(VALUE, f"84.096|{UCUM}|kg", {"weight-185.4-lb"}, id="pounds-found-in-kg"),
        pytest.param(
            VALUE, f"70|{UCUM}|kg", {"weight-old-kg"}, id="no-canonical-found-by-its-own-code"
        ),
        pytest.param(VALUE, f"70000|{UCUM}|g", set(), id="no-canonical-no-conversion"),
        pytest.param(
            VALUE, f"ap180|{UCUM}|[lb_av]", {"weight-185.4-lb"}, id="ap-in-pounds-finds-kg"
        ),
        # 98.6 [degF] is 37 Cel exactly: in [36.5, 37.5), and on the boundary of ge and le
        pytest.param(
            VALUE,
            f"eq37|{UCUM}|Cel",
            {"temperature-98.6-degF", "temperature-37.2-Cel"},
            id="fahrenheit-found-in-celsius",
        ),
        pytest.param(VALUE, f"37.0|{UCUM}|Cel", {"temperature-98.6-degF"}, id="precision-narrows"),
        pytest.param(
            VALUE,
            f"ge37|{UCUM}|Cel",
            {"temperature-98.6-degF", "temperature-100.4-degF", "temperature-37.2-Cel"},
            id="ge-boundary-included",
        ),
        pytest.param(VALUE, f"le37|{UCUM}|Cel", {"temperature-98.6-degF"}, id="le-boundary"),
        pytest.param(VALUE, f"lt37|{UCUM}|Cel", set(), id="lt-boundary-excluded"),
        pytest.param(
            VALUE,
            f"gt37|{UCUM}|Cel",
            {"temperature-100.4-degF", "temperature-37.2-Cel"},
            id="gt-boundary-excluded",
        ),
        pytest.param(
            VALUE,
            f"ne37|{UCUM}|Cel",
            {"temperature-100.4-degF"},
            id="ne-excludes-the-range-and-other-dimensions",
        ),
        pytest.param(
            VALUE,
            f"99|{UCUM}|[degF]",
            {"temperature-98.6-degF", "temperature-37.2-Cel"},  # 37.2 Cel is 98.96 [degF]
            id="celsius-found-in-fahrenheit",
        ),
        pytest.param(
            VALUE, f"310|{UCUM}|K", {"temperature-98.6-degF", "temperature-37.2-Cel"}, id="kelvin"
        ),
        # different dimensions: no molar mass, no conversion
        pytest.param(VALUE, f"5.55|{UCUM}|mmol/L", set(), id="mg/dL-is-not-mmol/L"),
        pytest.param(
            VALUE,
            f"1|{UCUM}|g/L",
            {"glucose-100-mg/dL", "glucose-1-g/L"},
            id="mg/dL-found-in-g/L",
        ),
        pytest.param(VALUE, f"72|{UCUM}|/min", {"heart-rate-72"}, id="annotation-ignored"),
        pytest.param(VALUE, f"1.2|{UCUM}|/s", {"heart-rate-72"}, id="per-second"),
        # an arbitrary unit converts to nothing: found by its own code only
        pytest.param(VALUE, f"3|{UCUM}|[IU]/L", {"insulin-3-IU/L"}, id="arbitrary-by-code"),
        pytest.param(VALUE, f"3|{UCUM}|/L", set(), id="arbitrary-is-not-a-count"),
        # components: value and unit in the same component, across mm[Hg] and kPa
        pytest.param(
            COMPONENT, f"gt15.9|{UCUM}|kPa", {"bp-mmHg", "bp-kPa"}, id="mmHg-found-in-kPa"
        ),
        pytest.param(COMPONENT, f"ge140|{UCUM}|mm[Hg]", {"bp-kPa"}, id="kPa-found-in-mmHg"),
        pytest.param(COMPONENT, f"90|{UCUM}|mm[Hg]", {"bp-kPa"}, id="diastolic-in-mmHg"),
        pytest.param(COMPONENT, f"12|{UCUM}|kPa", {"bp-kPa"}, id="kPa-as-recorded"),
        pytest.param(COMPONENT, f"16|{UCUM}|kPa", {"bp-mmHg"}, id="systolic-in-kPa"),
    ],
)
def test_matches(
    observations: mongomock.Collection[dict[str, Any]],
    param: SearchParameter,
    value: str,
    expected: set[str],
) -> None:
    found = {document["_id"] for document in observations.find(quantity.clause(param, value))}
    assert found == expected
