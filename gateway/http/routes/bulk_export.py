"""Bulk Data export over HTTP: kick-off, status, delete and file download.

https://hl7.org/fhir/uv/bulkdata/export.html — `GET [base]/$export` and `[base]/Patient/$export`
answer 202 with `Content-Location` naming the status URL; that answers 202 with `X-Progress`
while the job runs, 200 with the JSON manifest when it is done, 500 with an OperationOutcome
when it failed; DELETE on it cancels the job; the manifest's URLs serve the NDJSON files. Any
worker or replica answers each of them: the job is stored (gateway.services.bulk_jobs).
"""

from __future__ import annotations

from datetime import UTC
from email.utils import format_datetime

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from gateway.errors import InvalidRequest
from gateway.http.deps import base_url, services_for
from gateway.http.negotiation import pretty
from gateway.http.responses import FHIRResponse
from gateway.services.bulk_jobs import ExportJobs
from gateway.services.export_job import failure
from gateway.services.export_kickoff import ExportRequest, kickoff_parameters
from gateway.services.exports import NDJSON
from mappers.outcome import information

RETRY_AFTER = "1"  # seconds; a status request is one read by `_id`


def _jobs(request: Request) -> ExportJobs:
    jobs: ExportJobs = request.app.state.export_jobs
    return jobs


def _prefer_tokens(request: Request) -> set[str]:
    header = request.headers.get("prefer", "")
    return {token.strip() for token in header.replace(";", ",").split(",")}


async def system_export(request: Request) -> Response:
    return await _kick_off(request, compartment=False)


async def patient_export(request: Request) -> Response:
    return await _kick_off(request, compartment=True)


async def _kick_off(request: Request, *, compartment: bool) -> Response:
    """export.html#bulk-data-kick-off-request; the async pattern needs `Prefer: respond-async`."""
    services = services_for(request)
    prefer = _prefer_tokens(request)
    if "respond-async" not in prefer:
        raise InvalidRequest("$export needs the header `Prefer: respond-async`.")
    items = list(request.query_params.multi_items())
    types, since = kickoff_parameters(items, lenient="handling=lenient" in prefer)
    export_request = ExportRequest(str(request.url), types, since, compartment)
    base = base_url(request)
    job = await _jobs(request).kick_off(services, export_request, base_urls=(base,))
    return Response(status_code=202, headers={"Content-Location": _status_url(base, job.id)})


async def status(request: Request) -> Response:
    """export.html#bulk-data-status-request."""
    job = await _jobs(request).lookup(request.path_params["job_id"])
    if job.state == "in-progress":
        headers = {"X-Progress": job.progress, "Retry-After": RETRY_AFTER}
        return Response(status_code=202, headers=headers)
    if job.state == "failed":
        raise failure(job)
    manifest = job.manifest(f"{base_url(request)}/$export-file/{job.id}")
    response = FHIRResponse(manifest, media_type="application/json", pretty=pretty(request))
    if job.expires is not None:  # export.html#response---complete-status: when files go
        response.headers["Expires"] = format_datetime(job.expires.replace(tzinfo=UTC), usegmt=True)
    return response


async def delete(request: Request) -> Response:
    """export.html#bulk-data-delete-request: later status requests answer 404."""
    job_id = request.path_params["job_id"]
    await _jobs(request).delete(job_id)
    return FHIRResponse(information(f"Export job `{job_id}` deleted."), status_code=202)


async def download(request: Request) -> Response:
    """export.html#bulk-data-output-file-request: NDJSON as `application/fhir+ndjson`."""
    params = request.path_params
    path = await _jobs(request).output_file(params["job_id"], params["file_name"])
    return FileResponse(path, media_type=NDJSON)


def _status_url(base: str, job_id: str) -> str:
    return f"{base}/$export-poll-status/{job_id}"
