"""Escaping in search values (search.html#escaping): split first, unescape each part."""

from __future__ import annotations

import pytest

from gateway.search.escaping import split_unescaped, unescape


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        pytest.param("a,b", ",", ["a", "b"], id="plain"),
        pytest.param("a\\,b", ",", ["a\\,b"], id="escaped-separator-kept"),
        pytest.param("a\\,b,c", ",", ["a\\,b", "c"], id="escaped-then-plain"),
        pytest.param("a\\\\,b", ",", ["a\\\\", "b"], id="escaped-backslash-then-separator"),
        pytest.param("sys\\|tem|code", "|", ["sys\\|tem", "code"], id="token-escaped-bar"),
        pytest.param("|code", "|", ["", "code"], id="leading"),
        pytest.param("system|", "|", ["system", ""], id="trailing"),
        pytest.param("a|b|c", "|", ["a", "b", "c"], id="three"),
        pytest.param("", ",", [""], id="empty"),
        pytest.param("a\\", ",", ["a\\"], id="trailing-backslash"),
        pytest.param("a$b\\$c", "$", ["a", "b\\$c"], id="composite"),
    ],
)
def test_split_unescaped(text: str, separator: str, expected: list[str]) -> None:
    assert split_unescaped(text, separator) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a\\,b", "a,b", id="comma"),
        pytest.param("sys\\|tem", "sys|tem", id="bar"),
        pytest.param("a\\$b", "a$b", id="dollar"),
        pytest.param("a\\\\b", "a\\b", id="backslash"),
        pytest.param("a\\\\,b", "a\\,b", id="backslash-then-comma"),
        pytest.param("a\\nb", "a\\nb", id="other-escape-kept"),
        pytest.param("a\\", "a\\", id="lone-trailing-backslash"),
        pytest.param("plain", "plain", id="plain"),
    ],
)
def test_unescape(text: str, expected: str) -> None:
    assert unescape(text) == expected


def test_split_then_unescape_round_trip() -> None:
    parts = [unescape(p) for p in split_unescaped("a\\,b,c\\\\,d", ",")]
    assert parts == ["a,b", "c\\", "d"]
