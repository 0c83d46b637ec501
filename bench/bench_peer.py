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
(the companions as the batches they are), each into a fresh gateway, alternating.

The peer is installed from the npm registry on first use (pinned, into bench/.peer/); without
node and npm the peer's part is skipped with a message. Both servers listen on loopback only,
answer a bounded number of requests and are stopped at the end.

Run: `.venv/bin/python -m bench.bench_peer [--rounds 3 --concurrency 1 --baseline DIR]`,
`.venv/bin/python -m bench.bench_peer --import-url [--rounds 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import orjson

from bench.bench_synthea import samples
from bench.bench_transaction import validate_only
from bench.peer.bundles import four_type_bundles, resource_counts
from bench.peer.servers import Running, gateway_server, install_peer, peer_missing, peer_server

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


def import_url(rounds: int) -> None:
    """`import --url` against posting the same files as transactions, fresh gateways."""
    from gateway.cli.remote import import_over_http

    folder = samples() / "synthea"
    companions, patients = (
        sorted((folder / "companion").glob("*.json")),
        sorted(folder.glob("*.json")),
    )
    files = companions + patients
    bodies = [path.read_bytes() for path in files]
    count = sum(len(orjson.loads(body)["entry"]) for body in bodies)
    imported: list[float] = []
    posted: list[float] = []
    for number in range(rounds):
        for kind in ("import", "post")[:: 1 if number % 2 == 0 else -1]:
            with gateway_server(max_requests=len(files) * 4 + 50, lifetime=LIFETIME) as server:
                if kind == "post":
                    posted.append(asyncio.run(post_all(server.url, bodies, concurrency=1)))
                    continue
                report, seconds = import_over_http(
                    files,
                    server.url,
                    on_failure=_fail,
                    keep_ids=False,
                    batch_size=500,
                    announced=False,
                )
                assert report.ok, "import --url failed"
                imported.append(seconds)
    best_import, best_post = count / min(imported), count / min(posted)
    print(f"{len(files)} Synthea files ({count} entries), best of {rounds} rounds")
    print(f"posted as transactions/batches: {best_post:6.0f} resources/s")
    print(f"import --url:                   {best_import:6.0f} resources/s = "
          f"{best_import / best_post:4.0%} of posting (target >= 80 %)")  # fmt: skip


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
    args = parser.parse_args()
    if not (samples() / "synthea").is_dir():
        raise SystemExit(f"No Synthea samples under {samples()} (set FHIR_SAMPLES_DIR).")
    if args.import_url:
        import_url(args.rounds)
    else:
        compare(args.rounds, args.concurrency, args.baseline)


if __name__ == "__main__":
    main()

_ = Path  # re-exported for callers that pass folders
