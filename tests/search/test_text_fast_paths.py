"""The fast paths of escaping and normalising (text without a backslash, ASCII text) give what
the general algorithm gives: each is compared with the general loop written out here, over text
drawn to hit separators, backslashes, whitespace and case."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from gateway.search.escaping import split_unescaped, unescape
from gateway.search.normalise import normalise

_TEXT = st.text(alphabet=st.sampled_from("ab|,$\\ \t\x1fZé"), max_size=20)
_ASCII = st.text(alphabet=st.characters(max_codepoint=127), max_size=30)


def _split_loop(text: str, separator: str) -> list[str]:
    parts, current, index = [], "", 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text):
            current += text[index : index + 2]
            index += 2
        elif text.startswith(separator, index):
            parts.append(current)
            current, index = "", index + len(separator)
        else:
            current += text[index]
            index += 1
    return [*parts, current]


def _unescape_loop(text: str) -> str:
    out, index = "", 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text) and text[index + 1] in ",|$\\":
            out, index = out + text[index + 1], index + 2
        else:
            out, index = out + text[index], index + 1
    return out


def _normalise_general(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@given(_TEXT, st.sampled_from([",", "|", "$"]))
def test_split_unescaped_is_the_loop(text: str, separator: str) -> None:
    assert split_unescaped(text, separator) == _split_loop(text, separator)


@given(_TEXT)
def test_unescape_is_the_loop(text: str) -> None:
    assert unescape(text) == _unescape_loop(text)


@given(st.one_of(_ASCII, _TEXT))
def test_normalise_of_ascii_is_the_general_one(text: str) -> None:
    assert normalise(text) == _normalise_general(text)
