"""What a write of a type kept whole stores for search: every compiled R4 parameter's values.

`index.<code>` in the layout of gateway.search.values (strings normalised as string search
compares them, search.html#string), `exact.<code>` the strings as written (`:exact`),
`sort.<code>` one scalar per parameter with an order (search.html#sort; keyset paging needs a
scalar). Extractors are compiled once per type (gateway.search.generic); one whose top-level
elements the resource lacks costs a set lookup. Nothing here raises on a resource's content: a
value the parameter type cannot use is skipped, and so is a parameter whose extractor fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gateway.jsonio import Json
from gateway.search.fhirpath import ComponentExtractor, Extractor
from gateway.search.generic import Compiled
from gateway.search.normalise import normalise
from gateway.search.parameters import derived
from gateway.search.values import NORMALISERS, Normaliser, reference_type

Keys = dict[str, dict[str, Any]]  # {"index": {...}, "exact": {...}, "sort": {...}}
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Step:
    code: str
    type: str
    extract: Extractor
    normalise: Normaliser
    keys: frozenset[str] | None
    single: bool
    targets: frozenset[str]
    sortable: bool
    components: tuple[tuple[str, ComponentExtractor, Normaliser], ...]


def _step(compiled: Compiled) -> _Step:
    parameter = compiled.parameter
    return _Step(
        parameter.code,
        parameter.type,
        compiled.extract,
        NORMALISERS.get(parameter.type, _nothing),
        compiled.keys,
        parameter.single,
        frozenset(parameter.targets),
        parameter.sort_path is not None,
        tuple((c.code, c.extract, NORMALISERS[c.type]) for c in compiled.components),
    )


def _nothing(value: Any, type_code: str) -> Iterator[Any]:
    return iter(())


def build_generic_indexer(resource_type: str) -> Callable[[Json], Keys]:
    """The function computing the search keys of one type kept whole from its `fhir_rest`."""
    steps = [_step(compiled) for compiled in derived(resource_type).compiled]

    def indexer(document: Json) -> Keys:
        rest = document.get("fhir_rest") or {}
        present = rest.keys()
        keys: Keys = {"index": {}, "exact": {}, "sort": {}}
        for step in steps:
            if step.keys is not None and present.isdisjoint(step.keys):
                continue
            values = _values(step, rest)
            if values:
                _store(step, values, keys)
        return {name: found for name, found in keys.items() if found}

    return indexer


def _values(step: _Step, resource: Json) -> list[Any]:
    try:
        if step.components:
            return _composite_entries(step, resource)
        found = [
            v for element, type_ in step.extract(resource) for v in step.normalise(element, type_)
        ]
    except (TypeError, ValueError, AttributeError, KeyError) as error:  # never fail a write
        _LOG.warning("search parameter %s skipped: %r", step.code, error)
        return []
    if step.type == "reference" and step.targets:  # `patient` reads `subject`: Patients only
        found = [r for r in found if (t := reference_type(r)) is None or t in step.targets]
    return found


def _composite_entries(step: _Step, resource: Json) -> list[dict[str, list[Any]]]:
    """search.html#composite: one entry per value of the composite's expression, holding each
    component's values, so that one entry must match every component; an entry lacking a
    component could match no search and is left out."""
    entries = []
    for element in step.extract(resource):
        entry = {
            code: [
                v for found, type_ in extract(element, resource) for v in normalise(found, type_)
            ]
            for code, extract, normalise in step.components
        }
        if all(entry.values()):
            entries.append(entry)
    return entries


def _store(step: _Step, values: list[Any], keys: Keys) -> None:
    code = step.code
    one = len(values) == 1  # most parameters of most resources: nothing to make unique
    if step.type == "string":
        if one:
            normalised = [normalise(values[0])]
        else:
            normalised = list(dict.fromkeys(normalise(text) for text in values))
        keys["index"][code] = normalised
        keys["exact"][code] = values if one else list(dict.fromkeys(values))
        keys["sort"][code] = normalised[0]
        return
    if step.single:
        keys["index"][code] = values[0]
    else:
        keys["index"][code] = values if one else _unique(values)
    if step.sortable:
        key = _sort_key(step.type, values)
        if key is not None:
            keys["sort"][code] = key


def _unique(values: list[Any]) -> list[Any]:
    """Scalars once each; entries (dicts) as found: a repeated entry matches the same searches,
    and comparing them would cost more on every write than the few bytes it saves."""
    return values if isinstance(values[0], dict) else list(dict.fromkeys(values))


def _sort_key(type_: str, values: list[Any]) -> Any:
    """The scalar `_sort` orders by: the earliest start of a date, the first code of a token,
    the first value of a quantity, the first of anything else."""
    if type_ == "date":
        return min(value["start"] for value in values)
    if type_ == "token":
        return next((value["code"] for value in values if "code" in value), None)
    if type_ == "quantity":
        return values[0]["value"]
    return values[0]
