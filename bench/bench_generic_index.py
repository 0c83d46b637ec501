"""What a write of a type kept whole pays for its search keys: `build_indexer` per resource.

Every R4 search parameter of the type is extracted (compiled FHIRPath) and normalised into
`index`/`exact`/`sort` (gateway.search.generic_index). For Synthea Conditions,
MedicationRequests, Claims and ExplanationOfBenefits from the shared samples it prints the
median over batches of 20 resources of the best of 15 runs (so that a busy machine's pauses
drop out), in microseconds per resource, and the part the FHIRPath extraction takes of it.

Run: `.venv/bin/python -m bench.bench_generic_index` (needs the shared samples).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.jsonio import loads
from gateway.search.index import build_indexer
from gateway.search.parameters import derived
from mappers.generic import generic_mapper

SYNTHEA = Path(__file__).resolve().parent.parent.parent / "shared" / "fhir-samples" / "synthea"
TYPES = ("Condition", "MedicationRequest", "Claim", "ExplanationOfBenefit")
BATCH, RUNS = 20, 15


def _documents() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {t: [] for t in TYPES}
    for path in sorted(SYNTHEA.glob("*.json")):
        for entry in loads(path.read_bytes()).get("entry", []):
            resource = entry["resource"]
            if resource["resourceType"] in found:
                record = generic_mapper(resource["resourceType"]).from_fhir(resource)
                found[resource["resourceType"]].append(record.model_dump(exclude_none=True))
    return found


def _median_per_resource(run: Callable[[list[dict[str, Any]]], None], docs: list[Any]) -> float:
    per_batch = []
    for start in range(0, len(docs), BATCH):
        batch = docs[start : start + BATCH]
        best = float("inf")
        for _ in range(RUNS):
            began = time.perf_counter()
            run(batch)
            best = min(best, time.perf_counter() - began)
        per_batch.append(best / len(batch) * 1e6)
    return sorted(per_batch)[len(per_batch) // 2]


def main() -> None:
    documents = _documents()
    gc.disable()
    for resource_type, docs in documents.items():
        indexer = build_indexer(resource_type)
        compiled = derived(resource_type).compiled

        def index(batch: list[dict[str, Any]], indexer: Any = indexer) -> None:
            for document in batch:
                indexer(document)

        def extract(batch: list[dict[str, Any]], compiled: Any = compiled) -> None:
            for document in batch:
                rest = document["fhir_rest"]
                for step in compiled:
                    if step.keys is None or not rest.keys().isdisjoint(step.keys):
                        step.extract(rest)

        total, extraction = _median_per_resource(index, docs), _median_per_resource(extract, docs)
        print(
            f"{resource_type:22s} {len(docs):5d} resources, {len(compiled):2d} parameters: "
            f"{total:6.1f} µs per resource (FHIRPath extraction {extraction:5.1f} µs)"
        )


if __name__ == "__main__":
    main()
