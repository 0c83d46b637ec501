"""gateway.store.repository: versioned writes, history, reads by id, queries and paging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gateway.errors import VersionConflict
from gateway.jsonio import Json
from gateway.search.paging import reversed_spec, sort_values
from gateway.store.repository import ResourceStore
from gateway.store.storage import Storage
from gateway.store.unit import Unit
from gateway.store.versions import Version
from tests.store.conftest import T0, create, patient


async def update(
    store: ResourceStore, resource_id: str, resource: Json, *, previous: Any = None
) -> Version:
    """The next version of `resource_id`, replacing `previous` (default: the current one)."""
    previous = previous or await store.current_document(resource_id)
    return await store.write(
        store.mapper.from_fhir(resource),
        resource,
        resource_id=resource_id,
        version_id=previous["version_id"] + 1,
        updated=T0 + timedelta(hours=1),
        previous=previous,
        method="PUT",
    )


async def test_a_created_resource_reads_back_with_the_services_meta(storage: Storage) -> None:
    store = storage.store("Patient")
    written = await create(store, "p1", patient("Chalmers", gender="male"))
    assert await store.current("p1") == written
    assert written.resource == {
        "resourceType": "Patient",
        "id": "p1",
        "meta": {"versionId": "1", "lastUpdated": "2024-03-01T08:00:00.000Z"},
        "name": [{"family": "Chalmers"}],
        "gender": "male",
    }
    document = await store.current_document("p1")
    assert document is not None
    assert (document["version_id"], document["written_by"]) == (1, "POST")
    assert document["index"]["family"] == ["chalmers"]


async def test_creating_an_id_that_exists_is_a_version_conflict(storage: Storage) -> None:
    store = storage.store("Patient")
    await create(store, "p1", patient("Chalmers"))
    with pytest.raises(VersionConflict, match="created concurrently"):
        await create(store, "p1", patient("Windsor"))
    assert (await store.current_document("p1") or {})["names"] == [{"family": "Chalmers"}]


async def test_an_update_archives_the_version_it_replaces(storage: Storage) -> None:
    store = storage.store("Patient")
    first = await create(store, "p1", patient("Chalmers"))
    second = await update(store, "p1", patient("Windsor"))
    assert second.version_id == 2
    assert await store.archived("p1", limit=10) == [first]
    assert await store.version("p1", 1) == first
    assert await store.version("p1", 2) == second
    assert await store.version("p1", 3) is None
    assert await store.versions("p1", limit=10) == [second, first]
    assert await store.versions("p1", limit=1) == [second]


async def test_an_update_from_a_stale_version_is_a_conflict(storage: Storage) -> None:
    store = storage.store("Patient")
    await create(store, "p1", patient("Chalmers"))
    stale = await store.current_document("p1")
    await update(store, "p1", patient("Windsor"))
    with pytest.raises(VersionConflict, match="changed while it was being updated"):
        await update(store, "p1", patient("Lost"), previous=stale)
    current = await store.current("p1")
    assert current is not None
    assert (current.version_id, current.resource and current.resource["name"]) == (
        2,
        [{"family": "Windsor"}],
    )


async def test_a_deletion_is_archived_as_the_next_version(storage: Storage) -> None:
    store = storage.store("Patient")
    first = await create(store, "p1", patient("Chalmers"))
    deleted = await store.delete(
        await store.current_document("p1") or {}, updated=T0 + timedelta(hours=2)
    )
    assert (deleted.version_id, deleted.method, deleted.deleted) == (2, "DELETE", True)
    assert await store.current("p1") is None
    assert await store.latest_archived("p1") == deleted
    assert await store.archived("p1", limit=10) == [deleted, first]


async def test_deleting_a_stale_version_is_a_conflict(storage: Storage) -> None:
    store = storage.store("Patient")
    await create(store, "p1", patient("Chalmers"))
    stale = await store.current_document("p1") or {}
    await update(store, "p1", patient("Windsor"))
    with pytest.raises(VersionConflict, match="changed while it was being deleted"):
        await store.delete(stale, updated=T0 + timedelta(hours=2))
    assert (await store.current_document("p1") or {})["version_id"] == 2


async def test_many_current_documents_come_in_the_order_asked(storage: Storage) -> None:
    store = storage.store("Patient")
    for resource_id in ("a", "b", "c"):
        await create(store, resource_id, patient(resource_id))
    found = await store.current_documents(["c", "nobody", "a", "b"])
    assert [d["_id"] for d in found] == ["c", "a", "b"]
    assert await store.current_documents([]) == []


async def _population(store: ResourceStore) -> list[str]:
    """Seven patients, updated at four distinct minutes (ties broken by `_id`)."""
    ids = ["p6", "p2", "p4", "p0", "p5", "p1", "p3"]
    for number, resource_id in enumerate(ids):
        await create(store, resource_id, patient(f"F{number}"), minutes=number // 2)
    return ids


SPEC = [("last_updated", 1), ("_id", 1)]


@pytest.mark.parametrize("spec", [SPEC, reversed_spec(SPEC)], ids=["ascending", "descending"])
async def test_keyset_pages_visit_every_match_once_in_order(
    storage: Storage, spec: list[tuple[str, int]]
) -> None:
    store = storage.store("Patient")
    await _population(store)
    query = {"_id": {"$ne": "p5"}}
    everything = [d["_id"] for d in await store.fetch(query, sort=spec)]
    assert len(everything) == 6
    seen: list[str] = []
    page = await store.fetch(query, sort=spec, limit=4)
    for _ in range(len(everything)):  # bounded: a cursor that does not advance must fail
        seen += [d["_id"] for d in page]
        page = await store.fetch(query, sort=spec, limit=4, after=sort_values(page[-1], spec))
        if not page:
            break
    assert seen == everything


async def test_keys_hold_the_id_the_sort_fields_and_the_fields_asked(storage: Storage) -> None:
    store = storage.store("Patient")
    await _population(store)
    keys = await store.keys({}, fields=["index.family"], sort=SPEC, limit=2)
    assert keys == [
        {"_id": "p2", "last_updated": T0, "index": {"family": ["f1"]}},
        {"_id": "p6", "last_updated": T0, "index": {"family": ["f0"]}},
    ]
    after = sort_values(keys[-1], SPEC)
    continued = await store.keys({}, sort=SPEC, limit=1, after=after)
    assert continued == [{"_id": "p0", "last_updated": T0 + timedelta(minutes=1)}]


async def test_ids_match_a_filter_in_order(storage: Storage) -> None:
    store = storage.store("Patient")
    await _population(store)
    assert await store.ids({"index.family": "f3"}) == ["p0"]
    assert await store.ids({}, sort=[("_id", -1)], limit=3) == ["p6", "p5", "p4"]
    assert await store.count({}) == 7
    assert await store.count({"last_updated": {"$gt": T0}}) == 5


async def test_batches_stream_every_match_in_id_order(storage: Storage) -> None:
    store = storage.store("Patient")
    await _population(store)
    batches = [[d["_id"] for d in batch] async for batch in store.batches({}, size=3)]
    assert batches == [["p0", "p1", "p2"], ["p3", "p4", "p5"], ["p6"]]
    query = {"_id": {"$in": ["p1", "p2", "p3"]}}
    exact = [[d["_id"] for d in batch] async for batch in store.batches(query, size=3)]
    assert exact == [["p1", "p2", "p3"]]
    assert [b async for b in store.batches({"_id": "nobody"}, size=3)] == []


async def test_insert_many_skips_ids_already_stored(storage: Storage) -> None:
    store = storage.store("Patient")
    await create(store, "p1", patient("Chalmers"))
    documents = [
        store.document(store.mapper.from_fhir(patient(family)), resource_id, 1, T0, "POST")
        for resource_id, family in (("p1", "Other"), ("p2", "Windsor"))
    ]
    assert await store.insert_many(documents) == {"p2"}
    assert await store.insert_many([]) == set()
    assert (await store.current_document("p1") or {})["names"] == [{"family": "Chalmers"}]
    assert await store.count({}) == 2


async def test_a_units_undo_takes_back_every_write(storage: Storage) -> None:
    store = storage.store("Patient")
    await create(store, "kept", patient("Kept"))
    await create(store, "gone", patient("Gone"))
    before = {d["_id"]: d for d in await store.fetch({})}
    unit = Unit(undo=[])
    await store.write(
        store.mapper.from_fhir(patient("New")),
        patient("New"),
        resource_id="new",
        version_id=1,
        updated=T0,
        previous=None,
        method="POST",
        unit=unit,
    )
    kept = await store.current_document("kept", unit)
    await store.write(
        store.mapper.from_fhir(patient("Changed")),
        patient("Changed"),
        resource_id="kept",
        version_id=2,
        updated=T0,
        previous=kept,
        method="PUT",
        unit=unit,
    )
    await store.delete(await store.current_document("gone") or {}, updated=T0, unit=unit)
    assert await store.ids({}) == ["kept", "new"]
    for undo in reversed(unit.undo or []):
        await undo()
    assert {d["_id"]: d for d in await store.fetch({})} == before
    assert await store.archived("kept", limit=5) == []
    assert await store.archived("gone", limit=5) == []
