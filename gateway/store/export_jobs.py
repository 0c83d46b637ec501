"""Bulk Data `$export` jobs as documents, so that every worker and replica answers for any job.

https://hl7.org/fhir/uv/bulkdata/export.html. A job's state was a Python object in the process
that started it: a status poll reaching another `serve --workers` process, or another replica
behind a load balancer, got the 404 of an unknown job. The state lives here instead; the files
live in `EXPORT_DIR`, which every worker and replica mounts (gateway.services.bulk_jobs says why
not GridFS).

Every write of a running job is conditional on the job still being in progress: a worker's
heartbeat that matches nothing learns that the job was cancelled (or taken for dead) elsewhere,
and a cancellation or a takeover that matches nothing learns that the job finished meanwhile.
`replace_one` with a filter is all it takes, on MongoDB and on the embedded store alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from gateway.store.collection import Collection, Document
from gateway.store.indexes import index_models

JobState = Literal["in-progress", "completed", "failed", "cancelled"]
RUNNING: JobState = "in-progress"


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One NDJSON file of a completed job: its resource type, file name and line count."""

    type: str
    file: str
    count: int


@dataclass(frozen=True, slots=True)
class StoredJob:
    """A job as stored. `access` and `request` are the service's own shapes (plain values):
    this store reads only the fields it filters on."""

    id: str
    client_id: str | None  # the owner: the kick-off's client and subject
    subject: str | None
    access: dict[str, Any]  # what the job runs with (gateway.services.export_access)
    request: dict[str, Any]  # the kick-off's URL and parameters
    transaction_time: datetime  # when the kick-off was accepted
    heartbeat: datetime  # the running worker's lease: renewed while it runs
    worker: str  # who runs it, for operators reading the collection
    state: JobState = RUNNING
    progress: str = "Export queued."
    output: tuple[OutputFile, ...] = ()
    error: tuple[dict[str, Any], ...] = ()  # OperationOutcome issues, as the service writes them
    expires: datetime | None = None  # when its files and this document go (completed or not)

    def changed(self, **changes: Any) -> StoredJob:
        return replace(self, **changes)


@dataclass(slots=True)
class ExportJobStore:
    """The `export_jobs` collection. Its indexes (gateway.store.indexes) serve the two sweeps:
    running jobs by heartbeat (dead workers) and any job by expiry (retention)."""

    collection: Collection
    indexed: bool = field(default=False)

    async def insert(self, job: StoredJob) -> None:
        if not self.indexed:
            await self.collection.create_indexes(index_models(self.collection.name))
            self.indexed = True
        await self.collection.insert_one(_document(job))

    async def read(self, job_id: str) -> StoredJob | None:
        document = await self.collection.find_one({"_id": job_id})
        return None if document is None else _job(document)

    async def save_running(self, job: StoredJob, *, heartbeat: datetime | None = None) -> bool:
        """Replace the job if it is still in progress (and, with `heartbeat`, if its lease still
        carries that heartbeat: a takeover loses to a worker that renewed it). False: it is not."""
        condition: dict[str, Any] = {"_id": job.id, "state": RUNNING}
        if heartbeat is not None:
            condition["heartbeat"] = heartbeat
        result = await self.collection.replace_one(condition, _document(job))
        return result.matched_count == 1

    async def remove(self, job_id: str) -> None:
        await self.collection.delete_one({"_id": job_id})

    async def stale(self, heartbeat_before: datetime) -> list[StoredJob]:
        """Running jobs whose worker has not renewed its lease since `heartbeat_before`."""
        query = {"state": RUNNING, "heartbeat": {"$lt": heartbeat_before}}
        return [_job(document) async for document in self.collection.find(query)]

    async def expired(self, now: datetime) -> list[StoredJob]:
        """Jobs past their retention (any state that sets `expires`)."""
        return [_job(d) async for d in self.collection.find({"expires": {"$lte": now}})]


def _document(job: StoredJob) -> Document:
    return {
        "_id": job.id,
        "client_id": job.client_id,
        "subject": job.subject,
        "access": job.access,
        "request": job.request,
        "transaction_time": job.transaction_time,
        "heartbeat": job.heartbeat,
        "worker": job.worker,
        "state": job.state,
        "progress": job.progress,
        "output": [{"type": o.type, "file": o.file, "count": o.count} for o in job.output],
        "error": list(job.error),
        "expires": job.expires,
    }


def _job(document: Document) -> StoredJob:
    return StoredJob(
        id=document["_id"],
        client_id=document["client_id"],
        subject=document["subject"],
        access=document["access"],
        request=document["request"],
        transaction_time=document["transaction_time"],
        heartbeat=document["heartbeat"],
        worker=document["worker"],
        state=document["state"],
        progress=document["progress"],
        output=tuple(OutputFile(o["type"], o["file"], o["count"]) for o in document["output"]),
        error=tuple(document["error"]),
        expires=document["expires"],
    )
