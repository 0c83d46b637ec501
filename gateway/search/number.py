"""Number search: `[prefix]number` -> MongoDB clause. https://hl7.org/fhir/R4/search.html#number

The value's significant figures give it a range, which `eq`, `ne` and `ap` use; the other
prefixes compare with the number exactly. Quantity search reuses `conditions` for its value.

Stores compare doubles. When the upper end of an eq/ne precision range rounds to the same double
as the number itself (`eq160.07303938032456` reaches 5e-15 either side, finer than a double
there), that end is compared inclusively (`$lt` -> `$lte`, ne's `$gte` -> `$gt`), so a value as
written is inside its own range; any coarser range keeps its operators (`eq5.4` excludes 5.45).
"""

from __future__ import annotations

import math
from decimal import Decimal

from gateway.errors import InvalidSearch
from gateway.search.model import Clause, SearchParameter
from gateway.search.paths import any_of, nest
from gateway.search.prefixes import Prefix, decimal_range, parse_decimal, split_prefix

Condition = dict[str, float]  # operators on one numeric field: {"$gte": 99.5, "$lt": 100.5}

# #number: with these prefixes "the implicit precision of the number is ignored"; a number has no
# extent, so starts-after is greater-than and ends-before is less-than.
_EXACT = {"gt": "$gt", "sa": "$gt", "lt": "$lt", "eb": "$lt", "ge": "$gte", "le": "$lte"}


def clause(param: SearchParameter, value: str, *, paths: tuple[str, ...] | None = None) -> Clause:
    """Resources with a number at one of `paths` (default `param.paths`) matching `value`."""
    try:
        options = conditions(*split_prefix(value))
    except ValueError:
        raise InvalidSearch(
            f"Invalid number `{value}` for parameter `{param.code}`.", expression=param.code
        ) from None
    targets = param.paths if paths is None else paths
    # nest: a path ending in `[]` is an array of numbers, one of which must match.
    return any_of([nest(path, {"": option}) for path in targets for option in options])


def conditions(prefix: Prefix, number: str) -> list[Condition]:
    """Conditions on one numeric field, any of which matches; ValueError for a bad number."""
    exact = float(parse_decimal(number))
    return [_floats(prefix, condition, exact) for condition in bounds(prefix, number)]


def bounds(prefix: Prefix, number: str) -> list[dict[str, Decimal]]:
    """`conditions` with their exact decimal bounds, for a caller that converts them (quantity
    search into a canonical unit); ValueError for a bad number."""
    low, high = decimal_range(number)
    exact = parse_decimal(number)
    if prefix == "eq":  # #prefix: the range of the search value contains the target's
        return [{"$gte": low, "$lt": high}]
    if prefix == "ne":  # #number: "not equal to 100 (actually, in the range 99.5 to 100.5)"
        return [{"$lt": low}, {"$gte": high}]
    if prefix == "ap":
        return [_approximately(exact, half=high - exact)]
    return [{_EXACT[prefix]: exact}]


def _approximately(exact: Decimal, *, half: Decimal) -> dict[str, Decimal]:
    """#prefix `ap`: "the recommended value for the approximation is 10% of the stated value".

    Never narrower than the value's implicit range, so `ap0` still means [-0.5, 0.5].
    """
    margin = max(abs(exact) / 10, half)
    return {"$gte": exact - margin, "$lte": exact + margin}


def _floats(prefix: Prefix, condition: dict[str, Decimal], exact: float) -> Condition:
    """MongoDB compares doubles; a bound beyond a double's range is not a usable number."""
    converted: Condition = {}
    for operator, bound in condition.items():
        number = float(bound)
        if not math.isfinite(number):
            raise ValueError("the number is beyond the range of a double")
        converted[as_double(prefix, operator, number, exact)] = number
    return converted


# The operator of the upper end of the precision range: eq's `$lt high`, ne's `$gte high`.
_UPPER = {"eq": ("$lt", "$lte"), "ne": ("$gte", "$gt")}


def as_double(prefix: Prefix, operator: str, bound: float, exact: float) -> str:
    """The operator for a bound compared as a double (module docstring): the upper end of an
    eq/ne range that is the number's own double includes it."""
    strict, widened = _UPPER.get(prefix, ("", ""))
    return widened if operator == strict and bound == exact else operator
