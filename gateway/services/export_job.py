"""One `$export` job as the services see it: its state, manifest and failure, and its stored form.

https://hl7.org/fhir/uv/bulkdata/export.html. The worker running a job holds its `ExportJob`
(the task, the live progress) and renews the stored form (gateway.store.export_jobs); any other
worker rebuilds an `ExportJob` from the stored form to answer a poll, a download or a DELETE.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from gateway import metrics
from gateway.domain.time import format_instant
from gateway.errors import GatewayError, Issue
from gateway.services.access import TRUSTED, Access
from gateway.services.export_access import access_of, stored_access
from gateway.services.export_kickoff import ExportRequest, request_of, stored_request
from gateway.services.exports import Progress
from gateway.store.export_jobs import JobState, OutputFile, StoredJob

log = logging.getLogger(__name__)
Stopping = Literal["deleted", "shutdown"]  # why this process cancels a job it runs


class ExportFailed(GatewayError):
    """The export job failed: its status request answers 500 with an OperationOutcome
    (export.html#response---error-status-1)."""

    status, issue_code = 500, "exception"


@dataclass(slots=True)
class ExportJob:
    id: str
    request: ExportRequest
    transaction_time: datetime
    directory: Path
    state: JobState = "in-progress"
    progress: str = "Export queued."
    counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # resource type -> file name
    failure: list[Issue] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    access: Access = TRUSTED  # the kick-off's: what the job may export, and who owns it
    heartbeat: datetime | None = None  # the last renewal of the running worker's lease
    expires: datetime | None = None  # when the job and its files are removed
    stopping: Stopping | None = None

    def manifest(self, files_base: str) -> dict[str, Any]:
        """The complete-status body (export.html#response---complete-status); `files_base` is
        the URL the file names are appended to."""
        return {
            "transactionTime": format_instant(self.transaction_time),
            "request": self.request.url,
            # The files are served under the FHIR base, where a token is needed when the
            # gateway enforces authorization (export.html#response---complete-status).
            "requiresAccessToken": not self.access.unrestricted,
            "output": [
                {"type": t, "url": f"{files_base}/{name}", "count": self.counts[t]}
                for t, name in self.files.items()
            ],
            "error": [],
        }

    def report(self, progress: Progress) -> None:
        self.progress = progress.describe()

    @property
    def running(self) -> bool:
        """This process runs the job's task and it has not ended."""
        return self.task is not None and not self.task.done()


def owner(access: Access) -> tuple[str | None, str | None]:
    return access.grant.client_id, access.grant.subject


def failure(job: ExportJob) -> ExportFailed:
    """The error a failed job's status request raises."""
    first = job.failure[0].diagnostics if job.failure else f"Export job `{job.id}` failed."
    return ExportFailed(first, issues=job.failure or None)


def stored_job(job: ExportJob, *, worker: str) -> StoredJob:
    client_id, subject = owner(job.access)
    return StoredJob(
        id=job.id,
        client_id=client_id,
        subject=subject,
        access=stored_access(job.access),
        request=stored_request(job.request),
        transaction_time=job.transaction_time,
        heartbeat=job.heartbeat or job.transaction_time,
        worker=worker,
        state=job.state,
        progress=job.progress,
        output=tuple(OutputFile(t, name, job.counts[t]) for t, name in job.files.items()),
        error=tuple(dataclasses.asdict(issue) for issue in job.failure),
        expires=job.expires,
    )


def job_of(stored: StoredJob, root: Path) -> ExportJob:
    """The job a stored form describes, its files under `root` (this worker's `EXPORT_DIR`)."""
    return ExportJob(
        stored.id,
        request_of(stored.request),
        stored.transaction_time,
        root / stored.id,
        state=stored.state,
        progress=stored.progress,
        counts={o.type: o.count for o in stored.output},
        files={o.type: o.file for o in stored.output},
        failure=[Issue(**issue) for issue in stored.error],
        access=access_of(stored.access),
        heartbeat=stored.heartbeat,
        expires=stored.expires,
    )


def job_ended(job: ExportJob) -> None:
    """A job reached `completed` or `failed`: the one place that learns of every outcome."""
    log.info("Export job %s %s: %d resources", job.id, job.state, sum(job.counts.values()))
    if job.state == "completed":
        metrics.export_completed(job.counts)
    else:
        metrics.export_failed()
