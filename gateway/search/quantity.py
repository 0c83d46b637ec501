"""Quantity search: `[prefix]number|system|code` -> MongoDB clause.

https://hl7.org/fhir/R4/search.html#quantity. The number is matched as in number search
(#number, #prefix); the unit as a token: `system|code` needs both, `||unit` takes the code or the
human-readable unit. Value and unit must hold for the same Quantity, so each path's conditions are
nested on its element (`components[].value_quantity`: one component has both).

With the UCUM system and a code that converts (gateway.ucum), the search is in canonical units
(#quantity: the server "SHOULD" convert): the number's range, set by its prefix and precision
in the unit asked for, is converted bound by bound and compared with the canonical value stored
beside each Quantity (`canonical.value` in `canonical.code`). Conversions are increasing and
affine, so each bound keeps its operator: `gt200|…|[lb_av]` finds 95 kg, `eq37|…|Cel` (36.5 to
37.5 Cel) finds 98.6 [degF]. The same code as recorded matches too, as before: a Quantity
without a canonical value (written before it was stored, at a path with no such view, such as
an Encounter's `length`) is still found in its own unit. A code that does not convert matches
by code only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.errors import InvalidSearch
from gateway.jsonio import ExactDecimal
from gateway.search import number
from gateway.search.escaping import split_unescaped, unescape
from gateway.search.model import Clause, SearchParameter
from gateway.search.paths import any_of, nest
from gateway.search.prefixes import Prefix, parse_decimal, split_prefix
from gateway.ucum import UCUM, Conversion, conversion, number_text

Unit = dict[str, str]  # equalities on a Quantity's system, code or unit
Match = dict[str, Any]  # conditions on the sub-fields of one Quantity


def clause(param: SearchParameter, value: str, *, paths: tuple[str, ...] | None = None) -> Clause:
    """Resources with a Quantity at one of `paths` (default `param.paths`) matching `value`."""
    try:
        amount, system, code = _parse(value)
        prefix, figures = split_prefix(amount)
        matches = _as_recorded(prefix, figures, system, code)
        converts = conversion(code) if system == UCUM and code else None
        if converts is not None:
            matches = _canonical(prefix, figures, converts) + matches
    except ValueError:
        raise InvalidSearch(
            f"Invalid quantity `{value}` for parameter `{param.code}`.", expression=param.code
        ) from None
    targets = param.paths if paths is None else paths
    return any_of([nest(path, match) for path in targets for match in matches])


def _parse(value: str) -> tuple[str, str | None, str]:
    """`le5.4|http://unitsofmeasure.org|mg` -> ("le5.4", system, code); a bare number has no
    system (None) and an empty code."""
    parts = split_unescaped(value, "|")
    if len(parts) == 1:  # #quantity: `5.4` "irrespective of the unit"
        return parts[0], None, ""
    if len(parts) != 3:
        raise ValueError("a quantity is number, or number|system|code")
    return parts[0], unescape(parts[1]), unescape(parts[2])


def _as_recorded(prefix: Prefix, figures: str, system: str | None, code: str) -> list[Match]:
    options = number.conditions(prefix, figures)
    return [{"value": option, **unit} for unit in _units(system, code) for option in options]


def _units(system: str | None, code: str) -> list[Unit]:
    """The unit alternatives, any of which may match."""
    if system is None:
        return [{}]
    if not system:
        # #quantity `5.4||mg`: "either the code (code) or the stated human unit (unit)"; `5.4||`
        # has no unit to match.
        return [{"code": code}, {"unit": code}] if code else [{}]
    # #quantity: a system asks for "a precise (and potentially canonical) match", never the
    # human unit; `5.4|system|` matches the system alone, as token `[system]|` does (#token).
    return [{"system": system, "code": code}] if code else [{"system": system}]


def _canonical(prefix: Prefix, figures: str, converts: Conversion) -> list[Match]:
    """The conditions of `figures` in the code's unit, on the canonical value instead."""
    exact = _converted(converts, parse_decimal(figures))
    matches: list[Match] = []
    for bounds in number.bounds(prefix, figures):
        values = {op: _converted(converts, bound) for op, bound in bounds.items()}
        condition = {
            number.as_double(prefix, op, value, exact): value for op, value in values.items()
        }
        matches.append({"canonical.value": condition, "canonical.code": converts.unit})
    return matches


def _converted(converts: Conversion, bound: Decimal) -> ExactDecimal:
    """A bound in the canonical unit, rounded as stored values are (gateway.ucum). An
    ExactDecimal: a double on the embedded store, a Decimal128 on MongoDB, as stored ones."""
    try:
        text = number_text(converts.apply(bound))
    except ArithmeticError:
        text = None
    if text is None:
        raise ValueError("the number is beyond the range of a double")
    return ExactDecimal(text)
