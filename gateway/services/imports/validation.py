"""Validation of import batches, here or in worker processes (`fhir-gateway import --workers`).

Validation is the import's largest cost and needs nothing but the resource, so it can run in
other processes while this one maps and writes the batches before. A resource is validated as
read, without its `id`: the import replaces the source id (keeps it only after `check_id` with
`--keep-ids`) and rewrites references to other valid references, neither of which changes what
validation finds. The workers run the gateway's own checks (`resources.validation_issues`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType

import orjson

from gateway.errors import Issue
from gateway.services import resources
from gateway.services.imports.readers import Item
from mappers.base import FhirJson

Verdicts = list[list[Issue]]  # per item: the issues (empty: valid, or unreadable)


def batch_issues(batch: list[FhirJson]) -> Verdicts:
    return [resources.validation_issues(resource) if resource else [] for resource in batch]


def _in_worker(payload: bytes) -> Verdicts:
    return batch_issues(orjson.loads(payload))


def _as_validated(item: Item) -> FhirJson:
    if item.resource is None:
        return {}
    return {key: value for key, value in item.resource.items() if key != "id"}


class Validator:
    """Validates batches inline (`workers=0`) or in a pool of worker processes."""

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Validator:
        if self.workers:
            # forkserver: a fork of this process could inherit a lock held by a driver thread.
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def submit(self, items: list[Item]) -> asyncio.Future[Verdicts]:
        """The verdicts on `items`, computed now (inline) or by a worker meanwhile."""
        batch = [_as_validated(item) for item in items]
        if self._pool is None:
            done: asyncio.Future[Verdicts] = asyncio.get_running_loop().create_future()
            done.set_result(batch_issues(batch))
            return done
        return asyncio.wrap_future(self._pool.submit(_in_worker, orjson.dumps(batch)))
