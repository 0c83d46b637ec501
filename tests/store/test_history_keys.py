"""gateway.store.history: every lookup of one resource's history is by `_id`, whatever the size
of the shared collection, and answers what the range query over the collection answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from gateway.store.history import FIRST_WINDOW, HistoryStore, history_key
from gateway.store.repository import ResourceStore
from gateway.store.storage import Storage
from gateway.store.versions import Version
from tests.store.conftest import T0, create, patient


class Recording:
    """A collection that notes the filter of every read, and otherwise is the collection."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection
        self.filters: list[dict[str, Any]] = []

    def find(self, query: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self.filters.append(query)
        return self.collection.find(query, *args, **kwargs)

    async def find_one(self, query: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self.filters.append(query)
        return await self.collection.find_one(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.collection, name)


@contextmanager
def recorded(history: HistoryStore) -> Iterator[Recording]:
    real = history.collection
    recording = Recording(real)
    history.collection = recording  # type: ignore[assignment]
    try:
        yield recording
    finally:
        history.collection = real


def by_key(query: dict[str, Any]) -> bool:
    return list(query) == ["_id"]


async def write_versions(store: ResourceStore, resource_id: str, count: int) -> None:
    """`count` versions of one Patient, each replacing the one before."""
    await create(store, resource_id, patient("v1"))
    for version_id in range(2, count + 1):
        previous = await store.current_document(resource_id)
        resource = patient(f"v{version_id}")
        await store.write(
            store.mapper.from_fhir(resource),
            resource,
            resource_id=resource_id,
            version_id=version_id,
            updated=T0 + timedelta(minutes=version_id),
            previous=previous,
            method="PUT",
        )


async def delete(store: ResourceStore, resource_id: str) -> Version:
    current = await store.current_document(resource_id)
    assert current is not None
    return await store.delete(current, updated=T0 + timedelta(days=1))


async def test_a_resource_never_written_has_no_history_and_costs_one_key_lookup(
    storage: Storage,
) -> None:
    store = storage.store("Patient")
    await write_versions(store, "other", 3)  # another resource's history is not scanned
    with recorded(storage.history) as recording:
        assert await store.latest_archived("new") is None
        assert await store.archived("new", limit=10) == []
    first_window = [history_key("Patient", "new", v) for v in range(1, FIRST_WINDOW + 1)]
    assert recording.filters == [{"_id": {"$in": first_window}}] * 2


@pytest.mark.parametrize(
    "versions",
    [1, 2, FIRST_WINDOW - 1, FIRST_WINDOW, FIRST_WINDOW + 1, 9 * FIRST_WINDOW + 1],
)
async def test_the_latest_of_a_deleted_resource_is_its_deletion_at_any_length(
    storage: Storage, versions: int
) -> None:
    """Across the window edges `latest` grows through: 8 keys, then 64 more, then 576."""
    store = storage.store("Patient")
    await write_versions(store, "p1", versions)
    await write_versions(store, "p2", 2)  # a neighbour whose keys sort next to p1's
    deletion = await delete(store, "p1")
    with recorded(storage.history) as recording:
        latest = await store.latest_archived("p1")
    assert latest == deletion
    assert latest is not None
    assert (latest.version_id, latest.deleted) == (versions + 1, True)
    assert all(by_key(query) for query in recording.filters), recording.filters
    assert latest == await storage.history.newest("Patient", "p1")  # the range query agrees


async def test_archived_versions_below_the_current_are_read_by_key_newest_first(
    storage: Storage,
) -> None:
    store = storage.store("Patient")
    await write_versions(store, "p1", 5)
    with recorded(storage.history) as recording:
        archived = await store.archived("p1", limit=3, below=5)
        everything = await store.versions("p1", limit=100)
    assert [v.version_id for v in archived] == [4, 3, 2]
    assert [v.version_id for v in everything] == [5, 4, 3, 2, 1]
    assert [v.resource["name"] for v in everything if v.resource] == [
        [{"family": f"v{n}"}] for n in (5, 4, 3, 2, 1)
    ]
    assert [v.version_id for v in await store.versions("p1", limit=2)] == [5, 4]
    assert all(by_key(query) for query in recording.filters), recording.filters


async def test_a_gap_in_the_keys_falls_back_to_the_range_query(storage: Storage) -> None:
    """A history this code did not write (version 2 missing) still answers its newest."""
    store = storage.store("Patient")
    await write_versions(store, "p1", 4)
    deletion = await delete(store, "p1")
    await storage.history.collection.delete_one({"_id": history_key("Patient", "p1", 2)})
    with recorded(storage.history) as recording:
        assert await store.latest_archived("p1") == deletion
    assert not all(by_key(query) for query in recording.filters)  # the fallback ran


async def test_a_resource_re_created_after_deletion_continues_its_numbering(
    storage: Storage,
) -> None:
    store = storage.store("Patient")
    await write_versions(store, "p1", 2)
    await delete(store, "p1")  # version 3
    latest = await store.latest_archived("p1")
    assert latest is not None
    resource = patient("again")
    again = await store.write(
        store.mapper.from_fhir(resource),
        resource,
        resource_id="p1",
        version_id=latest.version_id + 1,
        updated=T0 + timedelta(days=2),
        previous=None,
        method="PUT",
    )
    assert again.version_id == 4
    assert [v.version_id for v in await store.versions("p1", limit=10)] == [4, 3, 2, 1]
    assert await store.latest_archived("p1") == latest
