"""fhirpathpy, the maintained FHIRPath engine the compiled extractors are checked against.

fhirpathpy has no `resolve()`; this gives it one that reads `Type/id` (relative, absolute or
versioned) and `#id` contained references, the rule `fhirpath_references` documents, so the rest
of `where(resolve() is T)` is still the engine's. fhirpathpy applies FHIRPath's singleton rule to
`as` and refuses `(Observation.component.value as Quantity)` when there are two components; R4
means a filter there, which the gateway evaluates as `ofType`, and so the engine is asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import fhirpathpy
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

import fhir_profiles
from gateway.jsonio import Json, dumps
from gateway.search.fhirpath import Element

# fhirpathpy names some types otherwise than R4's element definitions; neither is wrong.
_ENGINE_TYPES = {"object": None, "BackboneElement": None, "Element": None}
_AS = re.compile(r" as ([A-Za-z]+)|\.as\(")


@cache
def engine(expression: str) -> Callable[[Json], list[Any]]:
    """fhirpathpy's compiled expression with the R4 model and the test's `resolve()`."""
    current: list[Json] = []

    def resolve(references: list[Any]) -> list[Any]:
        found = []
        for reference in references:
            text = reference.get("reference", "") if isinstance(reference, dict) else ""
            if text.startswith("#"):
                found += [c for c in current[0].get("contained", ()) if c.get("id") == text[1:]]
                continue
            parts = text.removesuffix("/").split("/")
            if len(parts) >= 4 and parts[-2] == "_history":
                parts = parts[:-2]
            if len(parts) >= 2 and parts[-2] in fhir_profiles.resource_types() and "?" not in text:
                found.append({"resourceType": parts[-2], "id": parts[-1]})
        return [ResourceNode.create_node(resource) for resource in found]

    compiled = fhirpathpy.compile(
        _AS.sub(lambda m: f".ofType({m[1]})" if m[1] else ".ofType(", expression),
        models["r4"],
        {
            "returnRawData": True,
            "userInvocationTable": {"resolve": {"fn": resolve, "arity": {0: []}}},
        },
    )

    def evaluate(resource: Json) -> list[Any]:
        current[:] = [resource]
        return [_engine_element(node) for node in compiled({**resource}, {})]

    return evaluate


def _engine_element(node: Any) -> tuple[Any, str | None]:
    if isinstance(node, ResourceNode):
        info = node.get_type_info()
        name = info.name if info is not None else None
        return node.data, _ENGINE_TYPES.get(name, name) if name else None
    return node, "boolean" if isinstance(node, bool) else None


Compared = list[tuple[str, str | None]]


def compare(ours: list[Element], theirs: list[tuple[Any, str | None]]) -> tuple[Compared, Compared]:
    """Both results as sorted (JSON text, type); a type fhirpathpy does not name is not compared."""
    mine, engines = _sorted(ours), _sorted(theirs)
    if len(mine) == len(engines):
        mine = [
            (text, kind if their is not None else None)
            for (text, kind), (_, their) in zip(mine, engines, strict=True)
        ]
    return mine, engines


def _sorted(elements: list[Element] | list[tuple[Any, str | None]]) -> Compared:
    texts = [(dumps(value, sort_keys=True).decode(), kind) for value, kind in elements]
    return sorted(texts, key=lambda item: (item[0], item[1] or ""))
