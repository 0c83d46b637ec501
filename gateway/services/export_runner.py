"""One `$export` job running on this worker: its lease renewed while it runs, its end recorded.

https://hl7.org/fhir/uv/bulkdata/export.html. Every write here is conditional on the job still
being in progress (gateway.store.export_jobs), which is how the worker learns what other
workers did meanwhile: a renewal matching nothing means a DELETE elsewhere cancelled the job
(or another worker took it for dead), so the export is cancelled at its next page and its files
removed. Renewals carry the progress and come about once a second, whatever the page rate: a
write per page of 1,000 resources would show in the export's rate, one a second does not
(bench/bench_export_jobs.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from gateway.domain.time import utc_now
from gateway.errors import Issue
from gateway.services.export_job import ExportJob, job_ended, stored_job
from gateway.store.export_jobs import ExportJobStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobRunner:
    store: ExportJobStore
    worker: str  # recorded with the job, for operators
    beat: float  # seconds between renewals of the lease
    retention: timedelta
    forget: Callable[[str], None]  # drop a job this worker no longer holds

    async def run(self, job: ExportJob, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` (the export, which sets the job's outcome) while renewing the lease."""
        task = asyncio.current_task()
        assert task is not None  # a coroutine run by asyncio
        heartbeat = asyncio.create_task(self._heartbeat(job, task))
        try:
            await work()
        except asyncio.CancelledError:
            await self._stopped(job)
            raise
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        await self._finish(job)

    async def _heartbeat(self, job: ExportJob, task: asyncio.Task[None]) -> None:
        while True:
            await asyncio.sleep(self.beat)
            job.heartbeat = utc_now()
            try:
                running = await self.store.save_running(stored_job(job, worker=self.worker))
            except Exception:  # the database did not answer: the next renewal tries again
                log.warning("Export job %s: renewing its lease failed", job.id, exc_info=True)
                continue
            if not running:  # cancelled, or taken for dead, elsewhere
                job.stopping = job.stopping or "deleted"
                task.cancel()
                return

    async def _finish(self, job: ExportJob) -> None:
        job.expires = utc_now() + self.retention
        if await self.store.save_running(stored_job(job, worker=self.worker)):
            job_ended(job)
            return
        now = await self.store.read(job.id)  # cancelled or taken for dead as it finished
        if now is None or now.state in ("cancelled", "failed"):
            await self._remove_files(job)
        if now is not None and now.state == "cancelled":
            await self.store.remove(job.id)

    async def _stopped(self, job: ExportJob) -> None:
        """The export was cancelled: its files go. At a shutdown that keeps jobs (MongoDB) it is
        recorded failed, so other workers answer for it; otherwise its record goes too."""
        await self._remove_files(job)
        if job.stopping != "shutdown":
            await self.store.remove(job.id)
            return
        text = f"Export job `{job.id}` stopped: the server running it shut down; start it again."
        job.state, job.failure = "failed", [Issue(text, code="exception", severity="fatal")]
        job.expires = utc_now() + self.retention
        await self.store.save_running(stored_job(job, worker=self.worker))
        job_ended(job)

    async def _remove_files(self, job: ExportJob) -> None:
        self.forget(job.id)
        await asyncio.to_thread(shutil.rmtree, job.directory, ignore_errors=True)
