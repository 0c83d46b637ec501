"""gateway.jsonio: every JSON number keeps its text from bytes to bytes; orjson's speed otherwise."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from gateway.jsonio import ExactDecimal, ExactNumber, deep_copy, dumps, holds_exact, loads

# Texts a float would not reproduce, and the float each stands for.
LOSSY = [
    pytest.param("1.50", 1.5, id="trailing-zero"),
    pytest.param("0.10", 0.1, id="leading-and-trailing-zero"),
    pytest.param("1e-400", 0.0, id="below-double-range"),
    pytest.param("1e400", float("inf"), id="beyond-double-range"),
    pytest.param("1E+5", 100000.0, id="capital-exponent"),
    pytest.param("1e16", 1e16, id="exponent-without-sign"),
    pytest.param("1.0e2", 100.0, id="exponent-with-fraction"),
    pytest.param("12345678901234567890.123", 12345678901234567890.123, id="many-digits"),
    pytest.param("0.1000000000000000055511151231257827", 0.1, id="more-than-a-double"),
    pytest.param("123456789012345678901234567890", 1.2345678901234568e29, id="beyond-64-bits"),
    pytest.param("-18446744073709551617", -1.8446744073709552e19, id="below-64-bits"),
]
# Texts orjson writes back as they are: plain floats and ints, as orjson.loads makes them.
KEPT = ["1.5", "100.0", "-0.0", "0.30000000000000004", "1e-7", "5e-324", "0", "-7", "72.5"]
KEPT_INTEGERS = ["9223372036854775807", "18446744073709551615", "-9223372036854775808"]


def document(number: str) -> bytes:
    return f'{{"resourceType": "Observation", "valueQuantity": {{"value": {number}}}}}'.encode()


@pytest.mark.parametrize(("text", "number"), LOSSY)
def test_a_lossy_number_keeps_its_text_and_its_float(text: str, number: float) -> None:
    value = loads(document(text))["valueQuantity"]["value"]

    assert type(value) is ExactDecimal
    assert (value.text, float(value)) == (text, number)
    assert dumps({"value": value}) == f'{{"value":{text}}}'.encode()


@pytest.mark.parametrize("text", KEPT + KEPT_INTEGERS)
def test_a_number_orjson_writes_back_stays_a_plain_float_or_int(text: str) -> None:
    value = loads(document(text))["valueQuantity"]["value"]

    assert type(value) is type(orjson.loads(text))
    assert dumps(value) == text.encode()


def test_negative_zero_as_an_integer_is_zero() -> None:
    """Integers carry no precision; `-0` is 0, as orjson reads it."""
    assert dumps(loads(b"[-0]")) == b"[0]"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"a":[1.5,{"b":"x"}],"c":true}', id="compact"),
        pytest.param(
            b'{\n  "a": [\n    1.5,\n    {"b": "x y"}\n  ],\n  "c": true\n}\n', id="pretty"
        ),
        pytest.param(json.dumps({"a": [1.5, {"b": "x"}], "c": True}).encode(), id="json.dumps"),
    ],
)
def test_documents_without_lossy_numbers_are_orjsons(raw: bytes) -> None:
    value = loads(raw)

    assert value == orjson.loads(raw)
    assert not holds_exact(value)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(rb'{"text": "caf\u00e9, 1.50]", "n": [1.50, 2.5]}', id="escaped-string"),
        pytest.param(b'{"text": "1.50, 0.10]", "n": 2.5}', id="number-like-string"),
        pytest.param(b'{"n": 1.5, "n": 1.50}', id="duplicate-key"),
        pytest.param(b'{"text": "a\\/b \\"q\\"", "n": 1e-400}', id="escapes-and-lossy"),
    ],
)
def test_strings_and_numbers_come_out_as_json_reads_them(raw: bytes) -> None:
    value = loads(raw)

    assert value == json.loads(raw)
    assert dumps(value) == dumps(json.loads(raw, parse_float=ExactDecimal, parse_int=int))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(b'{"a": NaN}', "`NaN` is not a JSON number", id="nan"),
        pytest.param(b"[Infinity]", "`Infinity` is not a JSON number", id="infinity"),
        pytest.param(b'{"a": 1', "Expecting ',' delimiter", id="cut-off"),
        pytest.param(b"", "Expecting value", id="empty"),
        pytest.param(b'["\\ud800"]', "surrogate", id="lone-surrogate"),
        pytest.param(b'[123456789012345678901234567890, "\\ud800"]', "surrogate", id="big-int-and-lone-surrogate"),
        pytest.param(b'["\xff"]', "UTF-8", id="not-utf-8"),
        pytest.param(b"\xef\xbb\xbf{}", "BOM", id="byte-order-mark"),
        pytest.param(b"[" * 2000 + b"]" * 2000, "nested too deeply", id="deep"),
        pytest.param(b"[1.50] x", "Extra data", id="trailing-data"),
    ],
)  # fmt: skip
def test_what_is_not_json_raises_value_error(raw: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        loads(raw)


def test_dumps_writes_the_text_in_every_layout() -> None:
    value = {"b": ExactDecimal("1.50"), "a": [ExactDecimal("1e-400"), 2.5]}

    assert dumps(value) == b'{"b":1.50,"a":[1e-400,2.5]}'
    assert dumps(value, sort_keys=True, newline=True) == b'{"a":[1e-400,2.5],"b":1.50}\n'
    assert dumps(value, pretty=True) == b'{\n  "b": 1.50,\n  "a": [\n    1e-400,\n    2.5\n  ]\n}'


def test_dumps_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError):
        dumps({"a": object()})


def test_an_exact_decimal_is_a_float_that_travels() -> None:
    number = ExactDecimal("1.50")

    assert number == 1.5
    assert number < 1.6
    assert number + 1 == 2.5
    assert (str(number), repr(number)) == ("1.50", "ExactDecimal('1.50')")
    for twin in (pickle.loads(pickle.dumps(number)), copy.copy(number), copy.deepcopy(number)):
        assert (type(twin), twin.text) == (ExactDecimal, "1.50")


@pytest.mark.parametrize("text", ["NaN", "1.", ".5", "01", "1,5", "+1", " 1"])
def test_an_exact_decimal_is_only_made_of_a_json_number(text: str) -> None:
    with pytest.raises(ValueError, match="is not a JSON number"):
        ExactDecimal(text)


class Measured(BaseModel):
    value: ExactNumber | None = None


@pytest.mark.parametrize("value", [ExactDecimal("1.50"), 1.5, 2, None])
def test_exact_number_fields_keep_what_they_are_given(value: Any) -> None:
    kept = Measured(value=value)

    assert type(kept.value) is type(value)
    assert type(kept.model_dump()["value"]) is type(value)


def test_exact_number_fields_still_refuse_what_is_no_number() -> None:
    with pytest.raises(ValidationError):
        Measured.model_validate({"value": "many"})


def test_deep_copy_shares_nothing_and_keeps_every_text() -> None:
    original: dict[str, Any] = {"a": [{"v": ExactDecimal("0.10")}, 1.5], "b": {"c": "x"}}

    copied = deep_copy(original)
    plain = deep_copy({"a": [1.5]})

    assert dumps(copied) == b'{"a":[{"v":0.10},1.5],"b":{"c":"x"}}'
    assert copied["a"] is not original["a"]
    assert copied["a"][0] is not original["a"][0]
    assert plain == {"a": [1.5]}
    assert not holds_exact(plain)


def test_holds_exact_finds_an_exact_decimal_at_any_depth() -> None:
    assert holds_exact({"a": [[{"b": ExactDecimal("1E5")}]]})
    assert not holds_exact({"a": [[{"b": 1.5, "c": None}]], "d": "1.50"})


# Any document: the numbers come back as written.

_NUMBERS = st.from_regex(
    r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
)
_SPACE = st.sampled_from(["", " ", "\n  ", "\t"])
_STRINGS = st.text(max_size=12).map(lambda s: json.dumps(s, ensure_ascii=False))
_ESCAPED = st.text(max_size=12).map(json.dumps)  # \uXXXX escapes: the slower parse
_SCALARS = _NUMBERS | _STRINGS | _ESCAPED | st.sampled_from(["true", "false", "null"])


def _array(items: list[tuple[str, str]]) -> str:
    return "[" + ",".join(f"{space}{item}" for space, item in items) + "]"


def _object(members: list[tuple[str, str, str]]) -> str:
    return "{" + ",".join(f"{key}:{space}{value}" for key, value, space in members) + "}"


_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(st.tuples(_SPACE, inner), max_size=5).map(_array)
        | st.lists(st.tuples(_STRINGS, inner, _SPACE), max_size=5, unique_by=lambda m: m[0]).map(
            _object
        )
    ),
    max_leaves=25,
)


def _number_tokens(text: str | bytes) -> list[Any]:
    """The numbers of a JSON text in order: a float's text, an integer's value."""
    found: list[Any] = []
    json.loads(text, parse_float=found.append, parse_int=lambda s: found.append(int(s)))
    return found


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_every_number_is_written_back_as_it_was_read(text: str) -> None:
    value = loads(text.encode())

    assert _number_tokens(dumps(value)) == _number_tokens(text)
    assert dumps(deep_copy(value)) == dumps(value)
