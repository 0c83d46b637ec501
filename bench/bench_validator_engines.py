"""The two validation engines side by side: µs per resource, then Synthea transactions.

`mappers.r4.validate` with `engine="compiled"` (one walk over tables compiled from the R4
StructureDefinitions) and `engine="fhir.resources"` (the shape walk, then fhir.resources'
models), over the same resources, rounds alternating, best round each (these machines are
shared and noisy, so only the ratio from one run means anything):
- Synthea's patient Bundles: the resources of our four mapped types, and every resource;
- the demo generator's resources (labs, vitals, wearable metrics, medications, encounters).
Then the Synthea Bundles as transactions on the embedded store under VALIDATION_ENGINE
`compiled` and `fhir.resources` (bench/bench_synthea.py's work), alternating, each against
the validate-only floor (fhir.resources `model_validate` alone) measured in the same rounds.

Needs the Synthea samples (`FHIR_SAMPLES_DIR`, default `../shared/fhir-samples`).
Run: `.venv/bin/python -m bench.bench_validator_engines [--rounds 3 --patients 40]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import time
from collections.abc import Sequence

from bench.bench_synthea import BASE, load, samples
from bench.bench_transaction import timed_transactions, validate_only
from gateway.demo import generate
from gateway.jsonio import Json
from gateway.services.context import Services, open_services
from gateway.services.transaction import process
from gateway.settings import Settings
from mappers.r4 import Engine, validate

ENGINES: tuple[Engine, ...] = ("compiled", "fhir.resources")
OURS = {"Patient", "Encounter", "Observation", "MedicationStatement"}


def timed_validation(resources: Sequence[Json], engine: Engine) -> float:
    started = time.perf_counter()
    for resource in resources:
        validate(resource, engine=engine)
    return time.perf_counter() - started


def per_resource(name: str, resources: Sequence[Json], rounds: int) -> None:
    best = {engine: float("inf") for engine in ENGINES}
    for engine in ENGINES:  # a first pass compiles the tables and imports the models
        timed_validation(resources, engine)
    for _ in range(rounds):
        for engine in ENGINES:  # alternating
            best[engine] = min(best[engine], timed_validation(resources, engine))
    compiled, oracle = (best[e] / len(resources) * 1e6 for e in ENGINES)
    print(f"{name:<28}{len(resources):>7}{compiled:>12.1f}{oracle:>17.1f}{compiled / oracle:>9.1%}")


async def opened(companions: list[Json], engine: Engine) -> Services:
    """As bench_synthea: an empty embedded store with the Bundles' hospitals and clinicians."""
    services = await open_services(Settings(mongodb_uri=None, validation_engine=engine))
    for bundle in copy.deepcopy(companions):
        await process(services, bundle, base_urls=BASE, representation=False)
    return services


def transactions(companions: list[Json], bundles: list[Json], rounds: int) -> None:
    count = sum(len(bundle["entry"]) for bundle in bundles)
    best = {engine: float("inf") for engine in ENGINES}
    floor = float("inf")
    for _ in range(rounds):  # alternating, so all three see the same machine
        floor = min(floor, validate_only(bundles))
        for engine in ENGINES:
            services = asyncio.run(opened(companions, engine))
            best[engine] = min(best[engine], asyncio.run(timed_transactions(services, bundles)))
    print(f"\n{len(bundles)} Synthea Bundles as transactions, {count} resources")
    print(f"validate-only floor (model_validate): {count / floor:8.0f} resources/s")
    for engine in ENGINES:
        rate = count / best[engine]
        print(
            f"VALIDATION_ENGINE={engine:<16} {rate:8.0f} resources/s = {rate * floor / count:5.0%} of the floor"
        )
    print(f"compiled / fhir.resources rate: {best['fhir.resources'] / best['compiled']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--patients", type=int, default=40, help="demo data patients")
    args = parser.parse_args()
    folder = samples() / "synthea"
    companions, bundles = load(folder / "companion"), load(folder)
    synthea = [entry["resource"] for bundle in bundles for entry in bundle["entry"]]
    print(f"{'µs per resource':<28}{'count':>7}{'compiled':>12}{'fhir.resources':>17}{'ratio':>9}")
    per_resource("Synthea, our four types", [r for r in synthea if r["resourceType"] in OURS],
                 args.rounds)  # fmt: skip
    per_resource("Synthea, all types", synthea, args.rounds)
    per_resource("demo data", generate(patients=args.patients), args.rounds)
    transactions(companions, bundles, args.rounds)


if __name__ == "__main__":
    main()
