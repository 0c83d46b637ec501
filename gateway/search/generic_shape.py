"""What an R4 search expression reads, told from its text and the R4 element table.

The FHIRPath compiler (gateway.search.fhirpath) evaluates an expression; this reads its plain
path branches (`Condition.onset.as(dateTime)`, `Appointment.participant.actor.where(resolve()
is Patient)`) against `fhir_profiles.elements()` for what the index needs to know beforehand:
the top-level elements it starts from (a write skips a parameter whose elements are absent),
whether it selects at most one element (stored bare, so a compound MongoDB index may combine
it with an array field), whether it ends at booleans (its search takes `true`/`false`), and the
implicit code system of the `code` elements it ends at (search.html#token).
Anything else than a plain path answers conservatively: always run, a list, not boolean, no
implicit system.
"""

from __future__ import annotations

import re
from typing import Any

import fhir_profiles

_WRAPPERS = re.compile(
    r"\s+as\s+[A-Za-z]+|\.as\([A-Za-z]+\)|\.ofType\([A-Za-z]+\)|\.where\(resolve\(\) is [A-Za-z]+\)"
)


def branches(resource_type: str, expression: str) -> list[str]:
    """The `|` branches of `expression` rooted at `resource_type`, parentheses stripped."""
    found, depth, start = [], 0, 0
    for position, char in enumerate(expression + "|"):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            found.append(expression[start:position].strip())
            start = position + 1
    stripped = [_unparenthesised(branch) for branch in found]
    return [b for b in stripped if b == resource_type or b.startswith(f"{resource_type}.")]


def _unparenthesised(branch: str) -> str:
    while branch.startswith("(") and branch.endswith(")"):
        branch = branch[1:-1].strip()
    return branch


def top_level_keys(resource_type: str, expression: str) -> frozenset[str] | None:
    """The JSON keys of the resource's own elements `expression` starts from (a choice element
    `onset` is every `onset*` key); None when that cannot be told, so the extractor always runs."""
    found = branches(resource_type, expression)
    if not found:
        return None
    elements = fhir_profiles.elements().get(resource_type, {})
    keys: set[str] = set()
    for branch in found:
        match = re.match(rf"{re.escape(resource_type)}\.([A-Za-z]+)", branch)
        if match is None:
            return None
        name = match.group(1)
        keys.update(k for k in elements if k == name or _is_choice_of(k, name))
        keys.add(name)
    return frozenset(keys)


def _is_choice_of(key: str, name: str) -> bool:
    return key.startswith(name) and key[len(name) : len(name) + 1].isupper()


def single_valued(resource_type: str, expression: str) -> bool:
    """Whether `expression` selects at most one element: one branch, along 0..1 elements only
    (a stored single value may share a compound MongoDB index with an array field)."""
    found = branches(resource_type, expression)
    specs = _along(resource_type, found[0]) if len(found) == 1 else None
    return specs is not None and not any(spec[1] for spec in specs)


def boolean_valued(resource_type: str, expression: str) -> bool:
    """Whether every branch of `expression` ends at a boolean element (`Practitioner.active`):
    its token search takes `true` or `false` only."""
    found = branches(resource_type, expression)
    ends = [_along(resource_type, branch) for branch in found]
    return bool(ends) and all(specs and specs[-1][0] == "boolean" for specs in ends)


def implicit_system(resource_type: str, expression: str) -> str | None:
    """The code system every branch of `expression` takes its codes from, when every branch
    ends at a `code` element bound (required) to a value set of that one system
    (`MedicationRequest.status`: http://hl7.org/fhir/CodeSystem/medicationrequest-status).
    A `code` element's system is implicit in its binding (search.html#token); None when any
    branch ends elsewhere, is unbound, or the branches disagree."""
    found = branches(resource_type, expression)
    systems = {_bound_system(_along(resource_type, branch)) for branch in found}
    return systems.pop() if len(systems) == 1 else None


def _bound_system(specs: list[list[Any]] | None) -> str | None:
    if not specs or specs[-1][0] != "code" or len(specs[-1]) < 3:
        return None
    return fhir_profiles.code_systems().get(specs[-1][2])


def _along(resource_type: str, branch: str) -> list[list[Any]] | None:
    """The R4 element specs (`[type, is array]`) along a plain path branch, type narrowing and
    `resolve()` filters set aside; None for any other branch."""
    segments = _WRAPPERS.sub("", branch).split(".")[1:]
    if not segments or not all(re.fullmatch(r"[A-Za-z]+", s) for s in segments):
        return None
    elements = fhir_profiles.elements()
    owner, specs = resource_type, []
    for segment in segments:
        spec = _element(elements.get(owner, {}), segment)
        if spec is None:
            return None
        specs.append(spec)
        owner = spec[0] if spec[0] in elements else f"{owner}.{segment}"
    return specs


def _element(owner: dict[str, list[Any]], name: str) -> list[Any] | None:
    if name in owner:
        return owner[name]
    choices = [spec for key, spec in owner.items() if _is_choice_of(key, name)]
    return [choices[0][0], any(spec[1] for spec in choices)] if choices else None
