"""Search latency against the bare store query measured in the same run.

1. A population (`bench.population`: 200 patients, 100,000 Observations by default) stored as
   the API stores it; the load rate is printed.
2. A fixed mix of searches (patient+code, patient+category+date range, code+value-quantity),
   each run through the gateway's search route in process (query string -> parse -> filter ->
   search_type -> Bundle -> JSON bytes, the route handler called with a Request but no server)
   and as the bare store query returning the same documents:
   `collection.find(filter).sort(spec).limit(count)` with the gateway's own filter and sort.
   Target: gateway p50 <= 2x the bare query's p50, per query type.
3. Paging a search matching >= 10,000 Observations with `_count=100`, following `next` links to
   the end. Target: the last 10 pages within +-30 % of the first 10, per page.

Each search is timed by the wall clock and by the CPU time of the thread that runs it: the
machines these run on are shared, and under load the wall clock counts other processes' turns.
The process's resident memory per stored resource is printed after the load (flat from 10,000
to 100,000 resources is the target). The server's garbage-collector policy (gateway.collector)
is in force, as in `serve`. `--scan` opens the store under `embedded_upkeep.scanning()`: every
query a scan of the collection, as before the embedded store's indexes
(gateway.store.embedded_index).

Run: `.venv/bin/python -m bench.bench_search [--patients 200 --observations 100000] [--scan]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
from starlette.requests import Request

from bench import population
from bench.common import parse_args, store_settings
from gateway import demo
from gateway.collector import collecting_rarely
from gateway.http.routes.search import search as search_route
from gateway.search.filters import build_filter
from gateway.search.paging import sort_spec
from gateway.search.request import parse
from gateway.services.context import Services, open_services
from gateway.services.search import KEYSCAN_LIMIT, StoreResolver
from gateway.settings import Settings
from gateway.store.embedded_upkeep import scanning

Query = list[tuple[str, str]]
SERVER = ("bench.local", 80)
BASE = f"http://{SERVER[0]}/fhir"
UCUM = demo.UCUM


@dataclass(slots=True)
class Timings:
    gateway: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the gateway's, CPU seconds of its thread
    rows: list[int] = field(default_factory=list)  # entries on the page


def resident_bytes() -> int:
    """The process's resident memory now (not its peak)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Gateway:
    """The search route of an app whose state holds `services`, called without a server."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.app = SimpleNamespace(state=SimpleNamespace(services=services))
        self.cpu = 0.0

    async def get(self, resource_type: str, query: str) -> tuple[dict[str, Any], float]:
        """The Bundle the route answers, and the route's seconds (decoding it is not counted);
        the CPU seconds of the last call are in `cpu`."""
        scope = {
            "type": "http",
            "method": "GET",
            "scheme": "http",
            "server": SERVER,
            "root_path": "",
            "path": f"/fhir/{resource_type}",
            "query_string": query.encode(),
            "headers": [(b"accept", b"application/fhir+json")],
            "app": self.app,
            "path_params": {"resource_type": resource_type},
        }
        started, cpu = time.perf_counter(), time.thread_time()
        response = await search_route(Request(scope))
        seconds = time.perf_counter() - started
        self.cpu = time.thread_time() - cpu
        body: dict[str, Any] = orjson.loads(response.body)
        if response.status_code != 200:
            raise RuntimeError(f"{resource_type}?{query} answered {response.status_code}: {body}")
        return body, seconds

    async def bare(self, resource_type: str, items: Query) -> tuple[list[dict[str, Any]], float]:
        """The same page as the store's own query (the gateway's filter and sort, built before
        the clock starts), and its seconds."""
        request = parse(resource_type, items, default_count=20, max_count=1000)
        store = self.services.store(resource_type)
        resolver = StoreResolver(self.services, (BASE,))
        query = await build_filter(resource_type, request.parameters, resolver, base_urls=(BASE,))
        spec = sort_spec(resource_type, request.sort)
        started = time.perf_counter()
        documents: list[dict[str, Any]] = (
            await store.collection.find(query).sort(spec).limit(request.count).to_list(None)
        )
        return documents, time.perf_counter() - started


def query_mix(rng: random.Random, *, patients: int, per_type: int) -> dict[str, list[Query]]:
    """The searches a chart view, a trend chart and a population screen send."""
    codes = [m.loinc for m in (*demo.LABS, *demo.VITALS)] + [
        m.measure.loinc for m in demo.METRICS.values()
    ]
    labs = [m for m in demo.LABS if m.high is not None]

    def patient() -> str:
        number = rng.randint(1, patients)
        return f"Patient/bench-pat-{number}" if rng.random() < 0.5 else f"bench-pat-{number}"

    def window() -> tuple[str, str]:
        start = demo.ANCHOR - timedelta(days=rng.randint(90, population.DAYS))
        return start.isoformat(), (start + timedelta(days=90)).isoformat()

    mix: dict[str, list[Query]] = {
        "patient+code": [],
        "patient+category+date": [],
        "code+value": [],
    }
    for _ in range(per_type):
        mix["patient+code"].append(
            [
                ("patient", patient()),
                ("code", f"{demo.LOINC}|{rng.choice(codes)}"),
                ("_sort", "-date"),
            ]
        )
        start, end = window()
        category = rng.choice(("vital-signs", "activity", "laboratory"))
        mix["patient+category+date"].append(
            [("patient", patient()), ("category", category), ("date", f"ge{start}"),
             ("date", f"lt{end}"), ("_sort", "date"), ("_count", "50")]
        )  # fmt: skip
        lab = rng.choice(labs)
        mix["code+value"].append(
            [("code", f"{demo.LOINC}|{lab.loinc}"),
             ("value-quantity", f"gt{lab.high}|{UCUM}|{lab.ucum}")]
        )  # fmt: skip
    return mix


async def load(services: Services, *, patients: int, observations: int) -> None:
    started = time.perf_counter()
    people, charted = population.generate(patients=patients, observations=observations)
    generated = time.perf_counter() - started
    resident = resident_bytes()
    started = time.perf_counter()
    await population.load(services, people)
    await population.load(services, charted)
    seconds = time.perf_counter() - started
    del people, charted
    grown = resident_bytes() - resident
    stored = await services.store("Observation").collection.count_documents({})
    print(
        f"population: {patients} patients, {stored} observations "
        f"(generated in {generated:.1f} s; 1 in {population.CHECKED_EVERY} through "
        "resources.update, the rest through ResourceStore.write)"
    )
    print(f"load:       {(patients + observations) / seconds:8.0f} resources/s ({seconds:.1f} s)")
    print(
        f"memory:     {grown / (patients + observations):8.0f} bytes resident per resource "
        f"stored ({grown / 2**20:.0f} MiB for {patients + observations:,})"
    )


async def run_mix(gateway: Gateway, mix: dict[str, list[Query]]) -> dict[str, Timings]:
    results = {name: Timings() for name in mix}
    for name, queries in mix.items():
        for items in queries:
            documents, bare_seconds = await gateway.bare("Observation", items)
            bundle, seconds = await gateway.get("Observation", urlencode(items))
            results[name].gateway.append(seconds)
            results[name].cpu.append(gateway.cpu)
            results[name].bare.append(bare_seconds)
            matches = [e["resource"]["id"] for e in bundle.get("entry", [])]
            if matches != [d["_id"] for d in documents]:
                print(f"MISMATCH {urlencode(items)}: gateway {matches[:5]}..., bare differs")
            results[name].rows.append(len(matches))
    return results


def report_mix(results: dict[str, Timings]) -> None:
    queries = sum(len(t.gateway) for t in results.values())
    print(
        f"searches: {queries} (each: the bare query, then the gateway route); rows: mean per page"
    )
    print(
        f"{'type':22} {'n':>3} {'rows':>5} {'bare p50':>9} {'p95':>7} {'gateway p50':>12} "
        f"{'p95':>7} {'added p50':>10} {'cpu p50':>8}  gateway/bare p50"
    )
    for name, t in results.items():
        bare50, gate50 = percentile(t.bare, 0.5), percentile(t.gateway, 0.5)
        added = percentile([g - b for g, b in zip(t.gateway, t.bare, strict=True)], 0.5)
        print(
            f"{name:22} {len(t.gateway):3} {statistics.mean(t.rows):5.1f} "
            f"{bare50 * 1e3:9.1f} {percentile(t.bare, 0.95) * 1e3:7.1f} "
            f"{gate50 * 1e3:12.1f} {percentile(t.gateway, 0.95) * 1e3:7.1f} "
            f"{added * 1e3:10.1f} {percentile(t.cpu, 0.5) * 1e3:8.1f}  "
            f"{gate50 / bare50:5.2f}x (target <= 2x)"
        )


async def paging(gateway: Gateway, items: Query) -> None:
    query = urlencode(items)
    pages: list[float] = []
    cpus: list[float] = []
    ids: list[str] = []
    total = None
    while query:
        bundle, seconds = await gateway.get("Observation", query)
        pages.append(seconds)
        cpus.append(gateway.cpu)
        total = bundle.get("total", total)
        ids += [e["resource"]["id"] for e in bundle.get("entry", [])]
        following = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), "")
        query = urlsplit(following).query
    first, last = statistics.mean(pages[:10]), statistics.mean(pages[-10:])
    middle = len(pages) // 2 - 5
    complete = "all of them, none twice" if len(set(ids)) == len(ids) == total else "MISMATCH"
    print(f"paging: Observation?{urlencode(items)}")
    print(f"        total {total}, {len(pages)} pages, {len(ids)} resources read ({complete})")
    print(
        f"{'first page:':16}{pages[0] * 1e3:8.1f} ms "
        f"(reads the sort keys of up to {KEYSCAN_LIMIT + 1:,} matches, for the total)"
    )
    print(f"{'pages 1-10:':16}{first * 1e3:8.1f} ms/page (mean)")
    if middle > 10:
        label = f"pages {middle + 1}-{middle + 10}:"
        print(f"{label:16}{statistics.mean(pages[middle : middle + 10]) * 1e3:8.1f} ms/page (mean)")
    print(
        f"{'last 10 pages:':16}{last * 1e3:8.1f} ms/page (mean) = {last / first - 1:+5.0%} "
        "against the first 10 (target within +-30%)"
    )
    first, last = statistics.mean(cpus[:10]), statistics.mean(cpus[-10:])
    print(
        f"{'CPU, pages 1-10:':16}{first * 1e3:8.1f} ms/page, last 10: {last * 1e3:.1f} ms/page "
        f"= {last / first - 1:+5.0%}"
    )


async def main_async(
    *, patients: int, observations: int, per_type: int, seed: int, scan: bool
) -> None:
    settings = store_settings()
    with (
        collecting_rarely(settings.gc_young_threshold, freeze=True),
        scanning() if scan else contextlib.nullcontext(),
    ):
        await measure(
            settings, patients=patients, observations=observations, per_type=per_type, seed=seed
        )


async def measure(
    settings: Settings, *, patients: int, observations: int, per_type: int, seed: int
) -> None:
    services = await open_services(settings)
    try:
        await load(services, patients=patients, observations=observations)
        gateway = Gateway(services)
        mix = query_mix(random.Random(seed), patients=patients, per_type=per_type)
        report_mix(await run_mix(gateway, mix))
        since = (demo.ANCHOR - timedelta(days=540)).isoformat()
        steps: Query = [("code", f"{demo.LOINC}|55423-8"), ("date", f"ge{since}"),
                        ("_sort", "-date"), ("_count", "100")]  # fmt: skip
        await paging(gateway, steps)
    finally:
        services.close()


def timed(run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=90, help="Searches in the mix, all types.")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--scan", action="store_true", help="No index: every query scans.")
    args = parse_args(parser)
    per_type = max(1, args.queries // 3)
    seconds = timed(
        lambda: asyncio.run(
            main_async(
                patients=args.patients,
                observations=args.observations,
                per_type=per_type,
                seed=args.seed,
                scan=args.scan,
            )
        )
    )
    print(f"run: {seconds:.0f} s")


if __name__ == "__main__":
    main()
