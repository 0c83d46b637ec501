"""`_summary` and `_elements`: returning part of each resource (search.html#summary, #elements).

A subsetted resource carries the SUBSETTED tag so a client never mistakes it for the whole.
"""

from __future__ import annotations

import fhir_profiles
from gateway.jsonio import Json
from mappers.r4 import summary_elements

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "subsetted",
}
_ALWAYS = ("resourceType", "id", "meta")


def subset(resource: Json, *, summary: str | None, elements: tuple[str, ...]) -> Json:
    if elements:
        return _keep(resource, set(elements) | _mandatory(resource["resourceType"]))
    if summary == "true":
        return _keep(resource, summary_elements(resource["resourceType"]))
    if summary == "text":
        return _keep(resource, {"text"} | _mandatory(resource["resourceType"]))
    if summary == "data":
        return _tagged({k: v for k, v in resource.items() if k != "text"})
    return resource


def _mandatory(resource_type: str) -> set[str]:
    return set(fhir_profiles.required_elements().get(resource_type, ()))


def _keep(resource: Json, names: set[str] | frozenset[str]) -> Json:
    kept = {
        key: value
        for key, value in resource.items()
        if key in _ALWAYS or key.lstrip("_") in names or _is_choice_of(key, names)
    }
    return _tagged(kept)


def _is_choice_of(key: str, names: set[str] | frozenset[str]) -> bool:
    """`valueQuantity` is kept when `value` (or `value[x]`) is asked for."""
    bare = key.lstrip("_")
    return any(
        bare.startswith(name.removesuffix("[x]"))
        and bare[len(name.removesuffix("[x]")) :][:1].isupper()
        for name in names
    )


def _tagged(resource: Json) -> Json:
    meta = dict(resource.get("meta", {}))
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    return {**resource, "meta": meta}
