"""Search prefixes and a decimal's implicit range. https://hl7.org/fhir/R4/search.html#prefix

Number, date and quantity values may start with one of nine prefixes (#prefix); without one, `eq`
is meant. A decimal search value stands for a range set by its significant figures (#number).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal, get_args

Prefix = Literal["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]
_PREFIXES: dict[str, Prefix] = {prefix: prefix for prefix in get_args(Prefix)}

# A FHIR decimal, plus the exponent forms search allows (#number: `1e2`, `8e-1`); no NaN, no
# Infinity, no `.5` or `5.`, which `Decimal` would accept.
_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def split_prefix(value: str) -> tuple[Prefix, str]:
    """`ge2019` -> ("ge", "2019"); no known prefix -> ("eq", value) (#prefix: `eq` is assumed)."""
    prefix = _PREFIXES.get(value[:2])
    return (prefix, value[2:]) if prefix else ("eq", value)


def parse_decimal(text: str) -> Decimal:
    """`text` as an exact decimal, its written precision kept; ValueError if it is not a number."""
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"`{text}` is not a decimal number")
    return Decimal(text)


def decimal_range(text: str) -> tuple[Decimal, Decimal]:
    """The implicit range [low, high) of a decimal search value.

    #number: "The number of significant digits of the implicit range is the number of digits
    specified in the search parameter value, excluding leading zeros", so the range is the value
    plus or minus half a unit in its last significant place: `100` -> [99.5, 100.5), `5.4` ->
    [5.35, 5.45), `1.00e2` -> [99.5, 100.5). `1e2` has one significant figure, so [50, 150);
    the spec's example table says [95, 105), which contradicts its own rule.
    """
    value = parse_decimal(text)
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # NaN and Infinity have no digits; the regex excludes them
        raise ValueError(f"`{text}` is not a finite number")
    try:
        half = Decimal(5).scaleb(exponent - 1)
        return value - half, value + half
    except ArithmeticError as error:  # an exponent beyond what Decimal computes with
        raise ValueError(f"`{text}` is out of range") from error
