"""A conditional interaction's criteria are parsed once per text (gateway.services.conditional):
the same text gives the same immutable request, the claim's key is its canonical form whatever
the order of its items, and a refusal is raised every time, never remembered as an answer."""

from __future__ import annotations

import pytest

from gateway.errors import InvalidRequest, InvalidSearch
from gateway.services.conditional import _canonical, _search

CRITERIA = "identifier=https://github.com/synthetichealth/synthea|ef58ea08"


def test_the_same_text_is_parsed_once() -> None:
    first = _search("Organization", CRITERIA)
    assert _search("Organization", CRITERIA) is first
    assert _search("Location", CRITERIA) is not first  # the type is part of the key
    (parameter,) = first.parameters
    assert (parameter.name, parameter.values) == ("identifier", (CRITERIA.split("=")[1],))


def test_the_claim_key_is_canonical() -> None:
    assert _canonical("name=b&identifier=a%7C1") == _canonical("identifier=a|1&name=b")
    assert _canonical(CRITERIA) == (
        "identifier=https%3A%2F%2Fgithub.com%2Fsynthetichealth%2Fsynthea%7Cef58ea08"
    )


@pytest.mark.parametrize("criteria", ["", "identifier=", "identifier=&name="])
def test_empty_criteria_are_refused_every_time(criteria: str) -> None:
    for _ in range(2):
        with pytest.raises(InvalidRequest, match="needs search criteria"):
            _search("Organization", criteria)


def test_an_unknown_parameter_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(InvalidSearch):
            _search("Organization", "no-such-parameter=1")
