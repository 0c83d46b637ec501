"""Create and read throughput against floors measured in the same run.

1. In process, embedded store: create (validate, map, store, history) and read (load, map)
   per second, against the validate-only floor: fhir.resources `model_validate` of the same
   resources. Targets: create >= 40 % of the floor.
2. Over HTTP (uvicorn, one worker, wrk with 8 connections): GET by id against a bare FastAPI
   endpoint returning the same bytes, rounds alternating. Target: >= 60 % of the bare
   endpoint's requests/s (issue 14).

Run: `.venv/bin/python -m bench.bench_crud [--patients N --rounds 3 --seconds 5 --http-only]`;
`--before ../main` serves GET by id from that checkout too, in the same alternating rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from bench.common import (
    cpu_seconds,
    parse_args,
    store_env,
    store_settings,
    uvicorn_process,
    wrk_run,
)
from gateway.demo import generate
from gateway.services import resources
from gateway.services.context import open_services


def validate_only(batch: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    for resource in batch:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return time.perf_counter() - started


async def create_and_read(batch: list[dict[str, Any]]) -> tuple[float, float]:
    services = await open_services(store_settings())
    started = time.perf_counter()
    written = [
        (
            resource["resourceType"],
            (await resources.create(services.store(resource["resourceType"]), resource)).version.id,
        )
        for resource in batch
    ]
    create_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for resource_type, resource_id in written:
        await resources.read(services.store(resource_type), resource_id)
    read_seconds = time.perf_counter() - started
    services.close()
    return create_seconds, read_seconds


def in_process(patients: int, rounds: int = 5) -> None:
    """Floor and gateway alternate round by round, so a change in the machine's load between
    them cannot tilt the ratio; the fastest round of each counts."""
    batch = generate(patients=patients)
    floors, runs = [], []
    for _ in range(rounds):
        floors.append(validate_only(batch))
        runs.append(asyncio.run(create_and_read(batch)))
    floor = len(batch) / min(floors)
    create = len(batch) / min(r[0] for r in runs)
    read = len(batch) / min(r[1] for r in runs)
    print(f"resources: {len(batch)} (demo generator, {patients} patients)")
    print(f"validate-only floor: {floor:8.0f} resources/s")
    print(
        f"create:              {create:8.0f} resources/s  = {create / floor:5.0%} of the floor (target >= 40%)"
    )
    print(f"read (in process):   {read:8.0f} resources/s  = {read / floor:5.0%} of the floor")


def over_http(seconds: int, rounds: int, before: Path | None = None) -> None:
    """All servers run at once; wrk drives one at a time, gateway and bare alternating round
    by round, so a change in the machine's load tilts both alike (one-off runs swung from 47 %
    to 66 %). Two figures: requests/s (the best round of each), and requests per CPU second of
    the server process (summed over the rounds), which other processes' load on a shared
    machine leaves nearly alone. `before`: another checkout whose gateway runs too, in the
    same rounds (a before/after comparison)."""
    paths = [f"/fhir/{r['resourceType']}/{r['id']}" for r in generate(patients=5)]
    app, env = "gateway.http.app:create_app", {"DEMO_DATA": "true", **store_env()}
    with contextlib.ExitStack() as servers:
        started = {"gateway": servers.enter_context(uvicorn_process(app, factory=True, env=env))}
        if before is not None:
            started["before"] = servers.enter_context(
                uvicorn_process(app, factory=True, env=env, root=before)
            )
        url = started["gateway"][0]
        bodies = {p: urllib.request.urlopen(url + p).read().decode() for p in paths}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as dump:
            json.dump(bodies, dump)
        bare_app = uvicorn_process("bench.bare_app:app", env={"BENCH_BODIES": dump.name})
        started["bare"] = servers.enter_context(bare_app)
        rates: dict[str, list[float]] = {name: [] for name in started}
        served = dict.fromkeys(started, 0)
        cpu = dict.fromkeys(started, 0.0)
        for _ in range(rounds):
            for name, (url, pid) in started.items():
                used = cpu_seconds(pid)
                rate, requests = wrk_run(url, paths, seconds=seconds)
                cpu[name] += cpu_seconds(pid) - used
                rates[name].append(rate)
                served[name] += requests
    per_cpu = {name: served[name] / cpu[name] for name in started}
    bare, bare_cpu = max(rates["bare"]), per_cpu["bare"]
    print(f"GET by id over HTTP ({len(paths)} resources, uvicorn 1 worker, wrk 8 connections,"
          f" {rounds} alternating rounds):")  # fmt: skip
    print(f"{'bare endpoint':22} {bare:7.0f} requests/s (best round)"
          f"  {bare_cpu:7.0f} requests per CPU second")  # fmt: skip
    for name in ("before", "gateway"):
        if name not in rates:
            continue
        best = max(rates[name])
        label = "gateway read" if name == "gateway" else f"before ({before})"
        print(f"{label:22} {best:7.0f} requests/s = {best / bare:4.0%}"
              f"          {per_cpu[name]:7.0f} per CPU second = {per_cpu[name] / bare_cpu:4.0%}"
              " of the bare endpoint (target >= 60%)")  # fmt: skip
        by_round = zip(rates[name], rates["bare"], strict=True)
        print(f"  requests/s round by round: {', '.join(f'{g / b:.0%}' for g, b in by_round)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--http-only", action="store_true", help="Skip the in-process part.")
    parser.add_argument(
        "--before", type=Path, help="Another checkout (e.g. main) to serve GET by id as well."
    )
    args = parse_args(parser)
    if not args.http_only:
        in_process(args.patients)
    over_http(args.seconds, args.rounds, args.before)


if __name__ == "__main__":
    main()
