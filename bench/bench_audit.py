"""The envelope and the audit trail: what they cost a read and a write, in the same run.

Three apps on the embedded store, driven in process over httpx's ASGITransport (no sockets, so
the layer's cost is not hidden behind network time): `bare` (no envelope: create_app's
benchmark switch), `envelope` (request id, security headers, limits; AUDIT off) and `audited`
(the same with AUDIT on). Each round times GET by id and POST Observation on each app in turn
(rounds alternate, so drift hits every app alike; each keeps its best of `rounds`). An audited
round ends only when the writer's queue is empty, so the events' indexing and insert are paid
inside the measured time, as they are on a busy server.

Issue 13 targets: reads with audit (AUTH_MODE=smart's default) >= 85 % of AUTH_MODE=off, write
throughput with auditing >= 90 % of without.

Per event, on the embedded store (the store's `append`, batches of 100, alternating, best of
`rounds`): `record` what the request pays (Auditor.audit_record), `stored` what the writer pays
(the document: the record's fields and search keys read off them, and the insert), `whole` the
way events were stored before (the AuditEvent built, indexed by the generic indexer, inserted
whole), for comparison in the same run.

    PYTHONPATH=. python -m bench.bench_audit [--requests N] [--rounds R] [--http SECONDS]

`--http`: also GET by id over HTTP (uvicorn, one worker, wrk, 8 connections), AUDIT off and on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import urllib.request
import uuid
from typing import Any

from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient

from bench.common import uvicorn_server, wrk_rate
from gateway.domain.time import utc_now
from gateway.http.app import create_app
from gateway.http.audit_paths import classify
from gateway.http.audit_trail import Auditor
from gateway.search.index import build_indexer
from gateway.services.context import open_services
from gateway.settings import Settings
from gateway.store.collection import OwnedDocument
from mappers.audit_event import AuditRecord, audit_event

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}
OBSERVATION = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2026-01-01T10:00:00Z",
    "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org"},
}
HEADERS = {"Content-Type": "application/fhir+json"}


async def _drained(app: Any) -> None:
    """Until the audit writer has handed every queued event to the store."""
    auditor = app.state.auditor
    while auditor is not None and auditor.writer.pending:
        await asyncio.sleep(0.001)
    await asyncio.sleep(0)


async def requests_made(client: AsyncClient, requests: int, *, write: bool) -> None:
    """`requests` POSTs of OBSERVATION (`write`) or GETs of Patient/p1, each checked."""
    for _ in range(requests):
        if write:
            r = await client.post("/Observation", json=OBSERVATION, headers=HEADERS)
            assert r.status_code == 201, r.text
        else:
            r = await client.get("/Patient/p1")
            assert r.status_code == 200, r.text


async def _rate(app: Any, client: AsyncClient, requests: int, *, write: bool) -> float:
    started = time.perf_counter()
    await requests_made(client, requests, write=write)
    await _drained(app)
    return requests / (time.perf_counter() - started)


async def in_process(requests: int, rounds: int) -> None:
    plain = Settings(mongodb_uri=None, demo_data=False, audit=False)
    apps = {
        "bare": create_app(plain, envelope=False),
        "envelope": create_app(plain),
        "audited": create_app(Settings(mongodb_uri=None, demo_data=False, audit=True)),
    }
    best = {(name, kind): 0.0 for name in apps for kind in ("read", "write")}
    async with (
        LifespanManager(apps["bare"]),
        LifespanManager(apps["envelope"]),
        LifespanManager(apps["audited"]),
    ):
        clients = {
            name: AsyncClient(transport=ASGITransport(app=app), base_url="http://test/fhir")
            for name, app in apps.items()
        }
        for name, client in clients.items():
            await client.put("/Patient/p1", json=PATIENT, headers=HEADERS)
            await _rate(apps[name], client, 200, write=False)  # warm up
            await _rate(apps[name], client, 50, write=True)
        for _ in range(rounds):
            for kind in ("read", "write"):
                for name, client in clients.items():
                    rate = await _rate(apps[name], client, requests, write=kind == "write")
                    best[name, kind] = max(best[name, kind], rate)
    print(f"in process, best of {rounds} x {requests} requests (embedded store):")
    for kind, label in (("read", "GET by id"), ("write", "POST Observation")):
        bare = best["bare", kind]
        envelope, audited = best["envelope", kind], best["audited", kind]
        print(f"  {label:17} bare {bare:7.0f}/s")
        print(f"  {'':17} envelope, AUDIT off {envelope:7.0f}/s = {envelope / bare:6.1%} of bare")
        target = " (target >= 90%)" if kind == "write" else " (target >= 85%)"
        print(
            f"  {'':17} envelope, AUDIT on  {audited:7.0f}/s = {audited / bare:6.1%} of bare,"
            f" {audited / envelope:6.1%} of AUDIT off{target}"
        )
        cost = (1 / audited - 1 / envelope) * 1e6
        print(f"  {'':17} the audit's cost per request: {cost:5.0f} µs")


class _Writer:
    """Takes records and drops them: `Auditor.record` alone is timed."""

    pending = 0

    def record(self, record: AuditRecord) -> None:
        pass


def _scope(n: int) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": f"/fhir/Observation/o{n % 50}",
        "query_string": b"",
        "client": ("10.0.0.1", 40000),
        "state": {},
    }


def _whole(record: AuditRecord, indexer: Any, updated: Any) -> OwnedDocument:
    """The document of an event stored whole, as the generic record (before this change)."""
    event = audit_event(record, id=uuid.uuid4().hex, observer="gw")
    rest = {k: v for k, v in event.items() if k not in ("resourceType", "id")}
    document = OwnedDocument(
        _id=event["id"], version_id=1, last_updated=updated, written_by="POST", fhir_rest=rest
    )
    document.update(indexer(document))
    return document


async def per_event(count: int, rounds: int) -> None:
    """µs per event: what the request pays, and what the writer pays, stored compact or whole."""
    services = await open_services(Settings(mongodb_uri=None, demo_data=False))
    store = services.storage.audit
    auditor = Auditor(_Writer(), base="/fhir", observer="gw")  # type: ignore[arg-type]
    scopes = [_scope(n) for n in range(count)]
    records = [
        auditor.audit_record(s, status=200, request_id=f"r{n}") for n, s in enumerate(scopes)
    ]
    kept = [r for r in records if r is not None]
    whole = services.storage.database["bench_audit_whole"]
    indexer = build_indexer("AuditEvent")
    best = {"record": float("inf"), "stored": float("inf"), "whole": float("inf")}
    await store.append(kept[:100], observer="gw")  # warm: indexes made, caches filled
    for _ in range(rounds):
        started = time.perf_counter()
        for n, scope in enumerate(scopes):
            found = classify(scope["method"], scope["path"], base="/fhir")  # the envelope's
            assert found is not None
            auditor.record(scope, found, status=200, request_id=f"r{n}")
        best["record"] = min(best["record"], time.perf_counter() - started)
        started = time.perf_counter()
        for at in range(0, count, 100):
            await store.append(kept[at : at + 100], observer="gw")
        best["stored"] = min(best["stored"], time.perf_counter() - started)
        started = time.perf_counter()
        for at in range(0, count, 100):
            updated = utc_now()
            documents = [_whole(r, indexer, updated) for r in kept[at : at + 100]]
            await whole.insert_many(documents, ordered=False)
        best["whole"] = min(best["whole"], time.perf_counter() - started)
    services.close()
    record, stored, before = (best[k] / count * 1e6 for k in ("record", "stored", "whole"))
    print(f"per event, best of {rounds} x {count} (embedded store, batches of 100):")
    print(f"  request path (Auditor.record)           {record:6.1f} µs")
    print(f"  writer: record fields + keys + insert   {stored:6.1f} µs")
    print(f"  total                                   {record + stored:6.1f} µs")
    print(f"  (before: event + generic index + insert {before:6.1f} µs)")


def bare_app() -> Any:
    """The gateway without the envelope, for uvicorn's `--factory` (benchmarks only)."""
    return create_app(Settings(), envelope=False)


def _seed(url: str) -> None:
    request = urllib.request.Request(
        url + "/fhir/Patient/p1", data=json.dumps(PATIENT).encode(), method="PUT", headers=HEADERS
    )
    urllib.request.urlopen(request).read()


def over_http(seconds: int) -> None:
    """GET by id over HTTP: bare, envelope with AUDIT off, AUDIT on; alternating, best of 2."""
    servers = {
        "bare": ("bench.bench_audit:bare_app", {}),
        "envelope": ("gateway.http.app:create_app", {"AUDIT": "false"}),
        "audited": ("gateway.http.app:create_app", {"AUDIT": "true"}),
    }
    rates: dict[str, float] = {}
    for _ in range(2):
        for name, (factory, env) in servers.items():
            with uvicorn_server(factory, factory=True, env=env) as url:
                _seed(url)
                rate = wrk_rate(url, ["/fhir/Patient/p1"], seconds=seconds)
                rates[name] = max(rates.get(name, 0.0), rate)
    bare, envelope, audited = rates["bare"], rates["envelope"], rates["audited"]
    print("GET by id over HTTP (uvicorn 1 worker, wrk 8 connections), best of 2:")
    print(f"  bare {bare:7.0f}/s; envelope, AUDIT off {envelope:7.0f}/s = {envelope / bare:6.1%}")
    print(f"  envelope, AUDIT on {audited:7.0f}/s = {audited / envelope:6.1%} of AUDIT off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--http", type=int, default=0, metavar="SECONDS")
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(per_event(args.events, args.rounds))
    asyncio.run(in_process(args.requests, args.rounds))
    if args.http:
        over_http(args.http)


if __name__ == "__main__":
    main()
