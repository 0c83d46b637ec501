"""Every way a document enters, changes in or leaves the embedded store keeps its hash indexes
(gateway.store.embedded_index) equal to indexes built afresh, and a patient + code search
equal to mongomock's scan: the Motor calls the stores make, a unit's undo, the audit's batch
insert, and the mongomock operations the gateway does not use today."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pymongo import DeleteOne, InsertOne

from gateway.store import embedded
from gateway.store.collection import OwnedDocument
from gateway.store.embedded_index import IndexedDocuments
from gateway.store.embedded_upkeep import indexed
from gateway.store.unit import atomic, on_failure

QUERIES = [
    {"index.patient": {"$in": ["Patient/p1", "Patient/p2"]}},
    {
        "$and": [
            {"index.patient": {"$in": ["Patient/p1"]}},
            {"code.coding": {"$elemMatch": {"system": "http://loinc.org", "code": "c1"}}},
        ]
    },
    {"code.coding.code": "c2"},
    {"identifiers": {"$elemMatch": {"system": "mrn", "value": "v3"}}},
]


def observation(number: int, *, patient: int | None = None, code: int | None = None) -> Any:
    return {
        "_id": f"o{number}",
        "index": {"patient": f"Patient/p{number % 3 if patient is None else patient}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": f"c{code or number % 4}"}]},
        "identifiers": [{"system": "mrn", "value": f"v{number}"}],
        "status": "final",
    }


async def assert_consistent(collection: Any) -> None:
    """Indexes as if built now, and every query answering what mongomock's scan answers."""
    table = indexed(collection._store)  # mongomock-motor forwards to mongomock
    assert isinstance(table, IndexedDocuments)
    assert table.buckets == IndexedDocuments(table.fields, list(table.items())).buckets
    assert sorted(table.filed, key=lambda key: table.filed[key][0]) == list(table)
    for query in QUERIES:
        ours = [d["_id"] for d in await collection.find(query).to_list(None)]
        theirs = [d["_id"] for d in embedded._scan(collection, query)]  # type: ignore[no-untyped-call]
        assert ours == theirs, query


@pytest.fixture
async def observations() -> Any:
    collection = embedded.embedded_client()["db"]["observations"]
    await collection.insert_many([observation(n) for n in range(12)])
    await assert_consistent(collection)  # indexed from here on
    return collection


Write = Callable[[Any], Awaitable[Any]]


def _writes() -> list[Any]:
    async def insert_built(c: Any) -> None:
        assert embedded.insert_built(c, [OwnedDocument(observation(40, patient=1))])

    async def bulk(c: Any) -> None:  # (mongomock's bulk updates fail on this PyMongo)
        await c.bulk_write(
            [
                InsertOne(observation(50, patient=2)),
                DeleteOne({"_id": "o3"}),
            ]
        )

    writes: dict[str, Write] = {
        "insert_one": lambda c: c.insert_one(observation(30, patient=1, code=1)),
        "insert_many": lambda c: c.insert_many([observation(n) for n in range(30, 34)]),
        "insert_built": insert_built,
        "replace_one": lambda c: c.replace_one({"_id": "o4"}, observation(4, patient=1, code=1)),
        "replace_one-guarded-miss": lambda c: c.replace_one(
            {"_id": "o4", "status": "amended"}, observation(4, patient=2)
        ),
        "replace_one-upsert": lambda c: c.replace_one(
            {"_id": "o60"}, observation(60, patient=1), upsert=True
        ),
        "update_one-set": lambda c: c.update_one(
            {"_id": "o5"}, {"$set": {"code.coding": [{"system": "http://loinc.org", "code": "c2"}]}}
        ),
        "update_one-unset": lambda c: c.update_one({"_id": "o1"}, {"$unset": {"index": ""}}),
        "update_one-push": lambda c: c.update_one(
            {"_id": "o6"}, {"$push": {"identifiers": {"system": "mrn", "value": "v3"}}}
        ),
        "update_many-by-code": lambda c: c.update_many(
            {"code.coding.code": "c2"}, {"$set": {"index.patient": "Patient/p2"}}
        ),
        "delete_one": lambda c: c.delete_one({"_id": "o1"}),
        "delete_many-by-patient": lambda c: c.delete_many({"index.patient": "Patient/p1"}),
        "find_one_and_update": lambda c: c.find_one_and_update(
            {"_id": "o7"}, {"$set": {"index.patient": "Patient/p2"}}
        ),
        "find_one_and_replace": lambda c: c.find_one_and_replace(
            {"_id": "o8"}, observation(8, patient=1, code=1)
        ),
        "find_one_and_delete": lambda c: c.find_one_and_delete({"index.patient": "Patient/p2"}),
        "bulk_write": bulk,
        "drop": lambda c: c.drop(),
    }
    return [pytest.param(write, id=name) for name, write in writes.items()]


@pytest.mark.parametrize("write", _writes())
async def test_a_write_keeps_the_indexes_equal_to_a_rebuild(
    observations: Any, write: Write
) -> None:
    await write(observations)
    await observations.insert_one(observation(99, patient=1, code=1))  # after a drop, too
    await assert_consistent(observations)


async def _failing_unit(observations: Any) -> None:
    """Three writes and their undos, as the stores record them, then a failure."""
    async with atomic(None, embedded=True) as unit:
        await observations.insert_one(observation(70, patient=1, code=1))
        on_failure(unit, lambda: observations.delete_one({"_id": "o70"}))
        previous = await observations.find_one({"_id": "o1"})
        await observations.replace_one({"_id": "o1"}, observation(1, patient=2))
        on_failure(unit, lambda: observations.replace_one({"_id": "o1"}, previous))
        await observations.delete_one({"_id": "o4"})
        on_failure(unit, lambda: observations.insert_one(observation(4)))
        raise RuntimeError("the Bundle's last entry failed")


async def test_a_unit_undone_leaves_the_indexes_as_before(observations: Any) -> None:
    before = [d["_id"] for d in await observations.find(QUERIES[1]).to_list(None)]
    with pytest.raises(RuntimeError):
        await _failing_unit(observations)
    await assert_consistent(observations)
    assert [d["_id"] for d in await observations.find(QUERIES[1]).to_list(None)] == before


async def test_a_rejected_insert_leaves_no_trace_in_the_indexes(observations: Any) -> None:
    with pytest.raises(Exception, match="Duplicate"):
        await observations.insert_one(observation(1, patient=2, code=2))
    await assert_consistent(observations)
