"""`$export` as a job (state in the `export_jobs` collection) against the export service alone
and against a raw floor, rounds alternating on one embedded store.

Issue 14: "export >= 50 % of its raw floor", and the job's state writes (the record at
kick-off, a lease renewal with the progress about once a second, the final state) must not cost
the export measurably. Three figures per round, over the same stored Patients and Observations
(bench.population):

- **raw floor**: the same collections read with a cursor in batches of 1,000, each stored
  document written as one JSON line (no mapping to FHIR, no authorization, no job);
- **service**: gateway.services.exports.export into NDJSON files, as the job runs it;
- **job**: `ExportJobs.start` to the end of its task, everything a kick-off costs but HTTP.

The same script runs on a tree before jobs were stored (its `ExportJobs` has the same `start`),
so the job's ratio to the floor can be compared before and after.

Run: `.venv/bin/python -m bench.bench_export_jobs [--observations 50000] [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import orjson

from bench import population
from gateway.services.bulk_jobs import ExportJobs, ExportRequest
from gateway.services.context import Services, open_services
from gateway.services.exports import NdjsonSink, export
from gateway.settings import Settings

try:  # a tree where jobs are stored
    from gateway.services.export_job import stored_job

    STORED = True
except ImportError:  # before: the same figures, but no lease to renew
    STORED = False

TYPES = ("Patient", "Observation")


async def raw_floor(services: Services, directory: Path) -> float:
    """Seconds to read every stored document of TYPES and write it as a JSON line."""
    started = time.perf_counter()
    with (directory / "raw.ndjson").open("wb") as raw:
        for resource_type in TYPES:
            collection = services.store(resource_type).collection
            async for document in collection.find({}).batch_size(1000):
                raw.write(orjson.dumps(document, default=str) + b"\n")
    return time.perf_counter() - started


async def service(services: Services, directory: Path) -> float:
    sink = NdjsonSink(directory / "service")
    started = time.perf_counter()
    await export(services, types=TYPES, since=None, patient_ids=None, sink=sink)
    sink.close()
    return time.perf_counter() - started


async def job(services: Services, directory: Path) -> float:
    jobs = ExportJobs(directory / "jobs")
    started = time.perf_counter()
    running = jobs.start(services, ExportRequest("http://bench/fhir/$export", TYPES))
    assert running.task is not None
    await running.task
    seconds = time.perf_counter() - started
    assert running.state == "completed", running.failure
    await jobs.close()
    return seconds


async def renewal_seconds(services: Services, directory: Path, times: int = 2000) -> float:
    """Seconds one lease renewal takes (what the running job writes about once a second)."""
    jobs = ExportJobs(directory / "renewals")
    running = jobs.start(services, ExportRequest("http://bench/fhir/$export", ("Patient",)))
    assert running.task is not None
    await running.task
    stored = stored_job(running, worker=jobs.worker).changed(state="in-progress")
    store = services.storage.export_jobs
    await store.remove(running.id)
    await store.insert(stored)
    started = time.perf_counter()
    for _ in range(times):
        await store.save_running(stored)
    seconds = (time.perf_counter() - started) / times
    await store.remove(running.id)
    await jobs.close()
    return seconds


async def run(observations: int, rounds: int) -> None:
    services = await open_services(Settings(mongodb_uri=None))
    people, charted = population.generate(patients=max(observations // 250, 1),
                                          observations=observations)  # fmt: skip
    await population.load(services, people)
    await population.load(services, charted)
    total = len(people) + len(charted)
    print(f"{total} resources ({len(people)} Patients, {len(charted)} Observations)")
    seconds: dict[str, list[float]] = {"raw floor": [], "service": [], "job": []}
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        for _ in range(rounds):  # alternate, so all see the same machine
            seconds["raw floor"].append(await raw_floor(services, directory))
            seconds["service"].append(await service(services, directory))
            seconds["job"].append(await job(services, directory))
        renewal = await renewal_seconds(services, directory) if STORED else None
    rate = {name: total / min(times) for name, times in seconds.items()}  # best round each
    for name, value in rate.items():
        print(f"{name:10} {value:9.0f} resources/s = {value / rate['raw floor']:5.0%} of the raw "
              f"floor (rounds: {', '.join(f'{total / s:.0f}' for s in seconds[name])})")  # fmt: skip
    if renewal is not None:
        print(f"one lease renewal: {renewal * 1e6:.0f} µs, {renewal:.4%} of each second a job "
              "runs (it renews once a second)")  # fmt: skip
    # Each round's three runs are neighbours in time: their ratios see the same machine.
    for name, base in (("job", "raw floor"), ("service", "raw floor"), ("job", "service")):
        ratios = sorted(b / a for a, b in zip(seconds[name], seconds[base], strict=True))
        print(f"{name} / {base}, round by round: median {statistics.median(ratios):.0%}, "
              f"{ratios[0]:.0%}-{ratios[-1]:.0%}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--observations", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.observations, args.rounds))


if __name__ == "__main__":
    main()
