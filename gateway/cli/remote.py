"""The import's other target: a running gateway, fed batch Bundles over HTTP.

Ids are decided here as the direct import decides them without its store look-ups (see
gateway.services.imports.importer.local_target), and each resource is PUT under its id, so
re-running an import writes to the same resources. Validation and mapping happen in the gateway.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import orjson
from rich.console import Console

from gateway.errors import Issue
from gateway.jsonio import dumps
from gateway.services.imports.importer import (
    Failure,
    Report,
    local_target,
    rewritten,
    skipped_type,
)
from gateway.services.imports.readers import Item, read
from gateway.services.resources import GATEWAY_OUTCOMES, NO_CHANGE
from mappers.base import FhirJson
from mappers.outcome import operation_outcome

console = Console(stderr=True)
OUTCOME_OF = {"201": "created", "200": "updated"}


def import_over_http(
    files: list[Path],
    url: str,
    *,
    errors: Path | None,
    keep_ids: bool,
    batch_size: int,
    announced: bool,
) -> tuple[Report, float]:
    base = url.rstrip("/")
    console.print(
        ("No --url or MONGODB_URI given: " if announced else "")
        + f"importing into the gateway at {base}."
    )
    report = Report()
    started = time.perf_counter()
    with httpx.Client(timeout=300, headers={"Content-Type": "application/fhir+json"}) as client:
        try:
            client.get(f"{base}/metadata").raise_for_status()
        except httpx.HTTPError as error:
            console.print(f"[red]No FHIR gateway answers at {base} ({error}). Start one with "
                          "`fhir-gateway serve`, or give --url or --mongodb-uri.[/red]")  # fmt: skip
            raise SystemExit(2) from error
        sink = errors.open("wb") if errors else None
        try:
            deferred: list[Item] = []
            urls: dict[str, str] = {}  # fullUrl -> Type/id, kept across a file's batches
            for batch in _batches(files, batch_size):
                if batch[0].position in ("entry 0", "line 1", "resource"):
                    urls = {}
                deferred += _send(client, base, batch, report, sink, keep_ids, urls, retry=True)
            for start in range(0, len(deferred), batch_size):  # references to later files
                _send(
                    client,
                    base,
                    deferred[start : start + batch_size],
                    report,
                    sink,
                    keep_ids,
                    {},
                    retry=False,
                )
        finally:
            if sink:
                sink.close()
    return report, time.perf_counter() - started


def _batches(files: list[Path], size: int) -> Iterator[list[Item]]:
    for path in files:
        batch: list[Item] = []
        for item in read(path):
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def _send(
    client: httpx.Client,
    base: str,
    items: list[Item],
    report: Report,
    sink: IO[bytes] | None,
    keep_ids: bool,
    urls: dict[str, str],
    *,
    retry: bool,
) -> list[Item]:
    """Send one batch; answer the items to retry at the end (unresolved conditional references)."""
    entries: list[tuple[Item, str, FhirJson]] = []
    for item in items:
        if item.resource is None:
            skipped = skipped_type(item)
            if skipped is not None:
                report.count(skipped, "skipped")
            else:
                _fail(report, sink, item, "unknown", item.error or "Unreadable item.")
            continue
        resource_type = str(item.resource.get("resourceType", "unknown"))
        target = local_target(resource_type, item.resource, item.request or {}, keep_ids=keep_ids)
        if item.full_url:
            urls[item.full_url] = f"{resource_type}/{target}"
        entries.append((item, target, item.resource))
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": {**rewritten(resource, urls, keep_ids), "id": target},
         "request": {"method": "PUT", "url": f"{resource['resourceType']}/{target}"}}
        for _, target, resource in entries
    ]}  # fmt: skip
    if not entries:
        return []
    response = client.post(base, content=dumps(bundle))
    if response.status_code != 200:
        for item, _, resource in entries:
            _fail(report, sink, item, str(resource.get("resourceType")), response.text[:500])
        return []
    later: list[Item] = []
    for (item, _, resource), answer in zip(entries, response.json()["entry"], strict=True):
        status = answer["response"]["status"][:3]
        resource_type = str(resource.get("resourceType"))
        if status in OUTCOME_OF:
            report.count(resource_type, _outcome_of(status, answer["response"]))
        elif retry and "MSG_CONDITIONAL_REFERENCE" in orjson.dumps(answer["response"]).decode():
            later.append(item)
        else:
            report.count(resource_type, "failed")
            report.failures += 1
            if sink:
                failure = Failure(
                    str(item.source), item.position, answer["response"].get("outcome", {})
                )
                sink.write(orjson.dumps(failure.as_json()) + b"\n")
    return later


def _outcome_of(status: str, response: FhirJson) -> str:
    """created, updated, or unchanged: a PUT that said what was stored (resources.NO_CHANGE)."""
    codings = [
        coding
        for issue in (response.get("outcome") or {}).get("issue", [])
        for coding in (issue.get("details") or {}).get("coding", [])
    ]
    if any(c.get("system") == GATEWAY_OUTCOMES and c.get("code") == NO_CHANGE.details_code
           for c in codings):  # fmt: skip
        return "unchanged"
    return OUTCOME_OF[status]


def _fail(
    report: Report, sink: IO[bytes] | None, item: Item, resource_type: str, text: str
) -> None:
    report.count(resource_type, "failed")
    report.failures += 1
    if sink:
        outcome = operation_outcome([Issue(text, code="structure")])
        sink.write(
            orjson.dumps(Failure(str(item.source), item.position, outcome).as_json()) + b"\n"
        )
