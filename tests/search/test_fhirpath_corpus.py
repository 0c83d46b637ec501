"""The compiled extractors give what a maintained FHIRPath engine (fhirpathpy) gives, on real data.

For each sampled type, every R4 search parameter expression is evaluated both ways over the
type's resources in the third-party corpus (HL7 examples, Synthea bundles, Bulk Data NDJSON),
read through `gateway.jsonio` as the store reads them (decimals exact). The resources of a type
are sampled by shape (distinct sets of element names first), so rare elements are included.
Synthea's `urn:uuid:` references become `Type/id`, as a transaction stores them.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from gateway.jsonio import Json, loads
from gateway.search.fhirpath import compile_expression
from tests.conftest import samples_dir
from tests.search.fhirpath_engine import compare, engine
from tests.search.test_fhirpath_coverage import parameters

pytestmark = pytest.mark.corpus

# The types as far as the corpus holds them, and the others it holds (it has no Device;
# test_fhirpath_synthetic covers every type).
SAMPLED_TYPES = (
    "Condition", "AllergyIntolerance", "MedicationRequest", "Immunization", "Procedure",
    "DiagnosticReport", "CarePlan", "Goal", "DocumentReference", "Practitioner", "Organization",
    "Location", "ImagingStudy", "Provenance", "Claim", "ExplanationOfBenefit", "Encounter",
    "Patient", "Observation", "PractitionerRole", "MedicationStatement",
    "Composition", "Bundle",
)  # fmt: skip
PER_TYPE = 40


def corpus_resources(directory: Path) -> Iterator[Json]:
    for path in sorted(directory.rglob("*")):
        if path.name.endswith(".ndjson.gz"):
            with gzip.open(path, "rb") as lines:
                yield from (loads(line) for line in lines if line.strip())
        elif path.name.endswith(".json"):
            document = loads(path.read_bytes())
            if document.get("resourceType") == "Bundle":
                yield from _as_stored(document.get("entry", []))
            yield document


def _as_stored(entries: list[Json]) -> Iterator[Json]:
    """The entries' resources with `urn:uuid:` references turned into `Type/id`, as a
    transaction stores them (Synthea bundles refer to each other by fullUrl)."""
    local = {
        e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource'].get('id', 'x')}"
        for e in entries
        if "resource" in e and str(e.get("fullUrl", "")).startswith("urn:")
    }
    for entry in entries:
        if "resource" in entry:
            yield _rewritten(entry["resource"], local)


def _rewritten(value: Any, local: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            key: local.get(item, item) if key == "reference" else _rewritten(item, local)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rewritten(item, local) for item in value]
    return value


@cache
def samples() -> dict[str, list[Json]]:
    """Up to PER_TYPE resources of each sampled type, distinct shapes first."""
    directory = samples_dir()
    if directory is None:
        return {}
    by_shape: dict[str, dict[frozenset[str], list[Json]]] = {t: {} for t in SAMPLED_TYPES}
    for resource in corpus_resources(directory):
        shapes = by_shape.get(resource.get("resourceType", ""))
        if shapes is not None:
            shapes.setdefault(frozenset(_keys(resource)), []).append(resource)
    return {resource_type: _spread(shapes) for resource_type, shapes in by_shape.items()}


def _keys(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield prefix + key
            yield from _keys(item, f"{prefix}{key}.")
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item, prefix)


def _spread(shapes: dict[frozenset[str], list[Json]]) -> list[Json]:
    chosen: list[Json] = []
    rounds = [iter(group) for _, group in sorted(shapes.items(), key=lambda kv: -len(kv[0]))]
    while rounds and len(chosen) < PER_TYPE:
        for group in list(rounds):
            resource = next(group, None)
            if resource is None:
                rounds.remove(group)
            elif len(chosen) < PER_TYPE:
                chosen.append(resource)
    return chosen


@pytest.mark.parametrize("resource_type", SAMPLED_TYPES)
def test_extractors_agree_with_fhirpathpy(fhir_samples: Path, resource_type: str) -> None:
    resources = samples()[resource_type]
    assert resources, f"the corpus holds no {resource_type}"
    disagreements, with_values = [], set()
    for kind, code, expression in parameters():
        if kind != resource_type:
            continue
        ours, theirs = compile_expression(resource_type, expression), engine(expression)
        for resource in resources:
            mine, engines = compare(ours(resource), theirs(resource))
            if mine:
                with_values.add(code)
            if mine != engines:
                disagreements.append((code, resource.get("id"), mine, engines))
    assert disagreements == []
    assert len(with_values) >= 3, with_values  # the samples reach several of its parameters
