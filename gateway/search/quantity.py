"""Quantity search: `[prefix]number|system|code` -> MongoDB clause.

https://hl7.org/fhir/R4/search.html#quantity. The number is matched as in number search
(#number, #prefix); the unit as a token: `system|code` needs both, `||unit` takes the code or the
human-readable unit. Value and unit must hold for the same Quantity, so each path's conditions are
nested on its element (`components[].value_quantity`: one component has both).
"""

from __future__ import annotations

from gateway.errors import InvalidSearch
from gateway.search import number
from gateway.search.escaping import split_unescaped, unescape
from gateway.search.model import Clause, SearchParameter
from gateway.search.paths import any_of, nest
from gateway.search.prefixes import split_prefix

Unit = dict[str, str]  # equalities on a Quantity's system, code or unit


def clause(param: SearchParameter, value: str, *, paths: tuple[str, ...] | None = None) -> Clause:
    """Resources with a Quantity at one of `paths` (default `param.paths`) matching `value`."""
    try:
        amount, units = _parse(value)
        options = number.conditions(*split_prefix(amount))
    except ValueError:
        raise InvalidSearch(
            f"Invalid quantity `{value}` for parameter `{param.code}`.", expression=param.code
        ) from None
    targets = param.paths if paths is None else paths
    return any_of(
        [
            nest(path, {"value": option, **unit})
            for path in targets
            for unit in units
            for option in options
        ]
    )


def _parse(value: str) -> tuple[str, list[Unit]]:
    """`le5.4|http://unitsofmeasure.org|mg` -> ("le5.4", the unit alternatives, any may match)."""
    parts = split_unescaped(value, "|")
    if len(parts) == 1:  # #quantity: `5.4` "irrespective of the unit"
        return parts[0], [{}]
    if len(parts) != 3:
        raise ValueError("a quantity is number, or number|system|code")
    amount, system, code = parts[0], unescape(parts[1]), unescape(parts[2])
    return amount, _units(system, code)


def _units(system: str, code: str) -> list[Unit]:
    if not system:
        # #quantity `5.4||mg`: "either the code (code) or the stated human unit (unit)"; `5.4||`
        # has no unit to match.
        return [{"code": code}, {"unit": code}] if code else [{}]
    # #quantity: a system asks for "a precise (and potentially canonical) match", never the
    # human unit; `5.4|system|` matches the system alone, as token `[system]|` does (#token).
    return [{"system": system, "code": code}] if code else [{"system": system}]
