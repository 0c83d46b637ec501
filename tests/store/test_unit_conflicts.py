"""A MongoDB transaction aborted by a write conflict is a 409, not a 500 (gateway.store.unit).

Two open transactions inserting the same conditional-create claim: MongoDB refuses the second
insert with WriteConflict (code 112), labelled TransientTransactionError. No server runs here,
so a stand-in session raises exactly what pymongo raises; tests/mongodb runs the real race.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure

from gateway.errors import VersionConflict
from gateway.store.unit import atomic

WRITE_CONFLICT = OperationFailure(
    "Caused by :: Write conflict during plan execution and yielding is disabled.",
    code=112,
    details={
        "code": 112,
        "codeName": "WriteConflict",
        "errorLabels": ["TransientTransactionError"],
    },
)


class Session:
    def __init__(self) -> None:
        self.aborted = False

    @asynccontextmanager
    async def start_transaction(self) -> AsyncIterator[None]:
        try:
            yield
        except BaseException:
            self.aborted = True
            raise

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class Client:
    def __init__(self) -> None:
        self.session = Session()

    async def start_session(self) -> Session:
        return self.session


async def test_a_write_conflict_aborts_the_transaction_as_a_version_conflict() -> None:
    client = Client()
    with pytest.raises(VersionConflict) as raised:
        async with atomic(client, embedded=False):
            raise WRITE_CONFLICT
    assert client.session.aborted
    assert raised.value.__cause__ is WRITE_CONFLICT
    assert raised.value.status == 409


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(DuplicateKeyError("E11000 duplicate key", code=11000), id="duplicate-key"),
        pytest.param(OperationFailure("not primary", code=10107), id="unlabelled"),
        pytest.param(ValueError("ours"), id="not-pymongo"),
    ],
)
async def test_other_errors_pass_through_unchanged(error: Exception) -> None:
    """Only the transient label is a conflict: a duplicate key is handled where it is raised
    (gateway.store.claims), and anything else stays what it is."""
    with pytest.raises(type(error)) as raised:
        async with atomic(Client(), embedded=False):
            raise error
    assert raised.value is error


async def test_a_commit_refused_for_a_conflict_is_a_version_conflict() -> None:
    """The conflict may come at commit, when the transaction's context exits."""

    class Committing(Session):
        @asynccontextmanager
        async def start_transaction(self) -> AsyncIterator[None]:
            yield
            raise WRITE_CONFLICT

    client: Any = Client()
    client.session = Committing()
    with pytest.raises(VersionConflict):
        async with atomic(client, embedded=False):
            pass
