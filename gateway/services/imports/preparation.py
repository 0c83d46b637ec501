"""Preparing import batches, here or in worker processes (`fhir-gateway import --workers`).

Validation, mapping to the domain record and building the stored document with its search
index are most of an import's cost, and need nothing but the resource: the importer has already
given it its id and rewritten its references (which are valid references, so validation finds
the same). They can therefore run in other processes while this one writes the batches before.
The workers run the gateway's own checks (`resources.validation_issues`, under the profile
policy of the importing process's settings, sent with each batch), mapper and indexer.
A resource whose conditional references (`Patient?identifier=…`) must still be resolved against
the store is only validated there; the importer maps it once they are.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from types import TracebackType
from typing import Any

from gateway.domain.time import utc_now
from gateway.errors import Issue
from gateway.jsonio import Json, dumps, loads
from gateway.search.index import build_indexer
from gateway.services import resources
from gateway.services.profiles import ProfilePolicy
from gateway.services.workers import worker_pool
from gateway.store.collection import OwnedDocument
from gateway.store.repository import stored_document
from mappers.base import ResourceMapper
from mappers.generic import generic_mapper
from mappers.registry import MAPPERS


@dataclass(frozen=True, slots=True)
class Prepared:
    """A resource's verdict and, when valid and asked for, its stored document (version 1)."""

    issues: list[Issue]
    document: OwnedDocument | None = None


Task = tuple[Json, bool]  # a resource with its final id, and whether to build its document


def prepare(resource: Json, build: bool, profiles: ProfilePolicy | None = None) -> Prepared:
    issues = resources.validation_issues(resource, profiles)
    if issues or not build:
        return Prepared(issues)
    resource_type = resource["resourceType"]
    record = _mapper(resource_type).from_fhir(resource)
    document = stored_document(
        record, _indexer(resource_type), resource["id"], 1, utc_now(), "POST"
    )
    return Prepared(issues, document)


def _in_worker(payload: bytes, profiles: ProfilePolicy | None) -> list[Prepared]:
    return [prepare(resource, build, profiles) for resource, build in loads(payload)]


PRELOAD = "gateway.services.imports.preload"  # what every worker starts with


@cache
def _mapper(resource_type: str) -> ResourceMapper[Any]:
    return MAPPERS.get(resource_type) or generic_mapper(resource_type)


@cache
def _indexer(resource_type: str) -> Any:
    return build_indexer(resource_type)


class Preparer:
    """Prepares batches inline (`workers=0`) or in a pool of worker processes."""

    def __init__(self, workers: int = 0, *, profiles: ProfilePolicy | None = None) -> None:
        self.workers, self.profiles = workers, profiles
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Preparer:
        if self.workers:
            self._pool = worker_pool(self.workers, PRELOAD)
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

    def submit(self, tasks: list[Task]) -> asyncio.Future[list[Prepared]]:
        """The tasks prepared, now (inline) or by a worker meanwhile."""
        if self._pool is None:
            done: asyncio.Future[list[Prepared]] = asyncio.get_running_loop().create_future()
            done.set_result([prepare(resource, build, self.profiles) for resource, build in tasks])
            return done
        return asyncio.wrap_future(self._pool.submit(_in_worker, dumps(tasks), self.profiles))
