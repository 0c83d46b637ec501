"""Search values computed when a resource is written, stored beside it under `index` and `sort`.

String search is case- and accent-insensitive (search.html#string), date search compares ranges
(search.html#date), reference search accepts `id`, `Type/id` and absolute URLs (#reference):
precomputing those forms once per write keeps every search a plain indexed comparison. Sort keys
must be scalars for keyset paging, so multi-valued elements get one here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from gateway.jsonio import Json
from gateway.search.generic_index import build_generic_indexer
from gateway.search.model import SearchParameter
from gateway.search.normalise import normalise
from gateway.search.parameters import REGISTRY, parameters_of
from gateway.search.paths import dotted
from gateway.search.values import ranges_of, reference_type, references_of


def values_at(document: Any, path: str) -> Iterator[Any]:
    """Every value at a dotted path, through lists at any level."""
    if isinstance(document, list):
        for item in document:
            yield from values_at(item, path)
        return
    if not path:
        if document is not None:
            yield document
        return
    if not isinstance(document, dict):
        return
    head, _, rest = path.partition(".")
    yield from values_at(document.get(head), rest)


def _typed(targets: tuple[str, ...]) -> Callable[[Any], Iterator[str]]:
    """References a parameter may select: `patient` reads `subject`, but only Patient ones."""

    def extract(value: Any) -> Iterator[str]:
        for reference in references_of(value):
            found = reference_type(reference)
            if found is None or found in targets:
                yield reference

    return extract


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield normalise(value)


Extractor = Callable[[Any], Iterator[Any]]
_EXTRACTORS: dict[str, Extractor] = {
    "date": ranges_of,
    "string": _strings,
    "reference": references_of,
}


def _deceased(document: Json) -> list[bool]:
    """R4 `deceased`: `Patient.deceased.exists() and Patient.deceased != false`."""
    return [document.get("deceased") is True or "deceased_at" in document]


def _first_code(path: str) -> Callable[[Json], Any]:
    parts = tuple(path.split("."))
    return lambda document: next(iter(_leaves(document, parts)), None)


def _first_name(document: Json, *, given_only: bool = False) -> str | None:
    for name in document.get("names") or []:
        parts = [p for p in (name.get("given") or []) if p]
        if not given_only and name.get("family"):
            parts.insert(0, name["family"])
        if parts:
            return normalise(" ".join(parts))
    return None


_SPECIAL_INDEX: dict[str, Callable[[Json], list[Any]]] = {"deceased": _deceased}
_SORT_KEYS: dict[str, dict[str, Callable[[Json], Any]]] = {
    "Patient": {"name": _first_name, "given": lambda d: _first_name(d, given_only=True)},
    "Encounter": {"type": _first_code("types.coding.code")},
    "Observation": {"code": _first_code("code.coding.code")},
    "MedicationStatement": {"code": _first_code("medication_concept.coding.code")},
}


def _extractor(parameter: SearchParameter) -> Extractor:
    if parameter.type == "reference" and parameter.targets:
        return _cached_typed(parameter.targets)
    return _EXTRACTORS[parameter.type]


_typed_extractors: dict[tuple[str, ...], Extractor] = {}


def _cached_typed(targets: tuple[str, ...]) -> Extractor:
    """One extractor per target set, so parameters sharing paths and targets share work."""
    return _typed_extractors.setdefault(targets, _typed(targets))


def _indexed(parameter: SearchParameter) -> bool:
    """Parameters of our four types whose index values come from their paths."""
    return (
        parameter.type in _EXTRACTORS
        and bool(parameter.paths)
        and not parameter.point
        and not parameter.indexed
    )


def _leaves(document: Any, parts: tuple[str, ...]) -> list[Any]:
    """`values_at` for a pre-split path: this runs for every indexed parameter on every write."""
    current = [document]
    for part in parts:
        following: list[Any] = []
        for value in current:
            if isinstance(value, list):
                value = [v.get(part) for v in value if isinstance(v, dict)]
                following.extend(
                    x for v in value for x in (v if isinstance(v, list) else [v]) if x is not None
                )
            elif isinstance(value, dict):
                child = value.get(part)
                if isinstance(child, list):
                    following.extend(child)
                elif child is not None:
                    following.append(child)
        if not following:
            return following
        current = following
    return current


def build_indexer(resource_type: str) -> Callable[[Json], dict[str, Any]]:
    """The function computing `index` and `sort` (and `exact`) of one type's stored documents.

    Our four types index their hand-mapped paths; a type kept whole its compiled R4 parameters
    (gateway.search.generic_index).

    Parameters reading the same path the same way (`patient` and `subject` read `subject`)
    share one extraction; a path whose first field the document lacks costs one lookup.
    """
    if resource_type not in REGISTRY:
        return build_generic_indexer(resource_type)
    indexed = [p for p in parameters_of(resource_type).values() if _indexed(p)]
    groups: dict[tuple[Extractor, tuple[str, ...]], int] = {}
    plan: list[tuple[str, bool, list[int]]] = []
    for parameter in indexed:
        extract = _extractor(parameter)
        members = [
            groups.setdefault((extract, tuple(dotted(path).split("."))), len(groups))
            for path in parameter.paths
        ]
        plan.append((parameter.code, parameter.single, members))
    extractions = list(groups)
    special = [code for code in _SPECIAL_INDEX if code in parameters_of(resource_type)]
    sort_keys = _SORT_KEYS.get(resource_type, {})

    def indexer(document: Json) -> dict[str, Any]:
        rest = document.get("fhir_rest") or {}
        values = [
            [item for value in _leaves(document, parts) for item in extract(value)]
            if parts[0] in document and (parts[0] != "fhir_rest" or parts[1] in rest)
            else []
            for extract, parts in extractions
        ]
        index: dict[str, Any] = {}
        for code, single, members in plan:
            found = (
                values[members[0]] if len(members) == 1 else [v for m in members for v in values[m]]
            )
            if found:
                index[code] = found[0] if single else _unique(found)
        for code in special:
            index[code] = _SPECIAL_INDEX[code](document)
        sort = {
            name: key for name, make in sort_keys.items() if (key := make(document)) is not None
        }
        return {"index": index, "sort": sort} if sort else {"index": index}

    return indexer


def _unique(items: list[Any]) -> list[Any]:
    """A new list (parameters sharing an extraction must not share the list stored)."""
    if isinstance(items[0], dict):
        return list(items)
    return list(dict.fromkeys(items))


def indexed_values(document: Json, code: str) -> list[Any]:
    """A parameter's stored index values as a list (single-valued ones are stored bare)."""
    value = document.get("index", {}).get(code)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
