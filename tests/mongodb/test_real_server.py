"""The same interactions on a real MongoDB: run when FHIR_GATEWAY_TEST_MONGODB_URI is set.

mongomock stands in for MongoDB everywhere else; these tests check that the queries and updates
we rely on (version-guarded replace, delete, history sort, indexes) behave the same on a server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from tests.api.test_resources import PATIENT
from tests.conftest import api_client
from tests.mongodb.conftest import ON_MONGODB, database_name, settings_for

pytestmark = ON_MONGODB


@pytest.fixture
async def mongo_api() -> AsyncIterator[AsyncClient]:
    database = database_name()
    context = api_client(settings_for("mongodb", database))
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


async def test_transaction_is_atomic_and_searchable_on_mongodb(mongo_api: AsyncClient) -> None:
    """Multi-document transactions (the compose file's replica set), claims and search filters
    on a real server."""
    patient = {**PATIENT, "identifier": [{"system": "http://clinic.example/mrn", "value": "TX-1"}]}
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:00000000-0000-4000-8000-0000000000a1",
                "resource": patient,
                "request": {
                    "method": "POST",
                    "url": "Patient",
                    "ifNoneExist": "identifier=http://clinic.example/mrn|TX-1",
                },
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                    "subject": {"reference": "urn:uuid:00000000-0000-4000-8000-0000000000a1"},
                    "effectiveDateTime": "2026-05-01T08:00:00Z",
                    "valueQuantity": {"value": 61, "unit": "/min",
                                      "system": "http://unitsofmeasure.org", "code": "/min"},
                },
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }  # fmt: skip
    answer = await mongo_api.post("", json=bundle)
    assert answer.status_code == 200, answer.text
    patient_id = answer.json()["entry"][0]["response"]["location"].split("/")[1]
    found = await mongo_api.get(
        "/Observation",
        params={"patient": patient_id, "code": "http://loinc.org|8867-4", "date": "ge2026-05"},
    )
    assert found.json()["total"] == 1
    broken = {
        **bundle,
        "entry": [*bundle["entry"], {"request": {"method": "GET", "url": "Patient/nobody"}}],
    }
    assert (await mongo_api.post("", json=broken)).status_code == 404
    observations = await mongo_api.get("/Observation", params={"patient": patient_id})
    assert observations.json()["total"] == 1  # the failed transaction left nothing behind
