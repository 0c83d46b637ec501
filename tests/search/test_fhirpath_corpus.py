"""The compiled extractors give what a maintained FHIRPath engine (fhirpathpy) gives, on real data.

For each sampled type, every R4 search parameter expression is evaluated both ways over the
type's resources in the third-party corpus (HL7 examples, Synthea bundles, Bulk Data NDJSON),
read through `gateway.jsonio` as the store reads them (decimals exact). The resources of a type
are sampled by shape (distinct sets of element names first), so rare elements are included.

fhirpathpy has no `resolve()`; the test gives it one that reads `Type/id` (relative or
absolute) and `#id` contained references, the rule `fhirpath_references` documents, so the rest
of `where(resolve() is T)` is still the engine's. fhirpathpy applies FHIRPath's singleton rule to
`as` and refuses `(Observation.component.value as Quantity)` when there are two components; R4
means a filter there, which the gateway evaluates as `ofType`, and so the engine is asked.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import fhir_profiles
from gateway.jsonio import Json, dumps, loads
from tests.conftest import samples_dir
from tests.search.test_fhirpath_coverage import parameters

fhirpathpy = pytest.importorskip("fhirpathpy")
from fhirpathpy.engine.nodes import ResourceNode  # noqa: E402
from fhirpathpy.models import models  # noqa: E402

from gateway.search.fhirpath import Element, compile_expression  # noqa: E402

pytestmark = pytest.mark.corpus

# The types, as far as the corpus holds them (it has no Device), and the others it holds.
SAMPLED_TYPES = (
    "Condition", "AllergyIntolerance", "MedicationRequest", "Immunization", "Procedure",
    "DiagnosticReport", "CarePlan", "Goal", "DocumentReference", "Practitioner", "Organization",
    "Location", "ImagingStudy", "Provenance", "Claim", "ExplanationOfBenefit", "Encounter",
    "Patient", "Observation", "PractitionerRole", "MedicationStatement", "Medication",
    "Composition", "Bundle",
)  # fmt: skip
PER_TYPE = 40
# fhirpathpy names some types otherwise than R4's element definitions; neither is wrong.
_ENGINE_TYPES = {"object": None, "BackboneElement": None, "Element": None}
_AS = re.compile(r" as ([A-Za-z]+)|\.as\(")


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


@cache
def engine(expression: str) -> Callable[[Json], list[Any]]:
    """fhirpathpy's compiled expression with the R4 model and the test's `resolve()`."""
    current: list[Json] = []

    def resolve(references: list[Any]) -> list[Any]:
        found = []
        for reference in references:
            text = reference.get("reference", "") if isinstance(reference, dict) else ""
            if text.startswith("#"):
                found += [c for c in current[0].get("contained", ()) if c.get("id") == text[1:]]
                continue
            parts = text.removesuffix("/").split("/")
            if len(parts) >= 4 and parts[-2] == "_history":
                parts = parts[:-2]
            if len(parts) >= 2 and parts[-2] in fhir_profiles.resource_types() and "?" not in text:
                found.append({"resourceType": parts[-2], "id": parts[-1]})
        return [ResourceNode.create_node(resource) for resource in found]

    compiled = fhirpathpy.compile(
        _AS.sub(lambda m: f".ofType({m[1]})" if m[1] else ".ofType(", expression),
        models["r4"],
        {
            "returnRawData": True,
            "userInvocationTable": {"resolve": {"fn": resolve, "arity": {0: []}}},
        },
    )

    def evaluate(resource: Json) -> list[Any]:
        current[:] = [resource]
        return [_engine_element(node) for node in compiled({**resource}, {})]

    return evaluate


def _engine_element(node: Any) -> tuple[Any, str | None]:
    if isinstance(node, ResourceNode):
        info = node.get_type_info()
        name = info.name if info is not None else None
        return node.data, _ENGINE_TYPES.get(name, name) if name else None
    return node, "boolean" if isinstance(node, bool) else None


Compared = list[tuple[str, str | None]]


def compare(ours: list[Element], theirs: list[tuple[Any, str | None]]) -> tuple[Compared, Compared]:
    """Both results as sorted (JSON text, type); a type fhirpathpy does not name is not compared."""
    mine, engines = _sorted(ours), _sorted(theirs)
    if len(mine) == len(engines):
        mine = [
            (text, kind if their is not None else None)
            for (text, kind), (_, their) in zip(mine, engines, strict=True)
        ]
    return mine, engines


def _sorted(elements: list[Element] | list[tuple[Any, str | None]]) -> Compared:
    texts = [(dumps(value, sort_keys=True).decode(), kind) for value, kind in elements]
    return sorted(texts, key=lambda item: (item[0], item[1] or ""))


@pytest.mark.parametrize("resource_type", SAMPLED_TYPES)
def test_extractors_agree_with_fhirpathpy(fhir_samples: Path, resource_type: str) -> None:
    resources = samples()[resource_type]
    assert resources, f"the corpus holds no {resource_type}"
    disagreements = []
    for kind, code, expression in parameters():
        if kind != resource_type:
            continue
        ours, theirs = compile_expression(resource_type, expression), engine(expression)
        for resource in resources:
            mine, engines = compare(ours(resource), theirs(resource))
            if mine != engines:
                disagreements.append((code, resource.get("id"), mine, engines))
    assert disagreements == []
