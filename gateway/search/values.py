"""The search values of one FHIR element, per search-parameter type, as the index keeps them.

https://hl7.org/fhir/R4/search.html#ptypes: which element types each parameter type can search,
and what it compares (#token's table of system/code per type, #string's parts of HumanName and
Address, #date's ranges). A write runs these on every element a parameter's expression selects,
so they never raise: a value of a type the parameter type cannot use, or malformed, gives
nothing. Stored shapes (the contract every search module reads):

- token: `{"system"?, "code"?, "display"?}`; an Identifier's `type` codings ride along as
  `type`, its `type.text` as `display`; a ContactPoint's `use` is the system, `value` the code;
- string: the strings as written (the index keeps them normalised, `exact` as written);
- date: `{"start", "end"}`, naive UTC, end exclusive, open ends EARLIEST / LATEST;
- reference: `Type/id` (a version dropped) or the reference as written; canonicals and uris
  as written;
- quantity: `{"value", "system"?, "code"?, "unit"?}`, and `"canonical": {"value", "code"}` where
  the unit is UCUM and converts (gateway.ucum, the same shape the domain's Quantities keep);
- number: the number; uri: the string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from gateway.domain.time import parse_range
from gateway.ucum import with_canonical

EARLIEST = datetime.min
LATEST = datetime.max.replace(microsecond=999000)
_MILLISECOND = timedelta(milliseconds=1)
_TYPE_ID = re.compile(r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?")
ISO_4217 = "urn:iso:std:iso:4217"  # Money.currency's code system

Normaliser = Callable[[Any, str], Iterator[Any]]  # (element, FHIR type code) -> search values


def ranges_of(value: Any) -> Iterator[dict[str, datetime]]:
    """The UTC ranges a stored date-ish value covers; open ends become EARLIEST/LATEST."""
    if isinstance(value, datetime):
        yield {"start": value, "end": value + _MILLISECOND}
    elif isinstance(value, str):
        try:
            start, end, _ = parse_range(value)
        except ValueError:
            return
        yield {"start": start, "end": end}
    elif isinstance(value, dict):
        yield {"start": _lower(value.get("start")), "end": _upper(value.get("end"))}


def _lower(bound: Any) -> datetime:
    if isinstance(bound, datetime):
        return bound
    if isinstance(bound, dict):  # a Period's start, stored as FhirDateTime
        return _lower(bound.get("start"))
    if isinstance(bound, str):
        return next(ranges_of(bound), {"start": EARLIEST})["start"]
    return EARLIEST


def _upper(bound: Any) -> datetime:
    if isinstance(bound, datetime):
        return bound
    if isinstance(bound, dict):
        return _upper(bound.get("end"))
    if isinstance(bound, str):
        return next(ranges_of(bound), {"end": LATEST})["end"]
    return LATEST


def references_of(value: Any) -> Iterator[str]:
    """A reference as written: relative ones as `Type/id` (a version dropped), absolute URLs and
    `urn:`/`#` references unchanged. An absolute URL may name another server, so it is never
    taken for a local `Type/id`; searches add the forms with this server's base instead."""
    reference = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(reference, str):
        return
    match = _TYPE_ID.fullmatch(reference)
    yield f"{match.group(1)}/{match.group(2)}" if match else reference


def reference_type(reference: str) -> str | None:
    """The resource type a stored reference names, if it names one (`urn:uuid:` does not)."""
    match = _TYPE_ID.search(reference)
    return match.group(1) if match else None


# --- token (search.html#token) ---------------------------------------------------------------


def tokens(value: Any, type_code: str) -> Iterator[dict[str, Any]]:
    if not isinstance(value, dict):
        if type_code in _PLAIN_CODES and isinstance(value, str | bool) and value != "":
            yield {"code": ("true" if value else "false") if isinstance(value, bool) else value}
        return
    if type_code == "CodeableConcept":
        yield from _codeable(value)
    elif type_code == "Coding":
        entry = _coding(value)
        if entry:
            yield entry
    elif type_code == "Identifier":
        yield from _identifier(value)
    elif type_code == "ContactPoint":
        yield from _picked(value, system="use", code="value")
    elif type_code == "Reference":  # a token on a Reference: its identifier (#token)
        identifier = value.get("identifier")
        if isinstance(identifier, dict):
            yield from _identifier(identifier)


_PLAIN_CODES = frozenset(
    {"code", "boolean", "string", "uri", "url", "canonical", "id", "oid", "uuid", "markdown"}
)


def _codeable(value: dict[str, Any]) -> Iterator[dict[str, Any]]:
    codings = value.get("coding")
    displays = set()
    for coding in codings if isinstance(codings, list) else ():
        entry = _coding(coding)
        if entry:
            displays.add(entry.get("display"))
            yield entry
    text = value.get("text")
    if isinstance(text, str) and text and text not in displays:
        yield {"display": text}  # `:text` reads CodeableConcept.text too (#modifiers)


def _coding(value: Any) -> dict[str, Any]:
    return next(_picked(value, system="system", code="code", display="display"), {})


def _identifier(value: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in _picked(value, system="system", code="value"):
        type_ = value.get("type")
        if isinstance(type_, dict):
            codings = [c for c in map(_coding, type_.get("coding") or []) if c]
            if codings:
                entry["type"] = codings
            if isinstance(type_.get("text"), str):  # `:text` on an Identifier reads type.text
                entry["display"] = type_["text"]
        yield entry


def _picked(value: Any, **names: str) -> Iterator[dict[str, Any]]:
    """The string sub-elements `names` maps to entry keys; nothing if none is there."""
    if not isinstance(value, dict):
        return
    entry = {key: value[name] for key, name in names.items() if isinstance(value.get(name), str)}
    if "system" in entry or "code" in entry:
        yield entry


# --- string (search.html#string) -------------------------------------------------------------

_NAME_PARTS = ("family", "given", "prefix", "suffix", "text")
_ADDRESS_PARTS = ("line", "city", "district", "state", "postalCode", "country", "text")
_PARTS = {"HumanName": _NAME_PARTS, "Address": _ADDRESS_PARTS}


def strings(value: Any, type_code: str) -> Iterator[str]:
    if isinstance(value, str):
        if value and type_code in ("string", "markdown", "code", "uri", "url", "id", "canonical"):
            yield value
        return
    parts = _PARTS.get(type_code)
    if parts is None or not isinstance(value, dict):
        return
    for part in parts:
        found = value.get(part)
        for text in found if isinstance(found, list) else [found]:
            if isinstance(text, str) and text:
                yield text


# --- date (search.html#date) -----------------------------------------------------------------


def dates(value: Any, type_code: str) -> Iterator[dict[str, datetime]]:
    if (type_code in ("date", "dateTime", "instant") and isinstance(value, str | datetime)) or (
        type_code == "Period" and isinstance(value, dict)
    ):
        yield from ranges_of(value)
    elif type_code == "Timing" and isinstance(value, dict):
        yield from _timing(value)


def _timing(value: dict[str, Any]) -> Iterator[dict[str, datetime]]:
    """#date: for a Timing, "the specified scheduling details are ignored and only the outer
    limits matter": one range from the first event (or bound) to the last."""
    events = value.get("event")
    events = events if isinstance(events, list) else []
    ranges = [r for event in events for r in ranges_of(event)]
    repeat = value.get("repeat")
    bounds = repeat.get("boundsPeriod") if isinstance(repeat, dict) else None
    if isinstance(bounds, dict):
        ranges.extend(ranges_of(bounds))
    if ranges:
        yield {"start": min(r["start"] for r in ranges), "end": max(r["end"] for r in ranges)}


# --- reference, uri, number, quantity ----------------------------------------------------------


def references(value: Any, type_code: str) -> Iterator[str]:
    if type_code == "Reference":
        yield from references_of(value)
    elif type_code in ("canonical", "uri", "url") and isinstance(value, str) and value:
        yield value


_URIS = frozenset({"uri", "url", "canonical", "oid", "uuid", "string"})


def uris(value: Any, type_code: str) -> Iterator[str]:
    if type_code in _URIS and isinstance(value, str) and value:
        yield value


def numbers(value: Any, type_code: str) -> Iterator[int | float]:
    if type_code in ("decimal", "integer", "positiveInt", "unsignedInt") and _is_number(value):
        yield value


_QUANTITIES = frozenset({"Quantity", "Age", "Duration", "Count", "Distance", "SimpleQuantity"})


def quantities(value: Any, type_code: str) -> Iterator[dict[str, Any]]:
    if not isinstance(value, dict) or not _is_number(value.get("value")):
        return
    if type_code in _QUANTITIES:
        entry = {"value": value["value"]}
        entry.update(
            (k, value[k]) for k in ("system", "code", "unit") if isinstance(value.get(k), str)
        )
        yield with_canonical(entry)  # a UCUM unit's canonical value beside it (gateway.ucum)
    elif type_code == "Money" and isinstance(value.get("currency"), str):
        yield {"value": value["value"], "system": ISO_4217, "code": value["currency"]}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


NORMALISERS: dict[str, Normaliser] = {
    "token": tokens,
    "string": strings,
    "date": dates,
    "reference": references,
    "uri": uris,
    "number": numbers,
    "quantity": quantities,
}
