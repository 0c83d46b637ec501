"""String search compares normalised text (search.html#string: case- and accent-insensitive)."""

from __future__ import annotations

import re

import pytest

from gateway.search.normalise import normalise, starts_with_pattern


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


@pytest.mark.parametrize(
    ("query", "written", "matches"),
    [
        pytest.param("muller", "Müller-Lüdenscheidt", True, id="accent-blind"),
        pytest.param("MÜLLER", "muller", True, id="accent-in-the-query"),
        pytest.param("jose ma", "  José   María", True, id="spacing-blind"),
        pytest.param("rifampicin ", "Rifampicin", True, id="trailing-space"),
        pytest.param("jose", "Jose\u0301", True, id="decomposed-mark"),
        pytest.param("nguyen", "Nguyễn Van", True, id="stacked-marks"),
        pytest.param("a.b", "axb", False, id="regex-characters-literal"),
        pytest.param("cose", "Glucose", False, id="starts-with-only"),
        pytest.param("jose", "Josh", False, id="different-letter"),
    ],
)
def test_starts_with_pattern_matches_text_as_written(
    query: str, written: str, matches: bool
) -> None:
    """The pattern `:text` uses on displays kept as written: what string search would match."""
    found = re.match(starts_with_pattern(query), written, re.IGNORECASE) is not None
    assert found == matches
    assert found == normalise(written).startswith(normalise(query))
