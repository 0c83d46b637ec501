"""$translate through held ConceptMaps, as Parameters.

https://hl7.org/fhir/R4/conceptmap-operation-translate.html: `result` is true when some match
has an equivalence that maps (not `unmatched` or `disjoint`); each `match` carries its
`equivalence`, the `concept` it maps to and the `source` ConceptMap. `reverse` reads the maps
from target to source: which codes map to this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gateway.terminology.model import Json

_NOT_A_MAPPING = frozenset({"unmatched", "disjoint"})


def maps_between(
    maps: Iterable[Json], *, source: str | None, target: str | None, reverse: bool
) -> list[Json]:
    """The ConceptMaps whose source and target value sets are those asked for (either may be
    left open); `reverse`: the translation runs from the map's target to its source."""
    if reverse:
        source, target = target, source
    return [
        m
        for m in maps
        if source in (None, m.get("sourceUri"), m.get("sourceCanonical"))
        and target in (None, m.get("targetUri"), m.get("targetCanonical"))
    ]


def translate(maps: Iterable[Json], *, system: str, code: str, reverse: bool = False) -> Json:
    matches = [
        match
        for concept_map in maps
        for group in concept_map.get("group", [])
        for match in (_backward if reverse else _forward)(concept_map, group, system, code)
    ]
    result = any(m["equivalence"] not in _NOT_A_MAPPING for m in matches)
    parameters: list[Json] = [{"name": "result", "valueBoolean": result}]
    if not result:
        parameters.append(
            {"name": "message", "valueString": f"No held ConceptMap maps `{system}|{code}`."}
        )
    parameters.extend(_match(m) for m in matches)
    return {"resourceType": "Parameters", "parameter": parameters}


def _forward(concept_map: Json, group: Json, system: str, code: str) -> Iterator[Json]:
    if group.get("source") != system:
        return
    elements = [e for e in group.get("element", []) if e.get("code") == code]
    for element in elements:
        for target in element.get("target", []):
            yield _found(concept_map, group.get("target"), target, target.get("code"))
    if not elements:
        yield from _unmapped(concept_map, group, code)


def _backward(concept_map: Json, group: Json, system: str, code: str) -> Iterator[Json]:
    if group.get("target") != system:
        return
    for element in group.get("element", []):
        for target in element.get("target", []):
            if target.get("code") == code:
                yield _found(concept_map, group.get("source"), element, element.get("code"))


def _unmapped(concept_map: Json, group: Json, code: str) -> Iterator[Json]:
    """ConceptMap.group.unmapped: `provided` keeps the code, `fixed` gives one code."""
    unmapped = group.get("unmapped", {})
    mode = unmapped.get("mode")
    if mode == "provided":
        yield _found(concept_map, group.get("target"), {"equivalence": "equal"}, code)
    elif mode == "fixed" and "code" in unmapped:
        yield _found(
            concept_map, group.get("target"), {"equivalence": "equivalent"}, unmapped["code"]
        )


def _found(concept_map: Json, system: str | None, mapping: Json, code: str | None) -> Json:
    coding: Json = {"system": system, "code": code}
    if "display" in mapping:
        coding["display"] = mapping["display"]
    return {
        "equivalence": mapping.get("equivalence", "equivalent"),
        "concept": {k: v for k, v in coding.items() if v is not None},
        "source": concept_map.get("url"),
    }


def _match(found: Json) -> Json:
    parts: list[Json] = [
        {"name": "equivalence", "valueCode": found["equivalence"]},
        {"name": "concept", "valueCoding": found["concept"]},
    ]
    if found["source"]:
        parts.append({"name": "source", "valueUri": found["source"]})
    return {"name": "match", "part": parts}
