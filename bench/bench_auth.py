"""What authorization and the audit trail cost a read, a search and a write, in the same run.

Issue 13 targets: GET by id and search with AUTH_MODE=smart >= 85 % of AUTH_MODE=off; write
(POST Observation) with AUDIT on >= 90 % of AUDIT off.

Apps on the embedded store, driven in process over httpx's ASGITransport (no sockets, so the
layers' cost is not hidden behind network time; as bench/bench_audit.py): `off` (AUTH_MODE=off,
AUDIT off), `smart` (AUTH_MODE=smart trusting a JWKS file of a key made here, AUDIT off: the
authentication and the authorization checks alone) and `smart+audit` (the default with smart).
Reads and searches run with a `user/*.read` token (an unrestricted type: the fast path of each
check) and a `patient/*.read` token (every search gets the compartment clause, every read the
compartment check). The same token is sent on every request, as a client reuses its token
until it expires. Rounds alternate between the apps, so a change in the machine's load hits
each alike; each keeps its best of `rounds`. An audited round ends when the writer's queue is
empty, so the events' insert is paid inside the measured time.

    PYTHONPATH=. python -m bench.bench_auth [--requests N] [--rounds R]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient
from joserfc import jwk, jwt

from gateway.http.app import create_app
from gateway.settings import Settings

ISSUER = "https://idp.bench.example"
AUDIENCE = "http://bench/fhir"
HEADERS = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
PATIENTS = ("p1", "p2")  # p1 is searched; writes go to p3, so the search page stays the same
OBSERVATIONS_EACH = 10  # per patient: a search page of 10 matches for p1


def observation(patient: str, value: int) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2026-01-01T10:00:00Z",
        "valueQuantity": {"value": value, "unit": "/min", "system": "http://unitsofmeasure.org",
                          "code": "/min"},
    }  # fmt: skip


class Issuer:
    """A key made for this run, its JWKS file, and tokens it signs (joserfc)."""

    def __init__(self, directory: Path) -> None:
        self.key = jwk.RSAKey.generate_key(2048, parameters={"kid": "bench"})
        self.jwks_file = directory / "jwks.json"
        self.jwks_file.write_text(json.dumps({"keys": [self.key.as_dict(private=False)]}))

    def bearer(self, scope: str, patient: str | None = None) -> dict[str, str]:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "bench", "client_id": "bench",
                  "iat": now, "exp": now + 3600, "scope": scope}  # fmt: skip
        if patient is not None:
            claims["patient"] = patient
        token = jwt.encode({"alg": "RS256", "kid": "bench"}, claims, self.key, algorithms=["RS256"])
        return {**HEADERS, "Authorization": f"Bearer {token}"}


def settings(issuer: Issuer, *, smart: bool, audit: bool) -> Settings:
    auth: dict[str, Any] = {"auth_mode": "off"}
    if smart:
        auth = {"auth_mode": "smart", "auth_issuer": ISSUER, "auth_audience": AUDIENCE,
                "auth_jwks_file": issuer.jwks_file}  # fmt: skip
    return Settings(mongodb_uri=None, demo_data=False, audit=audit, **auth)


BATCH = 100  # the audit writer's default batch


async def _drained(app: Any) -> None:
    """Until the audit writer (if any) has taken every full batch: those leave at once, so a
    busy server pays their insert; a partial batch waits for the writer's timer, which a busy
    server never waits for, and is carried into the next measurement."""
    auditor = getattr(app.state, "auditor", None)
    while auditor is not None and auditor.writer.pending >= BATCH:
        await asyncio.sleep(0.001)


Request = Callable[[], Awaitable[Any]]


async def _rate(app: Any, request: Request, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await request()
    await _drained(app)
    return requests / (time.perf_counter() - started)


def _checked(
    call: Callable[[], Awaitable[Any]], status: int, entries: int | None = None
) -> Request:
    async def request() -> None:
        response = await call()
        assert response.status_code == status, response.text[:300]
        if entries is not None:
            assert len(response.json().get("entry", [])) == entries, response.text[:300]

    return request


async def _load(client: AsyncClient, headers: dict[str, str]) -> None:
    p3 = {"resourceType": "Patient", "id": "p3"}
    assert (await client.put("/Patient/p3", json=p3, headers=headers)).status_code == 201
    for patient in PATIENTS:
        body = {"resourceType": "Patient", "id": patient, "gender": "female"}
        assert (
            await client.put(f"/Patient/{patient}", json=body, headers=headers)
        ).status_code == 201
        for value in range(OBSERVATIONS_EACH):
            created = await client.post(
                "/Observation", json=observation(patient, value), headers=headers
            )
            assert created.status_code == 201, created.text


async def run(requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        issuer = Issuer(Path(directory))
        apps = {
            "off": create_app(settings(issuer, smart=False, audit=False)),
            "smart": create_app(settings(issuer, smart=True, audit=False)),
            "smart+audit": create_app(settings(issuer, smart=True, audit=True)),
        }
        admin = issuer.bearer("system/*.*")
        user, patient = issuer.bearer("user/*.read"), issuer.bearer("patient/*.read", "p1")
        writer = issuer.bearer("user/*.cruds")
        async with AsyncExitStack() as stack:
            clients = {}
            for name, app in apps.items():
                await stack.enter_async_context(LifespanManager(app))
                client = AsyncClient(transport=ASGITransport(app=app), base_url="http://bench/fhir")
                clients[name] = await stack.enter_async_context(client)
                await _load(client, admin if name != "off" else HEADERS)

            def read(name: str, headers: dict[str, str]) -> Request:
                return _checked(lambda: clients[name].get("/Patient/p1", headers=headers), 200)

            def search(name: str, headers: dict[str, str]) -> Request:
                params = {"code": "8867-4", "subject": "Patient/p1", "_count": "20"}

                async def call() -> Any:
                    return await clients[name].get("/Observation", params=params, headers=headers)

                return _checked(call, 200, OBSERVATIONS_EACH)

            def write(name: str, headers: dict[str, str]) -> Request:
                async def call() -> Any:
                    body = observation("p3", 70)
                    return await clients[name].post("/Observation", json=body, headers=headers)

                return _checked(call, 201)

            runs: dict[str, tuple[str, Request]] = {
                "read off": ("off", read("off", HEADERS)),
                "read smart user/*.read": ("smart", read("smart", user)),
                "read smart patient/*.read": ("smart", read("smart", patient)),
                "read smart+audit user/*.read": ("smart+audit", read("smart+audit", user)),
                "search off": ("off", search("off", HEADERS)),
                "search smart user/*.read": ("smart", search("smart", user)),
                "search smart patient/*.read": ("smart", search("smart", patient)),
                "search smart+audit user/*.read": ("smart+audit", search("smart+audit", user)),
                "write off": ("off", write("off", HEADERS)),
                "write smart, AUDIT off": ("smart", write("smart", writer)),
                "write smart, AUDIT on": ("smart+audit", write("smart+audit", writer)),
            }
            for name, request in runs.values():  # warm up: caches, first-use imports
                await _rate(apps[name], request, 50)
            best = dict.fromkeys(runs, 0.0)
            for round in range(rounds):
                order = list(runs.items())
                for label, (name, request) in order if round % 2 == 0 else reversed(order):
                    best[label] = max(best[label], await _rate(apps[name], request, requests))
    report(best, requests, rounds)


FLOORS = {  # label prefix -> (the run it is compared with, issue 13's target)
    "read smart": ("read off", 0.85),
    "search smart": ("search off", 0.85),
    "write smart, AUDIT on": ("write smart, AUDIT off", 0.90),
}


def report(best: dict[str, float], requests: int, rounds: int) -> None:
    print(f"in process (ASGITransport, embedded store), best of {rounds} x {requests} requests:")
    for label, rate in best.items():
        compared = next((v for prefix, v in FLOORS.items() if label.startswith(prefix)), None)
        line = f"  {label:32} {rate:7.0f}/s"
        if compared is not None:
            floor, target = compared
            line += f" = {rate / best[floor]:6.1%} of `{floor}` (target >= {target:.0%})"
        print(line)
    ratio = best["write smart, AUDIT off"] / best["write off"]
    print(f"  (write smart, AUDIT off = {ratio:6.1%} of write off: authentication and checks)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.rounds))


if __name__ == "__main__":
    main()
