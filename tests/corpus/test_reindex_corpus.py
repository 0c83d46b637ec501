"""Reindexing what the write path stored now changes nothing, over a Synthea patient's every
type: the rebuild (mapper, derived views, indexer) is the write's, and deterministic."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from gateway.services import resources
from gateway.services.context import open_services
from gateway.services.reindex import reindex
from tests.conftest import make_settings

pytestmark = pytest.mark.corpus
PATIENT = "Claudie_Walsh_498377b3-e385-40ab-9acd-06b657e2f599.json"


async def test_a_synthea_patient_written_now_reindexes_unchanged(fhir_samples: Path) -> None:
    services = await open_services(make_settings())
    bundle = orjson.loads((fhir_samples / "synthea" / PATIENT).read_bytes())
    try:
        for entry in bundle["entry"]:  # stored one by one: references need not resolve here
            resource = entry["resource"]
            store = services.store(resource["resourceType"])
            await resources.update(store, resource["id"], resource)

        results = await reindex(services, batch_size=50)

        assert len(results) > 10  # Patient, Encounter, Observation, Condition, Claim, ...
        for result in results:
            assert (result.rewritten, result.failed, result.superseded) == (0, 0, 0), result
            assert result.unchanged == result.read > 0
    finally:
        services.close()
