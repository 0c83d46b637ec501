"""The simple FHIRPath forms of R4 SearchParameter expressions, walked over resource JSON.

https://hl7.org/fhir/R4/searchparameter-definitions.html. Authorization must decide on a
single resource without the store's indexes, so gateway.auth reads the R4 definitions itself
(`fhir_profiles.search_parameters()`, the data gateway.search is built from) instead of
importing gateway.search, which sits in a higher layer and works on MongoDB clauses.

Only the terms of the form `Type.element(.element)*`, optionally ending in
`.where(resolve() is Patient)`, are understood; any other term (`as`, `ofType`, other
`where(...)`, functions) is skipped. Skipping a term can only make a value look absent, and the
callers treat "absent" as "not allowed", so an unsupported form narrows access, never widens it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import fhir_profiles

_TERM = re.compile(
    r"(?P<path>[A-Z][A-Za-z]*(?:\.[a-z][A-Za-z0-9]*)+)(?P<patient>\.where\(resolve\(\) is Patient\))?"
)


def parameter_type(resource_type: str, code: str) -> str | None:
    """The R4 type of search parameter `code` on `resource_type` (`token`, ...), or None."""
    definition = fhir_profiles.search_parameters().get((resource_type, code))
    return None if definition is None else str(definition.get("type"))


@lru_cache(maxsize=4096)  # checked per resource on every request; keys are type and code names
def element_paths(resource_type: str, code: str) -> tuple[tuple[str, ...], ...]:
    """The element paths below the resource that parameter `code` reads, e.g.
    `(("category",),)` for Observation `category`; () when none is in a supported form."""
    definition = fhir_profiles.search_parameters().get((resource_type, code))
    if definition is None:
        return ()
    found: list[tuple[str, ...]] = []
    for term in str(definition.get("expression", "")).split("|"):
        match = _TERM.fullmatch(term.strip())
        if match is None:
            continue
        head, *names = match["path"].split(".")
        if head == resource_type:
            found.append(tuple(names))
    return tuple(found)


def values_at(resource: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """Every value at `path` below `resource`, lists flattened at each step (FHIRPath's
    navigation: `Observation.category` over a list of CodeableConcepts gives each one)."""
    current: list[Any] = [resource]
    for name in path:
        following: list[Any] = []
        for item in current:
            value = item.get(name) if isinstance(item, dict) else None
            if isinstance(value, list):
                following.extend(value)
            elif value is not None:
                following.append(value)
        current = following
    yield from current
