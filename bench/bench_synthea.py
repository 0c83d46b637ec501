"""Synthea patient Bundles as transactions, against the validate-only floor.

Synthea's Bundles carry every kind of clinical record (Conditions, MedicationRequests, Claims,
ExplanationOfBenefits, Immunizations, Procedures, DiagnosticReports, DocumentReferences, ...):
most of what they hold is kept whole, so this is the write cost of indexing every R4 search
parameter of those types. The floor is the same resources through fhir.resources
`model_validate` and nothing else, measured in the same run (these machines are noisy); the
figure is the gateway's rate as a share of it.

Needs the Synthea samples (`FHIR_SAMPLES_DIR`, default `../shared/fhir-samples`).
Run: `.venv/bin/python -m bench.bench_synthea [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
from collections import Counter
from pathlib import Path

import orjson

from bench.bench_transaction import timed_transactions, validate_only
from bench.common import ROOT
from gateway.jsonio import Json
from gateway.services.context import Services, open_services
from gateway.services.transaction import process
from gateway.settings import Settings

BASE = ("http://bench/fhir",)


def samples() -> Path:
    return Path(os.environ.get("FHIR_SAMPLES_DIR", ROOT.parent / "shared" / "fhir-samples"))


def load(folder: Path) -> list[Json]:
    return [orjson.loads(path.read_bytes()) for path in sorted(folder.glob("*.json"))]


async def opened(companions: list[Json]) -> Services:
    """An empty embedded store holding the hospitals and practitioners the Bundles point at."""
    services = await open_services(Settings(mongodb_uri=None))
    for bundle in copy.deepcopy(companions):
        await process(services, bundle, base_urls=BASE, representation=False)
    return services


async def run_transactions(companions: list[Json], bundles: list[Json]) -> float:
    return await timed_transactions(await opened(companions), bundles)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = samples() / "synthea"
    companions, bundles = load(folder / "companion"), load(folder)
    kinds = Counter(e["resource"]["resourceType"] for b in bundles for e in b["entry"])
    count = sum(kinds.values())
    floors, runs = [], []
    for _ in range(args.rounds):  # alternating, so both see the same machine
        floors.append(validate_only(bundles))
        runs.append(asyncio.run(run_transactions(companions, bundles)))
    floor, rate = count / min(floors), count / min(runs)
    print(f"{len(bundles)} Synthea Bundles, {count} resources of {len(kinds)} types")
    print(f"validate-only floor: {floor:8.0f} resources/s")
    print(f"transactions:        {rate:8.0f} resources/s  = {rate / floor:5.0%} of the floor")


if __name__ == "__main__":
    main()
