"""Rebuild the search keys of stored resources (`fhir-gateway reindex`).

Data written by an older version of the gateway carries the `index`, `sort` and derived views
that version computed; after the search definitions or extractors change, a pass rewrites them
through the write path's own mapping and indexer (ResourceStore.reindex). Each type is read in
`_id` order, one bounded query per batch, so memory stays flat however large the collection;
after each batch the last `_id` done is recorded (gateway.store.checkpoints), so a killed run,
started again, continues after it. The indexes the table declares now are created first: an
upgrade that changes the search keys may change the indexes too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gateway.domain.time import utc_now
from gateway.errors import InvalidRequest
from gateway.services.context import Services
from gateway.services.generic import kept_types
from gateway.store.repository import Reindexed, ResourceStore

BATCH_SIZE = 500
KEPT_REASONS = 100  # failures kept with their reason, per type: memory stays bounded


@dataclass(slots=True)
class TypeReindexed:
    """One type's pass: what was read and what became of it (`reasons`: the first
    KEPT_REASONS failures, as (id, reason))."""

    resource_type: str
    resumed_after: str | None = None
    read: int = 0
    rewritten: int = 0
    unchanged: int = 0
    superseded: int = 0
    failed: int = 0
    reasons: list[tuple[str, str]] = field(default_factory=list)

    def add(self, batch: Reindexed, read: int) -> None:
        self.read += read
        self.rewritten += batch.rewritten
        self.unchanged += batch.unchanged
        self.superseded += batch.superseded
        self.failed += len(batch.failed)
        self.reasons.extend(batch.failed[: KEPT_REASONS - len(self.reasons)])


@dataclass(frozen=True, slots=True)
class Progress:
    resource_type: str
    total: int  # documents this pass will read for the type
    done: int


def checkpoint_key(resource_type: str) -> str:
    return f"reindex:{resource_type}"


def check_types(types: Sequence[str]) -> list[str]:
    """The named types, once each; InvalidRequest naming those this server does not keep."""
    kept = set(kept_types())
    unknown = [t for t in types if t not in kept]
    if unknown:
        raise InvalidRequest(
            "Not resource types this server keeps: " + ", ".join(f"`{t}`" for t in unknown) + "."
        )
    return list(dict.fromkeys(types))


async def reindex(
    services: Services,
    *,
    types: Sequence[str] | None = None,
    batch_size: int = BATCH_SIZE,
    restart: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> list[TypeReindexed]:
    """Rebuild the search keys of `types` (default: every type holding resources).

    `restart`: ignore where an earlier, unfinished run stopped and start from the beginning.
    """
    wanted = check_types(types) if types is not None else kept_types()
    results = []
    for resource_type in await services.storage.holding(wanted):
        store = services.store(resource_type)
        results.append(await _pass(services, store, batch_size, restart, progress))
    return results


async def _pass(
    services: Services,
    store: ResourceStore,
    batch_size: int,
    restart: bool,
    progress: Callable[[Progress], None] | None,
) -> TypeReindexed:
    await store.create_indexes()  # those the upgrade declares too (creating one is idempotent)
    checkpoints, key = services.storage.checkpoints, checkpoint_key(store.resource_type)
    after = None if restart else await checkpoints.after(key)
    result = TypeReindexed(store.resource_type, resumed_after=after)
    total = await store.count({} if after is None else {"_id": {"$gt": after}})
    sort = [("_id", 1)]
    while True:
        batch = await store.fetch({}, sort=sort, limit=batch_size, after=_after(after))
        if not batch:
            break
        result.add(await store.reindex(batch), len(batch))
        after = batch[-1]["_id"]
        await checkpoints.record(key, after, at=utc_now())
        if progress is not None:
            progress(Progress(store.resource_type, total, result.read))
        await asyncio.sleep(0)  # the embedded store never yields: let others in between
    await checkpoints.clear(key)
    return result


def _after(resource_id: str | None) -> tuple[str] | None:
    return None if resource_id is None else (resource_id,)
