"""The import's other target: a running gateway, fed batch Bundles over HTTP.

Ids are decided here as the direct import decides them without its store look-ups
(gateway.services.imports.identity.local_target), references are pointed at them the same way
(gateway.services.imports.references), and each resource is PUT under its id, so re-running an
import writes to the same resources. Validation and mapping happen in the gateway; what fails,
here or there, is recorded through the same Report as the direct import's failures. Batches
are prepared while earlier ones are at the gateway, and answered in order (in_flight.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
from rich.console import Console

from gateway.cli.in_flight import ANY_TYPE, IN_FLIGHT, Claims, InFlight
from gateway.errors import GatewayError, Issue
from gateway.jsonio import Json, dumps
from gateway.services.batching import chunks
from gateway.services.generic import kept_types
from gateway.services.imports.identity import kept_type, local_target, reported_type
from gateway.services.imports.readers import Item, read
from gateway.services.imports.references import own_holders, rewrite
from gateway.services.imports.report import Failure, Report
from gateway.services.resources import NO_CHANGE
from gateway.services.transaction.batch_references import dependency
from mappers.outcome import GATEWAY_OUTCOMES

console = Console(stderr=True)
OUTCOME_OF = {"201": "created", "200": "updated"}


@dataclass(frozen=True, slots=True)
class _Put:
    """One item as the PUT that imports it: its id decided, its references rewritten, and the
    types its remaining conditional references search (in_flight.Claims)."""

    item: Item
    resource_type: str
    target: str
    resource: Json
    searches: frozenset[str]


def import_over_http(
    files: list[Path],
    url: str,
    *,
    on_failure: Callable[[Failure], None],
    keep_ids: bool,
    batch_size: int,
    announced: bool,
    in_flight: int = IN_FLIGHT,
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
        with InFlight(in_flight) as pipeline:
            puts = _puts(files, report, pipeline.defer, keep_ids=keep_ids)
            for batch in chunks(puts, batch_size, boundary=lambda put: put.item.source):
                _submit(pipeline, client, base, batch, report, retries=later)
            pipeline.drain()
            for batch in chunks(later, batch_size):  # conditional references to later files
                _submit(pipeline, client, base, batch, report, retries=None)
    return report, time.perf_counter() - started


def _submit(
    pipeline: InFlight,
    client: httpx.Client,
    base: str,
    puts: list[_Put],
    report: Report,
    *,
    retries: list[_Put] | None,
) -> None:
    """Post `puts` as one batch from the pipeline's thread and record its answer here; the PUTs
    to try again at the end go to `retries`, unless this is the final try (None)."""
    claims = Claims(
        targets=frozenset(f"{put.resource_type}/{put.target}" for put in puts),
        types=frozenset(put.resource_type for put in puts),
        searches=frozenset().union(*(put.searches for put in puts)),
    )

    def answered(sent: tuple[httpx.Response, list[Json]]) -> None:
        again = _answered(puts, sent, report, final=retries is None)
        if retries is not None:
            retries.extend(again)

    pipeline.submit(claims, partial(_post, client, base, puts), answered)


def _puts(
    files: list[Path],
    report: Report,
    defer: Callable[[Callable[[], None]], None],
    *,
    keep_ids: bool,
) -> Iterator[_Put]:
    """Each readable item of a kept type as its PUT; the others are recorded in `report` when
    the batches before them are (`defer`)."""
    keeps = frozenset(kept_types()).__contains__
    for path in files:
        urls: dict[str, str] = {}  # fullUrl -> Type/id, local to a file
        for item in read(path):
            if item.resource is None:
                defer(partial(report.unreadable, item))
                continue
            try:
                resource_type = kept_type(item.resource, keeps=keeps)
                target = local_target(
                    resource_type, item.resource, item.request or {}, keep_ids=keep_ids
                )
            except GatewayError as error:
                defer(partial(report.fail, item, reported_type(item.resource), *error.issues))
                continue
            if item.full_url:
                urls[item.full_url] = f"{resource_type}/{target}"
            # Rewritten in place, as the direct import does: nothing reads the item's resource
            # again, and a copy cost a fifth of the preparation (cProfile over the Synthea files).
            resource = item.resource
            holders = own_holders(resource)
            rewrite(holders, urls, keep_ids=keep_ids)
            resource["id"] = target
            yield _Put(item, resource_type, target, resource, _searched(holders))


def _searched(holders: list[Json]) -> frozenset[str]:
    """The types the conditional references among `holders` search; ANY_TYPE for one whose
    criteria chain (`subject.name`, `_has`) or that names another server's base."""
    searched: set[str] = set()
    for holder in holders:
        reference: str = holder["reference"]
        if "?" not in reference or reference.startswith(("#", "urn:")):
            continue
        resource_type, crosses = dependency(reference)
        searched.add(ANY_TYPE if crosses or "/" in resource_type else resource_type)
    return frozenset(searched)


def _post(client: httpx.Client, base: str, puts: list[_Put]) -> tuple[httpx.Response, list[Json]]:
    """Send one batch (in the pipeline's thread); the response and its entries, decoded."""
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": put.resource,
         "request": {"method": "PUT", "url": f"{put.resource_type}/{put.target}"}}
        for put in puts
    ]}  # fmt: skip
    response = client.post(base, content=dumps(bundle))
    return response, response.json()["entry"] if response.status_code == 200 else []


def _answered(
    puts: list[_Put],
    sent: tuple[httpx.Response, list[Json]],
    report: Report,
    *,
    final: bool = False,
) -> list[_Put]:
    """Record one batch's answer; the PUTs to retry at the end (unresolved conditional
    references) unless this is the `final` try."""
    response, entries = sent
    if response.status_code != 200:
        for put in puts:
            report.fail(put.item, put.resource_type, Issue(response.text[:500], code="structure"))
        return []
    later: list[_Put] = []
    for put, answer in zip(puts, entries, strict=True):
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
