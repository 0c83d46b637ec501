"""Bulk Data `$export` jobs: started by one worker, answered by any.

https://hl7.org/fhir/uv/bulkdata/export.html. A kick-off records the job in the `export_jobs`
collection (gateway.store.export_jobs) before answering 202, then runs it as an asyncio task of
the worker that took the kick-off, writing one NDJSON file per type into `EXPORT_DIR/<job id>`.
A status poll, a download or a DELETE reaching any worker or replica reads the collection, so
`serve --workers N` and replicas behind a load balancer answer every request of a job.

Files go to a directory every worker and replica mounts (`EXPORT_DIR`), not GridFS: GridFS
would spare the shared volume on MongoDB, but Motor's GridFS refuses mongomock-motor's database
(`TypeError: database must be an instance of Database`), so the embedded store, and with it
every test, could not run it; the embedded store is one process, where any directory is shared.

The worker running a job renews a lease with its progress (gateway.services.export_runner) and
learns there of a DELETE made elsewhere; any worker reports a job whose lease lapsed as failed
rather than resume it (an export restarted elsewhere would not be the data of its
`transactionTime`; the client kicks off again), and sweeps finished jobs once
`EXPORT_RETENTION_SECONDS` have passed (gateway.services.export_board).

At shutdown a worker cancels the jobs it runs. On MongoDB with `EXPORT_DIR` set, they are
recorded as failed and finished jobs stay for the other workers; on the embedded store, or with
a temporary directory private to the process, nobody can ask for them again, so every job of the
process goes with its files, as before jobs were stored.

Authorization (gateway.services.access, issue 13):
- A system-level `$export` needs at least one `system/` scope: the Bulk Data IG gives the
  system-level export to backend services (export.html#endpoint---system-level-export, SMART
  Backend Services); a `patient/` or `user/` token gets a 403. `Patient/$export` takes any
  context, limited to what the token may search (gateway.services.exports).
- The job runs in a task after the kick-off has been answered: it runs `acting_as` the access
  captured when it was created (explicitly, not by relying on the task's copied context), so
  it exports what the kick-off's token may see, no more. The captured access is stored with the
  job (gateway.services.export_access), and every worker decides ownership from it.
- A job belongs to the client and subject (`grant.client_id`, `grant.subject`) that started it:
  anyone else polling, downloading or cancelling it gets the 404 an unknown job gets, so a job
  id reveals nothing. With authorization off every request is the same (GRANT_ALL), as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from gateway import metrics
from gateway.domain.time import utc_now
from gateway.errors import Forbidden, GatewayError, Issue, NotFound
from gateway.services.access import Access, acting_as, current
from gateway.services.context import Services
from gateway.services.export_board import JobBoard
from gateway.services.export_job import ExportJob, Stopping, failure, job_of, stored_job
from gateway.services.export_kickoff import OUTPUT_FORMATS, ExportRequest, kickoff_parameters
from gateway.services.export_runner import JobRunner
from gateway.services.exports import NdjsonSink, check_types, export
from gateway.store.export_jobs import RUNNING, StoredJob

__all__ = [
    "OUTPUT_FORMATS",
    "ExportJob",
    "ExportJobs",
    "ExportRequest",
    "failure",
    "kickoff_parameters",
]

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 1.0  # at most; a third of the lease when that is shorter


class ExportFilesMissing(GatewayError):
    """A completed job's file is not in this worker's `EXPORT_DIR`: a deployment fault."""

    status, issue_code = 500, "exception"


class ExportJobs:
    """The export jobs of one worker: those it runs (`jobs`), and any other through the store.

    `root`: where job directories go (else a temporary directory of this process).
    """

    def __init__(
        self,
        root: Path | None = None,
        *,
        lease_seconds: float = 30.0,
        retention_seconds: float = 86_400.0,
    ) -> None:
        self.root = root
        self.lease = timedelta(seconds=lease_seconds)
        self.retention = timedelta(seconds=retention_seconds)
        self.beat = min(HEARTBEAT_SECONDS, lease_seconds / 3)
        self.jobs: dict[str, ExportJob] = {}  # the jobs this process started
        self.worker = f"{socket.gethostname()}/{os.getpid()}"
        self._board: JobBoard | None = None
        self._durable = False  # the store outlives this process (MongoDB)
        self._temporary: Path | None = None
        self._sweeper: asyncio.Task[None] | None = None

    @classmethod
    def opened(cls, services: Services) -> ExportJobs:
        """The app's jobs, settings from `services`, sweeping expired and dead jobs."""
        settings = services.settings
        jobs = cls(
            settings.export_dir,
            lease_seconds=settings.export_lease_seconds,
            retention_seconds=settings.export_retention_seconds,
        )
        jobs._bind(services)
        if jobs._durable and settings.export_dir is None:
            log.warning(
                "EXPORT_DIR is not set: $export files go to a directory of this process only; "
                "with several workers or replicas, set EXPORT_DIR to a directory all of them mount."
            )
        jobs._sweeper = asyncio.create_task(jobs._sweep_forever(), name="export-sweeper")
        return jobs

    def start(
        self, services: Services, request: ExportRequest, *, base_urls: tuple[str, ...] = ()
    ) -> ExportJob:
        """Check the request (InvalidRequest, Forbidden before anything starts), then record and
        run it as a task acting as the current access. The task records the job first: a caller
        that answers before awaiting anything should use `kick_off`."""
        job = self._new(services, request)
        job.task = asyncio.create_task(
            self._record_and_run(services, job, base_urls), name=f"export-{job.id}"
        )
        return job

    async def kick_off(
        self, services: Services, request: ExportRequest, *, base_urls: tuple[str, ...] = ()
    ) -> ExportJob:
        """`start`, the job recorded before this returns: a poll reaching another worker right
        after the 202 finds it."""
        job = self._new(services, request)
        try:
            await self._bound().store.insert(stored_job(job, worker=self.worker))
        except BaseException:
            self.jobs.pop(job.id, None)
            raise
        job.task = asyncio.create_task(self._run(services, job, base_urls), name=f"export-{job.id}")
        return job

    async def lookup(self, job_id: str) -> ExportJob:
        """The job, whichever worker started it; the caller's own only, else 404. A job this
        process runs answers with its live progress."""
        stored = await self._find(job_id)
        local = self.jobs.get(job_id)
        if stored.state == RUNNING and local is not None and local.running:
            return local
        return job_of(stored, self._directory())

    async def output_file(self, job_id: str, name: str) -> Path:
        """A completed job's output file, whichever worker wrote it (all mount `EXPORT_DIR`)."""
        path = _output(await self.lookup(job_id), name)
        if not await asyncio.to_thread(path.is_file):
            log.error("Export job %s: %s is missing; is EXPORT_DIR shared?", job_id, path)
            raise ExportFilesMissing(f"The file `{name}` of export job `{job_id}` is missing.")
        return path

    async def delete(self, job_id: str) -> None:
        """Cancel the job and remove it with its files (export.html#bulk-data-delete-request).
        A job running on another worker is marked cancelled: every worker answers 404 for it
        at once, and its worker stops at its next heartbeat and removes the files."""
        stored = await self._find(job_id)
        store = self._bound().store
        if stored.state == RUNNING:
            cancelled = stored.changed(state="cancelled", expires=utc_now() + self.lease)
            if not await store.save_running(cancelled):
                stored = await self._find(job_id)  # it ended meanwhile: remove it as it is
        local = self.jobs.pop(job_id, None)
        if local is not None:
            await _cancel(local, "deleted")
        elif stored.state == RUNNING:
            return  # its worker removes the files (or the sweep does, once `expires` passes)
        await self._bound().remove(stored.id)

    async def close(self) -> None:
        """At shutdown: the jobs this process runs are cancelled; see the module docstring."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        keep = self._durable and self.root is not None
        for job in list(self.jobs.values()):
            if keep and job.running:
                await _cancel(job, "shutdown")
            elif not keep:
                await _cancel(job, "deleted")
                await self._bound().remove(job.id)
        self.jobs.clear()
        if self._temporary is not None:
            await asyncio.to_thread(shutil.rmtree, self._temporary, ignore_errors=True)
            self._temporary = None

    # The jobs this worker runs ------------------------------------------------------------

    def _new(self, services: Services, request: ExportRequest) -> ExportJob:
        access = current()
        if not request.compartment and not _has_system_scope(access):
            raise Forbidden(
                "A system-level $export needs a `system/` scope (a backend service's token); "
                "`Patient/$export` exports what a patient or user token may read.",
                code="MSG_AUTH_SCOPE",
            )
        check_types(services, request.types, compartment=request.compartment)
        self._bind(services)
        job_id = uuid.uuid4().hex
        job = ExportJob(job_id, request, utc_now(), self._directory() / job_id, access=access)
        self.jobs[job_id] = job
        metrics.export_started()
        return job

    async def _record_and_run(
        self, services: Services, job: ExportJob, base_urls: tuple[str, ...]
    ) -> None:
        await self._bound().store.insert(stored_job(job, worker=self.worker))
        await self._run(services, job, base_urls)

    async def _run(self, services: Services, job: ExportJob, base_urls: tuple[str, ...]) -> None:
        store = services.storage.export_jobs
        runner = JobRunner(store, self.worker, self.beat, self.retention, forget=self._forget)
        await runner.run(job, lambda: self._export(services, job, base_urls))

    async def _export(self, services: Services, job: ExportJob, base_urls: tuple[str, ...]) -> None:
        sink = NdjsonSink(job.directory)
        request = job.request
        try:
            with acting_as(job.access):
                job.counts = await export(
                    services,
                    types=request.types,
                    since=request.since,
                    patient_ids=None,
                    sink=sink,
                    compartment=request.compartment,
                    base_urls=base_urls,
                    progress=job.report,
                )
            job.files = {t: sink.files[t].name for t in job.counts}
            job.state, job.progress = "completed", "Export complete."
        except GatewayError as error:
            job.state, job.failure = "failed", error.issues
        except Exception:
            incident = uuid.uuid4().hex[:12]
            log.exception("Export job %s failed (incident %s)", job.id, incident)
            text = f"Export job `{job.id}` failed (incident `{incident}`); it has been logged."
            job.state, job.failure = "failed", [Issue(text, code="exception", severity="fatal")]
        finally:
            sink.close()

    async def sweep(self) -> None:
        """Remove expired jobs with their files, record dead ones failed (any worker's), and
        forget this worker's finished jobs that another worker's sweep removed."""
        await self._bound().sweep()
        now = utc_now()
        for job in list(self.jobs.values()):
            if not job.running and job.expires is not None and job.expires <= now:
                self.jobs.pop(job.id, None)

    async def _sweep_forever(self) -> None:
        interval = max(self.lease.total_seconds(), 1.0)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.sweep()
            except Exception:  # a database hiccup: the next sweep tries again
                log.warning("Sweeping export jobs failed", exc_info=True)

    # Plumbing -----------------------------------------------------------------------------

    def _bind(self, services: Services) -> None:
        if self._board is None:
            self._board = JobBoard(
                services.storage.export_jobs,
                self.lease,
                self.retention,
                directory=self._directory,
                running_here=self._running_here,
                forget=self._forget,
            )
            self._durable = not services.settings.embedded

    def _running_here(self, job_id: str) -> bool:
        job = self.jobs.get(job_id)
        return job is not None and job.running

    def _forget(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)

    def _bound(self) -> JobBoard:
        assert self._board is not None  # bound by `opened` or by the first job
        return self._board

    async def _find(self, job_id: str) -> StoredJob:
        if self._board is None:  # neither opened by the app nor ever started a job: no store
            raise NotFound(f"Export job `{job_id}` was not found.")
        return await self._board.find(job_id)

    def _directory(self) -> Path:
        if self.root is not None:
            return self.root
        if self._temporary is None:
            self._temporary = Path(tempfile.mkdtemp(prefix="fhir-gateway-export-"))
        return self._temporary


def _output(job: ExportJob, name: str) -> Path:
    if job.state != "completed" or name not in job.files.values():
        raise NotFound(f"Export job `{job.id}` has no file `{name}`.")
    return job.directory / name


async def _cancel(job: ExportJob, reason: Stopping) -> None:
    task = job.task
    if task is None or task.done():
        return
    job.stopping = reason
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _has_system_scope(access: Access) -> bool:
    return access.unrestricted or any(scope.context == "system" for scope in access.grant.scopes)
