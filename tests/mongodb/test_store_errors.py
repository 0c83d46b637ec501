"""Store errors on a real MongoDB: a failed command is counted by name (FHIR_GATEWAY_TEST_MONGODB_URI)."""

from __future__ import annotations

import os
import uuid

import pytest
from pymongo.errors import OperationFailure

from gateway.metrics import Metrics, counting_for
from gateway.settings import Settings
from gateway.store.client import make_client

URI = os.environ.get("FHIR_GATEWAY_TEST_MONGODB_URI")
pytestmark = [
    pytest.mark.mongodb,
    pytest.mark.skipif(
        URI is None, reason="set FHIR_GATEWAY_TEST_MONGODB_URI to run against MongoDB"
    ),
]


async def test_a_failed_command_is_counted_and_a_duplicate_key_is_not() -> None:
    mine = Metrics()
    with counting_for(mine):
        client = make_client(Settings(mongodb_uri=URI))
    database = client[f"fhir_gateway_test_{uuid.uuid4().hex[:8]}"]
    try:
        with pytest.raises(OperationFailure):
            await database["t"].find_one({"$bogus": 1})  # the server refuses the filter
        await database["t"].insert_one({"_id": "a"})
        with pytest.raises(OperationFailure):  # DuplicateKeyError: a write error, not a failure
            await database["t"].insert_one({"_id": "a"})
    finally:
        await client.drop_database(database.name)
        client.close()
    errors = mine.registry.get_sample_value
    assert errors("fhir_gateway_store_errors_total", {"operation": "find"}) == 1
    assert errors("fhir_gateway_store_errors_total", {"operation": "insert"}) is None
