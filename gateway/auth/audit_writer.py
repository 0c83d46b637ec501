"""Audit events written in batches, off the request path.

Issue 13: every request is audited, and "a request whose audit cannot be written is logged at
error level with its details". So `record` only appends to a bounded in-memory queue (never
awaits, never raises: auditing must not slow or fail the request it records), and one task
hands the queue to `write` in batches. Whatever cannot reach `write` (the queue is full, the
write fails, the writer was stopped or cancelled) is logged at ERROR, one line per event, with
the event JSON: an AuditEvent holds no body and no token by construction (`mappers.audit_event`).

What is queued is whatever `write` takes: the audit trail queues `AuditRecord`s, so a request
pays only for capturing its record, and building and storing the events happens here, a batch
at a time (`describe` turns one into the text logged when it is lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

from gateway.jsonio import dumps

__all__ = ["AuditWriter"]

T = TypeVar("T")


def _json(event: Any) -> str:
    return dumps(event).decode()


class AuditWriter(Generic[T]):
    """Batches events for `write`: a full batch (`batch` events) leaves at once, a partial one
    after waiting at most `every` seconds; `stop` flushes the rest. One life: once stopped,
    a writer stays stopped (make a new one).

    Use `start()` / `await stop()` around the application's life (or run `run()` as your own
    task and call `stop()`). At most `capacity` events wait; beyond that an event is logged,
    not queued, so a stalled store costs memory up to a bound and never blocks a request.
    """

    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[None]],
        *,
        batch: int = 100,
        every: float = 0.5,
        capacity: int = 10_000,
        logger: logging.Logger,
        describe: Callable[[T], str] = _json,
    ) -> None:
        if batch < 1 or capacity < batch or every <= 0:
            raise ValueError("need batch >= 1, capacity >= batch and every > 0")
        self._write, self._batch, self._every = write, batch, every
        self._capacity, self._logger, self._describe = capacity, logger, describe
        self._pending: deque[T] = deque()
        self._full = asyncio.Event()  # set when a batch is ready or on stop: wakes the runner
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Events queued and not yet handed to `write`."""
        return len(self._pending)

    def record(self, event: T) -> None:
        """Queue `event` for the next batch. Never blocks, never raises.

        Call it on the event loop's thread (as an async route or middleware does); from a
        worker thread, go through `loop.call_soon_threadsafe(writer.record, event)`.
        """
        try:
            if self._stopping:
                self._lost([event], "the audit writer is stopped")
            elif len(self._pending) >= self._capacity:
                self._lost([event], f"the audit queue is full ({self._capacity} events)")
            else:
                self._pending.append(event)
                if len(self._pending) >= self._batch:
                    self._full.set()
        except Exception:  # a logging handler failing must not fail the request
            with contextlib.suppress(Exception):
                self._logger.exception("audit event not recorded")

    def start(self) -> None:
        """Run the writer as a task of the running event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="audit-writer")

    async def stop(self) -> None:
        """Flush what is queued, then end: the task from `start`, or a `run()` being awaited
        elsewhere. Events recorded after this are logged, not queued."""
        self._stopping = True
        self._full.set()
        if self._task is not None:
            await self._task

    async def run(self) -> None:
        """Flush batches until `stop`; on stop, flush everything left. Cancelled, it logs
        what it held and what is queued, then lets the cancellation through."""
        batch: list[T] = []
        try:
            while True:
                timed_out = await self._wait()
                # Full batches leave at once; the rest when the timer fires or on stop.
                while len(self._pending) >= self._batch or (
                    self._pending and (timed_out or self._stopping)
                ):
                    batch = self._take()
                    await self._flush(batch)
                batch = []
                if self._stopping and not self._pending:
                    return
        except asyncio.CancelledError:
            self._lost([*batch, *self._pending], "the audit writer was cancelled")
            self._pending.clear()
            raise

    async def _wait(self) -> bool:
        """Until a full batch or `stop` (False), or `every` seconds (True)."""
        if self._stopping or len(self._pending) >= self._batch:
            return False
        self._full.clear()
        try:
            await asyncio.wait_for(self._full.wait(), self._every)
        except TimeoutError:
            return True
        return False

    def _take(self) -> list[T]:
        count = min(self._batch, len(self._pending))
        return [self._pending.popleft() for _ in range(count)]

    async def _flush(self, batch: list[T]) -> None:
        if not batch:
            return
        try:
            await self._write(batch)
        except Exception as error:  # the writer goes on: the next batch may well succeed
            self._lost(batch, f"the audit write failed: {type(error).__name__}: {error}")

    def _lost(self, events: Iterable[T], reason: str) -> None:
        for event in events:
            self._logger.error("audit event not written (%s): %s", reason, self._describe(event))
