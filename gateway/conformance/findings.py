"""What a walk finds: issues, and the checks on one value (fixed, pattern, binding, reference
target, invariants) that do not depend on where the walk goes next.

Each finding is an `Issue` with the instance path (indexes included) as `expression`, the rule's
element id or the constraint key as `details_code` in the validation-rule code system, and
diagnostics that start with that code and end with ` (profile <url>)`.
"""

from __future__ import annotations

import json
from typing import Any

from gateway.conformance import bindings
from gateway.conformance.references import bundle_entries, target_type
from gateway.conformance.rules import UNSET, Constraint, ElementRule, Json
from gateway.conformance.values import contains, equals
from gateway.errors import Issue, Severity
from gateway.terminology import local_source

SHORTCUTS = True  # False: the plain walk, every value checked in full (tests compare the two)
VALIDATION_RULE = "http://fhir-gateway.org/fhir/CodeSystem/validation-rule"
NESTED = ("BackboneElement", "Element")


class Findings:
    """The issues of one validation, and the checks that add to them.

    `selecting` keeps only what tells whether a profile describes a record (cardinality,
    fixed, pattern, slices): no bindings, references, extensions or invariants.
    `contextual` counts the checks that read more than the value checked (see `clean`), and
    `remembers` says whether clean values may be remembered at all: only over the held
    terminology, whose answers never change. `shortcuts`: the walk passes over a single value
    that needs no check without a call (`Walk.members`).
    """

    def __init__(
        self, url: str, source: bindings.Membership | None, root: Json, *, selecting: bool = False
    ) -> None:
        self.url, self.source, self.root, self.selecting = url, source, root, selecting
        self.issues: list[Issue] = []
        self._reported: set[str] = set()
        self.entries = bundle_entries(root)
        self.contextual = 0
        self.shortcuts = SHORTCUTS
        self.remembers = SHORTCUTS and (source is None or source is local_source())

    def report(
        self, severity: Severity, code: str, key: str, message: str, expression: str
    ) -> None:
        self.issues.append(
            Issue(
                f"{key}: {message} (profile {self.url})",
                code=code,
                severity=severity,
                expression=expression,
                details_code=key,
                details_system=VALIDATION_RULE,
            )
        )

    def constraints(
        self,
        item: Any,
        rule: ElementRule,
        type_code: str,
        source: ElementRule,
        path: str,
        resource: Json,
    ) -> None:
        """The invariants of an element and of its datatype, on one occurrence."""
        merged = rule.merged.get(type_code)
        if merged is None:
            merged = rule.merged[type_code] = _merge(rule, source)
        if not merged or self.selecting:
            return
        type_path = rule.path if type_code in NESTED else type_code
        for constraint in merged:
            if constraint.contextual is not None and constraint.contextual(item):
                self.contextual += 1
            if constraint.needs_contained and not resource.get("contained"):
                continue
            try:
                holds = constraint.check is None or constraint.check(
                    item, type_path, resource, self.root
                )
            except Exception:  # fhirpathpy raises plain Exceptions; one warning, never a 500
                holds = True
                self._not_evaluated(constraint, path)
            if constraint.check is None:
                self._not_evaluated(constraint, path)
            elif not holds:
                self.report(
                    constraint.severity, "invariant", constraint.key, constraint.human, path
                )

    def missing(self, rule: ElementRule, path: str, *, found: int = 0) -> None:
        """Too few occurrences of an element (`found`), and of each of its required slices."""
        name = rule.name.removesuffix("[x]")
        if found < rule.min:
            self.report(
                "error",
                "required",
                rule.id,
                f"needs at least {rule.min}, found {found}",
                f"{path}.{name}",
            )
        if found == 0:
            for slice_ in (s for s in rule.slices if s.min > 0):
                self.report(
                    "error",
                    "required",
                    slice_.id,
                    f"slice `{slice_.slice_name}` needs at least {slice_.min}, found 0",
                    f"{path}.{name}",
                )

    def unknown(self, key: str, source: ElementRule, path: str) -> None:
        """A key no element of `source` has: a choice type not allowed, or no element at all."""
        for child in source.children.values():
            stem = child.name.removesuffix("[x]")
            if child.name.endswith("[x]") and key.lstrip("_").startswith(stem):
                allowed = ", ".join(child.json_types) or "none"
                message = f"`{key}` is not an allowed type here (allowed: {allowed})"
                self.report("error", "structure", child.id, message, f"{path}.{key}")
                return
        self.report("error", "structure", source.id, f"unknown element `{key}`", f"{path}.{key}")

    def _fixed_pattern(self, item: Any, rule: ElementRule, path: str) -> None:
        if rule.fixed is not UNSET and not equals(item, rule.fixed):
            self.report("error", "value", rule.id, f"must be exactly {show(rule.fixed)}", path)
        if rule.pattern is not UNSET and not contains(item, rule.pattern):
            self.report(
                "error", "value", rule.id, f"must match the pattern {show(rule.pattern)}", path
            )

    def _binding(self, item: Any, rule: ElementRule, type_code: str, path: str) -> None:
        if rule.binding is None or self.source is None or self.selecting:
            return
        pairs = bindings.codes(item, type_code)
        strength, value_set = rule.binding
        finding = bindings.check(
            pairs or [], strength=strength, value_set=value_set, source=self.source
        )
        if finding is not None and finding[0] == "information" and value_set in self._reported:
            self.contextual += 1  # silent only because an earlier value said it
        if finding is not None and (finding[0] != "information" or value_set not in self._reported):
            self._reported.add(value_set)  # "cannot be checked" once per value set
            severity, message = finding
            code = "processing" if severity == "information" else "code-invalid"
            self.report(severity, code, rule.id, message, path)

    def _reference(self, item: Json, rule: ElementRule, type_code: str, path: str) -> None:
        if type_code != "Reference" or rule.targets is None:
            return
        reference = item.get("reference")
        if self.entries or (isinstance(reference, str) and reference.startswith("#")):
            self.contextual += 1  # judged against the Bundle's entries, the root's contained
        found = target_type(item, self.root, self.entries)
        allowed = ", ".join(sorted(rule.targets))
        if found is None and isinstance(item.get("reference"), str):
            message = f"the target's type cannot be told; it must be one of {allowed}"
            self.report("warning", "processing", rule.id, message, path)
        elif found is not None and found not in rule.targets:
            message = f"a reference to {found} is not allowed here (allowed: {allowed})"
            self.report("error", "structure", rule.id, message, path)

    def _not_evaluated(self, constraint: Constraint, path: str) -> None:
        self.contextual += 1  # reported once per validation
        if constraint.key not in self._reported:
            self._reported.add(constraint.key)
            message = f"the FHIRPath engine cannot evaluate `{constraint.expression}`; not checked"
            self.report("warning", "not-supported", constraint.key, message, path)


def _merge(rule: ElementRule, source: ElementRule) -> tuple[Constraint, ...]:
    """The element's own constraints and, once, those of its datatype's root."""
    keys = {c.key for c in rule.constraints}
    extra = () if source is rule else tuple(c for c in source.constraints if c.key not in keys)
    return rule.constraints + extra


def show(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)
