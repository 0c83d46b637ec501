"""The same interactions on a real MongoDB: run when FHIR_GATEWAY_TEST_MONGODB_URI is set.

mongomock stands in for MongoDB everywhere else; these tests check that the queries and updates
we rely on (version-guarded replace, delete, history sort, indexes) behave the same on a server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from gateway.settings import Settings
from tests.api.test_resources import PATIENT
from tests.conftest import api_client

URI = os.environ.get("FHIR_GATEWAY_TEST_MONGODB_URI")
pytestmark = [
    pytest.mark.mongodb,
    pytest.mark.skipif(
        URI is None, reason="set FHIR_GATEWAY_TEST_MONGODB_URI to run against MongoDB"
    ),
]


@pytest.fixture
async def mongo_api() -> AsyncIterator[AsyncClient]:
    database = f"fhir_gateway_test_{uuid.uuid4().hex[:8]}"
    settings = Settings(mongodb_uri=URI, mongodb_database=database, demo_data=False)
    context = api_client(settings)
    async with context as client:
        yield client
        await context.app.state.services.client.drop_database(database)


async def test_versioned_lifecycle_on_mongodb(mongo_api: AsyncClient) -> None:
    created = await mongo_api.post("/Patient", json=PATIENT)
    assert created.status_code == 201, created.text
    resource_id = created.json()["id"]
    updated = await mongo_api.put(
        f"/Patient/{resource_id}",
        json={**PATIENT, "id": resource_id, "active": True},
        headers={"If-Match": 'W/"1"'},
    )
    assert updated.status_code == 200
    stale = await mongo_api.put(
        f"/Patient/{resource_id}",
        json={**PATIENT, "id": resource_id},
        headers={"If-Match": 'W/"1"'},
    )
    assert stale.status_code == 412
    assert (await mongo_api.delete(f"/Patient/{resource_id}")).status_code == 204
    assert (await mongo_api.get(f"/Patient/{resource_id}")).status_code == 410
    history = (await mongo_api.get(f"/Patient/{resource_id}/_history")).json()
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "PUT", "POST"]
