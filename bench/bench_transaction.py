"""Transaction throughput for Synthea-sized Bundles against the validate-only floor.

Bundles are built from the demo generator: every resource a POST entry with a `urn:uuid:`
fullUrl, every reference to another entry by that urn (as Synthea writes them), patients
created conditionally on their identifier. Each Bundle runs as one transaction on the embedded
store (validation, reference rewriting, conditional create, writes, undo log). The floor is
fhir.resources `model_validate` of the same resources; the two alternate round by round.
Target: >= 35 % of the floor.

Run: `.venv/bin/python -m bench.bench_transaction [--patients 40 --per-bundle 8]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import time
import uuid
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from bench.common import parse_args, store_settings
from gateway.demo import generate
from gateway.jsonio import Json
from gateway.services.context import Services, open_services
from gateway.services.transaction import process


def transaction_bundles(patients: int, per_bundle: int) -> list[Json]:
    """Demo resources as transaction Bundles of `per_bundle` patients each."""
    resources = generate(patients=patients)
    urns = {f"{r['resourceType']}/{r['id']}": f"urn:uuid:{uuid.uuid4()}" for r in resources}
    by_patient: dict[str, list[Json]] = {}
    for resource in resources:
        if resource["resourceType"] == "Practitioner":
            continue  # shared by the patients' Bundles: the bench posts patient Bundles only
        owner = resource["id"] if resource["resourceType"] == "Patient" else _patient_of(resource)
        by_patient.setdefault(owner, []).append(resource)
    owners = sorted(by_patient)
    bundles = []
    for start in range(0, len(owners), per_bundle):
        group = [r for owner in owners[start : start + per_bundle] for r in by_patient[owner]]
        bundles.append({"resourceType": "Bundle", "type": "transaction",
                        "entry": [_entry(r, urns) for r in group]})  # fmt: skip
    return bundles


def _patient_of(resource: Json) -> str:
    return str(resource["subject"]["reference"]).split("/")[-1]


def _entry(resource: Json, urns: dict[str, str]) -> Json:
    body = _with_urns({k: v for k, v in resource.items() if k != "id"}, urns)
    request: Json = {"method": "POST", "url": resource["resourceType"]}
    if resource["resourceType"] == "Patient":
        identifier = resource["identifier"][0]
        request["ifNoneExist"] = f"identifier={identifier['system']}|{identifier['value']}"
    return {"fullUrl": urns[f"{resource['resourceType']}/{resource['id']}"], "resource": body,
            "request": request}  # fmt: skip


def _with_urns(value: Any, urns: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            k: (urns.get(v, v) if k == "reference" else _with_urns(v, urns))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_with_urns(v, urns) for v in value]
    return value


def validate_only(bundles: list[Json]) -> float:
    started = time.perf_counter()
    for bundle in bundles:
        for entry in bundle["entry"]:
            resource = entry["resource"]
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return time.perf_counter() - started


async def run_transactions(bundles: list[Json]) -> float:
    return await timed_transactions(await open_services(store_settings()), bundles)


async def timed_transactions(services: Services, bundles: list[Json]) -> float:
    """Seconds to post `bundles` as transactions to `services` (closed afterwards), every
    entry created."""
    work = copy.deepcopy(bundles)  # rewriting references changes the Bundles in place
    started = time.perf_counter()
    for bundle in work:
        answer = await process(
            services, bundle, base_urls=("http://bench/fhir",), representation=False
        )
        assert all(e["response"]["status"].startswith("201") for e in answer["entry"])
    elapsed = time.perf_counter() - started
    services.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--per-bundle", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parse_args(parser)
    bundles = transaction_bundles(args.patients, args.per_bundle)
    count = sum(len(b["entry"]) for b in bundles)
    floors, runs = [], []
    for _ in range(args.rounds):
        floors.append(validate_only(bundles))
        runs.append(asyncio.run(run_transactions(bundles)))
    floor, rate = count / min(floors), count / min(runs)
    print(
        f"bundles: {len(bundles)} transactions, {count} resources ({count // len(bundles)} per Bundle)"
    )
    print(f"validate-only floor: {floor:8.0f} resources/s")
    print(
        f"transactions:        {rate:8.0f} resources/s  = {rate / floor:5.0%} of the floor (target >= 35%)"
    )


if __name__ == "__main__":
    main()
