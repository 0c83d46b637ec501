"""Subtrees known to be clean: an element value that met its rule once, without a finding and
without reading anything but itself, meets it again and need not be walked.

A validation is a function of the instance and the rules, but most of a record repeats across
records: every vital sign carries the same vital-signs category, every blood pressure the same
LOINC codings in its code and components. Walking those costs more than the rest of the
validation, so the walk remembers the (rule, datatype, JSON bytes) of each complex value it found
nothing in, and skips such a value when it meets it again.

What makes that sound: the walk of one value depends on the value, its rule and datatype, the
`selecting` mode and the terminology (so only walks over the held terminology, which never
changes, are remembered) — and on what the walk marks as `Findings.contextual` when it reads
it: the resource or root an invariant may name (`%resource`, `resolve()`, `contained`), the
root and Bundle entries a Reference target is judged against, a nested resource, and the
"reported once" notes that can make a repeated finding silent. A walk that read any of those,
or found anything, is not remembered. Keys are JSON bytes (`gateway.jsonio.dumps`, as the walk's
input is JSON as `jsonio.loads` reads it); a value that has none (a non-JSON Python object), or
more than `LARGEST` of them, is never remembered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import orjson

from gateway.conformance.rules import ElementRule
from gateway.errors import Issue
from gateway.jsonio import dumps

KEPT = 20_000  # entries, cleared when full (a new batch of records)
LARGEST = 1024  # JSON bytes of a value remembered: 20 MB at most, and big values rarely repeat
Key = tuple[int, str, bool, bytes]
_CLEAN: dict[Key, ElementRule] = {}


def key(value: Any, rule: ElementRule, what: str, selecting: bool) -> Key | None:
    """The memo key of one walk of `value` against `rule`; None when `value` has no JSON bytes.
    `what`: the datatype of one occurrence (`Coding`), or `.` + the JSON name of a whole
    element, all its items (`.category`: the slicing is remembered too)."""
    try:
        text = dumps(value)
    except (TypeError, orjson.JSONEncodeError):
        return None
    return (id(rule), what, selecting, text) if len(text) <= LARGEST else None


class Walking(Protocol):
    """What `once` reads of a walk (`findings.Findings`)."""

    issues: list[Issue]
    contextual: int


def once(walk: Walking, found: Key | None, rule: ElementRule, check: Callable[[], None]) -> None:
    """`check()`, unless `found` was clean before; remembered when it is clean now."""
    if found is not None and known(found, rule):
        return
    issues, contextual = len(walk.issues), walk.contextual
    check()
    if found is not None and len(walk.issues) == issues and walk.contextual == contextual:
        remember(found, rule)


def known(found: Key, rule: ElementRule) -> bool:
    """Was this value, against this very rule (`is`: an id outlives its object), clean before?"""
    return _CLEAN.get(found) is rule


def remember(found: Key, rule: ElementRule) -> None:
    if len(_CLEAN) >= KEPT:
        _CLEAN.clear()
    _CLEAN[found] = rule


def forget() -> None:
    """Empty the memo (tests that compare a walk with and without it)."""
    _CLEAN.clear()
