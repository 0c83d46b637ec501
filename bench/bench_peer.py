"""Transaction ingest over HTTP side by side with a peer: Medplum's FHIR router (in memory).

Issue 14's target: the gateway ingests Synthea transaction Bundles at >= 2x the rate of the
Medplum router (`@medplum/fhir-router` over its `MemoryRepository`, behind node's HTTP server:
bench/peer/server.mjs) and at >= 60 % of the fhir.resources validate-only floor. The data are
the Synthea patients of `FHIR_SAMPLES_DIR`/synthea cut down to our four domain types
(bench/peer/bundles.py says how their references to other types are handled), posted as the
same bytes to both servers at the same concurrency. Each round starts both servers fresh and
empty, posts every Bundle, then counts what each server holds per type (a bench that compares
with a peer that silently dropped entries compares nothing); the servers' order alternates
round by round, and the floor is measured in each round too. Rates are the best round's.
`--baseline DIR` adds a gateway run from another checkout (a worktree of the commit before a
change) to the same rounds, for before/after figures.

`--import-url` measures the other HTTP target instead: `fhir-gateway import --url` of every
Synthea file (all types, companions first) against posting the same files as transactions
(the companions as the batches they are), each into a fresh gateway, alternating; the importer
runs in a process of its own, so `--baseline DIR` measures that checkout's importer (into its
own gateway) in the same rounds, and `--in-flight N` sets this checkout's batches in flight.

The peer is installed from the npm registry on first use (pinned, into bench/.peer/); without
node and npm the peer's part is skipped with a message. Both servers listen on loopback only,
answer a bounded number of requests and are stopped at the end.

Run: `.venv/bin/python -m bench.bench_peer [--rounds 3 --concurrency 1 --baseline DIR]`,
`.venv/bin/python -m bench.bench_peer --import-url [--rounds 2 --baseline DIR --in-flight N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import orjson

from bench.bench_synthea import samples
from bench.bench_transaction import validate_only
from bench.common import ROOT
from bench.peer.bundles import four_type_bundles, resource_counts
from bench.peer.servers import (
    Running,
    gateway_server,
    install_peer,
    peer_missing,
    peer_server,
)

LIFETIME = 900  # seconds a server may live: one round of posting, with a wide margin
HEADERS = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


async def post_all(base: str, bodies: list[bytes], *, concurrency: int) -> float:
    """Seconds to POST every body to `base` with `concurrency` requests in flight; every
    answer must be a 200 whose entries were all created."""
    queue = iter(bodies)

    async def worker(client: httpx.AsyncClient) -> None:
        for body in queue:
            response = await client.post(base + "/", content=body)
            assert response.status_code == 200, response.text[:500]
            answer = orjson.loads(response.content)  # the client's share of the wall kept small
            statuses = {e["response"]["status"].split()[0] for e in answer["entry"]}
            assert statuses <= {"201", "200"}, statuses

    async with httpx.AsyncClient(headers=HEADERS, timeout=300) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return time.perf_counter() - started


def stored(base: str, types: list[str]) -> dict[str, int]:
    """How many resources of each type the server at `base` holds, by a count search; and an
    Observation's subject must name the Patient's new id, not the Bundle's `urn:uuid:`."""
    counts = {}
    with httpx.Client(headers=HEADERS, timeout=60) as client:
        for kind in types:
            response = client.get(f"{base}/{kind}", params={"_summary": "count"})
            response.raise_for_status()
            counts[kind] = int(response.json()["total"])
        sample = client.get(f"{base}/Observation", params={"_count": "1"}).json()["entry"][0]
        subject = sample["resource"]["subject"]["reference"]
        assert subject.startswith("Patient/"), f"{base} stored the reference {subject}"
    return counts


def one_round(
    start: Callable[[], AbstractContextManager[Running]],
    bodies: list[bytes],
    expected: dict[str, int],
    concurrency: int,
) -> tuple[float, float]:
    """Seconds one fresh server takes to ingest `bodies`, and the CPU seconds it spends on
    them; checked by counting what it holds."""
    with start() as server:
        cpu = server.cpu_seconds()
        seconds = asyncio.run(post_all(server.url, bodies, concurrency=concurrency))
        cpu = server.cpu_seconds() - cpu
        held = stored(server.url, sorted(expected))
    if held != expected:
        raise SystemExit(f"{server.url} holds {held}, {expected} were posted")
    return seconds, cpu


def compare(rounds: int, concurrency: int, baseline: Path | None) -> None:
    bundles = four_type_bundles(samples() / "synthea")
    expected = resource_counts(bundles)
    count = sum(expected.values())
    bodies = [orjson.dumps(b) for b in bundles]
    requests = len(bodies) + len(expected) + 10
    servers: dict[str, Callable[[], AbstractContextManager[Running]]] = {
        "gateway": lambda: gateway_server(max_requests=requests, lifetime=LIFETIME)
    }
    if baseline is not None:
        servers["baseline"] = lambda: gateway_server(
            max_requests=requests, lifetime=LIFETIME, root=baseline
        )
    why_not = peer_missing()
    if why_not:
        print(why_not)
    else:
        cache = install_peer()
        servers["peer"] = lambda: peer_server(cache, max_requests=requests, lifetime=LIFETIME)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in [*servers, "floor"]}
    for number in range(rounds):  # every server's turn comes first in some round
        cpu = time.process_time()
        runs["floor"].append((validate_only(bundles), time.process_time() - cpu))
        names = list(servers)
        for name in names[number % len(names) :] + names[: number % len(names)]:
            runs[name].append(one_round(servers[name], bodies, expected, concurrency))
    wall = {name: count / min(w for w, _ in done) for name, done in runs.items()}
    cpu_rate = {name: count / min(c for _, c in done) for name, done in runs.items()}
    print(f"{len(bundles)} Synthea transaction Bundles, four types: {expected} ({count} resources);"
          f" {concurrency} in flight, best of {rounds} rounds. Resources/s by the wall clock,"
          " and per CPU-second of the server process (steadier where the machine is shared)")  # fmt: skip
    labels = {"floor": "validate-only floor", "gateway": "gateway", "peer": "Medplum router",
              "baseline": f"baseline {baseline}"}  # fmt: skip
    for name in ("floor", "gateway", "baseline", "peer"):
        if name in wall:
            print(f"{labels[name]:>20}: {wall[name]:7.0f} /s wall, {cpu_rate[name]:7.0f} /CPU-s")
    for name, target in (("floor", ">= 0.6"), ("baseline", ""), ("peer", ">= 2")):
        if name in wall:
            print(f"gateway / {labels[name]}: {wall['gateway'] / wall[name]:4.2f}x wall, "
                  f"{cpu_rate['gateway'] / cpu_rate[name]:4.2f}x CPU"
                  + (f" (target {target})" if target else ""))  # fmt: skip


# `import --url` run in a process of its own from a checkout's code, so a baseline's client can
# be measured too: prints the seconds import_over_http reports.
IMPORT_SCRIPT = """
import json, sys
from pathlib import Path
from gateway.cli.remote import import_over_http

def fail(failure):
    raise SystemExit(f"import --url failed: {failure}")

url, options, *files = sys.argv[1:]
report, seconds = import_over_http([Path(f) for f in files], url, on_failure=fail,
    keep_ids=False, batch_size=500, announced=False, **json.loads(options))
assert report.ok, "import --url failed"
print(seconds)
"""


def import_url(rounds: int, baseline: Path | None, in_flight: int | None) -> None:
    """`import --url` against posting the same files as transactions, fresh gateways; with
    `baseline`, that checkout's importer into its own gateway too, in the same rounds."""
    folder = samples() / "synthea"
    companions, patients = (
        sorted((folder / "companion").glob("*.json")),
        sorted(folder.glob("*.json")),
    )
    files = companions + patients
    bodies = [path.read_bytes() for path in files]
    count = sum(len(orjson.loads(body)["entry"]) for body in bodies)
    options = {} if in_flight is None else {"in_flight": in_flight}
    kinds = {"post": ROOT, "import": ROOT} | ({"baseline": baseline} if baseline else {})
    runs: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    for number in range(rounds):  # every kind's turn comes first in some round
        names = list(kinds)
        for kind in names[number % len(names) :] + names[: number % len(names)]:
            root = kinds[kind]
            with gateway_server(
                max_requests=len(files) * 4 + 50, lifetime=LIFETIME, root=root
            ) as server:
                cpu = server.cpu_seconds()
                if kind == "post":
                    seconds = asyncio.run(post_all(server.url, bodies, concurrency=1))
                else:
                    chosen = options if kind == "import" else {}
                    seconds = _import_from(root, server.url, files, chosen)
                runs[kind].append((seconds, server.cpu_seconds() - cpu))
    rate = {kind: count / min(w for w, _ in done) for kind, done in runs.items()}
    # the server's CPU over the wall time of the best round: how long it waited for the client
    busy = {kind: min(done)[1] / min(done)[0] for kind, done in runs.items()}
    print(f"{len(files)} Synthea files ({count} entries), best of {rounds} rounds; the server's"
          " CPU-s per wall-s of that round in brackets")  # fmt: skip
    print(f"posted as transactions/batches: {rate['post']:6.0f} resources/s ({busy['post']:.0%})")
    print(f"import --url:                   {rate['import']:6.0f} resources/s ({busy['import']:.0%})"
          f" = {rate['import'] / rate['post']:4.0%} of posting (target >= 80 %)"
          + (f", in flight: {in_flight}" if in_flight else ""))  # fmt: skip
    if baseline:
        print(f"baseline {baseline}: {rate['baseline']:6.0f} resources/s ({busy['baseline']:.0%})"
              f" = {rate['baseline'] / rate['post']:4.0%} of posting; import --url / baseline: "
              f"{rate['import'] / rate['baseline']:4.2f}x")  # fmt: skip


def _import_from(root: Path, url: str, files: list[Path], options: dict[str, int]) -> float:
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"} | {"PYTHONPATH": str(root)}
    command = [sys.executable, "-c", IMPORT_SCRIPT, url, orjson.dumps(options).decode()]
    done = subprocess.run(
        [*command, *map(str, files)], cwd=root, env=env, capture_output=True, text=True,
        timeout=LIFETIME, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"import --url from {root} failed: {done.stderr[-2000:]}")
    return float(done.stdout.split()[-1])


def _fail(failure: object) -> None:
    raise SystemExit(f"import --url failed: {failure}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--import-url", action="store_true", help="import --url vs posting")
    parser.add_argument("--baseline", type=Path, help="another checkout's gateway, alternating")
    parser.add_argument("--in-flight", type=int, help="import --url: batches in flight")
    args = parser.parse_args()
    if not (samples() / "synthea").is_dir():
        raise SystemExit(f"No Synthea samples under {samples()} (set FHIR_SAMPLES_DIR).")
    if args.import_url:
        import_url(args.rounds, args.baseline, args.in_flight)
    else:
        compare(args.rounds, args.concurrency, args.baseline)


if __name__ == "__main__":
    main()

_ = Path  # re-exported for callers that pass folders
