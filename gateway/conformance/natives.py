"""Invariants the engine checks without a FHIRPath engine, or settles before asking one.

https://hl7.org/fhir/R4/conformance-rules.html#constraints — these hold on (nearly) every
element or resource, so fhirpathpy per occurrence would cost more than the rest of the
validation (tests/conformance/test_validator_native_agreement.py compares each with fhirpathpy
at every occurrence in the corpus):
- `ele-1` "All FHIR elements must have a @value or children": an object has an element besides
  `id` (the walk checks it where it meets an object);
- `ext-1` "Must have either extensions or value[x], not both";
- `dom-3` "contained resources are referenced from the resource, or refer to it" (fhirpathpy
  walks `descendants()` four times, tens of milliseconds on a large resource): one walk
  collecting `reference` values and `#…` strings;
- `dom-6` "A resource should have narrative": `text.div` exists;
- `txt-1`/`txt-2` (`htmlChecks()`, which fhirpathpy lacks): the div is a `<div>` with some
  non-whitespace content and no `<script>`, event attributes or other active content (a lexical
  check of https://hl7.org/fhir/R4/narrative.html#xhtml, not an XHTML parse).
Guards settle the common case and leave the rest to the engine: `ref-1` holds for any reference
but `#id`; `per-1` and `rng-2` compare start and end (low and high) directly when they are
comparable without conversion (one precision and time zone; one unit); vital signs' `vs-1`
measures the dateTime's text.
`dom-2`..`dom-5` only constrain `contained`, so they are evaluated only where it is present.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from gateway.conformance.rules import ConstraintCheck, Json

NATIVE_STRUCTURAL = frozenset({"ele-1", "ext-1"})
NEEDS_CONTAINED = frozenset({"dom-2", "dom-3", "dom-4", "dom-5"})  # hold without `contained`
_ACTIVE_TAGS = ("<script", "<object", "<applet", "<iframe", "<embed", "<form", "<input", "<style")
_EVENT = re.compile(r"on[a-z]+\s*=")
_CONTENT = re.compile(r">[^<]*[^<\s]|<img\b")  # some text between tags, or an image


def has_value_or_children(value: Any) -> bool:
    """ele-1 natively: a primitive has a value; an object has an element besides `id`."""
    if isinstance(value, dict):
        return any(key != "id" and v is not None and v != [] for key, v in value.items())
    return value is not None and value != [] and value != ""


def extension_or_value(extension: Json) -> bool:
    """ext-1 natively: an Extension has nested extensions or a `value[x]`, not both."""
    has_value = any(key.startswith("value") for key in extension)
    return bool(extension.get("extension")) != has_value


def narrative(focus: Any, _type: str, _resource: Json, _root: Json) -> bool:
    """dom-6: `text.div.exists()` on a DomainResource."""
    text = focus.get("text") if isinstance(focus, dict) else None
    return isinstance(text, dict) and "div" in text


def html_checks(focus: Any, _type: str, _resource: Json, _root: Json) -> bool:
    """txt-1/txt-2 (`htmlChecks()`) lexically: a div with content and nothing active."""
    div = focus.get("div") if isinstance(focus, dict) else focus
    if not isinstance(div, str):
        return True  # a missing div is Narrative.div's cardinality, not this invariant
    return div.lstrip().startswith("<div") and bool(_CONTENT.search(div)) and not _active(div)


def _active(div: str) -> bool:
    """Script or an event attribute; substring searches, as regexes over a div are slow."""
    lower = div.lower().replace("\n", " ").replace("\t", " ")
    if any(tag in lower for tag in _ACTIVE_TAGS):
        return True
    at = lower.find(" on")
    while at != -1:
        if _EVENT.match(lower, at + 1):
            return True
        at = lower.find(" on", at + 3)
    return False


def _contained_referenced(focus: Any, _type: str, _resource: Json, _root: Json) -> bool:
    """dom-3: each contained resource is referenced (`#id`) from the resource, or refers to it
    (`#`). A reference is a `reference` value or any `#…` string (a canonical, uri or url)."""
    contained = focus.get("contained") if isinstance(focus, dict) else None
    if not isinstance(contained, list):
        return True
    references: set[str] = set()
    _references(focus, references)
    for resource in contained:
        local = resource.get("id") if isinstance(resource, dict) else None
        if f"#{local}" in references:
            continue
        own: set[str] = set()
        _references(resource, own)
        if "#" not in own:
            return False
    return True


def _references(value: Any, found: set[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key == "reference" or item.startswith("#")):
                found.add(item)
            elif isinstance(item, dict | list):
                _references(item, found)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str) and item.startswith("#"):
                found.add(item)
            else:
                _references(item, found)


NATIVE: dict[str, ConstraintCheck] = {
    "dom-3": _contained_referenced,
    "dom-6": narrative,
    "txt-1": html_checks,
    "txt-2": html_checks,
}


def _local_reference(focus: Any) -> bool | None:
    """ref-1 is about `#id` references only: any other holds without the engine."""
    reference = focus.get("reference") if isinstance(focus, dict) else None
    return None if isinstance(reference, str) and reference.startswith("#") else True


def _period_order(focus: Any) -> bool | None:
    """per-1 where start and end have one precision and one time zone (or no time): text order;
    two times with their zones (a daylight-saving change between them, say): as instants."""
    start = focus.get("start") if isinstance(focus, dict) else None
    end = focus.get("end") if isinstance(focus, dict) else None
    if not (isinstance(start, str) and isinstance(end, str)):
        return True
    same_zone = start[-1] == end[-1] == "Z" or (start[-6:] == end[-6:] and start[-6:-5] in "+-")
    if len(start) == len(end) and (len(start) <= 10 or same_zone):
        return start <= end
    first, last = _instant(start), _instant(end)
    return first <= last if first is not None and last is not None else None


def _instant(text: str) -> datetime | None:
    """A dateTime with a time and a zone as an aware datetime; None for anything else."""
    if len(text) <= 10:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _range_order(focus: Any) -> bool | None:
    """rng-2 where low and high have values in one unit: compare the numbers."""
    low = focus.get("low") if isinstance(focus, dict) else None
    high = focus.get("high") if isinstance(focus, dict) else None
    if not (isinstance(low, dict) and isinstance(high, dict)):
        return True
    bottom, top = low.get("value"), high.get("value")
    if bottom is None or top is None:
        return True  # `low <= high` is empty: no finding
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (bottom, top))
    same = low.get("system") == high.get("system") and low.get("code") == high.get("code")
    same = same and (low.get("code") is not None or low.get("unit") == high.get("unit"))
    return bool(bottom <= top) if numbers and same else None


def _day_precision(focus: Any) -> bool | None:
    """vs-1 (vital signs' effective[x]): a dateTime is at least to the day; a Period is not
    a dateTime, so `as dateTime` is empty and the invariant holds."""
    return len(focus) >= 8 if isinstance(focus, str) else True


# Invariants a cheap look at the focus often settles (None: ask the engine), for R4's text
GUARDS: dict[str, tuple[str, Callable[[Any], bool | None]]] = {
    "ref-1": (
        "reference.startsWith('#').not() or (reference.substring(1).trace('url') in "
        "%rootResource.contained.id.trace('ids'))",
        _local_reference,
    ),
    "per-1": ("start.hasValue().not() or end.hasValue().not() or (start <= end)", _period_order),
    "rng-2": ("low.empty() or high.empty() or (low <= high)", _range_order),
    "vs-1": ("($this as dateTime).toString().length() >= 8", _day_precision),
}
