"""Units of work: a group of writes that all happen or none do (http.html#transaction).

On MongoDB a unit is a multi-document transaction (the compose file runs a replica set for it).
The embedded store has no transactions: a unit there records how to undo each write and, if
the group fails, undoes them newest first. Nothing else runs in between, because the embedded
store's calls never yield to the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from pymongo.errors import PyMongoError

from gateway.errors import VersionConflict

Undo = Callable[[], Awaitable[Any]]


@dataclass(slots=True)
class Unit:
    session: Any | None = None  # a Motor session inside a transaction, on MongoDB
    undo: list[Undo] | None = None  # how to take back each write, on the embedded store

    @property
    def options(self) -> dict[str, Any]:
        """Keyword arguments for every Motor call made within the unit."""
        return {"session": self.session} if self.session is not None else {}

    def on_failure(self, undo: Undo) -> None:
        if self.undo is not None:
            self.undo.append(undo)


def options(unit: Unit | None) -> dict[str, Any]:
    return unit.options if unit is not None else {}


def on_failure(unit: Unit | None, undo: Undo) -> None:
    if unit is not None:
        unit.on_failure(undo)


@asynccontextmanager
async def atomic(client: Any, *, embedded: bool) -> AsyncIterator[Unit]:
    """All writes made with the yielded unit persist together, or none does."""
    if embedded:
        unit = Unit(undo=[])
        try:
            yield unit
        except BaseException:
            for undo in reversed(unit.undo or []):
                await undo()
            raise
        return
    try:
        async with await client.start_session() as session, session.start_transaction():
            yield Unit(session=session)
    except PyMongoError as error:
        # Two open transactions writing one document (the same conditional-create claim, the
        # same resource): MongoDB aborts one with a WriteConflict labelled transient. It is a
        # concurrent change, as a failed version guard is: 409, and the client may retry.
        if error.has_error_label("TransientTransactionError"):
            raise VersionConflict(
                "A concurrent transaction changed the same resources; retry the transaction."
            ) from error
        raise
