"""The embedded store's batch insert of documents a store built (gateway.store.embedded.insert_built):
what it stores is what mongomock's insert_many stores, and where it cannot promise that it
does nothing and says so."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.store import embedded
from gateway.store.audit import event_document
from gateway.store.collection import OwnedDocument
from mappers.audit_event import AuditRecord

MOMENT = datetime(2026, 12, 5, 10, 0, 0, 123456, tzinfo=UTC)


def record(number: int) -> AuditRecord:
    return AuditRecord(
        interaction="read" if number % 2 else "search-type",
        action="R" if number % 2 else "E",
        outcome="0" if number % 3 else "8",
        recorded=MOMENT + timedelta(milliseconds=number),
        method="GET",
        path=f"/fhir/Observation/o{number}",
        query="category=laboratory" if number % 2 == 0 else None,
        status=200 if number % 3 else 403,
        client_id="client",
        subject=f"user-{number % 4}",
        fhir_user="Practitioner/1" if number % 2 else None,
        source_address="127.0.0.1",
        resource_type="Observation",
        resource_id=f"o{number}" if number % 2 else None,
        patients=(f"p{number % 3}",) if number % 5 else (),
        request_id=f"r{number}",
    )


def documents(count: int) -> list[OwnedDocument]:
    return [
        event_document(
            record(n), id=f"e{n}", observer="gateway", updated=MOMENT.replace(tzinfo=None)
        )
        for n in range(count)
    ]


async def _stored(collection: Any) -> list[dict[str, Any]]:
    return await collection.find({}).sort("_id").to_list(length=None)


async def test_it_stores_what_insert_many_stores() -> None:
    built = documents(30)
    by_mongomock = embedded.embedded_client()["db"]["one"]
    by_fast_path = embedded.embedded_client()["db"]["two"]
    for collection in (by_mongomock, by_fast_path):
        await collection.create_index([("index.patient", 1), ("index.date.start", 1)])
    await by_mongomock.insert_many(copy.deepcopy(built), ordered=False)
    assert embedded.insert_built(by_fast_path, copy.deepcopy(built))
    assert await _stored(by_fast_path) == await _stored(by_mongomock)
    assert len(await _stored(by_fast_path)) == 30
    wanted = {"index.patient": "Patient/p1"}
    found = [d["_id"] for d in await by_fast_path.find(wanted).to_list(length=None)]
    assert found == [d["_id"] for d in await by_mongomock.find(wanted).to_list(length=None)]
    assert found  # the query means something


async def test_a_taken_or_repeated_id_inserts_nothing() -> None:
    collection = embedded.embedded_client()["db"]["events"]
    first, second = documents(2)
    assert embedded.insert_built(collection, [first])
    assert not embedded.insert_built(collection, [second, copy.deepcopy(first)])
    assert not embedded.insert_built(collection, [second, copy.deepcopy(second)])
    assert [d["_id"] for d in await _stored(collection)] == ["e0"]


async def test_a_unique_index_besides_the_id_is_left_to_mongomock() -> None:
    collection = embedded.embedded_client()["db"]["events"]
    await collection.create_index([("audit.request_id", 1)], unique=True)
    assert not embedded.insert_built(collection, documents(1))
    assert await _stored(collection) == []


def test_a_collection_that_is_not_embedded_is_left_alone() -> None:
    assert not embedded.insert_built(object(), documents(1))
