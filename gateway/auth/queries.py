"""Does one resource meet a SMART v2 query restriction (`?category=laboratory&status=final`)?

https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#finer-grained-resource-constraints-using-search-parameters
The restriction is FHIR search syntax (https://hl7.org/fhir/R4/search.html#token); every pair
must hold, as in a search. gateway.search answers searches as MongoDB clauses over its indexes
and offers no evaluation on a single resource, so this module evaluates the subset SMART's
examples use, on the resource JSON:

- token parameters only (`category=laboratory`, `code=http://loinc.org|1234-5`, `status=final`,
  `identifier=urn:x|7`), with the four value forms `code`, `system|code`, `|code` (no system)
  and `system|`, and `,` between alternatives;
- the elements the R4 expression names (gateway.auth.paths), read as Coding, CodeableConcept
  (its codings), Identifier or ContactPoint (`system|value`) or a primitive
  code/string/boolean (no system).

Anything else (another parameter type, a modifier such as `:text`, an escaped `\\,`, a parameter
R4 does not define for the type, an expression form paths.py skips) is NOT met: a restriction
this server cannot evaluate must deny, never leak.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gateway.auth.paths import element_paths, parameter_type, values_at
from gateway.jsonio import Json

Query = tuple[tuple[str, str], ...]
_Token = tuple[str | None, str]  # (system or None when the element has none, code)


def meets(resource: Json, query: Query) -> bool:
    """Every `(parameter, value)` of `query` holds for `resource` (an empty query always does)."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str):
        return False
    return all(_holds(resource, resource_type, code, value) for code, value in query)


def supported(resource_type: str, code: str, value: str) -> bool:
    """This module can evaluate `code=value` on `resource_type` (otherwise it is never met)."""
    return (
        ":" not in code
        and "\\" not in value
        and parameter_type(resource_type, code) == "token"
        and bool(element_paths(resource_type, code))
    )


def _holds(resource: Json, resource_type: str, code: str, value: str) -> bool:
    if not supported(resource_type, code, value):
        return False
    found = {
        token
        for path in element_paths(resource_type, code)
        for element in values_at(resource, path)
        for token in _tokens(element)
    }
    return any(_matches(wanted, found) for wanted in value.split(","))


def _matches(wanted: str, found: set[_Token]) -> bool:
    if "|" not in wanted:
        return any(code == wanted for _, code in found)
    system, code = wanted.split("|", 1)
    if not system:  # `|code`: the element has no system
        return (None, code) in found
    if not code:  # `system|`: any code of that system
        return any(s == system for s, _ in found)
    return (system, code) in found


def _tokens(element: Any) -> Iterator[_Token]:
    if isinstance(element, bool):
        yield None, "true" if element else "false"
    elif isinstance(element, str):
        yield None, element
    elif isinstance(element, dict):
        if isinstance(element.get("coding"), list):  # CodeableConcept
            for coding in element["coding"]:
                yield from _coded(coding, "code")
        elif "code" in element:  # Coding
            yield from _coded(element, "code")
        elif "value" in element:  # Identifier, ContactPoint
            yield from _coded(element, "value")


def _coded(element: Any, key: str) -> Iterator[_Token]:
    if not isinstance(element, dict):
        return
    code, system = element.get(key), element.get("system")
    if isinstance(code, str) and code:
        yield (system if isinstance(system, str) and system else None), code
