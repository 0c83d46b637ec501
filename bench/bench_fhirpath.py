"""Compiled search extractors against fhirpathpy: the cost of every R4 parameter of a resource.

For each type below, the resources of one Synthea transaction Bundle (or the HL7 examples) are
run through all of the type's R4 search parameter expressions, once with the gateway's compiled
extractors (`gateway.search.fhirpath`) and once with fhirpathpy's compiled expressions (R4
model), and it prints microseconds per resource for each and the ratio. It also prints the time
to compile every expression of every type, which the gateway pays once at start.

Run: `.venv/bin/python -m bench.bench_fhirpath` (needs fhirpathpy, a dev dependency, and the
shared samples).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fhirpathpy
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models

import fhir_profiles
from gateway.jsonio import Json, loads
from gateway.search import fhirpath, fhirpath_types
from gateway.search.fhirpath import UnsupportedExpression, compile_expression

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "fhir-samples"
TYPES = (
    "Patient", "Encounter", "Observation", "Condition", "MedicationRequest", "Procedure",
    "Immunization", "DiagnosticReport", "Claim", "ExplanationOfBenefit", "CarePlan",
)  # fmt: skip
SKIPPED = frozenset({"_id", "_lastUpdated", "_tag", "_security", "_profile", "_source", "_text",
                     "_content", "_list", "_query", "_has"})  # fmt: skip


def expressions(resource_type: str) -> list[str]:
    return [
        definition["expression"]
        for (base, code), definition in fhir_profiles.search_parameters().items()
        if base == resource_type and definition["type"] != "special" and code not in SKIPPED
    ]


def resources() -> dict[str, list[Json]]:
    """Up to 200 resources of each type from the Synthea bundles."""
    found: dict[str, list[Json]] = {t: [] for t in TYPES}
    for bundle in sorted((SAMPLES / "synthea").glob("*.json")):
        for entry in loads(bundle.read_bytes())["entry"]:
            sample = found.get(entry["resource"]["resourceType"])
            if sample is not None and len(sample) < 200:
                sample.append(entry["resource"])
    return {t: found[t] for t in TYPES if found[t]}


def resolve(references: list[Any]) -> list[Any]:
    """fhirpathpy has no `resolve()`: the type and id of each `Type/id` reference."""
    found = []
    for reference in references:
        parts = str(reference.get("reference", "")).split("/")
        if len(parts) >= 2:
            found.append(ResourceNode.create_node({"resourceType": parts[-2], "id": parts[-1]}))
    return found


def seconds_per_resource(run: Callable[[Json], Any], sample: list[Json], budget: float) -> float:
    """Best of three passes over `sample`, as many passes as fit in `budget` seconds each."""
    best = float("inf")
    for _ in range(3):
        started, passes = time.perf_counter(), 0
        while passes == 0 or time.perf_counter() - started < budget:
            for resource in sample:
                run(resource)
            passes += 1
        best = min(best, (time.perf_counter() - started) / (passes * len(sample)))
    return best


def compile_everything() -> tuple[float, int, int]:
    """Every expression of every type from cold caches: what the gateway pays at start."""
    fhirpath._parsed.cache_clear()
    fhirpath_types.children.cache_clear()
    started, compiled, refused = time.perf_counter(), 0, 0
    for resource_type in sorted(fhir_profiles.resource_types()):
        for expression in expressions(resource_type):
            try:
                compile_expression(resource_type, expression)
                compiled += 1
            except UnsupportedExpression:
                refused += 1
    return time.perf_counter() - started, compiled, refused


def main() -> None:
    seconds, compiled, refused = compile_everything()
    print(f"compile all: {compiled} compiled, {refused} unsupported, {seconds * 1000:.0f} ms")
    model = models["r4"]
    options = {"userInvocationTable": {"resolve": {"fn": resolve, "arity": {0: []}}}}
    print(f"{'type':<22}{'params':>7}{'n':>5}{'compiled µs':>13}{'fhirpathpy µs':>15}{'ratio':>8}")
    for resource_type, sample in resources().items():
        ours = [compile_expression(resource_type, e) for e in expressions(resource_type)]
        theirs = [fhirpathpy.compile(e, model, options) for e in expressions(resource_type)]
        mine = seconds_per_resource(lambda r, fs=ours: [f(r) for f in fs], sample, 0.2)
        engine = seconds_per_resource(lambda r, fs=theirs: [f(r, {}) for f in fs], sample[:20], 0.2)
        print(
            f"{resource_type:<22}{len(ours):>7}{len(sample):>5}{mine * 1e6:>13.1f}"
            f"{engine * 1e6:>15.0f}{engine / mine:>7.0f}x"
        )


if __name__ == "__main__":
    main()
