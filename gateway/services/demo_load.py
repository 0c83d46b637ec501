"""Loading the demo records through the same validation and mapping as client data.

The served demo (`DEMO_DATA`, `python3 dev.py serve`) is the seed apps' own sample records
(gateway.demo_records), each app's sent through its adapter as `POST /apps/{app}/records`
would, so the four apps' patients sit side by side as FHIR; beside them, the FHIR generator's
patients (gateway.demo, also the tests' and benchmarks' source) stand for an EHR's records,
which every app reads back in its own shape (`GET /apps/medrecord/records?patient=demo-pat-1`)
and which the README's examples use.
"""

from __future__ import annotations

from collections import Counter

from gateway.errors import NotFound
from gateway.services import resources
from gateway.services.apps.ingest import store_records
from gateway.services.context import Services


async def load_demo(services: Services, *, patients: int = 5) -> dict[str, int]:
    """The EHR's patients, then each app's sample records; loading twice changes nothing (every
    resource is a PUT at its id). Answers resources created per FHIR type."""
    from gateway.demo_records import app_records  # only a demo start-up needs them

    counts: Counter[str] = Counter(await load_generated(services, patients=patients))
    for app, records in app_records().items():
        answer = await store_records(services, app, records, max_entries=None)
        for resource_type, done in answer["resources"].items():
            counts[resource_type] += done["created"]
    return {resource_type: n for resource_type, n in counts.items() if n}


async def load_generated(services: Services, *, patients: int = 5) -> dict[str, int]:
    """The FHIR generator's patients, each resource PUT under its own id (update-as-create), so
    references hold."""
    from gateway import demo  # only the tests and benchmarks need the generator

    counts: Counter[str] = Counter()
    for resource in demo.generate(patients=patients):
        store = services.store(resource["resourceType"])
        try:
            await resources.read(store, resource["id"])
            continue  # already there: loading twice changes nothing
        except NotFound:
            pass
        await resources.update(store, resource["id"], resource, profiles=services.profiles)
        counts[resource["resourceType"]] += 1
    return dict(counts)
