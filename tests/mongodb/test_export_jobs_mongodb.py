"""`$export` jobs on a real MongoDB, two workers over one database and one `EXPORT_DIR`: run when
FHIR_GATEWAY_TEST_MONGODB_URI is set (the conditional replaces and the sweeps' range queries
are what mongomock stands in for elsewhere)."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest

from gateway.services import bulk_jobs
from tests.api.test_bulk_export import Gate, kick_off, patient
from tests.api.test_export_workers import job_id, poll
from tests.conftest import api_client

URI = os.environ.get("FHIR_GATEWAY_TEST_MONGODB_URI")
pytestmark = [
    pytest.mark.mongodb,
    pytest.mark.skipif(
        URI is None, reason="set FHIR_GATEWAY_TEST_MONGODB_URI to run against MongoDB"
    ),
]


async def test_two_workers_share_export_jobs_on_mongodb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.settings import Settings

    database = f"fhir_gateway_test_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        mongodb_uri=URI, mongodb_database=database, demo_data=False, auth_mode="off",
        export_dir=tmp_path, export_lease_seconds=0.6,
    )  # fmt: skip
    a_context, b_context = api_client(settings), api_client(settings)
    async with a_context as a, b_context as b:
        try:
            assert (await a.post("/Patient", json=patient("MRN-1"))).status_code == 201
            location = await kick_off(a)
            done = (await poll(b, location, {}))[-1]
            assert done.status_code == 200, done.text
            [item] = done.json()["output"]
            assert (await b.get(item["url"])).status_code == 200

            gate = Gate()
            monkeypatch.setattr(bulk_jobs, "export", gate.export)
            running = await kick_off(a)
            await asyncio.wait_for(gate.reached.wait(), timeout=5)
            assert (await b.delete(running)).status_code == 202
            assert (await a.get(running)).status_code == 404
            task = a_context.app.state.export_jobs.jobs[job_id(running)].task
            await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=5)
            assert task.cancelled()
        finally:
            await a_context.app.state.services.client.drop_database(database)
