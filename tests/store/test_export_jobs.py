"""gateway.store.export_jobs: the conditional writes every worker relies on, the two sweeps'
queries and the collection's indexes, on the embedded store."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gateway.domain.time import utc_now
from gateway.store.embedded import embedded_client
from gateway.store.export_jobs import ExportJobStore, OutputFile, StoredJob
from gateway.store.indexes import EXPORT_JOBS, index_keys

NOW = datetime(2026, 12, 5, 12, 0, 0)


def job(job_id: str = "j1", **changes: object) -> StoredJob:
    base = StoredJob(
        id=job_id,
        client_id="backend",
        subject="backend",
        access={"all": True, "base_urls": []},
        request={"url": "http://test/fhir/$export", "types": None, "since": None},
        transaction_time=NOW,
        heartbeat=NOW,
        worker="host/1",
    )
    return base.changed(**changes)


@pytest.fixture
def store() -> ExportJobStore:
    return ExportJobStore(embedded_client()["db"][EXPORT_JOBS])


async def test_a_job_reads_back_as_written(store: ExportJobStore) -> None:
    done = job(
        state="completed",
        output=(OutputFile("Patient", "Patient.ndjson", 3),),
        error=({"diagnostics": "x", "code": "exception"},),
        expires=NOW + timedelta(days=1),
    )
    await store.insert(done)
    assert await store.read("j1") == done
    assert await store.read("j2") is None


async def test_the_indexes_are_made_with_the_first_job(store: ExportJobStore) -> None:
    await store.insert(job())
    information = await store.collection.index_information()
    found = {tuple(key for key, _ in index["key"]) for index in information.values()}
    assert found == {("_id",), *index_keys(EXPORT_JOBS)}
    assert found > {("_id",)}


async def test_a_running_job_is_saved_only_while_it_runs(store: ExportJobStore) -> None:
    await store.insert(job())
    assert await store.save_running(job(progress="10 resources exported"))
    assert await store.save_running(job(state="cancelled"))
    assert not await store.save_running(job(progress="the worker did not notice"))
    assert (await store.read("j1")) == job(state="cancelled")


async def test_a_takeover_loses_to_a_renewed_lease(store: ExportJobStore) -> None:
    await store.insert(job())
    renewed = NOW + timedelta(seconds=1)
    assert await store.save_running(job(heartbeat=renewed))
    assert not await store.save_running(job(state="failed"), heartbeat=NOW)
    assert await store.save_running(job(state="failed"), heartbeat=renewed)
    assert (await store.read("j1")).state == "failed"  # type: ignore[union-attr]


async def test_the_sweeps_find_lapsed_and_expired_jobs(store: ExportJobStore) -> None:
    now = utc_now()
    await store.insert(job("old-lease", heartbeat=now - timedelta(minutes=5)))
    await store.insert(job("fresh-lease", heartbeat=now))
    await store.insert(job("done-old", state="completed", heartbeat=now - timedelta(hours=2),
                           expires=now - timedelta(seconds=1)))  # fmt: skip
    await store.insert(job("done-new", state="completed", expires=now + timedelta(hours=1)))
    stale = await store.stale(now - timedelta(seconds=30))
    assert [j.id for j in stale] == ["old-lease"]
    assert [j.id for j in await store.expired(now)] == ["done-old"]
    await store.remove("done-old")
    assert await store.expired(now) == []
