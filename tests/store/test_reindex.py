"""ResourceStore.reindex: documents rebuilt as a write builds them, only changed ones written,
no new version."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.jsonio import Json
from gateway.search.request import parse
from gateway.services import resources
from gateway.services.context import Services, open_services
from gateway.services.demo_load import load_generated
from gateway.services.search import search_type
from gateway.store.collection import Document
from gateway.store.repository import ResourceStore
from tests.conftest import make_settings

CONDITION: Json = {
    "resourceType": "Condition",
    "subject": {"reference": "Patient/p-1"},
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "195967001"}]},
}
OBSERVATION: Json = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
    "subject": {"reference": "Patient/p-1"},
    "effectiveDateTime": "2024-05-01T10:00:00Z",
    "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org",
                      "code": "/min"},
}  # fmt: skip


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    opened = await open_services(make_settings())
    yield opened
    opened.close()


async def found(services: Services, resource_type: str, query: str) -> set[str]:
    items = [tuple(item.split("=", 1)) for item in query.split("&")]
    request = parse(resource_type, items, default_count=100, max_count=100)  # type: ignore[arg-type]
    return {v.id for v in (await search_type(services, request)).matches}


async def documents(store: ResourceStore) -> list[Document]:
    return await store.fetch({}, sort=[("_id", 1)])


async def corrupt(services: Services, resource_type: str, change: Json) -> None:
    """An older version's data: `change` applied to every stored document, behind the store."""
    collection = services.storage.database[services.store(resource_type).name]
    await collection.update_many({}, change)


async def test_documents_written_now_are_unchanged_and_not_rewritten(services: Services) -> None:
    await load_generated(services)
    for resource_type in ("Patient", "Encounter", "Observation", "MedicationStatement"):
        store = services.store(resource_type)
        before = await documents(store)
        done = await store.reindex(before)
        assert (done.unchanged, done.rewritten, done.failed) == (len(before), 0, []), resource_type
        assert await documents(store) == before


async def test_a_removed_index_is_rebuilt_and_search_finds_the_resource_again(
    services: Services,
) -> None:
    store = services.store("Condition")
    written = (await resources.create(store, CONDITION)).version
    await corrupt(services, "Condition", {"$unset": {"index": ""}})
    assert await found(services, "Condition", "patient=Patient/p-1") == set()

    done = await store.reindex(await documents(store))

    assert (done.rewritten, done.unchanged) == (1, 0)
    assert await found(services, "Condition", "patient=Patient/p-1") == {written.id}
    [document] = await documents(store)
    assert (document["version_id"], document["last_updated"]) == (1, written.last_updated)
    assert await store.archived(written.id, limit=10) == []  # no new version


async def test_a_domain_records_index_and_derived_views_are_rebuilt(services: Services) -> None:
    store = services.store("Observation")
    written = (await resources.create(store, OBSERVATION)).version
    [fresh] = await documents(store)
    await corrupt(services, "Observation", {"$unset": {"index": "", "patient_id": ""},
                                            "$set": {"sort.code": "stale"}})  # fmt: skip
    assert await found(services, "Observation", "patient=p-1&date=2024-05-01") == set()

    await store.reindex(await documents(store))

    assert await documents(store) == [fresh]
    assert await found(services, "Observation", "patient=p-1&date=2024-05-01") == {written.id}


async def test_a_document_written_meanwhile_is_left_to_its_writer(services: Services) -> None:
    store = services.store("Condition")
    written = (await resources.create(store, CONDITION)).version
    await corrupt(services, "Condition", {"$unset": {"index": ""}})
    stale = await documents(store)
    await resources.update(store, written.id, {**CONDITION, "id": written.id,
                                                        "onsetDateTime": "2020"})  # fmt: skip
    [current] = await documents(store)

    done = await store.reindex(stale)

    assert (done.superseded, done.rewritten) == (1, 0)
    assert await documents(store) == [current]


async def test_a_document_the_mapping_refuses_fails_with_its_reason_and_the_rest_go_on(
    services: Services,
) -> None:
    store = services.store("Observation")
    await resources.create(store, OBSERVATION)
    await resources.create(store, {**OBSERVATION, "status": "amended"})
    await corrupt(services, "Observation", {"$unset": {"index": ""}})
    collection = services.storage.database[store.name]
    await collection.update_one({"status": "amended"}, {"$unset": {"code": ""}})  # required
    [bad] = await store.fetch({"status": "amended"})

    done = await store.reindex(await documents(store))

    assert done.rewritten == 1
    [(resource_id, reason)] = done.failed
    assert resource_id == bad["_id"]
    assert "code" in reason
