"""Mapper cost per resource on the demo data: the create path and the read path, per type.

- `from_fhir + to_fhir`: FHIR JSON -> record (derived views included) -> FHIR JSON.
- `doc->FHIR`: the read path of `ResourceStore.to_version`, a stored document (domain fields,
  service fields, search index) validated as the record type and mapped to FHIR.
- `direct`: the same document to the same FHIR by `document_to_fhir`, without the record.

Prints microseconds per resource (the best of several rounds) for each of the four types; run
it on two branches to compare them. Run: `.venv/bin/python -m bench.bench_mappers [--rounds N]`.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from datetime import datetime
from typing import Any

from gateway.demo import generate
from gateway.jsonio import Json
from gateway.search.index import build_indexer
from mappers.registry import MAPPERS


def stored(resource_type: str, resource: Json) -> Json:
    """The document the store writes for `resource` (as `store.stored_document` builds it)."""
    record = MAPPERS[resource_type].from_fhir(resource)
    document: Json = {
        "_id": resource.get("id", "x"),
        "version_id": 1,
        "last_updated": datetime(2026, 1, 1),
        "written_by": "POST",
        **record.model_dump(exclude_none=True),
    }
    document.update(build_indexer(resource_type)(document))
    return document


def per_resource(run: Callable[[], object], count: int, *, rounds: int) -> float:
    """Microseconds per resource of the fastest round (each round maps the whole batch)."""
    number = max(1, 2000 // count)
    best = min(timeit.repeat(run, number=number, repeat=rounds))
    return best / number / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--patients", type=int, default=5)
    rounds = parser.parse_args().rounds
    resources = generate(patients=parser.parse_args().patients)
    print(f"{'type':<22}{'count':>6}{'from+to µs':>12}{'doc->FHIR µs':>14}{'direct µs':>11}")
    totals = [0.0, 0.0, 0.0]
    count = 0
    for resource_type, mapper in MAPPERS.items():
        batch = [r for r in resources if r["resourceType"] == resource_type]
        documents = [stored(resource_type, r) for r in batch]

        def create(batch: list[Json] = batch, mapper: Any = mapper) -> None:
            for resource in batch:
                mapper.to_fhir(mapper.from_fhir(resource))

        def read(documents: list[Json] = documents, mapper: Any = mapper) -> None:
            for document in documents:
                mapper.to_fhir(mapper.record_type.model_validate(document))

        def direct(documents: list[Json] = documents, mapper: Any = mapper) -> None:
            for document in documents:
                mapper.document_to_fhir(document)

        figures = [per_resource(run, len(batch), rounds=rounds) for run in (create, read, direct)]
        totals = [
            total + figure * len(batch) for total, figure in zip(totals, figures, strict=True)
        ]
        count += len(batch)
        print(f"{resource_type:<22}{len(batch):>6}" + _columns(figures))
    print(f"{'all (weighted)':<22}{count:>6}" + _columns([total / count for total in totals]))


def _columns(figures: list[float]) -> str:
    create, read, direct = figures
    return f"{create:>12.1f}{read:>14.1f}{direct:>11.1f}"


if __name__ == "__main__":
    main()
