"""GET by id with and without the hardening layers, in process, alternating in the same run.

Issue 13 part 6 target: hardened throughput ≥ 95 % of bare. Measured twice: default settings
(CORS off) and with CORS on (Starlette's CORSMiddleware wraps every response to add
`Vary: Origin`, Origin header or not). httpx's ASGITransport drives the
app directly (no sockets), so the layers' cost is not hidden behind network time; rounds alternate
so drift hits both sides, and each side keeps its best of three.

    PYTHONPATH=. python -m bench.bench_hardening [requests per round]
"""

from __future__ import annotations

import asyncio
import sys
import time

from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient

from gateway.http.app import create_app
from gateway.settings import Settings

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}


async def _rate(client: AsyncClient, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        r = await client.get("/Patient/p1")
        assert r.status_code == 200
    return requests / (time.perf_counter() - started)


async def main(requests: int) -> None:
    settings = Settings(mongodb_uri=None, demo_data=False)
    cors = Settings(mongodb_uri=None, demo_data=False, cors_allow_origins=["https://a.example"])
    apps = {
        "bare": create_app(settings, hardened=False),
        "hardened": create_app(settings),
        "hardened+cors": create_app(cors),
    }
    best = dict.fromkeys(apps, 0.0)
    async with (
        LifespanManager(apps["bare"]),
        LifespanManager(apps["hardened"]),
        LifespanManager(apps["hardened+cors"]),
    ):
        clients = {
            name: AsyncClient(transport=ASGITransport(app=app), base_url="http://test/fhir")
            for name, app in apps.items()
        }
        for client in clients.values():
            await client.put("/Patient/p1", json=PATIENT)
            await _rate(client, 200)  # warm up
        for _ in range(3):
            for name, client in clients.items():
                best[name] = max(best[name], await _rate(client, requests))
    print(f"GET by id, best of 3 x {requests}: bare {best['bare']:.0f}/s")
    for name in ("hardened", "hardened+cors"):
        ratio = best[name] / best["bare"]
        print(f"  {name}: {best[name]:.0f}/s, ratio {ratio:.1%} (target >= 95%)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
