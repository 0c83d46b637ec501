"""The datatype invariants the shape walk checks on its way: per-1 and qty-3.

https://hl7.org/fhir/R4/datatypes.html#Period and #Quantity. Reported with code `invariant`;
the caller answers them as unprocessable (422) with the resource's own invariants
(mappers.invariants).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.domain.time import parse_range
from gateway.errors import Issue


def _period_invariant(value: dict[str, Any], path: str) -> list[Issue]:
    """per-1: if present, start SHALL have a lower value than end."""
    start, end = value.get("start"), value.get("end")
    if not (isinstance(start, str) and isinstance(end, str)):
        return []
    try:
        if parse_range(start)[0] >= parse_range(end)[1]:
            return [Issue("per-1: the period starts after it ends.", code="invariant",
                          expression=path)]  # fmt: skip
    except ValueError:
        pass  # a malformed date is reported as a format problem
    return []


def _quantity_invariant(value: dict[str, Any], path: str) -> list[Issue]:
    """qty-3: if a code for the unit is present, the system SHALL also be present."""
    if "code" in value and "system" not in value:
        return [Issue("qty-3: a unit code needs its system.", code="invariant",
                      expression=f"{path}.code")]  # fmt: skip
    return []


_QUANTITIES = (
    "Quantity",
    "Age",
    "Count",
    "Distance",
    "Duration",
    "MoneyQuantity",
    "SimpleQuantity",
)
DATATYPE_INVARIANTS: dict[str, Callable[[dict[str, Any], str], list[Issue]]] = {
    "Period": _period_invariant,
    **dict.fromkeys(_QUANTITIES, _quantity_invariant),
}
