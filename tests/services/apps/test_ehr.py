"""An EHR's FHIR (a Synthea patient) read back as each app: rows the app's own models accept,
each row once, never a server error. Apps not merged yet are left out (`available`)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from gateway.services.apps.export import records_of
from gateway.services.apps.registry import available
from gateway.services.context import open_services
from gateway.services.transaction import process
from mappers.apps.ingest import read_records
from tests.conftest import make_settings

SMALLEST = "Fabian_Murray_a120c913-9ee0-4fcc-8344-826e74335c80.json"


async def test_a_synthea_patient_reads_as_every_app(fhir_samples: Path) -> None:
    adapters = available()
    if not adapters:
        pytest.skip("no app adapter in this tree yet")
    bundle = orjson.loads((fhir_samples / "synthea" / SMALLEST).read_bytes())
    services = await open_services(make_settings(max_bundle_entries=len(bundle["entry"])))
    answer = await process(services, bundle, base_urls=(), representation=False)
    locations = [e["response"]["location"].split("/") for e in answer["entry"]]
    [patient] = [location[1] for location in locations if location[0] == "Patient"]
    for adapter in adapters:
        rows = await records_of(services, adapter.name, patient=patient)
        assert set(rows) <= {e.name for e in adapter.entities}, adapter.name
        records = read_records(adapter, rows)  # the models accept them; no id twice
        assert sum(len(r) for r in records.rows.values()) == sum(len(r) for r in rows.values())
    services.close()
