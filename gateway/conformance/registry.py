"""Held StructureDefinitions, each compiled once per process, by canonical URL.

The walk reaches datatypes (`Quantity`, `Reference`) and extension definitions through here,
so R4's base definitions are compiled the first time an instance uses them, then reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from fhir_profiles.canonical import held
from gateway.conformance.compile import compile_snapshot
from gateway.conformance.rules import ElementRule

CORE = "http://hl7.org/fhir/StructureDefinition/"


@dataclass(frozen=True, slots=True)
class Compiled:
    """A StructureDefinition's rule tree: its canonical URL, constrained type and root rule."""

    url: str
    type: str
    kind: str
    root: ElementRule


@cache
def compiled(canonical: str) -> Compiled | None:
    """The held StructureDefinition `canonical` (`url` or `url|version`) names, compiled; None
    when it is not held or has no usable snapshot."""
    definition = held().resolve(canonical, "StructureDefinition")
    if definition is None or not isinstance(definition.get("type"), str):
        return None
    try:
        root, _ = compile_snapshot(definition)
    except (ValueError, KeyError, TypeError):
        return None
    return Compiled(str(definition["url"]), definition["type"], str(definition.get("kind")), root)


def base(type_code: str) -> Compiled | None:
    """R4's own definition of a resource type or datatype."""
    return compiled(CORE + type_code)


def extension(url: str) -> Compiled | None:
    """The held extension definition `url` names, if any."""
    found = compiled(url)
    return found if found is not None and found.type == "Extension" else None
