"""Synthea's companion batches (hospitals, practitioners) at two sizes, with and without the
embedded store's indexes, against the cost of validating and mapping the same entries.

Synthea writes its Organizations, Locations, Practitioners and PractitionerRoles as batches of
conditional creates (`ifNoneExist: identifier=...`), and the roles point at the others by
identifier: every entry looks an identifier up in a type kept whole (`index.identifier`, a
dotted field). Without an index each look-up scans its collection, so the cost per entry grows
with what is stored; with the embedded store's hash indexes (gateway.store.embedded_index) it
should be the same at 300 entries as at 5,000.

A run of N entries posts the hospital batch cut or stretched to N/2 entries, then the
practitioner batch likewise, into an empty embedded store (stretched: entries again with every
identifier value, id and reference suffixed, so each is a new create), under the server's
garbage-collector policy. The floor is the same entries through the write path's checks and
mapping (gateway.services.resources.admit: the fhir.resources validation, R4 invariants,
profiles, the mapper) and no store: the figure is the store's rate as a share of it. "scan"
opens its store under `embedded_upkeep.scanning()` (what the embedded store did before its
indexes); rounds alternate floor, indexed and scan, best of each. Times are the process's CPU
time, with the wall clock's shares beside them: these machines are shared, and under load the
wall clock counts other processes' turns.

Needs the Synthea samples (`FHIR_SAMPLES_DIR`, default `../shared/fhir-samples`).
Run: `.venv/bin/python -m bench.bench_companion_batch [--sizes 300 5000 --rounds 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import time
import uuid
from collections import Counter

import orjson

from bench.bench_synthea import BASE, samples
from gateway.collector import collecting_rarely
from gateway.jsonio import Json
from gateway.services.context import open_services
from gateway.services.resources import admit
from gateway.services.transaction import process
from gateway.settings import Settings
from gateway.store.embedded_upkeep import scanning


def stretched(bundle: Json, size: int) -> Json:
    """`bundle` with exactly `size` entries: cut, or followed by suffixed copies of its own."""
    entries = bundle["entry"]
    values = {
        identifier["value"]
        for entry in entries
        for identifier in entry["resource"].get("identifier", [])
    }
    result = list(entries[:size])
    lap = 1
    while len(result) < size:
        text = orjson.dumps(entries[: size - len(result)]).decode()
        for value in sorted(values, key=len, reverse=True):
            text = text.replace(value, f"{value}-{lap}")
        copies = orjson.loads(text)
        for entry in copies:  # fullUrls stay unique in the Bundle (bdl-7)
            entry["fullUrl"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, entry['fullUrl'])}"
        result += copies
        lap += 1
    return {**bundle, "entry": result}


def companion_batches(size: int) -> list[Json]:
    folder = samples() / "synthea" / "companion"
    ordered = sorted(folder.glob("*.json"), key=lambda path: "practitioner" in path.name)
    return [stretched(orjson.loads(path.read_bytes()), size // 2) for path in ordered]


Seconds = tuple[float, float]  # CPU, wall


def clocks() -> Seconds:
    return time.process_time(), time.perf_counter()


def since(started: Seconds) -> Seconds:
    cpu, wall = clocks()
    return cpu - started[0], wall - started[1]


def floor(batches: list[Json]) -> Seconds:
    """Seconds to check and map every entry as a create does, storing nothing."""
    services = asyncio.run(open_services(Settings(mongodb_uri=None)))
    started = clocks()
    for bundle in batches:
        for entry in bundle["entry"]:
            resource = entry["resource"]
            admit(services.store(resource["resourceType"]), resource)
    seconds = since(started)
    services.close()
    return seconds


async def posted(batches: list[Json]) -> tuple[Seconds, Counter[str]]:
    """Seconds to post `batches` to an empty embedded store, and the entries' statuses."""
    services = await open_services(Settings(mongodb_uri=None))
    work = copy.deepcopy(batches)
    statuses: Counter[str] = Counter()
    started = clocks()
    for bundle in work:
        answer = await process(services, bundle, base_urls=BASE, representation=False)
        statuses.update(e["response"]["status"].split()[0] for e in answer["entry"])
    seconds = since(started)
    services.close()
    return seconds, statuses


def scanned(batches: list[Json]) -> Seconds:
    with scanning():
        return asyncio.run(posted(batches))[0]


def best(runs: list[Seconds], count: int) -> Seconds:
    """µs per entry, CPU and wall, each the best of the rounds."""
    return min(r[0] for r in runs) / count * 1e6, min(r[1] for r in runs) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 5000])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-scan", action="store_true", help="Leave out the run without indexes.")
    args = parser.parse_args()
    warm = companion_batches(40)  # the first use loads profiles, validators and indexers
    floor(warm)
    asyncio.run(posted(warm))
    print("µs per entry of CPU time (best of the rounds); share: floor / it, CPU and wall")
    print(f"{'entries':>7} {'floor':>7} {'indexed':>8} {'share':>11} {'scan':>8} {'share':>11}")
    for size in args.sizes:
        batches = companion_batches(size)
        count = sum(len(b["entry"]) for b in batches)
        floors: list[Seconds] = []
        indexed: list[Seconds] = []
        scans: list[Seconds] = []
        statuses: Counter[str] = Counter()
        with collecting_rarely(Settings(mongodb_uri=None).gc_young_threshold, freeze=True):
            for _ in range(args.rounds):  # alternating, so all see the same machine
                floors.append(floor(batches))
                seconds, statuses = asyncio.run(posted(batches))
                indexed.append(seconds)
                if not args.no_scan:
                    scans.append(scanned(batches))
        low = best(floors, count)
        line = f"{count:7} {low[0]:7.0f}" + _against(low, best(indexed, count))
        if scans:
            line += _against(low, best(scans, count))
        print(f"{line}   statuses {dict(statuses)}")


def _against(floor: tuple[float, float], run: tuple[float, float]) -> str:
    return f" {run[0]:8.0f} {floor[0] / run[0]:5.0%}/{floor[1] / run[1]:4.0%}"


if __name__ == "__main__":
    main()
