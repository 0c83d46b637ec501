"""Any worker's `$export` jobs, read from the store: found for their owner only, reported failed
once their worker's lease lapsed, removed with their files once expired.

https://hl7.org/fhir/uv/bulkdata/export.html. gateway.services.bulk_jobs runs the jobs of one
worker; this is what every worker does with every job, whichever worker runs it. A lapsed
lease means the worker died or was killed (a live worker renews about once a second): the job
is recorded failed, its status answering 500 with an OperationOutcome
(export.html#response---error-status-1), and its partial files are removed.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from gateway.domain.time import format_instant, utc_now
from gateway.errors import NotFound
from gateway.services.access import current
from gateway.services.export_job import job_ended, job_of, owner
from gateway.store.export_jobs import RUNNING, ExportJobStore, StoredJob


@dataclass(frozen=True, slots=True)
class JobBoard:
    store: ExportJobStore
    lease: timedelta
    retention: timedelta
    directory: Callable[[], Path]  # this worker's EXPORT_DIR (job directories are under it)
    running_here: Callable[[str], bool]  # this worker runs the job: its lease is not in doubt
    forget: Callable[[str], None]  # drop a removed job from this worker's own

    async def find(self, job_id: str) -> StoredJob:
        """The stored job if the caller owns it and it is neither cancelled nor expired (else
        the 404 of an unknown job); a running job whose lease lapsed is recorded failed first."""
        stored = await self.store.read(job_id)
        now = utc_now()
        if (
            stored is None
            or (stored.client_id, stored.subject) != owner(current())
            or stored.state == "cancelled"
            or (stored.expires is not None and stored.expires <= now)
        ):
            raise NotFound(f"Export job `{job_id}` was not found.")
        if stored.state == RUNNING and self.lapsed(stored, now):
            stored = await self.declare_dead(stored, now)
        return stored

    def lapsed(self, stored: StoredJob, now: datetime) -> bool:
        return not self.running_here(stored.id) and stored.heartbeat < now - self.lease

    async def declare_dead(self, stored: StoredJob, now: datetime) -> StoredJob:
        """Record the job failed and remove its partial files; conditional on the lease read,
        so a worker that renewed it meanwhile wins, as does another worker declaring it first."""
        text = (
            f"Export job `{stored.id}` stopped: the worker running it has not reported since "
            f"{format_instant(stored.heartbeat)}; start the export again."
        )
        issue = {"diagnostics": text, "code": "exception", "severity": "fatal", "expression": None,
                 "details_code": None, "details_system": None}  # fmt: skip
        failed = stored.changed(state="failed", error=(issue,), expires=now + self.retention)
        if await self.store.save_running(failed, heartbeat=stored.heartbeat):
            await self._remove_files(stored.id)
            job_ended(job_of(failed, self.directory()))
            return failed
        again = await self.store.read(stored.id)
        if again is None:
            raise NotFound(f"Export job `{stored.id}` was not found.")
        return again

    async def remove(self, job_id: str) -> None:
        """The job's files and record, and this worker's memory of it."""
        self.forget(job_id)
        await self._remove_files(job_id)
        await self.store.remove(job_id)

    async def sweep(self) -> None:
        """Remove the jobs past their retention; record those with a lapsed lease failed."""
        now = utc_now()
        for stored in await self.store.expired(now):
            await self.remove(stored.id)
        for stored in await self.store.stale(now - self.lease):
            if self.lapsed(stored, now):
                await self.declare_dead(stored, now)

    async def _remove_files(self, job_id: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self.directory() / job_id, ignore_errors=True)
