"""`reindex` on a real MongoDB: run when FHIR_GATEWAY_TEST_MONGODB_URI is set.

MongoDB reads decimals back as Decimal128 turned into ExactDecimals and datetimes at millisecond
precision: a document written now must compare equal to its rebuild there too (nothing
rewritten), and one missing its index is rewritten and found again.
"""

from __future__ import annotations

import os
import uuid

import pytest

from gateway.jsonio import loads
from gateway.services import resources
from gateway.services.context import open_services
from gateway.services.reindex import reindex
from gateway.settings import Settings
from tests.store.test_reindex import CONDITION, OBSERVATION, corrupt, found

URI = os.environ.get("FHIR_GATEWAY_TEST_MONGODB_URI")
pytestmark = [
    pytest.mark.mongodb,
    pytest.mark.skipif(
        URI is None, reason="set FHIR_GATEWAY_TEST_MONGODB_URI to run against MongoDB"
    ),
]


async def test_reindex_on_mongodb_rewrites_only_what_changed() -> None:
    database = f"fhir_gateway_test_{uuid.uuid4().hex[:8]}"
    services = await open_services(Settings(mongodb_uri=URI, mongodb_database=database))
    try:
        written_as = loads(b'{"value": 1.50, "unit": "/min"}')  # an ExactDecimal: Decimal128
        decimal = {**OBSERVATION, "valueQuantity": written_as}
        await resources.create(services.store("Observation"), decimal)
        await resources.create(services.store("Condition"), CONDITION)
        assert [(r.rewritten, r.unchanged) for r in await reindex(services)] == [(0, 1), (0, 1)]

        await corrupt(services, "Condition", {"$unset": {"index": ""}})
        [condition] = await reindex(services, types=["Condition"], batch_size=1)
        assert (condition.rewritten, condition.failed) == (1, 0)
        assert len(await found(services, "Condition", "patient=p-1")) == 1
    finally:
        await services.client.drop_database(database)
        services.close()
