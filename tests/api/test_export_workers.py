"""`$export` jobs answered by any worker: two apps over one store stand in for `serve --workers 2`
(or two replicas behind a load balancer), sharing the store and `EXPORT_DIR` as they would.

https://hl7.org/fhir/uv/bulkdata/export.html. Tokens are real (AUTH_MODE=smart): the job's
owner is the kick-off's client and subject, decided on the other worker from the stored access.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from httpx import AsyncClient, Response

from gateway.auth.grant import Grant
from gateway.auth.scopes import parse_scopes
from gateway.jsonio import Json
from gateway.services import bulk_jobs, context, exports
from gateway.services.access import Access, acting_as
from gateway.services.bulk_jobs import ExportJobs
from gateway.services.export_kickoff import ExportRequest
from gateway.services.exports import ExportSink
from gateway.store.embedded import embedded_client
from tests.api.test_bulk_export import ASYNC, STATUS_URL, Gate, observation, patient
from tests.api.test_errors import issue, outcome
from tests.auth.tokens_for_tests import TestIssuer, bearer
from tests.conftest import api_client, make_settings

SCOPE = "system/*.rs"
LEASE = 1.5  # seconds: heartbeats every 0.5 s


@dataclass
class Workers:
    a: AsyncClient
    b: AsyncClient
    apps: tuple[Any, Any]
    exports: Path
    issuer: TestIssuer

    def owner(self, **claims: Any) -> dict[str, str]:
        """The headers of the client that kicks off, or (`client_id`, `sub`) another one."""
        claims = {"client_id": "backend", "sub": "backend", **claims}
        return bearer(self.issuer.token(scope=SCOPE, **claims))

    def jobs(self, worker: int) -> ExportJobs:
        jobs: ExportJobs = self.apps[worker].state.export_jobs
        return jobs


@asynccontextmanager
async def two_workers(
    directory: Path, monkeypatch: pytest.MonkeyPatch, b_mounts: Path | None = None, **settings: Any
) -> AsyncIterator[Workers]:
    """Workers A and B; B mounts the export directory as `b_mounts` (default: the same)."""
    client = embedded_client()  # the one database both workers use
    monkeypatch.setattr(context, "make_client", lambda _: client)
    issuer = TestIssuer.shared()
    exports = directory / "exports"
    options = {"export_dir": exports, "export_lease_seconds": LEASE, "audit": False, **settings}
    wrappers = [
        api_client(issuer.settings(directory, **options)),
        api_client(issuer.settings(directory, **{**options, "export_dir": b_mounts or exports})),
    ]
    async with AsyncExitStack() as stack:
        a, b = [await stack.enter_async_context(w) for w in wrappers]
        yield Workers(a, b, (wrappers[0].app, wrappers[1].app), exports, issuer)


@pytest.fixture
async def workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Workers]:
    async with two_workers(tmp_path, monkeypatch) as both:
        writer = bearer(both.issuer.token(scope="system/*.cruds"))
        for n in range(3):
            created = await both.a.post("/Patient", json=patient(f"MRN-{n}"), headers=writer)
            assert created.status_code == 201, created.text
            subject = f"Patient/{created.json()['id']}"
            response = await both.a.post("/Observation", json=observation(subject), headers=writer)
            assert response.status_code == 201, response.text
        yield both


async def kick_off(api: AsyncClient, headers: dict[str, str], query: str = "") -> str:
    response = await api.get(f"/$export{query}", headers={**ASYNC, **headers})
    assert response.status_code == 202, response.text
    location: str = response.headers["Content-Location"]
    assert STATUS_URL.fullmatch(location), location
    return location


def job_id(location: str) -> str:
    match = STATUS_URL.fullmatch(location)
    assert match is not None
    return match.group(1)


async def poll(api: AsyncClient, location: str, headers: dict[str, str]) -> list[Response]:
    """Every answer to polling `location` until it is not 202."""
    answers: list[Response] = []
    for _ in range(1000):
        response = await api.get(location, headers=headers)
        answers.append(response)
        if response.status_code != 202:
            return answers
        await asyncio.sleep(0.005)
    raise AssertionError("the export job did not finish")


async def until(condition: Any, *, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


class HeldAtFirstPage:
    """The real export, held before it writes its first page until released."""

    def __init__(self) -> None:
        self.reached, self.release = asyncio.Event(), asyncio.Event()

    async def export(self, services: Any, *, sink: ExportSink, **options: Any) -> Any:
        held = self

        class Sink:
            async def write(self, resource_type: str, resources: list[Json]) -> None:
                held.reached.set()
                await held.release.wait()
                await sink.write(resource_type, resources)

            async def finish(self, resource_type: str) -> None:
                await sink.finish(resource_type)

        return await exports.export(services, sink=Sink(), **options)


async def test_a_job_started_on_one_worker_is_polled_and_downloaded_on_another(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldAtFirstPage()
    monkeypatch.setattr(bulk_jobs, "export", held.export)
    owner = workers.owner()
    location = await kick_off(workers.a, owner, "?_type=Patient,Observation")
    await asyncio.wait_for(held.reached.wait(), timeout=5)
    for _ in range(20):  # polled on B while A runs it
        running = await workers.b.get(location, headers=owner)
        assert running.status_code == 202, running.text
        assert running.headers["Retry-After"] == "1"
        assert 0 < len(running.headers["X-Progress"]) < 100
    held.release.set()
    answers = await poll(workers.b, location, owner)
    assert all(early.status_code == 202 for early in answers[:-1])
    done = answers[-1]
    assert done.status_code == 200, done.text
    manifest = done.json()
    assert manifest["requiresAccessToken"] is True  # rebuilt from the stored access
    assert manifest["request"] == "http://test/fhir/$export?_type=Patient,Observation"
    assert [(o["type"], o["count"]) for o in manifest["output"]] == [
        ("Patient", 3),
        ("Observation", 3),
    ]
    expires = parsedate_to_datetime(done.headers["Expires"])
    assert 86_000 < expires.timestamp() - time.time() <= 86_400

    for item in manifest["output"]:
        download = await workers.b.get(item["url"], headers=owner)
        assert download.status_code == 200, download.text
        assert download.headers["content-type"] == "application/fhir+ndjson"
        lines = [orjson.loads(line) for line in download.content.splitlines()]
        for line in lines:  # each line is what either worker reads
            read = await workers.a.get(f"/{item['type']}/{line['id']}", headers=owner)
            assert read.json() == line
        assert len(lines) == item["count"]
    assert job_id(location) not in workers.jobs(1).jobs  # B answered without running it


@pytest.mark.parametrize(
    "stranger",
    [{"client_id": "other-app"}, {"sub": "someone-else"}],
    ids=["another-client", "another-subject"],
)
async def test_another_owner_gets_404_on_every_worker(
    workers: Workers, stranger: dict[str, str]
) -> None:
    owner, other = workers.owner(), workers.owner(**stranger)
    location = await kick_off(workers.a, owner)
    manifest = (await poll(workers.b, location, owner))[-1].json()
    file_url = manifest["output"][0]["url"]
    unknown = outcome(issue("not-found", f"Export job `{job_id(location)}` was not found."))
    for api in (workers.a, workers.b):
        for response in (
            await api.get(location, headers=other),
            await api.get(file_url, headers=other),
            await api.delete(location, headers=other),
        ):
            assert response.status_code == 404, response.text
            assert response.json() == unknown
    assert (await workers.b.get(file_url, headers=owner)).status_code == 200  # untouched


async def test_a_delete_on_another_worker_stops_the_running_job(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()  # the export on A is held at its first page
    monkeypatch.setattr(bulk_jobs, "export", gate.export)
    owner = workers.owner()
    location = await kick_off(workers.a, owner)
    await asyncio.wait_for(gate.reached.wait(), timeout=5)
    running = workers.jobs(0).jobs[job_id(location)]
    running.directory.mkdir(parents=True)
    (running.directory / "Patient.ndjson").write_bytes(b"{}\n")  # what it wrote so far

    async def progress_on_b() -> bool:  # A's heartbeat carries its progress to B
        response = await workers.b.get(location, headers=owner)
        assert response.status_code == 202, response.text
        return bool(response.headers["X-Progress"].startswith("1000 resources exported"))

    await until(progress_on_b)
    response = await workers.b.delete(location, headers=owner)
    assert response.status_code == 202, response.text
    for api in (workers.a, workers.b):  # at once, on every worker
        assert (await api.get(location, headers=owner)).status_code == 404

    assert running.task is not None
    await until(lambda: _done(running.task))  # A noticed at its next heartbeat and stopped
    assert running.task.cancelled()
    assert not running.directory.exists()
    assert job_id(location) not in workers.jobs(0).jobs
    services = workers.apps[0].state.services
    assert await services.storage.export_jobs.read(job_id(location)) is None


async def _done(task: asyncio.Task[None] | None) -> bool:
    return task is not None and task.done()


async def test_a_job_whose_worker_stopped_renewing_its_lease_is_reported_failed(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A third worker starts a job and then never renews its lease (as if killed): once the
    lease lapses, the others answer the Bulk Data error status, 500 with an OperationOutcome,
    and remove its partial files; the stuck worker, if it ever finishes, keeps that verdict."""
    gate = Gate()
    monkeypatch.setattr(bulk_jobs, "export", gate.export)
    services = workers.apps[0].state.services
    stuck = ExportJobs(workers.exports, lease_seconds=LEASE)
    stuck.beat = 3600.0  # never renews
    who = Access(Grant(parse_scopes(SCOPE), client_id="backend", subject="backend"))
    with acting_as(who):
        job = stuck.start(services, ExportRequest("http://test/fhir/$export"))
    await asyncio.wait_for(gate.reached.wait(), timeout=5)
    job.directory.mkdir(parents=True)
    (job.directory / "Patient.ndjson").write_bytes(b"{}\n")
    location = f"http://test/fhir/$export-poll-status/{job.id}"
    owner = workers.owner()

    answers = await poll(workers.b, location, owner)
    assert all(r.status_code == 202 for r in answers[:-1])
    failed = answers[-1]
    assert failed.status_code == 500, failed.text
    assert failed.headers["content-type"].startswith("application/fhir+json")
    [problem] = failed.json()["issue"]
    assert (problem["code"], problem["severity"]) == ("exception", "fatal")
    assert problem["diagnostics"].startswith(f"Export job `{job.id}` stopped: the worker")
    assert not job.directory.exists()
    again = await workers.a.get(location, headers=owner)  # the verdict is stored
    assert (again.status_code, again.json()) == (500, failed.json())

    gate.release.set()  # the stuck worker comes back and finishes: too late
    assert job.task is not None
    await job.task
    assert (await workers.b.get(location, headers=owner)).status_code == 500
    assert not job.directory.exists()
    assert (await workers.b.delete(location, headers=owner)).status_code == 202
    assert (await workers.a.get(location, headers=owner)).status_code == 404


async def test_the_sweep_reports_a_dead_job_without_a_poll(
    workers: Workers, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    monkeypatch.setattr(bulk_jobs, "export", gate.export)
    services = workers.apps[0].state.services
    stuck = ExportJobs(workers.exports, lease_seconds=LEASE)
    stuck.beat = 3600.0
    with acting_as(Access(Grant(parse_scopes(SCOPE), client_id="backend", subject="backend"))):
        job = stuck.start(services, ExportRequest("http://test/fhir/$export"))
    await asyncio.wait_for(gate.reached.wait(), timeout=5)
    store = services.storage.export_jobs
    await workers.jobs(1).sweep()  # within the lease: left alone
    assert (await store.read(job.id)).state == "in-progress"  # type: ignore[union-attr]
    await asyncio.sleep(LEASE * 1.5)
    await workers.jobs(1).sweep()
    assert (await store.read(job.id)).state == "failed"  # type: ignore[union-attr]
    gate.release.set()
    await job.task  # type: ignore[misc]


async def test_finished_jobs_expire_with_their_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with two_workers(tmp_path, monkeypatch, export_retention_seconds=0.5) as workers:
        owner = workers.owner()
        writer = bearer(workers.issuer.token(scope="system/*.cruds"))
        await workers.a.post("/Patient", json=patient("MRN-1"), headers=writer)
        location = await kick_off(workers.a, owner)
        done = (await poll(workers.b, location, owner))[-1]
        assert done.status_code == 200, done.text
        expires = parsedate_to_datetime(done.headers["Expires"]).timestamp()
        assert -1 < expires - time.time() <= 0.5  # HTTP dates count whole seconds
        directory = workers.exports / job_id(location)
        assert directory.is_dir()
        await asyncio.sleep(0.6)
        assert (await workers.b.get(location, headers=owner)).status_code == 404
        await workers.jobs(1).sweep()  # B removes what A wrote
        assert not directory.exists()
        services = workers.apps[1].state.services
        assert await services.storage.export_jobs.read(job_id(location)) is None
        assert job_id(location) in workers.jobs(0).jobs  # A's own record of it goes...
        await workers.jobs(0).sweep()  # ...when A sweeps too (nothing left to remove)
        assert job_id(location) not in workers.jobs(0).jobs


async def test_on_mongodb_a_worker_shutting_down_leaves_finished_jobs_to_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a store that outlives the worker (MongoDB: here the embedded client standing in for
    the server `MONGODB_URI` names) and a shared `EXPORT_DIR`, a worker's shutdown keeps its
    finished jobs and records the running ones as failed."""
    client = embedded_client()
    monkeypatch.setattr(context, "make_client", lambda _: client)
    settings = make_settings(
        mongodb_uri="mongodb://mongo.example:27017", auth_mode="off", export_dir=tmp_path
    )
    async with api_client(settings) as b:
        a_context = api_client(settings)
        async with a_context as a:
            await a.post("/Patient", json=patient("MRN-1"))
            finished = await kick_off(a, {})
            assert (await poll(a, finished, {}))[-1].status_code == 200
            gate = Gate()
            monkeypatch.setattr(bulk_jobs, "export", gate.export)
            running = await kick_off(a, {})
            await asyncio.wait_for(gate.reached.wait(), timeout=5)
        manifest = (await b.get(finished)).json()
        assert (await b.get(manifest["output"][0]["url"])).status_code == 200
        stopped = await b.get(running)
        assert stopped.status_code == 500
        assert "shut down" in stopped.json()["issue"][0]["diagnostics"]
        assert not (tmp_path / job_id(running)).exists()


async def test_a_worker_without_the_shared_directory_answers_500_not_a_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A deployment fault (EXPORT_DIR not mounted on every worker) is the server's: 500 with an
    OperationOutcome, and the operator is told in the log."""
    async with two_workers(tmp_path, monkeypatch, b_mounts=tmp_path / "elsewhere") as workers:
        owner = workers.owner()
        writer = bearer(workers.issuer.token(scope="system/*.cruds"))
        await workers.a.post("/Patient", json=patient("MRN-1"), headers=writer)
        location = await kick_off(workers.a, owner)
        manifest = (await poll(workers.b, location, owner))[-1].json()
        url = manifest["output"][0]["url"]
        response = await workers.b.get(url, headers=owner)
        assert response.status_code == 500
        assert response.json() == outcome(
            issue("exception", f"The file `Patient.ndjson` of export job `{job_id(location)}` "
                  "is missing.")
        )  # fmt: skip
        assert "is EXPORT_DIR shared?" in caplog.text
        assert (await workers.a.get(url, headers=owner)).status_code == 200


async def test_on_mongodb_without_export_dir_the_gateway_warns_at_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = embedded_client()
    monkeypatch.setattr(context, "make_client", lambda _: client)
    settings = make_settings(mongodb_uri="mongodb://mongo.example:27017", auth_mode="off")
    async with api_client(settings):
        assert "EXPORT_DIR is not set" in caplog.text
    caplog.clear()
    async with api_client(make_settings()):  # the embedded store is one process: no warning
        assert "EXPORT_DIR" not in caplog.text
