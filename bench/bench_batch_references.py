"""Batches whose entries repeat one conditional reference, and transactions under the server's
garbage-collector policy; each before/after pair alternates round by round in one run.

- **Batch references** (gateway.services.transaction.batch_references): a batch of N
  Observations all naming `Patient?identifier=x|1`, among `--patients` other Patients on the
  embedded store. Before: every entry resolves the reference with a fresh cache (what
  `_batch_entry` did); after: the batch's shared cache. µs per entry at N = 300 and 3,000.
- **GC policy** (gateway.collector): bench.bench_transaction's Bundles with Python's default
  thresholds, then with `GC_YOUNG_THRESHOLD`'s and the start-up state frozen, as the server runs.

Run: `.venv/bin/python -m bench.bench_batch_references [--sizes 300 3000 --patients 1000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from unittest import mock

from bench.bench_transaction import timed_transactions, transaction_bundles
from gateway.collector import collecting_rarely
from gateway.jsonio import Json
from gateway.services.context import open_services
from gateway.services.transaction import execute, process
from gateway.services.transaction.batch_references import BatchReferences
from gateway.settings import Settings

BASE = "http://bench/fhir"
MRN = "http://bench/mrn"


class _FreshPerEntry(BatchReferences):
    """The behaviour before: nothing resolved survives its entry."""

    def written(self, method: str, resource_type: str) -> None:
        self.resolved.clear()


def _patient(value: str) -> Json:
    return {"resourceType": "Patient", "identifier": [{"system": MRN, "value": value}]}


def _batch(size: int) -> Json:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "subject": {"reference": f"Patient?identifier={MRN}|1"},
        "valueQuantity": {"value": 70, "unit": "kg", "system": "http://unitsofmeasure.org",
                          "code": "kg"},
    }  # fmt: skip
    entry = {"resource": observation, "request": {"method": "POST", "url": "Observation"}}
    return {"resourceType": "Bundle", "type": "batch", "entry": [dict(entry) for _ in range(size)]}


async def _timed_batch(size: int, patients: int, *, shared: bool) -> float:
    services = await open_services(Settings(mongodb_uri=None))
    seed = [
        {"resource": _patient(str(i)), "request": {"method": "POST", "url": "Patient"}}
        for i in range(1, patients + 1)
    ]
    await process(services, {"resourceType": "Bundle", "type": "batch", "entry": seed},
                  base_urls=(BASE,), representation=False)  # fmt: skip
    bundle = _batch(size)
    for entry in bundle["entry"]:
        entry["resource"] = {**entry["resource"], "subject": dict(entry["resource"]["subject"])}
    cache = BatchReferences if shared else _FreshPerEntry
    with mock.patch.object(execute, "BatchReferences", cache):
        started = time.perf_counter()
        answer = await process(services, bundle, base_urls=(BASE,), representation=False)
        elapsed = time.perf_counter() - started
    assert all(e["response"]["status"] == "201 Created" for e in answer["entry"])
    services.close()
    return elapsed


def _timed_transactions(bundles: list[Json], *, policy: bool) -> float:
    async def run() -> float:
        services = await open_services(Settings(mongodb_uri=None))
        with collecting_rarely(Settings(mongodb_uri=None).gc_young_threshold if policy else 0,
                               freeze=True):  # fmt: skip
            return await timed_transactions(services, bundles)

    gc.collect()
    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 3000])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for size in args.sizes:
        before, after = [], []
        for _ in range(args.rounds):
            before.append(asyncio.run(_timed_batch(size, args.patients, shared=False)))
            after.append(asyncio.run(_timed_batch(size, args.patients, shared=True)))
        b, a = min(before) / size * 1e6, min(after) / size * 1e6
        print(f"batch of {size:5} entries naming one Patient?identifier ({args.patients} Patients):"
              f" {b:7.0f} µs/entry before, {a:7.0f} after = {b / a:4.1f}x")  # fmt: skip
    bundles = transaction_bundles(40, 8)
    count = sum(len(b["entry"]) for b in bundles)
    default, policy = [], []
    for _ in range(args.rounds + 2):
        default.append(_timed_transactions(bundles, policy=False))
        policy.append(_timed_transactions(bundles, policy=True))
    d, p = count / min(default), count / min(policy)
    print(f"transactions ({count} resources): {d:6.0f} resources/s with Python's GC thresholds,"
          f" {p:6.0f} with the server's policy = {p / d:4.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
