"""Prefixes and the implicit range of decimals. https://hl7.org/fhir/R4/search.html#prefix"""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.search.prefixes import decimal_range, split_prefix


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("eq100", ("eq", "100"), id="eq"),
        pytest.param("ne100", ("ne", "100"), id="ne"),
        pytest.param("gt100", ("gt", "100"), id="gt"),
        pytest.param("lt100", ("lt", "100"), id="lt"),
        pytest.param("ge2013-03-14", ("ge", "2013-03-14"), id="ge"),
        pytest.param("le2013-03-14", ("le", "2013-03-14"), id="le"),
        pytest.param("sa2013-03-14", ("sa", "2013-03-14"), id="sa"),
        pytest.param("eb2013-03-14", ("eb", "2013-03-14"), id="eb"),
        pytest.param(
            "ap5.4|http://unitsofmeasure.org|mg",
            ("ap", "5.4|http://unitsofmeasure.org|mg"),
            id="ap",
        ),
        pytest.param("100", ("eq", "100"), id="none-is-eq"),
        pytest.param("-5", ("eq", "-5"), id="negative-number"),
        pytest.param("2013-01-14", ("eq", "2013-01-14"), id="date-without-prefix"),
        pytest.param("abc", ("eq", "abc"), id="unknown-letters-stay"),
        pytest.param("GT100", ("eq", "GT100"), id="prefixes-are-lowercase"),
        pytest.param("gt", ("gt", ""), id="prefix-alone"),
        pytest.param("", ("eq", ""), id="empty"),
    ],
)
def test_split_prefix(value: str, expected: tuple[str, str]) -> None:
    assert split_prefix(value) == expected


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # search.html#number, the examples table
        pytest.param("100", "99.5", "100.5", id="spec-100"),
        pytest.param("100.00", "99.995", "100.005", id="spec-100.00"),
        # The table says [95, 105); one significant figure gives [50, 150), as the rule under it
        # ("the number of digits specified ... excluding leading zeros") does.
        pytest.param("1e2", "50", "150", id="spec-1e2-one-significant-figure"),
        pytest.param("1.00e2", "99.5", "100.5", id="spec-1.00e2-same-as-100"),
        # search.html#quantity: 5.4(+/-0.05), 0.0054(+/-0.000005)
        pytest.param("5.4", "5.35", "5.45", id="spec-5.4"),
        pytest.param("5.40e-3", "0.005395", "0.005405", id="spec-5.40e-3"),
        # search.html#prefix: "the number 2.0 has an implicit range of 1.95 to 2.05"
        pytest.param("2.0", "1.95", "2.05", id="spec-2.0"),
        pytest.param("0.5", "0.45", "0.55", id="leading-zero-not-significant"),
        pytest.param("0.05", "0.045", "0.055", id="leading-zeros-not-significant"),
        pytest.param("8e-1", "0.75", "0.85", id="negative-exponent"),
        pytest.param("1E2", "50", "150", id="capital-e"),
        pytest.param("1e+2", "50", "150", id="signed-exponent"),
        pytest.param("-5.4", "-5.45", "-5.35", id="negative"),
        pytest.param("0", "-0.5", "0.5", id="zero"),
        pytest.param("007", "6.5", "7.5", id="leading-zeros-integer"),
    ],
)
def test_decimal_range(text: str, low: str, high: str) -> None:
    assert decimal_range(text) == (Decimal(low), Decimal(high))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("abc", id="letters"),
        pytest.param("NaN", id="nan"),
        pytest.param("Infinity", id="infinity"),
        pytest.param("-inf", id="minus-inf"),
        pytest.param(".5", id="no-integer-part"),
        pytest.param("5.", id="no-fraction-digits"),
        pytest.param("1e", id="no-exponent-digits"),
        pytest.param("+5", id="plus-sign"),
        pytest.param(" 5", id="space"),
        pytest.param("1_000", id="underscore"),
        pytest.param("0x10", id="hex"),
        pytest.param("5,4", id="comma"),
        pytest.param("1e999999999999", id="exponent-too-large"),
    ],
)
def test_decimal_range_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="`"):
        decimal_range(text)
