"""gateway.store.collection: the Protocols name only operations both drivers define.

Motor and mongomock-motor both answer any attribute through `__getattr__` (a sub-collection, a
delegated call), so `isinstance` against a runtime-checkable Protocol would always pass; the
classes are inspected instead (mongomock-motor's wrappers delegate to mongomock's classes).
"""

from __future__ import annotations

import mongomock
import mongomock_motor
import pytest
from motor.motor_asyncio import AsyncIOMotorCollection, AsyncIOMotorCursor, AsyncIOMotorDatabase

from gateway.store.collection import Collection, Cursor, Database

DECLARED_DUNDERS = {"__aiter__", "__getitem__"}


def members(protocol: type) -> set[str]:
    names = set(vars(protocol))
    return {n for n in names if not n.startswith("_")} | (names & DECLARED_DUNDERS)


@pytest.mark.parametrize(
    ("protocol", "motor", "mock", "delegate"),
    [
        (
            Collection,
            AsyncIOMotorCollection,
            mongomock_motor.AsyncMongoMockCollection,
            mongomock.collection.Collection,
        ),
        (Cursor, AsyncIOMotorCursor, mongomock_motor.AsyncCursor, mongomock.collection.Cursor),
        (
            Database,
            AsyncIOMotorDatabase,
            mongomock_motor.AsyncMongoMockDatabase,
            mongomock.database.Database,
        ),
    ],
    ids=["collection", "cursor", "database"],
)
def test_both_drivers_define_every_operation_the_store_uses(
    protocol: type, motor: type, mock: type, delegate: type
) -> None:
    used = members(protocol)
    assert len(used) >= 2
    assert used - set(dir(motor)) == set()
    assert used - set(dir(mock)) - set(dir(delegate)) == set()
