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
profiles, the mapper) and no store: the figure is the store's rate as a share of it. Issue 14
states its floors as fhir.resources' validation alone (bench_synthea's, bench_transaction's
`validate_only`), so that floor is measured too, and the share of it printed beside. "scan"
opens its store under `embedded_upkeep.scanning()` (what the embedded store did before its
indexes). `--baseline DIR` posts the same batches with another checkout's code (DIR on the
path of a child process that builds, warms and times its own run; only the post is timed), so a
change is measured against its parent on the same machine in the same minutes. Rounds
alternate floors, indexed, scan and baseline, best of each. Times are the process's CPU time,
with the wall clock's shares beside them: these machines are shared, and under load the wall
clock counts other processes' turns.

Needs the Synthea samples (`FHIR_SAMPLES_DIR`, default `../shared/fhir-samples`).
Run: `.venv/bin/python -m bench.bench_companion_batch [--sizes 300 5000 --rounds 2]
[--baseline ../main]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import subprocess
import sys
import time
import uuid
from collections import Counter

import orjson
from fhir.resources.R4B import get_fhir_model_class

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


def validated(batches: list[Json]) -> Seconds:
    """Seconds for fhir.resources to validate every entry, and nothing else (issue 14's floor)."""
    started = clocks()
    for bundle in batches:
        for entry in bundle["entry"]:
            resource = entry["resource"]
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return since(started)


# Run by a child process with another checkout first on its path: that checkout's bench module
# (which has had `companion_batches` and `posted` since it measured companion batches) times
# one post of the batches of `size`, warmed and under the server's GC policy as here, and fails
# unless it created every entry (a baseline that refuses them would measure something else).
_BASELINE = """
import asyncio, sys
from bench.bench_companion_batch import companion_batches, posted
from gateway.collector import collecting_rarely
from gateway.settings import Settings
asyncio.run(posted(companion_batches(40)))
batches = companion_batches(int(sys.argv[1]))
with collecting_rarely(Settings(mongodb_uri=None).gc_young_threshold, freeze=True):
    seconds, statuses = asyncio.run(posted(batches))
assert set(statuses) == {"201"}, statuses  # every entry created, as in this checkout's run
print(seconds[0], seconds[1])
"""


def baseline(directory: str, size: int) -> Seconds:
    """Seconds another checkout's code takes to post the same batches (CPU, wall)."""
    environment = {**os.environ, "PYTHONPATH": os.path.abspath(directory)}
    answer = subprocess.run(
        [sys.executable, "-c", _BASELINE, str(size)],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    cpu, wall = answer.stdout.split()[-2:]
    return float(cpu), float(wall)


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
    parser.add_argument(
        "--baseline", metavar="DIR", help="Also post with the checkout in DIR (before/after)."
    )
    args = parser.parse_args()
    warm = companion_batches(40)  # the first use loads profiles, validators and indexers
    floor(warm)
    validated(warm)
    asyncio.run(posted(warm))
    print("µs per entry of CPU time (best of the rounds); shares: a floor / the run, CPU and wall")
    print("floors: admit (validation and mapping, no store), fhir.resources validation alone")
    header = (
        f"{'entries':>7} {'admit':>6} {'valid':>6} {'indexed':>8} {'/admit':>10} {'/valid':>10}"
    )
    if not args.no_scan:
        header += f" {'scan':>7} {'/admit':>10}"
    if args.baseline:
        header += f" {'baseline':>8} {'/admit':>10} {'after/before':>12}"
    print(header)
    for size in args.sizes:
        batches = companion_batches(size)
        count = sum(len(b["entry"]) for b in batches)
        runs: dict[str, list[Seconds]] = {
            name: [] for name in ("admit", "valid", "indexed", "scan", "baseline")
        }
        statuses: Counter[str] = Counter()
        with collecting_rarely(Settings(mongodb_uri=None).gc_young_threshold, freeze=True):
            for _ in range(args.rounds):  # alternating, so all see the same machine
                runs["admit"].append(floor(batches))
                runs["valid"].append(validated(batches))
                seconds, statuses = asyncio.run(posted(batches))
                runs["indexed"].append(seconds)
                if not args.no_scan:
                    runs["scan"].append(scanned(batches))
                if args.baseline:
                    runs["baseline"].append(baseline(args.baseline, size))
        low, valid, indexed = (best(runs[k], count) for k in ("admit", "valid", "indexed"))
        line = f"{count:7} {low[0]:6.0f} {valid[0]:6.0f} {indexed[0]:8.0f}"
        line += f" {_share(low, indexed)} {_share(valid, indexed)}"
        if runs["scan"]:
            scan = best(runs["scan"], count)
            line += f" {scan[0]:7.0f} {_share(low, scan)}"
        if runs["baseline"]:
            before = best(runs["baseline"], count)
            line += f" {before[0]:8.0f} {_share(low, before)} {indexed[0] / before[0]:11.2f}x"
        print(f"{line}   statuses {dict(statuses)}")


def _share(floor: Seconds, run: Seconds) -> str:
    """The floor's time as a share of the run's, CPU/wall."""
    return f"{floor[0] / run[0]:4.0%}/{floor[1] / run[1]:4.0%}"


if __name__ == "__main__":
    main()
