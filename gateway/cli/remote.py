"""The import's other target: a running gateway, fed batch Bundles over HTTP.

Ids are decided here as the direct import decides them without its store look-ups
(gateway.services.imports.identity.local_target), references are pointed at them the same way
(gateway.services.imports.references), and each resource is PUT under its id, so re-running an
import writes to the same resources. Validation and mapping happen in the gateway; what fails,
here or there, is recorded through the same Report as the direct import's failures.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console

from gateway.errors import GatewayError, Issue
from gateway.jsonio import Json, dumps
from gateway.services.batching import chunks
from gateway.services.generic import kept_types
from gateway.services.imports.identity import kept_type, local_target, reported_type
from gateway.services.imports.readers import Item, read
from gateway.services.imports.references import rewritten
from gateway.services.imports.report import Failure, Report
from gateway.services.resources import NO_CHANGE
from mappers.outcome import GATEWAY_OUTCOMES

console = Console(stderr=True)
OUTCOME_OF = {"201": "created", "200": "updated"}


@dataclass(frozen=True, slots=True)
class _Put:
    """One item as the PUT that imports it: its id decided, its references rewritten."""

    item: Item
    resource_type: str
    target: str
    resource: Json


def import_over_http(
    files: list[Path],
    url: str,
    *,
    on_failure: Callable[[Failure], None],
    keep_ids: bool,
    batch_size: int,
    announced: bool,
) -> tuple[Report, float]:
    base = url.rstrip("/")
    console.print(
        ("No --url or MONGODB_URI given: " if announced else "")
        + f"importing into the gateway at {base}."
    )
    report = Report(on_failure)
    started = time.perf_counter()
    with httpx.Client(timeout=300, headers={"Content-Type": "application/fhir+json"}) as client:
        try:
            client.get(f"{base}/metadata").raise_for_status()
        except httpx.HTTPError as error:
            console.print(f"[red]No FHIR gateway answers at {base} ({error}). Start one with "
                          "`fhir-gateway serve`, or give --url or --mongodb-uri.[/red]")  # fmt: skip
            raise SystemExit(2) from error
        later: list[_Put] = []
        puts = _puts(files, report, keep_ids=keep_ids)
        for batch in chunks(puts, batch_size, boundary=lambda put: put.item.source):
            later += _send(client, base, batch, report)
        for batch in chunks(later, batch_size):  # conditional references to later files
            _send(client, base, batch, report, final=True)
    return report, time.perf_counter() - started


def _puts(files: list[Path], report: Report, *, keep_ids: bool) -> Iterator[_Put]:
    """Each readable item of a kept type as its PUT; the others are recorded in `report`."""
    keeps = frozenset(kept_types()).__contains__
    for path in files:
        urls: dict[str, str] = {}  # fullUrl -> Type/id, local to a file
        for item in read(path):
            if item.resource is None:
                report.unreadable(item)
                continue
            try:
                resource_type = kept_type(item.resource, keeps=keeps)
                target = local_target(
                    resource_type, item.resource, item.request or {}, keep_ids=keep_ids
                )
            except GatewayError as error:
                report.fail(item, reported_type(item.resource), *error.issues)
                continue
            if item.full_url:
                urls[item.full_url] = f"{resource_type}/{target}"
            resource = {**rewritten(item.resource, urls, keep_ids=keep_ids), "id": target}
            yield _Put(item, resource_type, target, resource)


def _send(
    client: httpx.Client, base: str, puts: list[_Put], report: Report, *, final: bool = False
) -> list[_Put]:
    """Send one batch; answer the PUTs to retry at the end (unresolved conditional references)
    unless this is the `final` try."""
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": put.resource,
         "request": {"method": "PUT", "url": f"{put.resource_type}/{put.target}"}}
        for put in puts
    ]}  # fmt: skip
    response = client.post(base, content=dumps(bundle))
    if response.status_code != 200:
        for put in puts:
            report.fail(put.item, put.resource_type, Issue(response.text[:500], code="structure"))
        return []
    later: list[_Put] = []
    for put, answer in zip(puts, response.json()["entry"], strict=True):
        result = answer["response"]
        status = result["status"][:3]
        codes = _detail_codes(result)
        if status in OUTCOME_OF:
            unchanged = (GATEWAY_OUTCOMES, NO_CHANGE.details_code) in codes
            report.count(put.resource_type, "unchanged" if unchanged else OUTCOME_OF[status])
        elif not final and any(code == "MSG_CONDITIONAL_REFERENCE" for _, code in codes):
            later.append(put)
        else:
            report.record(put.item, put.resource_type, result.get("outcome", {}))
    return later


def _detail_codes(response: Json) -> set[tuple[str | None, str | None]]:
    """(system, code) of every issue detail in a response entry's outcome: a PUT that changed
    nothing says so with resources.NO_CHANGE."""
    return {
        (coding.get("system"), coding.get("code"))
        for issue in (response.get("outcome") or {}).get("issue", [])
        for coding in (issue.get("details") or {}).get("coding", [])
    }
