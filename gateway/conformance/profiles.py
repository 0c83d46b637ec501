"""Profile validation: the public API over compiled StructureDefinitions.

https://hl7.org/fhir/R4/profiling.html, https://hl7.org/fhir/R4/validation.html — `profile(url)`
is any held StructureDefinition (R4's base definitions, the vital signs family, the gateway's
own package) compiled once; `Profile.validate` walks an instance against it and returns every
finding; `Profile.selects` tells whether the profile describes a record at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from gateway.conformance import registry
from gateway.conformance.rules import ElementRule, Json
from gateway.conformance.walk import Walk
from gateway.errors import Issue
from gateway.terminology import TerminologySource, local_source

_SELECTORS = ("code", "category")


@dataclass(frozen=True, slots=True)
class Profile:
    """A StructureDefinition compiled into rules; immutable, shared, safe across threads."""

    url: str
    type: str
    root: ElementRule

    def validate(self, resource: Json, terminology: TerminologySource | None = None) -> list[Issue]:
        """Every finding (errors, warnings, information) of `resource` against this profile;
        bindings are checked against `terminology`, by default the terminology held here."""
        walk = Walk(self.url, terminology or local_source(), resource)
        if not isinstance(resource, dict) or resource.get("resourceType") != self.type:
            found = resource.get("resourceType") if isinstance(resource, dict) else None
            message = f"a {self.type} is expected, not {found!r}"
            walk.report("error", "structure", self.root.id, message, self.type)
            return walk.issues
        walk.resource(self.root, resource, self.type)
        return walk.issues

    def selects(self, resource: Json) -> bool:
        """Is `resource` the kind of record this profile describes?

        The rule: the first of the type's `code` and `category` elements that the profile
        constrains with a fixed or pattern value or a required slice (bp: `Observation.code`
        with LOINC 85354-9; the vitalsigns base profile: the vital-signs category) must conform
        to those constraints (cardinality, fixed, pattern, slices; not bindings or invariants),
        and where all its slices are optional (R4's vitalspanel code), meet one of them.
        A profile constraining neither selects every resource of its type.
        """
        if not isinstance(resource, dict) or resource.get("resourceType") != self.type:
            return False
        for name in _SELECTORS:
            rule = self.root.children.get(name)
            if rule is None or not rule.selector:
                continue
            walk = Walk(self.url, None, resource, selecting=True)
            keys = [k for k in resource if k in rule.json_types or k.lstrip("_") in rule.json_types]
            if keys:
                walk.child(resource, rule, keys, self.type, resource)
            else:
                walk.report("error", "required", rule.id, "missing", self.type)
            return not any(issue.severity == "error" for issue in walk.issues)
        return True


@cache
def profile(url: str) -> Profile | None:
    """The held StructureDefinition `url` (or `url|version`) names, compiled once; None when it
    is not held (the caller decides whether that is a warning or an error)."""
    compiled = registry.compiled(url)
    if compiled is None or compiled.kind not in ("resource", "complex-type"):
        return None
    return Profile(compiled.url, compiled.type, compiled.root)


def base_profile(resource_type: str) -> Profile:
    """R4's own StructureDefinition of `resource_type`; KeyError for a type R4 does not define."""
    found = profile(registry.CORE + resource_type)
    if found is None:
        raise KeyError(resource_type)
    return found
