"""Bulk Data `$export` jobs: kick-off parameters, the running job, its manifest and files.

https://hl7.org/fhir/uv/bulkdata/export.html. A kick-off starts an asyncio task that writes one
NDJSON file per type into the job's directory (under `EXPORT_DIR`, or a temporary directory);
the status request reads the job's state, a DELETE cancels the job and removes its files.
Jobs live in the process that started them: a gateway run with several workers needs requests
of one job routed to one worker (or one worker for exports).

Authorization (gateway.services.access, issue 13):
- A system-level `$export` needs at least one `system/` scope: the Bulk Data IG gives the
  system-level export to backend services (export.html#endpoint---system-level-export, SMART
  Backend Services); a `patient/` or `user/` token gets a 403. `Patient/$export` takes any
  context, limited to what the token may search (gateway.services.exports).
- The job runs in a task after the kick-off has been answered: it runs `acting_as` the access
  captured when it was created (explicitly, not by relying on the task's copied context), so
  it exports what the kick-off's token may see, no more.
- A job belongs to the client and subject (`grant.client_id`, `grant.subject`) that started it:
  anyone else polling, downloading or cancelling it gets the 404 an unknown job gets, so a job
  id reveals nothing. With authorization off every request is the same (GRANT_ALL), as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from gateway.domain.time import format_instant, parse_range, utc_now
from gateway.errors import Forbidden, GatewayError, InvalidRequest, Issue, NotFound
from gateway.services.access import TRUSTED, Access, acting_as, current
from gateway.services.context import Services
from gateway.services.exports import NdjsonSink, Progress, check_types, export

log = logging.getLogger(__name__)

# export.html#query-parameters: the full content type and the two abbreviations are required.
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
_GENERAL = frozenset({"_format", "_pretty"})  # http.html#general-parameters
JobState = Literal["in-progress", "completed", "failed"]


class ExportFailed(GatewayError):
    """The export job failed: its status request answers 500 with an OperationOutcome."""

    status, issue_code = 500, "exception"


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What a kick-off asked for."""

    url: str  # the kick-off request's full URL, for the manifest's `request`
    types: tuple[str, ...] | None = None
    since: datetime | None = None
    compartment: bool = False  # Patient/$export


def kickoff_parameters(
    items: list[tuple[str, str]], *, lenient: bool
) -> tuple[tuple[str, ...] | None, datetime | None]:
    """`_type` and `_since` of a kick-off. `_type` may repeat (its values are then combined);
    parameters this server does not support are an error unless `Prefer: handling=lenient`."""
    types: list[str] = []
    since: datetime | None = None
    for name, value in items:
        if name == "_type":
            types += [t.strip() for t in value.split(",") if t.strip()]
        elif name == "_since":
            since = _instant(value)
        elif name == "_outputFormat":
            if value not in OUTPUT_FORMATS:
                raise InvalidRequest(
                    f"_outputFormat `{value}` is not supported; this server writes "
                    "application/fhir+ndjson.",
                    expression="_outputFormat",
                )
        elif name not in _GENERAL and not lenient:
            raise InvalidRequest(
                f"Parameter `{name}` is not supported by $export here (send "
                "`Prefer: handling=lenient` to have it ignored).",
                expression=name,
                code="MSG_PARAM_UNKNOWN",
            )
    return (tuple(types) if types else None), since


def _instant(text: str) -> datetime:
    try:
        start, _, _ = parse_range(text)
    except ValueError as error:
        raise InvalidRequest(
            f"_since `{text}` is not a FHIR instant (e.g. `2026-01-01T00:00:00Z`).",
            expression="_since",
        ) from error
    return start


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

    def owned_by(self, access: Access) -> bool:
        """`access` is the client and subject that started the job."""
        mine, theirs = self.access.grant, access.grant
        return (mine.client_id, mine.subject) == (theirs.client_id, theirs.subject)

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


class ExportJobs:
    """The export jobs of one app. `root`: where job directories go (else a temp directory)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.jobs: dict[str, ExportJob] = {}
        self._temporary: Path | None = None

    def start(
        self, services: Services, request: ExportRequest, *, base_urls: tuple[str, ...] = ()
    ) -> ExportJob:
        """Check the request (InvalidRequest, Forbidden before anything starts), then run it as
        a task acting as the current access."""
        access = current()
        if not request.compartment and not _has_system_scope(access):
            raise Forbidden(
                "A system-level $export needs a `system/` scope (a backend service's token); "
                "`Patient/$export` exports what a patient or user token may read.",
                code="MSG_AUTH_SCOPE",
            )
        check_types(services, request.types, compartment=request.compartment)
        job_id = uuid.uuid4().hex
        job = ExportJob(job_id, request, utc_now(), self._directory() / job_id, access=access)
        job.task = asyncio.create_task(self._run(services, job, base_urls), name=f"export-{job_id}")
        self.jobs[job_id] = job
        return job

    def get(self, job_id: str) -> ExportJob:
        job = self.jobs.get(job_id)
        if job is None or not job.owned_by(current()):  # another's job: as if unknown
            raise NotFound(f"Export job `{job_id}` was not found.")
        return job

    def file(self, job_id: str, name: str) -> Path:
        """A completed job's output file; only names the job wrote are served."""
        job = self.get(job_id)
        if job.state != "completed" or name not in job.files.values():
            raise NotFound(f"Export job `{job_id}` has no file `{name}`.")
        return job.directory / name

    async def delete(self, job_id: str) -> None:
        """Cancel the job if it runs and remove its files (export.html#bulk-data-delete-request)."""
        await self._remove(self.get(job_id))

    async def close(self) -> None:
        """At shutdown: every job cancelled and its files removed (jobs die with the process)."""
        for job in list(self.jobs.values()):
            await self._remove(job)
        if self._temporary is not None:
            await asyncio.to_thread(shutil.rmtree, self._temporary, ignore_errors=True)
            self._temporary = None

    async def _remove(self, job: ExportJob) -> None:
        self.jobs.pop(job.id, None)
        await _cancel(job)
        await asyncio.to_thread(shutil.rmtree, job.directory, ignore_errors=True)

    def _directory(self) -> Path:
        if self.root is not None:
            return self.root
        if self._temporary is None:
            self._temporary = Path(tempfile.mkdtemp(prefix="fhir-gateway-export-"))
        return self._temporary

    async def _run(self, services: Services, job: ExportJob, base_urls: tuple[str, ...]) -> None:
        with acting_as(job.access):
            await self._export(services, job, base_urls)

    async def _export(self, services: Services, job: ExportJob, base_urls: tuple[str, ...]) -> None:
        sink = NdjsonSink(job.directory)
        request = job.request
        try:
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


async def _cancel(job: ExportJob) -> None:
    task = job.task
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _has_system_scope(access: Access) -> bool:
    return access.unrestricted or any(scope.context == "system" for scope in access.grant.scopes)


def failure(job: ExportJob) -> ExportFailed:
    """The error a failed job's status request raises."""
    first = job.failure[0].diagnostics if job.failure else f"Export job `{job.id}` failed."
    return ExportFailed(first, issues=job.failure or None)
