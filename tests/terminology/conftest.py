"""Value sets and code systems written for the tests, held beside R4's own."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_profiles.canonical import Canonicals, held
from gateway.terminology import LocalSource

Json = dict[str, Any]
BASE = "http://example.org/fhir"
GENDER_VS = "http://hl7.org/fhir/ValueSet/administrative-gender"
GENDER = "http://hl7.org/fhir/administrative-gender"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


def value_set(name: str, compose: Json) -> Json:
    return {"resourceType": "ValueSet", "url": f"{BASE}/ValueSet/{name}", "compose": compose}


TWO_LOINC = value_set(
    "two-loinc",
    {"include": [{"system": LOINC, "concept": [
        {"code": "8867-4", "display": "Heart rate"}, {"code": "29463-7"}]}]},
)  # fmt: skip
PLUS_SNOMED_FILTER = value_set(
    "loinc-or-snomed",
    {"include": [
        {"valueSet": [TWO_LOINC["url"]]},
        {"system": SNOMED, "filter": [{"property": "concept", "op": "is-a", "value": "404684003"}]},
    ]},
)  # fmt: skip
GENDER_BUT_UNKNOWN = value_set(
    "gender-known",
    {"include": [{"valueSet": [GENDER_VS]}],
     "exclude": [{"system": GENDER, "concept": [{"code": "unknown"}]}]},
)  # fmt: skip
CREDIT_CARDS = value_set(
    "credit-cards",
    {"include": [{"system": ACT_CODE, "filter": [{"property": "concept", "op": "descendent-of", "value": "CC"}]}]},
)  # fmt: skip
SELF_IMPORT = value_set("loop", {"include": [{"valueSet": [f"{BASE}/ValueSet/loop"]}]})
EXTRA = (TWO_LOINC, PLUS_SNOMED_FILTER, GENDER_BUT_UNKNOWN, CREDIT_CARDS, SELF_IMPORT)


@pytest.fixture(scope="session")
def source() -> LocalSource:
    """R4's terminology plus the value sets above."""
    return LocalSource(Canonicals([*held(), *EXTRA]))
