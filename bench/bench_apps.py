"""The seed apps' door: native rows in and out, against the FHIR path of the same resources.

For each app, its demo records (gateway.demo_records) on a fresh embedded store:
1. **store**: `store_records` (validate rows, fetch foreign keys, map, one transaction) against
   the floor of the same resources as a PUT transaction through `transaction.process` (the
   FHIR path alone). The ratio is what the adapter layer costs on top of FHIR. Target >= 70 %.
2. **re-send**: the same rows again (every resource unchanged, no version written).
3. **read back**: `records_of` for every patient (gather the compartment and references, map
   to rows) against the floor of gathering alone (`patient_resources`). Target >= 50 %.
Floor and app alternate round by round; the fastest round of each counts.

Run: `.venv/bin/python -m bench.bench_apps [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from gateway.demo_records import app_records
from gateway.errors import NotFound
from gateway.jsonio import Json
from gateway.services.apps.export import records_of
from gateway.services.apps.gather import find_patient, patient_resources
from gateway.services.apps.ingest import store_records
from gateway.services.apps.registry import app_adapter
from gateway.services.context import Services, open_services
from gateway.services.transaction import process
from gateway.settings import Settings
from mappers.apps.ingest import map_records, read_records


async def _fresh() -> Services:
    settings = Settings(mongodb_uri=None, max_bundle_entries=100_000)
    return await open_services(settings)


async def floor_store(resources: list[Json]) -> float:
    services = await _fresh()
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
            for r in resources
        ],
    }
    started = time.perf_counter()
    await process(services, bundle, base_urls=(), representation=False)
    seconds = time.perf_counter() - started
    services.close()
    return seconds


async def app_round(
    app: str, records: dict[str, list[Json]]
) -> tuple[float, float, float, float, int]:
    """(store, re-send, read back, gather floor) seconds on a fresh store, and the patients."""
    services = await _fresh()
    started = time.perf_counter()
    await store_records(services, app, records, max_entries=None)
    store = time.perf_counter() - started
    started = time.perf_counter()
    await store_records(services, app, records, max_entries=None)
    resend = time.perf_counter() - started
    adapter = app_adapter(app)
    system = f"http://fhir-gateway.org/fhir/sid/{app}/{adapter.patient_entity}"
    patient_ids = await _patients(services, system, records.get(adapter.patient_entity, []))
    started = time.perf_counter()
    for patient in patient_ids:
        await records_of(services, app, patient=patient, since=None, entities=())
    read = time.perf_counter() - started
    started = time.perf_counter()
    for patient in patient_ids:
        await patient_resources(
            services, await find_patient(services, system=system, patient=patient)
        )
    gather = time.perf_counter() - started
    services.close()
    return store, resend, read, gather, len(patient_ids)


async def _patients(services: Services, system: str, rows: list[Json]) -> list[str]:
    """The rows of the patient entity that are patients (Heart Recovery's Users holds therapists)."""
    found = []
    for row in rows:
        try:
            await find_patient(services, system=system, patient=str(row["id"]))
        except NotFound:
            continue
        found.append(str(row["id"]))
    return found


async def main(rounds: int) -> None:
    print(f"{'app':15} {'rows':>5} {'res':>5} {'store/s':>8} {'floor/s':>8} {'ratio':>6} "
          f"{'resend/s':>9} {'read pts/s':>10} {'gather/s':>9} {'ratio':>6}")  # fmt: skip
    for app, records in app_records().items():
        resources = map_records(read_records(app_adapter(app), records), {}).resources
        rows = sum(len(v) for v in records.values())
        floors, runs = [], []
        for _ in range(rounds):
            floors.append(await floor_store(resources))
            runs.append(await app_round(app, records))
        floor = min(floors)
        store, resend, read, gather = (min(r[i] for r in runs) for i in range(4))
        patients = runs[0][4]
        print(
            f"{app:15} {rows:5} {len(resources):5} {len(resources) / store:8.0f} "
            f"{len(resources) / floor:8.0f} {floor / store:6.0%} {len(resources) / resend:9.0f} "
            f"{patients / read:10.1f} {patients / gather:9.1f} {gather / read:6.0%}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args().rounds))
