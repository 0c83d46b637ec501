"""AuditWriter: batches by size and by time, flushes on stop, never blocks or fails a request,
and logs at ERROR, with the event, every event it cannot write."""

from __future__ import annotations

import asyncio
import logging
import time

import orjson
import pytest

from gateway.auth.audit_writer import AuditWriter
from gateway.jsonio import Json

LOGGER = "tests.auth.audit"


class Store:
    """A `write` that keeps each batch, or fails while `failing` is set."""

    def __init__(self) -> None:
        self.batches: list[list[Json]] = []
        self.failing = False
        self.written = asyncio.Event()

    async def write(self, events: list[Json]) -> None:
        await asyncio.sleep(0)  # a real store awaits I/O: records may arrive meanwhile
        if self.failing:
            raise ConnectionError("store down")
        self.batches.append(events)
        self.written.set()


def events(n: int, start: int = 0) -> list[Json]:
    return [{"resourceType": "AuditEvent", "id": f"ae-{i}"} for i in range(start, start + n)]


def lost(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == LOGGER]


def writer(store: Store, **options: float) -> AuditWriter:
    return AuditWriter(store.write, logger=logging.getLogger(LOGGER), **options)  # type: ignore[arg-type]


async def test_a_full_batch_leaves_at_once() -> None:
    store = Store()
    audit = writer(store, batch=3, every=60)
    audit.start()
    for event in events(7):
        audit.record(event)
    await asyncio.wait_for(store.written.wait(), 1)
    await asyncio.sleep(0.01)
    assert [len(b) for b in store.batches] == [3, 3]  # the 7th waits: no full batch, no timer
    await audit.stop()
    assert [len(b) for b in store.batches] == [3, 3, 1]
    assert [e for b in store.batches for e in b] == events(7)


async def test_a_partial_batch_leaves_after_every_seconds() -> None:
    store = Store()
    audit = writer(store, batch=100, every=0.05)
    audit.start()
    audit.record(events(1)[0])
    audit.record(events(1, 1)[0])
    started = time.monotonic()
    await asyncio.wait_for(store.written.wait(), 1)
    assert time.monotonic() - started < 0.5
    assert store.batches == [events(2)]
    await audit.stop()
    assert store.batches == [events(2)]  # nothing left, no empty write


async def test_stop_flushes_what_is_left() -> None:
    store = Store()
    audit = writer(store, batch=4, every=60)
    audit.start()
    await asyncio.sleep(0)  # the writer is waiting on its 60 s timer
    for event in events(3):
        audit.record(event)
    await audit.stop()
    assert store.batches == [events(3)]


async def test_stop_without_start_flushes_through_run() -> None:
    store = Store()
    audit = writer(store, batch=2, every=60)
    for event in events(5):
        audit.record(event)
    runner = asyncio.create_task(audit.run())
    await audit.stop()
    await asyncio.wait_for(runner, 1)
    assert [len(b) for b in store.batches] == [2, 2, 1]


async def test_a_failed_write_is_logged_with_each_event_and_the_writer_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store()
    store.failing = True
    audit = writer(store, batch=2, every=60)
    audit.start()
    audit.record(events(1)[0])
    audit.record(events(1, 1)[0])  # a full batch: written, and failing
    await asyncio.sleep(0.05)
    assert lost(caplog) == [
        (
            logging.ERROR,
            "audit event not written (the audit write failed: ConnectionError: store down): "
            + orjson.dumps(event).decode(),
        )
        for event in events(2)
    ]
    store.failing = False
    audit.record(events(1, 2)[0])
    await audit.stop()
    assert store.batches == [events(1, 2)]


async def test_overflow_is_logged_never_queued(caplog: pytest.LogCaptureFixture) -> None:
    store = Store()
    audit = AuditWriter(store.write, batch=2, capacity=3, logger=logging.getLogger(LOGGER))
    for event in events(5):  # not started: the queue only fills
        audit.record(event)
    assert audit.pending == 3
    assert lost(caplog) == [
        (
            logging.ERROR,
            "audit event not written (the audit queue is full (3 events)): "
            + orjson.dumps(event).decode(),
        )
        for event in events(2, 3)
    ]
    audit.start()
    await audit.stop()
    assert [e for b in store.batches for e in b] == events(3)


async def test_recorded_after_stop_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    store = Store()
    audit = writer(store)
    audit.start()
    await audit.stop()
    audit.record(events(1)[0])
    assert lost(caplog) == [
        (
            logging.ERROR,
            'audit event not written (the audit writer is stopped): {"resourceType":"AuditEvent","id":"ae-0"}',
        )
    ]
    assert store.batches == []


async def test_cancelled_writer_logs_what_it_held(caplog: pytest.LogCaptureFixture) -> None:
    hang = asyncio.Event()

    async def stuck(batch: list[Json]) -> None:
        await hang.wait()

    audit = AuditWriter(stuck, batch=2, every=60, logger=logging.getLogger(LOGGER))
    task = asyncio.create_task(audit.run())
    for event in events(3):
        audit.record(event)
    await asyncio.sleep(0.01)  # the first two are in the stuck write, the third queued
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [m.rsplit(": ", 1)[1] for _, m in lost(caplog)] == [
        orjson.dumps(e).decode() for e in events(3)
    ]
    assert audit.pending == 0


async def test_record_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    audit = AuditWriter(Store().write, batch=1, capacity=1, logger=logging.getLogger(LOGGER))
    audit.record(events(1)[0])
    audit.record({"unserialisable": object()})  # overflow: logging it fails, the caller doesn't
    assert lost(caplog) == [(logging.ERROR, "audit event not recorded")]
    assert caplog.records[-1].exc_info is not None  # with the TypeError that stopped it


async def test_record_does_not_block_on_a_stalled_store() -> None:
    """100,000 record() calls while the store never answers: each only appends or logs."""
    hang = asyncio.Event()

    async def stalled(batch: list[Json]) -> None:
        await hang.wait()

    quiet = logging.getLogger(f"{LOGGER}.quiet")
    quiet.propagate, quiet.disabled = False, True
    audit = AuditWriter(stalled, batch=100, capacity=100_000, logger=quiet)
    audit.start()
    event = events(1)[0]
    started = time.perf_counter()
    for _ in range(100_000):
        audit.record(event)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"100,000 record() calls took {elapsed:.3f} s"
    hang.set()
    await audit.stop()


@pytest.mark.parametrize(
    "options",
    [{"batch": 0}, {"every": 0}, {"batch": 10, "capacity": 5}],
    ids=["no-batch", "no-interval", "capacity-below-batch"],
)
def test_options_that_cannot_work_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="batch"):
        AuditWriter(Store().write, logger=logging.getLogger(LOGGER), **options)  # type: ignore[arg-type]
