"""String search compares normalised text (search.html#string: case- and accent-insensitive)."""

from __future__ import annotations

import pytest

from gateway.search.normalise import normalise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Müller", "muller", id="umlaut"),
        pytest.param("MÜLLER", "muller", id="upper-umlaut"),
        pytest.param("Ångström", "angstrom", id="ring"),
        pytest.param("José María", "jose maria", id="acute"),
        pytest.param("François", "francois", id="cedilla"),
        pytest.param("Straße", "strasse", id="casefold-sharp-s"),
        pytest.param("  Ana \t\n Rivera  ", "ana rivera", id="whitespace"),
        pytest.param("ﬁne", "fine", id="compatibility-ligature"),
        pytest.param("Nguyễn", "nguyen", id="stacked-marks"),
        pytest.param("", "", id="empty"),
        pytest.param("O'Brien-Smith", "o'brien-smith", id="punctuation-kept"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_normalise_is_idempotent() -> None:
    once = normalise("  Dvořák ÉCOLE ")
    assert normalise(once) == once
