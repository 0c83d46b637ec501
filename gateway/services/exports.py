"""Bulk export: the current version of every stored resource as NDJSON, one file per type.

https://hl7.org/fhir/uv/bulkdata/export.html — `_type` picks the types, `_since` keeps the
resources "whose state has changed after the supplied time" (`meta.lastUpdated` later than it),
and a Patient-level export keeps the Patient compartment. Deleted resources are not in the
current collections, so they are never exported. Documents are read with a cursor in batches
and written as they come, so an export holds one batch in memory whatever the store's size.

The Patient compartment is R4's (compartmentdefinition-patient.html), decided as compartment
search and `$everything` decide it (gateway.services.compartments). Only types whose collection
exists are read, so an export does not open the stores of the 120-odd types nobody wrote.

Authorization (gateway.services.access): an export is a search ("s") of each type. A type named
in `_type` that the token may not search is a 403; without `_type`, such types are left out.
Each type's query carries its "s" clause, so a `patient/` token's `Patient/$export` holds its
own compartment only; every batch is checked with `may("s")` as well. Who may start an export at
all, and who may collect it, is gateway.services.bulk_jobs' business.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from gzip import GzipFile
from pathlib import Path
from typing import Any, Protocol

import fhir_profiles
from gateway.errors import InvalidRequest
from gateway.jsonio import Json, dumps
from gateway.search.model import Clause
from gateway.search.paths import all_of
from gateway.services.access import current
from gateway.services.compartments import membership
from gateway.services.context import Services
from gateway.services.generic import kept_types
from gateway.services.search import StoreResolver
from gateway.store.repository import ResourceStore

BATCH_SIZE = 1000
NDJSON = "application/fhir+ndjson"


class ExportSink(Protocol):
    """Where exported resources go, type by type: every batch of a type, then `finish`."""

    async def write(self, resource_type: str, resources: list[Json]) -> None: ...

    async def finish(self, resource_type: str) -> None: ...


class _Output(Protocol):
    """An open binary file, plain or gzip."""

    def write(self, data: bytes, /) -> int: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Progress:
    """How far an export is: reported after every batch."""

    resource_type: str
    types_done: int
    types_total: int
    exported: int  # resources written so far, all types together

    def describe(self) -> str:
        """A line for Bulk Data's `X-Progress` (which must stay under 100 characters)."""
        return (
            f"{self.exported} resources exported; at {self.resource_type} "
            f"({self.types_done + 1} of {self.types_total} types)"
        )


class NdjsonSink:
    """`<Type>.ndjson` (`.ndjson.gz` with `gzip`) per type in `directory`, the Bulk Data file
    layout. A type's file is made on its first resource, so types with none get no file."""

    def __init__(self, directory: Path, *, gzip: bool = False) -> None:
        self.directory, self.gzip = directory, gzip
        self.files: dict[str, Path] = {}
        self._handles: dict[str, _Output] = {}

    def file_name(self, resource_type: str) -> str:
        return f"{resource_type}.ndjson{'.gz' if self.gzip else ''}"

    async def write(self, resource_type: str, resources: list[Json]) -> None:
        data = b"".join(dumps(r, newline=True) for r in resources)
        handle = self._handles.get(resource_type) or self._open(resource_type)
        await asyncio.to_thread(handle.write, data)  # compressing and disk I/O off the loop

    async def finish(self, resource_type: str) -> None:
        handle = self._handles.pop(resource_type, None)
        if handle is not None:
            await asyncio.to_thread(handle.close)

    def close(self) -> None:
        """Close what is still open (an export that failed part-way)."""
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()

    def _open(self, resource_type: str) -> _Output:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / self.file_name(resource_type)
        handle: _Output = (
            GzipFile(filename=path, mode="wb", compresslevel=6) if self.gzip else path.open("wb")
        )
        self.files[resource_type] = path
        self._handles[resource_type] = handle
        return handle


async def export(
    services: Services,
    *,
    types: Sequence[str] | None,
    since: datetime | None,
    patient_ids: Sequence[str] | None,
    sink: ExportSink,
    compartment: bool = False,
    base_urls: tuple[str, ...] = (),
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, int]:
    """Stream the current resources of `types` (default: every type stored) into `sink`.

    Args:
        since: only resources last updated after this instant (naive means UTC).
        patient_ids: only these patients' compartments (implies `compartment`).
        compartment: only the Patient compartment, of every patient (`Patient/$export`).
        base_urls: this server's bases, under which absolute references count as local.

    Returns:
        The number of resources exported per type, for the types that had any.
    """
    in_compartment = compartment or patient_ids is not None
    selected = await exported_types(services, types, compartment=in_compartment)
    access = current()
    resolver = StoreResolver(services, base_urls)
    counts: dict[str, int] = {}
    exported = 0
    for done, resource_type in enumerate(selected):
        store = services.store(resource_type)
        query = export_filter(
            resource_type,
            since=since,
            patient_ids=patient_ids,
            compartment=in_compartment,
            base_urls=base_urls,
        )
        query = all_of([query, await access.clause("s", resource_type, resolver) or {}])
        # read_only: each document is served into a new dict and serialised by the sink
        async for batch in store.batches(query, size=BATCH_SIZE, read_only=True):
            resources = [_served(store, document) for document in batch]
            if not access.unrestricted:  # belt and braces: the clause kept these out already
                resources = access.visible("s", resources)
                if not resources:
                    continue
            await sink.write(resource_type, resources)
            counts[resource_type] = counts.get(resource_type, 0) + len(resources)
            exported += len(resources)
            if progress is not None:
                progress(Progress(resource_type, done, len(selected), exported))
            await asyncio.sleep(0)  # the embedded store never yields: let requests in between
        await sink.finish(resource_type)
    return counts


def check_types(
    services: Services, types: Sequence[str] | None, *, compartment: bool
) -> list[str] | None:
    """The requested types, once each; InvalidRequest for a type this server does not keep or,
    in a Patient-level export, one outside the Patient compartment (export.html: the server
    SHOULD answer an OperationOutcome rather than leave them out silently)."""
    if types is None:
        return None
    unknown = [t for t in types if not services.keeps(t)]
    if unknown:
        raise InvalidRequest(
            f"`_type` names resource types this server does not keep: {_listed(unknown)}.",
            expression="_type",
            code="MSG_UNKNOWN_TYPE",
        )
    outside = [t for t in types if compartment and not in_patient_compartment(t)]
    if outside:
        raise InvalidRequest(
            f"`_type` names resource types outside the Patient compartment: {_listed(outside)}.",
            expression="_type",
        )
    for resource_type in types:
        current().restriction("s", resource_type)  # 403 for a type the token may not search
    return list(dict.fromkeys(types))


async def exported_types(
    services: Services, types: Sequence[str] | None, *, compartment: bool
) -> list[str]:
    """The types to read: those asked for (or all kept, sorted) that hold any resource."""
    wanted = check_types(services, types, compartment=compartment)
    candidates = wanted if wanted is not None else kept_types()
    if compartment:
        candidates = [t for t in candidates if in_patient_compartment(t)]
    access = current()
    if not access.unrestricted:
        candidates = [t for t in candidates if access.allows("s", t)]
    return await services.storage.holding(candidates)


def export_filter(
    resource_type: str,
    *,
    since: datetime | None,
    patient_ids: Sequence[str] | None = None,
    compartment: bool = False,
    base_urls: tuple[str, ...] = (),
) -> Clause:
    """The MongoDB filter selecting one type's exported documents."""
    clauses: list[Clause] = []
    if since is not None:
        clauses.append({"last_updated": {"$gt": naive_utc(since)}})
    if compartment or patient_ids is not None:
        clauses.append(_compartment_clause(resource_type, patient_ids, base_urls))
    return all_of(clauses)


def in_patient_compartment(resource_type: str) -> bool:
    return resource_type == "Patient" or resource_type in fhir_profiles.compartments()["Patient"]


def naive_utc(moment: datetime) -> datetime:
    """`moment` as stored: naive UTC (a naive `moment` is taken as UTC already)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _compartment_clause(
    resource_type: str, patient_ids: Sequence[str] | None, base_urls: tuple[str, ...]
) -> Clause:
    return membership("Patient", patient_ids, resource_type, base_urls=base_urls)


def _served(store: ResourceStore, document: dict[str, Any]) -> Json:
    resource = store.to_version(document).resource
    assert resource is not None  # current documents are never deletions
    return resource


def _listed(types: list[str]) -> str:
    return ", ".join(f"`{t}`" for t in types)
