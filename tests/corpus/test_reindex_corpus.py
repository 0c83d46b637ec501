"""A Synthea patient's every type, written by the write path: reindexing it changes nothing
(the rebuild is the write's, and deterministic), and no declared compound index runs through
two arrays of a stored document (MongoDB would refuse to store it: "parallel arrays")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
import pytest_asyncio

from gateway.services import resources
from gateway.services.context import Services, open_services
from gateway.services.reindex import reindex
from gateway.store.indexes import index_keys
from tests.conftest import make_settings
from tests.store.test_indexes import _outer_array

pytestmark = [pytest.mark.corpus, pytest.mark.asyncio(loop_scope="module")]
PATIENT = "Claudie_Walsh_498377b3-e385-40ab-9acd-06b657e2f599.json"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def written(fhir_samples: Path) -> AsyncIterator[Services]:
    services = await open_services(make_settings())
    bundle = orjson.loads((fhir_samples / "synthea" / PATIENT).read_bytes())
    for entry in bundle["entry"]:  # stored one by one: references need not resolve here
        resource = entry["resource"]
        await resources.update(services.store(resource["resourceType"]), resource["id"], resource)
    yield services
    services.close()


async def test_a_synthea_patient_written_now_reindexes_unchanged(written: Services) -> None:
    results = await reindex(written, batch_size=50)

    assert len(results) > 10  # Patient, Encounter, Observation, Condition, Claim, ...
    for result in results:
        assert (result.rewritten, result.failed, result.superseded) == (0, 0, 0), result
        assert result.unchanged == result.read > 0


async def test_no_declared_index_runs_through_two_arrays_of_a_stored_document(
    written: Services,
) -> None:
    for resource_type, store in written.storage.stores.items():
        for document in await store.fetch({}):
            for keys in index_keys(store.name):
                arrays = {_outer_array(document, key) for key in keys} - {None}
                assert len(arrays) <= 1, (resource_type, keys, document["_id"], arrays)
