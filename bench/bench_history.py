"""PUT beside a large shared history: the cost of a write must not grow with other resources'
versions, and a PUT that changes nothing must not pay for validation.

1. **PUT-create and PUT-update** (gateway.services.resources.update on the embedded store) of
   fresh Patients, with 0, 5,000 and 20,000 archived versions of other resources in the one
   `history` collection all types share. Before: the newest archived version found by the
   range query over `{resource_type, resource_id}` sorted by version (what
   gateway.store.history did); after: by `_id` keys. CPU µs per PUT; target: the same cost at
   all three sizes (ratio to the empty history ~1.0x).
2. **PUT of an unchanged resource**: before, validation and mapping first (what the update
   path did: `admit`, then the comparison); after, compared first. µs per PUT.

Before and after run on the same stores, alternating round by round; the fastest round counts.
The garbage collector runs under the server's policy (gateway.collector).

Run: `.venv/bin/python -m bench.bench_history [--sizes 0 5000 20000 --puts 40 --rounds 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from gateway.collector import collecting_rarely
from gateway.demo import generate
from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.context import Services, open_services
from gateway.settings import Settings
from gateway.store.history import HistoryStore, history_entry
from gateway.store.repository import ResourceStore
from gateway.store.unit import Unit
from gateway.store.versions import Version

VERSIONS_PER_RESOURCE = 5  # the archived history filler: 5 versions of each Observation


class _Scanning(HistoryStore):
    """The lookup before: the range query, which the embedded store answers by a scan."""

    async def latest(
        self, resource_type: str, resource_id: str, *, unit: Unit | None = None
    ) -> Version | None:
        return await self.newest(resource_type, resource_id, unit=unit)


async def _filled(size: int) -> Services:
    """Services whose history holds `size` archived Observation versions."""
    services = await open_services(Settings(mongodb_uri=None))
    observation = next(r for r in generate(patients=1) if r["resourceType"] == "Observation")
    updated = datetime(2024, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    entries = [
        history_entry(
            Version("Observation", f"o{n // VERSIONS_PER_RESOURCE}", n % VERSIONS_PER_RESOURCE + 1,
                    updated, {**observation, "id": f"o{n // VERSIONS_PER_RESOURCE}"})
        )
        for n in range(size)
    ]  # fmt: skip
    if entries:
        await services.storage.history.collection.insert_many(entries, ordered=True)
    return services


def _patient(resource_id: str, family: str) -> Json:
    return {"resourceType": "Patient", "id": resource_id, "gender": "female",
            "name": [{"family": family, "given": ["Ana"]}], "birthDate": "1974-12-25"}  # fmt: skip


async def _timed(calls: list[Callable[[], Awaitable[object]]]) -> float:
    """CPU µs per call: the embedded store does no I/O, so this process's CPU time is the
    work, and other processes' load on a shared machine barely moves it (wall time did ±50 %)."""
    started = time.process_time()
    for call in calls:
        await call()
    return (time.process_time() - started) / len(calls) * 1e6


async def _round(store: ResourceStore, tag: str, puts: int, *, before: bool) -> list[float]:
    """µs per PUT-create, PUT-update and unchanged PUT, for `puts` fresh Patients."""
    history = store.history
    if before:
        store.history = _Scanning(history.collection)
    try:
        ids = [f"{tag}-{n}" for n in range(puts)]

        def put(resource_id: str, family: str) -> Callable[[], Awaitable[object]]:
            return lambda: resources.update(store, resource_id, _patient(resource_id, family))

        def unchanged(resource_id: str) -> Callable[[], Awaitable[object]]:
            resource = _patient(resource_id, "Windsor")
            if not before:
                return lambda: resources.update(store, resource_id, resource)

            async def validated_first() -> object:
                resources.admit(store, resource)
                return await resources.update(store, resource_id, resource)

            return validated_first

        created = await _timed([put(i, "Rivera") for i in ids])
        updated = await _timed([put(i, "Windsor") for i in ids])
        same = await _timed([unchanged(i) for i in ids])
        return [created, updated, same]
    finally:
        store.history = history


async def run(sizes: list[int], puts: int, rounds: int) -> None:
    print(f"CPU µs per PUT of {puts} fresh Patients (embedded store), fastest of {rounds} rounds;"
          " before/after alternate on the same store")  # fmt: skip
    rows = []
    for size in sizes:
        services = await _filled(size)
        store = services.store("Patient")
        best: dict[bool, list[float]] = {True: [1e12] * 3, False: [1e12] * 3}
        for before in (True, False):  # warm-up, not counted: first imports, first validations
            await _round(store, f"warm{'b' if before else 'a'}", 3, before=before)
        for n in range(rounds):
            for before in (True, False):
                figures = await _round(store, f"r{n}{'b' if before else 'a'}", puts, before=before)
                best[before] = [min(a, b) for a, b in zip(best[before], figures, strict=True)]
        services.close()
        rows.append((size, best[True], best[False]))
    base_before, base_after = rows[0][1], rows[0][2]
    names = ("PUT-create", "PUT-update", "PUT unchanged")
    for size, old, new in rows:
        print(f"archived versions in the shared history: {size:,}")
        for k, name in enumerate(names):
            print(f"  {name:14} before {old[k]:8.0f} µs ({old[k] / base_before[k]:5.1f}x"
                  f" the empty history)   after {new[k]:8.0f} µs ({new[k] / base_after[k]:4.2f}x)"
                  f"   after/before = {new[k] / old[k]:5.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 5000, 20000])
    parser.add_argument("--puts", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with collecting_rarely(Settings(mongodb_uri=None).gc_young_threshold):  # as the server runs
        asyncio.run(run(args.sizes, args.puts, args.rounds))


if __name__ == "__main__":
    main()
