"""`serve --workers N`: prometheus-client's multiprocess mode adds every worker's values up.

Each worker is a process whose values prometheus-client keeps in files under
PROMETHEUS_MULTIPROC_DIR (chosen when it is imported, so each worker here is a real process):
one reads twice and ends, the next reads three times and scrapes, and sees five; the first one's
in-flight gauge left the sum when it ended.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT

WORKER = """
import asyncio, sys
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient
from gateway.http.app import create_app
from gateway.settings import Settings

async def main(reads: int, scrape: bool) -> None:
    app = create_app(Settings(mongodb_uri=None, demo_data=False))
    async with LifespanManager(app):
        client = AsyncClient(transport=ASGITransport(app=app), base_url="http://test")
        for _ in range(reads):
            assert (await client.get("/fhir/Patient/x")).status_code == 404
        if scrape:
            sys.stdout.write((await client.get("/metrics")).text)

asyncio.run(main(int(sys.argv[1]), sys.argv[2] == "scrape"))
"""


def _worker(directory: Path, reads: int, *, scrape: bool) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(reads), "scrape" if scrape else "quiet"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_a_scrape_adds_up_every_worker(tmp_path: Path) -> None:
    _worker(tmp_path, 2, scrape=False)
    exposition = _worker(tmp_path, 3, scrape=True)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }
    read = (("interaction", "read"), ("status", "404"), ("type", "Patient"))
    assert samples["fhir_gateway_requests_total", read] == 5
    assert samples["fhir_gateway_requests_in_flight", ()] == 1  # the scrape, in the live worker
