"""The search values of one element, per parameter type (the index layout of types kept whole).

Hand-written elements, as the FHIRPath extractors hand them over: (JSON value, FHIR type code).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from gateway.jsonio import ExactDecimal
from gateway.search.values import (
    EARLIEST,
    ISO_4217,
    LATEST,
    dates,
    numbers,
    quantities,
    reference_type,
    references,
    strings,
    tokens,
    uris,
)

SNOMED = "http://snomed.info/sct"


@pytest.mark.parametrize(
    ("value", "type_code", "expected"),
    [
        pytest.param(
            {"coding": [{"system": SNOMED, "code": "44054006", "display": "Diabetes"}],
             "text": "Type 2 diabetes"}, "CodeableConcept",
            [{"system": SNOMED, "code": "44054006", "display": "Diabetes"},
             {"display": "Type 2 diabetes"}], id="codeable-concept-codings-and-text"),
        pytest.param({"system": "urn:s", "code": "c"}, "Coding", [{"system": "urn:s", "code": "c"}],
                     id="coding"),
        pytest.param({"display": "only a display"}, "Coding", [], id="coding-without-code"),
        pytest.param(
            {"system": "urn:mrn", "value": "123",
             "type": {"coding": [{"system": "urn:t", "code": "MR"}], "text": "Medical record"}},
            "Identifier",
            [{"system": "urn:mrn", "code": "123", "type": [{"system": "urn:t", "code": "MR"}],
              "display": "Medical record"}], id="identifier-value-is-the-code-type-rides-along"),
        pytest.param({"system": "phone", "use": "home", "value": "555"}, "ContactPoint",
                     [{"system": "home", "code": "555"}], id="contact-point-use-is-the-system"),
        pytest.param("active", "code", [{"code": "active"}], id="code"),
        pytest.param(True, "boolean", [{"code": "true"}], id="boolean-true"),
        pytest.param(False, "boolean", [{"code": "false"}], id="boolean-false"),
        pytest.param("", "code", [], id="empty-code"),
        pytest.param({"reference": "Patient/1"}, "Reference", [], id="reference-without-identifier"),
        pytest.param({"identifier": {"system": "urn:s", "value": "9"}}, "Reference",
                     [{"system": "urn:s", "code": "9"}], id="reference-identifier"),
        pytest.param({"value": 5}, "Quantity", [], id="a-quantity-is-no-token"),
        pytest.param(["not", "an", "element"], "CodeableConcept", [], id="malformed"),
        pytest.param({"coding": "oops", "text": 3}, "CodeableConcept", [], id="malformed-parts"),
    ],
)  # fmt: skip
def test_tokens(value: Any, type_code: str, expected: list[dict[str, Any]]) -> None:
    assert list(tokens(value, type_code)) == expected


@pytest.mark.parametrize(
    ("value", "type_code", "expected"),
    [
        pytest.param("Acme", "string", ["Acme"], id="string"),
        pytest.param({"family": "Smith", "given": ["Ann", "Lee"], "prefix": ["Dr"], "use": "official"},
                     "HumanName", ["Smith", "Ann", "Lee", "Dr"], id="human-name-parts"),
        pytest.param({"line": ["1 Main St"], "city": "Boston", "postalCode": "02101", "use": "home"},
                     "Address", ["1 Main St", "Boston", "02101"], id="address-parts"),
        pytest.param({"coding": []}, "CodeableConcept", [], id="not-a-string-type"),
        pytest.param(3, "string", [], id="malformed"),
    ],
)  # fmt: skip
def test_strings(value: Any, type_code: str, expected: list[str]) -> None:
    assert list(strings(value, type_code)) == expected


@pytest.mark.parametrize(
    ("value", "type_code", "expected"),
    [
        pytest.param("2021-03", "dateTime",
                     [{"start": datetime(2021, 3, 1), "end": datetime(2021, 4, 1)}], id="month"),
        pytest.param("2021-03-04", "date",
                     [{"start": datetime(2021, 3, 4), "end": datetime(2021, 3, 5)}], id="day"),
        pytest.param({"start": "2021-01-01"}, "Period",
                     [{"start": datetime(2021, 1, 1), "end": LATEST}], id="open-period"),
        pytest.param({"end": "2021-01-01"}, "Period",
                     [{"start": EARLIEST, "end": datetime(2021, 1, 2)}], id="period-open-start"),
        pytest.param({"event": ["2021-01-05", "2021-01-01"],
                      "repeat": {"boundsPeriod": {"start": "2021-01-03", "end": "2021-02-01"}}},
                     "Timing", [{"start": datetime(2021, 1, 1), "end": datetime(2021, 2, 2)}],
                     id="timing-outer-limits"),
        pytest.param({"repeat": {"frequency": 2}}, "Timing", [], id="timing-without-limits"),
        pytest.param("yesterday", "dateTime", [], id="malformed"),
        pytest.param("twenty", "string", [], id="a-string-is-no-date"),
        pytest.param({"value": 3}, "Age", [], id="an-age-is-no-date"),
    ],
)  # fmt: skip
def test_dates(value: Any, type_code: str, expected: list[dict[str, datetime]]) -> None:
    assert list(dates(value, type_code)) == expected


@pytest.mark.parametrize(
    ("value", "type_code", "expected"),
    [
        pytest.param({"reference": "Patient/p1/_history/3"}, "Reference", ["Patient/p1"],
                     id="version-dropped"),
        pytest.param({"reference": "http://other.org/fhir/Patient/p1"}, "Reference",
                     ["http://other.org/fhir/Patient/p1"], id="absolute-as-written"),
        pytest.param({"display": "no reference"}, "Reference", [], id="display-only"),
        pytest.param("http://hl7.org/fhir/Questionnaire/q", "canonical",
                     ["http://hl7.org/fhir/Questionnaire/q"], id="canonical"),
        pytest.param({"reference": 5}, "Reference", [], id="malformed"),
    ],
)  # fmt: skip
def test_references(value: Any, type_code: str, expected: list[str]) -> None:
    assert list(references(value, type_code)) == expected


def test_reference_type_names_the_type_when_there_is_one() -> None:
    assert reference_type("Patient/p1") == "Patient"
    assert reference_type("http://x.org/fhir/Group/g") == "Group"
    assert reference_type("urn:uuid:0b5c5d0e-1c4e-4d0e-8d0e-0b5c5d0e1c4e") is None


@pytest.mark.parametrize(
    ("value", "type_code", "expected"),
    [
        pytest.param({"value": 5.4, "system": "urn:units", "code": "mg", "unit": "mg"},
                     "Quantity", [{"value": 5.4, "system": "urn:units", "code": "mg", "unit": "mg"}],
                     id="quantity"),
        pytest.param({"value": 2, "system": "http://unitsofmeasure.org", "code": "kg"},
                     "Quantity", [{"value": 2, "system": "http://unitsofmeasure.org", "code": "kg",
                                   "canonical": {"value": ExactDecimal("2000"), "code": "g"}}],
                     id="ucum-quantity-with-its-canonical"),
        pytest.param({"value": 30, "unit": "d"}, "Duration", [{"value": 30, "unit": "d"}],
                     id="duration"),
        pytest.param({"value": 12.5, "currency": "USD"}, "Money",
                     [{"value": 12.5, "system": ISO_4217, "code": "USD"}], id="money"),
        pytest.param({"unit": "mg"}, "Quantity", [], id="no-value"),
        pytest.param({"value": True}, "Quantity", [], id="boolean-is-no-number"),
        pytest.param({"low": {"value": 1}}, "Range", [], id="range-not-indexed"),
    ],
)  # fmt: skip
def test_quantities(value: Any, type_code: str, expected: list[dict[str, Any]]) -> None:
    assert list(quantities(value, type_code)) == expected


def test_exact_decimals_pass_through_unchanged() -> None:
    exact = ExactDecimal("1.50")
    [entry] = quantities({"value": exact, "unit": "mg"}, "Quantity")
    assert entry["value"] is exact
    assert list(numbers(exact, "decimal")) == [exact]


def test_numbers_and_uris() -> None:
    assert list(numbers(3, "integer")) == [3]
    assert list(numbers(True, "boolean")) == []
    assert list(numbers("3", "integer")) == []
    assert list(uris("http://a.org/x", "uri")) == ["http://a.org/x"]
    assert list(uris({"reference": "x"}, "Reference")) == []
