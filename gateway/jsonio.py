"""JSON in and out with every number as it was written: `1.50` stays `1.50`, `1e-400` stays
`1e-400` (https://hl7.org/fhir/R4/json.html: a decimal's precision SHALL be preserved;
datatypes.html#decimal: `0.010` is not `0.01`).

A number that orjson would write back as it was sent stays a plain `float` (or `int`); any
other becomes an `ExactDecimal`, a `float` that also carries its text. Arithmetic, comparison,
search and the embedded store use the float; `dumps` writes the text. Imports nothing of ours,
so every layer may use it.

`loads` parses with orjson and keeps that result when orjson writes it back as the same bytes,
whitespace aside: then no number can have lost its text (numbers are only ever next to
structural characters, which are compared too). Only other documents are parsed a second time,
number by number (`json` with hooks). `dumps` is orjson; it meets an `ExactDecimal` only through
`default` (orjson refuses float subclasses), so documents without one cost nothing more.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

import orjson
from pydantic import ValidatorFunctionWrapHandler, WrapValidator

Json = dict[str, Any]  # a JSON object, as loads reads it: FHIR resources, bodies, outcomes

__all__ = [
    "ExactDecimal",
    "ExactNumber",
    "Json",
    "deep_copy",
    "dumps",
    "exact_decoder",
    "holds_exact",
    "loads",
]

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")  # RFC 8259 §6
_WHITESPACE = b" \t\r\n"  # RFC 8259 §2: the only whitespace between tokens
_INT64_MIN, _UINT64_MAX = -(2**63), 2**64 - 1  # the integers orjson reads and writes


class ExactDecimal(float):
    """A JSON number whose text a float would not reproduce (`1.50`, `1E5`, `1e-400`, an
    integer past 64 bits): the float for computing, `text` for writing it back."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> ExactDecimal:
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"`{text}` is not a JSON number.")
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __reduce__(self) -> tuple[type[ExactDecimal], tuple[str]]:
        return ExactDecimal, (self.text,)  # pickled to import workers, copied by mongomock

    def __repr__(self) -> str:
        return f"ExactDecimal({self.text!r})"

    def __str__(self) -> str:
        return self.text


def _keep_exact(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """pydantic makes a plain float of a float subclass; an ExactDecimal stays as it is."""
    return value if type(value) is ExactDecimal else handler(value)


# The type of every decimal field of the domain models: an int or a float as JSON gave it, or
# an ExactDecimal kept as it is.
ExactNumber = Annotated[float | int, WrapValidator(_keep_exact)]


def loads(raw: bytes) -> Any:
    """The JSON value of `raw`, numbers exact.

    Raises:
        ValueError: `raw` is not JSON (a `json.JSONDecodeError` where a position is known).
    """
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as refused:
        return _where_orjson_refused(raw, refused)
    if _written_back(raw, value):
        return value
    return _exact(raw.decode())  # orjson accepted it: valid UTF-8, no lone surrogate


def dumps(
    value: Any, *, pretty: bool = False, sort_keys: bool = False, newline: bool = False
) -> bytes:
    """orjson's bytes, an ExactDecimal written as its text."""
    option = (
        (orjson.OPT_INDENT_2 if pretty else 0)
        | (orjson.OPT_SORT_KEYS if sort_keys else 0)
        | (orjson.OPT_APPEND_NEWLINE if newline else 0)
    )
    return orjson.dumps(value, default=_as_text, option=option)


def deep_copy(value: Any) -> Any:
    """A copy of a JSON value sharing nothing with it, made through orjson's bytes: parsed by
    `json` only when it holds an ExactDecimal."""
    exact = False

    def as_text(item: Any) -> orjson.Fragment:
        nonlocal exact
        exact = True
        return _as_text(item)

    written = orjson.dumps(value, default=as_text)
    return _exact(written.decode()) if exact else orjson.loads(written)


def holds_exact(value: Any) -> bool:
    """Whether an ExactDecimal is anywhere in `value` (walked by orjson, in C)."""
    found = False

    def note(item: Any) -> None:
        nonlocal found
        found = found or isinstance(item, ExactDecimal)

    try:
        orjson.dumps(value, default=note)
    except orjson.JSONEncodeError:
        return True  # beyond what orjson writes: the caller's own walk decides
    return found


def exact_decoder() -> json.JSONDecoder:
    """A `json` decoder making numbers as `loads` does, for reading a stream value by value
    (`raw_decode`). It takes what `json` takes: lone surrogates included."""
    return json.JSONDecoder(parse_float=_float, parse_int=_int, parse_constant=_reject_constant)


def _as_text(value: Any) -> orjson.Fragment:
    if isinstance(value, ExactDecimal):
        return orjson.Fragment(value.text)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _written_back(raw: bytes, value: Any) -> bool:
    """Whether orjson writes `value` as `raw`, whitespace aside: then every number kept its text."""
    try:
        written = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return True  # nested deeper than orjson writes: the value stands as orjson read it
    return written == raw or written.translate(None, _WHITESPACE) == raw.translate(
        None, _WHITESPACE
    )


def _where_orjson_refused(raw: bytes, refused: orjson.JSONDecodeError) -> Any:
    """JSON that orjson refuses only for its numbers (an integer past 64 bits, `1e400`) is read
    by `json`; anything else keeps orjson's error, or `json`'s where `json` refuses it too."""
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise refused from None
    value = _exact(text)
    try:
        dumps(value)  # a lone surrogate, which `json` reads and orjson neither reads nor writes
    except orjson.JSONEncodeError:
        raise refused from None
    return value


def _exact(text: str) -> Any:
    """The value of `text`, each number as `loads` makes it: the slower parse."""
    try:
        return json.loads(text, parse_float=_float, parse_int=_int, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _float(text: str) -> float:
    value = float(text)
    return value if orjson.dumps(value) == text.encode() else ExactDecimal(text)


def _int(text: str) -> int | float:
    if len(text) <= 18:  # well within 64 bits
        return int(text)
    value = int(text) if len(text) <= 21 else None
    if value is not None and _INT64_MIN <= value <= _UINT64_MAX:
        return value
    return ExactDecimal(text)


def _reject_constant(name: str) -> Any:
    """`json` takes NaN and Infinity; JSON (RFC 8259 §6) does not."""
    raise ValueError(f"`{name}` is not a JSON number")
