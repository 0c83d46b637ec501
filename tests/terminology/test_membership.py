"""Membership and $validate-code: three-valued where a compose cannot be evaluated here."""

from __future__ import annotations

import pytest

from gateway.terminology import CodeCheck, LocalSource, UnknownValueSet
from tests.terminology.conftest import (
    BASE,
    GENDER,
    GENDER_BUT_UNKNOWN,
    GENDER_VS,
    LOINC,
    PLUS_SNOMED_FILTER,
    SNOMED,
)

OBSERVATION_CODES = "http://hl7.org/fhir/ValueSet/observation-codes"


@pytest.mark.parametrize(
    ("url", "system", "code", "expected"),
    [
        pytest.param(GENDER_VS, GENDER, "male", True, id="in"),
        pytest.param(GENDER_VS, GENDER, "banana", False, id="not-in"),
        pytest.param(GENDER_VS, "http://other", "male", False, id="other-system"),
        pytest.param(GENDER_VS, None, "female", True, id="any-system"),
        pytest.param(GENDER_BUT_UNKNOWN["url"], GENDER, "unknown", False, id="excluded"),
        pytest.param(PLUS_SNOMED_FILTER["url"], LOINC, "8867-4", True, id="listed-beside-filter"),
        pytest.param(PLUS_SNOMED_FILTER["url"], LOINC, "1-8", False, id="loinc-not-listed"),
        pytest.param(PLUS_SNOMED_FILTER["url"], SNOMED, "22298006", None, id="snomed-cannot-tell"),
        pytest.param(OBSERVATION_CODES, LOINC, "8867-4", None, id="all-loinc-cannot-tell"),
        pytest.param(OBSERVATION_CODES, SNOMED, "8867-4", False, id="all-loinc-other-system"),
    ],
)
def test_contains(
    source: LocalSource, url: str, system: str | None, code: str, expected: bool | None
) -> None:
    assert source.contains(url, system, code) is expected


def test_contains_an_unknown_value_set_raises(source: LocalSource) -> None:
    with pytest.raises(UnknownValueSet):
        source.contains(f"{BASE}/ValueSet/nowhere", GENDER, "male")


def test_validate_code_in_the_set(source: LocalSource) -> None:
    check = source.validate_code(GENDER_VS, system=GENDER, code="male")
    assert check == CodeCheck(True, "", "Male")


def test_validate_code_outside_the_set(source: LocalSource) -> None:
    check = source.validate_code(GENDER_VS, system=GENDER, code="banana")
    assert check == CodeCheck(False, f"Code `{GENDER}|banana` is not in ValueSet `{GENDER_VS}`.")


def test_validate_code_with_a_wrong_display_warns(source: LocalSource) -> None:
    check = source.validate_code(GENDER_VS, system=GENDER, code="male", display="Man")
    assert check.result is True
    assert check.display == "Male"
    assert check.message == f"Display `Man` for `{GENDER}|male` should be `Male`."


def test_validate_code_that_cannot_be_told_says_why(source: LocalSource) -> None:
    check = source.validate_code(OBSERVATION_CODES, system=LOINC, code="8867-4")
    assert check.result is None
    assert "all codes of CodeSystem `http://loinc.org`" in check.message
