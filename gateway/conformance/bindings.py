"""Terminology bindings: is the coded value of an element in its bound value set?

https://hl7.org/fhir/R4/terminologies.html#strength — required: a code outside is an error;
extensible: a code outside, when no other coding of the concept is inside, is a warning;
preferred and example bind nothing (the compiler keeps only the first two). A value set the
terminology source does not hold or cannot enumerate gives an information issue, never an
error. `code`, `Coding`, `CodeableConcept` and `Quantity` (`system` + `code`) all bind.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from gateway.errors import GatewayError

Finding = tuple[Literal["error", "warning", "information"], str]


class Membership(Protocol):
    """What a binding check asks of `gateway.terminology.TerminologySource`."""

    def holds_value_set(self, url: str) -> bool: ...

    def contains(self, url: str, system: str | None, code: str) -> bool | None: ...


def codes(value: Any, type_code: str) -> list[tuple[str | None, str]] | None:
    """The (system, code) pairs a value carries; None when the type does not bind."""
    if type_code in ("code", "string", "uri"):
        return [(None, value)] if isinstance(value, str) else []
    if not isinstance(value, dict):
        return None
    if type_code in ("Coding", "Quantity"):
        code, system = value.get("code"), value.get("system")
        return (
            [(system if isinstance(system, str) else None, code)] if isinstance(code, str) else []
        )
    if type_code == "CodeableConcept":
        codings = value.get("coding")
        items = codings if isinstance(codings, list) else []
        return [pair for c in items for pair in codes(c, "Coding") or ()]
    return None


def check(
    pairs: list[tuple[str | None, str]],
    *,
    strength: str,
    value_set: str,
    source: Membership,
) -> Finding | None:
    """The finding for a value's codes against a binding, or None when it conforms."""
    if not pairs:
        return None
    try:
        if not source.holds_value_set(value_set):
            return "information", f"value set `{value_set}` is not held; the code is not checked"
        answers = [source.contains(value_set, system, code) for system, code in pairs]
    except GatewayError as error:
        return "information", f"value set `{value_set}` cannot be checked: {error.diagnostics}"
    if any(a is True for a in answers):
        return None
    shown = ", ".join(f"{s}#{c}" if s else f"`{c}`" for s, c in pairs)
    if any(a is None for a in answers):
        return "information", f"whether {shown} is in value set `{value_set}` cannot be told here"
    if strength == "required":
        return "error", f"{shown} is not in the required value set `{value_set}`"
    return "warning", f"{shown} is not in the extensible value set `{value_set}`"
