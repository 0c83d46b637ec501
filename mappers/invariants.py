"""Resource invariants of our four types that structural validation does not evaluate.

Datatype invariants (per-1, qty-3) are checked during the structural walk (mappers.shape).

A resource that parses but breaks one is unprocessable (422, http.html#create: "violated
applicable FHIR profiles"). Each rule names its invariant key from the R4 spec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from gateway.errors import Issue
from gateway.jsonio import Json

Rule = Callable[[Json, str], Iterator[Issue]]


def _issue(key: str, text: str, expression: str) -> Issue:
    return Issue(f"{key}: {text}", code="invariant", expression=expression)


def _has_value(element: Json) -> bool:
    return any(k.startswith("value") for k in element)


def _obs_6(resource: Json, path: str) -> Iterator[Issue]:
    """obs-6: dataAbsentReason SHALL only be present if Observation.value[x] is not present."""
    for index, element in [(None, resource), *enumerate(resource.get("component", []))]:
        if "dataAbsentReason" in element and _has_value(element):
            where = path if index is None else f"{path}.component[{index}]"
            yield _issue("obs-6", "dataAbsentReason and a value are both present.",
                         f"{where}.dataAbsentReason")  # fmt: skip


def _obs_7(resource: Json, path: str) -> Iterator[Issue]:
    """obs-7: a component with the Observation's own code must not repeat the value there."""
    if not _has_value(resource):
        return
    codes = {(c.get("system"), c.get("code")) for c in resource.get("code", {}).get("coding", [])}
    for index, component in enumerate(resource.get("component", [])):
        component_codes = {
            (c.get("system"), c.get("code")) for c in component.get("code", {}).get("coding", [])
        }
        if codes & component_codes:
            yield _issue("obs-7", "a component repeats the Observation's code while the "
                         "Observation has a value.", f"{path}.component[{index}].code")  # fmt: skip


def _obs_3(resource: Json, path: str) -> Iterator[Issue]:
    """obs-3: a referenceRange must have at least a low, a high or a text."""
    for index, ref in enumerate(resource.get("referenceRange", [])):
        if not ({"low", "high", "text"} & ref.keys()):
            yield _issue("obs-3", "a reference range needs low, high or text.",
                         f"{path}.referenceRange[{index}]")  # fmt: skip


def _pat_1(resource: Json, path: str) -> Iterator[Issue]:
    """pat-1: a contact needs details (name, telecom, address) or an organization."""
    for index, contact in enumerate(resource.get("contact", [])):
        if not ({"name", "telecom", "address", "organization"} & contact.keys()):
            yield _issue("pat-1", "a contact needs a name, telecom, address or organization.",
                         f"{path}.contact[{index}]")  # fmt: skip


RULES: dict[str, tuple[Rule, ...]] = {
    "Observation": (_obs_3, _obs_6, _obs_7),
    "Patient": (_pat_1,),
}


def invariant_issues(resource: Json) -> list[Issue]:
    resource_type = str(resource.get("resourceType"))
    return [
        issue for rule in RULES.get(resource_type, ()) for issue in rule(resource, resource_type)
    ]
