"""The JSON types of a transaction or batch Bundle around its entries' resources.

https://hl7.org/fhir/R4/bundle.html: `entry.fullUrl` is a uri, `entry.request.method`, `url`,
`ifNoneExist`, `ifMatch`... are strings, `entry.resource` is an object. The resources
themselves are validated as each entry runs (a batch entry fails alone); this checks only what
the Bundle's processing reads first, so that a list where a string goes is a 400 naming it.
"""

from __future__ import annotations

from typing import Any

import fhir_profiles
from gateway.errors import Issue
from mappers.primitives import JSON_KIND

_ENTRY = "Bundle.entry"
_REQUEST = "Bundle.entry.request"


def entry_issues(bundle: dict[str, Any]) -> list[Issue]:
    """One issue per element of `Bundle.entry[i]` or its `request` that has the wrong JSON type."""
    entries = bundle.get("entry")
    if type(entries) is not list:
        return []  # the Bundle's processing says what it needs
    issues: list[Issue] = []
    for index, entry in enumerate(entries):
        if type(entry) is not dict:
            continue
        path = f"Bundle.entry[{index}]"
        issues.extend(_primitive_types(entry, _ENTRY, path))
        resource = entry.get("resource")
        if resource is not None and type(resource) is not dict:
            issues.append(
                Issue("Expected a JSON object (Resource).", expression=f"{path}.resource")
            )
        request = entry.get("request")
        if type(request) is dict:
            issues.extend(_primitive_types(request, _REQUEST, f"{path}.request"))
    return issues


def _primitive_types(value: dict[str, Any], type_name: str, path: str) -> list[Issue]:
    elements = fhir_profiles.elements()[type_name]
    issues = []
    for key, child in value.items():
        spec = elements.get(key)  # every primitive of an entry and its request is a string
        if spec is not None and JSON_KIND.get(spec[0]) is str and type(child) is not str:
            issues.append(Issue("Expected a JSON string.", expression=f"{path}.{key}"))
    return issues
