"""Number search: golden filters, then the documents they match.

https://hl7.org/fhir/R4/search.html#number
"""

from __future__ import annotations

from typing import Any

import mongomock
import pytest

from gateway.errors import InvalidSearch, Issue
from gateway.search import number
from gateway.search.model import Clause, SearchParameter

DOSE = SearchParameter("dose-number", "number", ("ImmunizationRecommendation",), ("dose_number",))
PROBABILITY = SearchParameter(
    "probability", "number", ("RiskAssessment",), ("predictions[].probability",)
)
SCORES = SearchParameter("score", "number", ("Observation",), ("scores[]", "extra.score"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # search.html#number, the examples table
        pytest.param("100", {"dose_number": {"$gte": 99.5, "$lt": 100.5}}, id="spec-100"),
        pytest.param("100.00", {"dose_number": {"$gte": 99.995, "$lt": 100.005}}, id="spec-100.00"),
        pytest.param("1e2", {"dose_number": {"$gte": 50.0, "$lt": 150.0}}, id="spec-1e2"),
        pytest.param("lt100", {"dose_number": {"$lt": 100.0}}, id="spec-lt100"),
        pytest.param("le100", {"dose_number": {"$lte": 100.0}}, id="spec-le100"),
        pytest.param("gt100", {"dose_number": {"$gt": 100.0}}, id="spec-gt100"),
        pytest.param("ge100", {"dose_number": {"$gte": 100.0}}, id="spec-ge100"),
        pytest.param(
            "ne100",
            {"$or": [{"dose_number": {"$lt": 99.5}}, {"dose_number": {"$gte": 100.5}}]},
            id="spec-ne100",
        ),
        pytest.param("gt0.8", {"dose_number": {"$gt": 0.8}}, id="spec-gt0.8"),
        pytest.param("gt8e-1", {"dose_number": {"$gt": 0.8}}, id="spec-gt8e-1"),
        pytest.param("2", {"dose_number": {"$gte": 1.5, "$lt": 2.5}}, id="spec-dose-number-2"),
        pytest.param("eq100", {"dose_number": {"$gte": 99.5, "$lt": 100.5}}, id="eq-explicit"),
        pytest.param("sa100", {"dose_number": {"$gt": 100.0}}, id="sa-is-gt"),
        pytest.param("eb100", {"dose_number": {"$lt": 100.0}}, id="eb-is-lt"),
        pytest.param("ap100", {"dose_number": {"$gte": 90.0, "$lte": 110.0}}, id="ap-10-percent"),
        pytest.param(
            "ap0", {"dose_number": {"$gte": -0.5, "$lte": 0.5}}, id="ap-zero-implicit-range"
        ),
        pytest.param("ap-5.4", {"dose_number": {"$gte": -5.94, "$lte": -4.86}}, id="ap-negative"),
        pytest.param("-5.4", {"dose_number": {"$gte": -5.45, "$lt": -5.35}}, id="negative"),
    ],
)
def test_filter(value: str, expected: Clause) -> None:
    assert number.clause(DOSE, value) == expected


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        pytest.param(
            PROBABILITY,
            "0.8",
            {"predictions": {"$elemMatch": {"probability": {"$gte": 0.75, "$lt": 0.85}}}},
            id="array-of-elements",
        ),
        pytest.param(
            SCORES,
            "100",
            {
                "$or": [
                    {"scores": {"$elemMatch": {"$gte": 99.5, "$lt": 100.5}}},
                    {"extra.score": {"$gte": 99.5, "$lt": 100.5}},
                ]
            },
            id="array-of-numbers-or-scalar",
        ),
        pytest.param(
            SCORES,
            "ne100",
            {
                "$or": [
                    {"scores": {"$elemMatch": {"$lt": 99.5}}},
                    {"scores": {"$elemMatch": {"$gte": 100.5}}},
                    {"extra.score": {"$lt": 99.5}},
                    {"extra.score": {"$gte": 100.5}},
                ]
            },
            id="ne-over-paths",
        ),
    ],
)
def test_filter_on_paths(param: SearchParameter, value: str, expected: Clause) -> None:
    assert number.clause(param, value) == expected


def test_paths_override_the_parameter() -> None:
    assert number.clause(DOSE, "gt1", paths=("value_integer",)) == {"value_integer": {"$gt": 1.0}}


DOSES: dict[str, dict[str, Any]] = {
    "n-0.85": {"dose_number": 0.85},
    "n-2": {"dose_number": 2},
    "n-99.4": {"dose_number": 99.4},
    "n-99.5": {"dose_number": 99.5},
    "n-100": {"dose_number": 100},
    "n-100.49": {"dose_number": 100.49},
    "n-100.5": {"dose_number": 100.5},
    "none": {},
}


@pytest.fixture(scope="module")
def doses() -> mongomock.Collection[dict[str, Any]]:
    collection: mongomock.Collection[dict[str, Any]] = mongomock.MongoClient().db.doses
    collection.insert_many([{"_id": key, **fields} for key, fields in DOSES.items()])
    return collection


def matching(collection: mongomock.Collection[dict[str, Any]], filter_: Clause) -> set[str]:
    return {document["_id"] for document in collection.find(filter_)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("100", {"n-99.5", "n-100", "n-100.49"}, id="100-half-open-range"),
        pytest.param("100.00", {"n-100"}, id="100.00-narrower"),
        pytest.param("1e2", {"n-99.4", "n-99.5", "n-100", "n-100.49", "n-100.5"}, id="1e2-wider"),
        pytest.param("lt100", {"n-0.85", "n-2", "n-99.4", "n-99.5"}, id="lt-exact"),
        pytest.param("le100", {"n-0.85", "n-2", "n-99.4", "n-99.5", "n-100"}, id="le-exact"),
        pytest.param("gt100", {"n-100.49", "n-100.5"}, id="gt-exact"),
        pytest.param("ge100", {"n-100", "n-100.49", "n-100.5"}, id="ge-exact"),
        pytest.param("ne100", {"n-0.85", "n-2", "n-99.4", "n-100.5"}, id="ne-outside-range"),
        pytest.param("sa100", {"n-100.49", "n-100.5"}, id="sa"),
        pytest.param("eb100", {"n-0.85", "n-2", "n-99.4", "n-99.5"}, id="eb"),
        pytest.param("ap100", {"n-99.4", "n-99.5", "n-100", "n-100.49", "n-100.5"}, id="ap"),
        pytest.param("gt0.8", set(DOSES) - {"none"}, id="gt0.8"),
        pytest.param("2", {"n-2"}, id="integer-exact"),
        pytest.param("2.5", set(), id="integer-with-decimals-never-matches"),
    ],
)
def test_matches(
    doses: mongomock.Collection[dict[str, Any]], value: str, expected: set[str]
) -> None:
    assert matching(doses, number.clause(DOSE, value)) == expected


def test_one_array_element_holds_the_whole_range() -> None:
    collection: mongomock.Collection[dict[str, Any]] = mongomock.MongoClient().db.scores
    collection.insert_many(
        [
            {"_id": "straddles", "scores": [1, 200]},  # 1 < 100.5 and 200 >= 99.5, neither in range
            {"_id": "inside", "scores": [1, 100]},
        ]
    )
    assert matching(collection, number.clause(SCORES, "100")) == {"inside"}


@pytest.mark.parametrize("written", [160.07303938032456, 1.3351148609139232, 0.1 + 0.2])
def test_a_value_finer_than_a_double_matches_itself(written: float) -> None:
    """Synthea writes 17 significant digits: the precision range is narrower than a double there,
    so both ends round to the value's own double; eq still finds it and ne does not."""
    collection: mongomock.Collection[dict[str, Any]] = mongomock.MongoClient().db.fine
    collection.insert_many(
        [{"_id": "it", "dose_number": written}, {"_id": "other", "dose_number": 0}]
    )
    assert matching(collection, number.clause(DOSE, repr(written))) == {"it"}
    assert matching(collection, number.clause(DOSE, f"ne{written!r}")) == {"other"}
    assert matching(collection, number.clause(DOSE, f"gt{written!r}")) == set()
    assert matching(collection, number.clause(DOSE, f"lt{written!r}")) == {"other"}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("abc", id="letters"),
        pytest.param("gtabc", id="prefix-and-letters"),
        pytest.param("gt", id="prefix-alone"),
        pytest.param("xx100", id="unknown-prefix"),
        pytest.param("NaN", id="nan"),
        pytest.param("1e400", id="beyond-double"),
        pytest.param("100|http://unitsofmeasure.org|mg", id="quantity"),
    ],
)
def test_invalid_value(value: str) -> None:
    with pytest.raises(InvalidSearch) as caught:
        number.clause(DOSE, value)
    message = f"Invalid number `{value}` for parameter `dose-number`."
    assert caught.value.issues == [Issue(message, code="invalid", expression="dose-number")]
    assert caught.value.status == 400
