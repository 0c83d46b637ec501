"""Beanie documents against the raw path, on the embedded store: what decides Beanie's role.

The same demo Observations go through both paths; each figure is operations per second, best of
three rounds, and the ratio is raw / Beanie.
- insert: raw = build the stored document from the record (an OwnedDocument with the search
  index, as ResourceStore.write does), then `insert_one`; Beanie = build the
  `ObservationDocument` from the record (it cannot hold the search index), then `.insert()`.
- get: raw = `find_one` by `_id`, then `model_validate` of the record (what `to_version` does);
  Beanie = `ObservationDocument.get`.
- find: a 20-row page by code in `_id` order, each row validated to a record as above; Beanie =
  `ObservationDocument.find(...).sort(...).limit(20).to_list()`.

Run: `.venv/bin/python -m bench.bench_store [--patients N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from beanie import init_beanie

from gateway.demo import generate
from gateway.domain.time import utc_now
from gateway.search.index import build_indexer
from gateway.settings import Settings
from gateway.store.client import make_client
from gateway.store.documents import ObservationDocument
from gateway.store.repository import stored_document
from mappers.registry import MAPPERS

MAPPER = MAPPERS["Observation"]
ROUNDS = 3


async def best(count: int, run: Callable[[int], Awaitable[None]]) -> float:
    """Operations per second of the fastest of ROUNDS runs (`run` gets the round number)."""
    rates = []
    for number in range(ROUNDS):
        started = time.perf_counter()
        await run(number)
        rates.append(count / (time.perf_counter() - started))
    return max(rates)


async def main(patients: int) -> None:
    bodies = [r for r in generate(patients=patients) if r["resourceType"] == "Observation"]
    records = [MAPPER.from_fhir(body) for body in bodies]
    ids = [body["id"] for body in bodies]
    client = make_client(Settings(mongodb_uri=None))
    await init_beanie(database=client["beanie"], document_models=[ObservationDocument])
    raw_database = client["raw"]
    raw = [raw_database[f"observations_{n}"] for n in range(ROUNDS)]
    indexer, now = build_indexer("Observation"), utc_now()

    async def raw_insert(number: int) -> None:
        for record, resource_id in zip(records, ids, strict=True):
            document = stored_document(record, indexer, resource_id, 1, now, "POST")
            await raw[number].insert_one(document)

    async def beanie_insert(number: int) -> None:
        if number:
            await ObservationDocument.delete_all()
        for record, resource_id in zip(records, ids, strict=True):
            fields = record.model_dump(exclude_none=True)
            await ObservationDocument(
                id=resource_id, version_id=1, last_updated=now, written_by="POST", **fields
            ).insert()

    async def raw_get(number: int) -> None:
        for resource_id in ids:
            MAPPER.record_type.model_validate(await raw[0].find_one({"_id": resource_id}))

    async def beanie_get(number: int) -> None:
        for resource_id in ids:
            await ObservationDocument.get(resource_id)

    codes = sorted({c.code for r in records for c in r.code.coding if c.code})
    pages = len(codes)

    async def raw_find(number: int) -> None:
        for code in codes:
            cursor = raw[0].find({"code.coding.code": code}).sort("_id", 1).limit(20)
            for row in await cursor.to_list(None):
                MAPPER.record_type.model_validate(row)

    async def beanie_find(number: int) -> None:
        for code in codes:
            query = ObservationDocument.find({"code.coding.code": code})
            await query.sort("_id").limit(20).to_list()

    print(f"{len(ids)} Observations from {patients} demo patients; {pages} code pages of 20")
    cases: list[tuple[str, int, Any, Any]] = [
        ("insert", len(ids), raw_insert, beanie_insert),
        ("get by id", len(ids), raw_get, beanie_get),
        ("find page", pages, raw_find, beanie_find),
    ]
    for name, count, ours, theirs in cases:
        raw_rate, beanie_rate = await best(count, ours), await best(count, theirs)
        print(
            f"{name:10} raw {raw_rate:9.0f}/s   Beanie {beanie_rate:9.0f}/s   "
            f"raw/Beanie {raw_rate / beanie_rate:4.1f}x"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10)
    asyncio.run(main(parser.parse_args().patients))
