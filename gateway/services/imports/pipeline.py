"""Bulk import into the store: streamed items in, per-type counts and an error report out.

Batches of a file's items are given their ids (identity.py) and references (references.py)
here, in reading order, then prepared (validated, mapped, indexed: preparation.py, in worker
processes if there are any) while the batches before them are written. An item naming a `urn:`
fullUrl that comes later in its Bundle waits for the end of that file; one whose conditional
references name resources a later file brings (Encounters before Practitioners) is retried
once at the end of the run.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gateway.collector import collecting_rarely
from gateway.domain.time import utc_now
from gateway.errors import GatewayError, Issue
from gateway.jsonio import Json
from gateway.services import conditional, resources
from gateway.services.batching import chunks
from gateway.services.context import Services
from gateway.services.imports import references
from gateway.services.imports.identity import Identities, kept_type, reported_type
from gateway.services.imports.preparation import Prepared, Preparer
from gateway.services.imports.readers import Item
from gateway.services.imports.report import Failure, Report
from gateway.store.collection import OwnedDocument
from gateway.store.repository import ResourceStore
from gateway.store.versions import same_content
from mappers.references import is_conditional

AHEAD = 2  # batches in preparation while one is written
PAST_VERSIONS = 1_000  # how far back "held before" looks (see _write_existing)


@dataclass(slots=True)
class _Pending:
    """An item with its id decided; `resource` is the copy to store once references are."""

    item: Item
    resource_type: str
    target: str
    resource: Json = field(default_factory=dict)
    holders: list[Json] = field(default_factory=list)
    conditional: bool = False  # holds conditional references, resolved when written
    document: OwnedDocument | None = None


@dataclass(slots=True)
class _Batch:
    entries: list[_Pending]
    items: int  # items read for it, for progress


class Importer:
    """Imports items in batches straight into the store (the fast path of the CLI)."""

    def __init__(
        self,
        services: Services,
        *,
        keep_ids: bool = False,
        dry_run: bool = False,
        batch_size: int = 500,
        on_failure: Callable[[Failure], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
        preparer: Preparer | None = None,
    ) -> None:
        self.services, self.keep_ids, self.dry_run = services, keep_ids, dry_run
        self.preparer = preparer or Preparer(profiles=services.profiles)
        self.batch_size = batch_size
        self.on_progress = on_progress or (lambda count: None)
        self.report = Report(on_failure) if on_failure else Report()
        self.identities = Identities(services, keep_ids=keep_ids)
        self.resolved: dict[str, str] = {}  # conditional reference -> Type/id
        self.urls: dict[str, str] = {}  # fullUrl -> Type/target, for the file being read
        self.source: object = None
        self.waiting: list[_Pending] = []  # entries of this file naming a fullUrl not yet seen
        self.deferred: list[_Pending] = []  # conditional references that did not resolve yet
        self.retrying = False

    async def run(self, items: Iterable[Item]) -> Report:
        """Import everything, a file's items in batches that never mix files. The items'
        resources become the importer's: it rewrites their references in place."""
        with collecting_rarely(self.services.settings.gc_young_threshold):
            return await self._run(items)

    async def _run(self, items: Iterable[Item]) -> Report:
        ahead: deque[tuple[_Batch, asyncio.Future[list[Prepared]]]] = deque()
        try:
            for batch in chunks(items, self.batch_size, boundary=lambda item: item.source):
                for targeted in await self._targeted(batch):
                    ahead.append((targeted, self._submit(targeted)))
                    if len(ahead) > AHEAD:
                        await self._write_batch(*ahead.popleft())
            waiting = self._end_of_file()
            if waiting.entries:
                ahead.append((waiting, self._submit(waiting)))
            while ahead:
                await self._write_batch(*ahead.popleft())
        finally:
            for _, prepared in ahead:
                prepared.cancel()
        self.retrying, deferred, self.deferred = True, self.deferred, []
        for chunk in chunks(deferred, self.batch_size):
            await self._write([e for e in chunk if await self._complete(e)])
        return self.report

    async def _targeted(self, items: list[Item]) -> list[_Batch]:
        """`items` with their ids and references decided, after the entries of the file before
        that waited for its end."""
        batches: list[_Batch] = []
        if items[0].source != self.source:
            batches.append(self._end_of_file())
            self.source, self.urls = items[0].source, {}  # fullUrls are local to a file
        entries: list[_Pending] = []
        for item in items:
            if item.resource is None:
                self.report.unreadable(item)
                continue
            try:
                resource_type = kept_type(item.resource, keeps=self.services.keeps)
                target = await self.identities.target(
                    resource_type, item.resource, item.request or {}
                )
            except GatewayError as error:
                self.report.fail(item, reported_type(item.resource), *error.issues)
                continue
            if item.full_url:
                self.urls[item.full_url] = f"{resource_type}/{target}"
            entries.append(_Pending(item, resource_type, target))
        ready = [entry for entry in entries if self._rewrite(entry, file_done=False)]
        batches.append(_Batch(ready, len(items)))
        return [batch for batch in batches if batch.entries or batch.items]

    def _end_of_file(self) -> _Batch:
        """The entries that waited for the end of their file: a fullUrl not seen by now is not
        coming."""
        waiting, self.waiting = self.waiting, []
        return _Batch([entry for entry in waiting if self._rewrite(entry, file_done=True)], 0)

    def _rewrite(self, entry: _Pending, *, file_done: bool) -> bool:
        """Give `entry` its resource to store, references rewritten in the item's resource
        itself (a copy would cost as much as mapping); False when it waits or failed instead."""
        resource = entry.item.resource or {}
        try:
            holders = references.own_holders(resource)
        except GatewayError as error:
            self.report.fail(entry.item, entry.resource_type, *error.issues)
            return False
        as_read = [holder["reference"] for holder in holders]
        references.rewrite(holders, self.urls, keep_ids=self.keep_ids)
        unknown = [h["reference"] for h in holders if h["reference"].startswith("urn:")]
        if unknown and not file_done:
            for holder, reference in zip(holders, as_read, strict=True):
                holder["reference"] = reference  # rewritten again, whole, at the end of the file
            self.waiting.append(entry)
            return False
        if unknown:
            issue = Issue(f"Reference `{unknown[0]}` names no entry of its Bundle.",
                          code="not-found", expression=f"{entry.resource_type}")  # fmt: skip
            self.report.fail(entry.item, entry.resource_type, issue)
            return False
        body = {key: value for key, value in resource.items() if key != "id"}
        entry.resource = {"resourceType": entry.resource_type, "id": entry.target, **body}
        entry.holders = holders
        entry.conditional = any(is_conditional(h["reference"]) for h in holders)
        return True

    def _submit(self, batch: _Batch) -> asyncio.Future[list[Prepared]]:
        return self.preparer.submit([(e.resource, not e.conditional) for e in batch.entries])

    async def _write_batch(self, batch: _Batch, prepared: asyncio.Future[list[Prepared]]) -> None:
        ready: list[_Pending] = []
        for entry, verdict in zip(batch.entries, await prepared, strict=True):
            if verdict.issues:
                self.report.fail(entry.item, entry.resource_type, *verdict.issues)
            elif verdict.document is not None:
                entry.document = verdict.document
                ready.append(entry)
            elif await self._complete(entry):
                ready.append(entry)
        await self._write(ready)
        self.on_progress(batch.items)

    async def _complete(self, entry: _Pending) -> bool:
        """Resolve an entry's conditional references and build its document here."""
        try:
            await self._resolve_conditional(entry.holders)
            store = self.services.store(entry.resource_type)
            record = resources.accept(store, entry.resource, checked=True)
        except GatewayError as error:
            if not self.retrying and _unresolved(error):
                self.deferred.append(entry)
            else:
                self.report.fail(entry.item, entry.resource_type, *error.issues)
            return False
        entry.document = store.document(record, entry.target, 1, utc_now(), "POST")
        return True

    async def _resolve_conditional(self, holders: list[Json]) -> None:
        for holder in holders:
            reference = holder["reference"]
            if is_conditional(reference):
                if reference not in self.resolved:
                    self.resolved[reference] = await conditional.resolve_reference(
                        self.services, reference
                    )
                holder["reference"] = self.resolved[reference]

    async def _write(self, ready: list[_Pending]) -> None:
        by_type: dict[str, list[_Pending]] = {}
        for entry in ready:
            by_type.setdefault(entry.resource_type, []).append(entry)
        for resource_type, entries in by_type.items():
            await self._write_type(resource_type, entries)

    async def _write_type(self, resource_type: str, entries: list[_Pending]) -> None:
        store = self.services.store(resource_type)
        first: dict[str, _Pending] = {}
        repeated: list[_Pending] = []  # the same resource again in this batch
        for entry in entries:
            if first.setdefault(entry.target, entry) is not entry:
                repeated.append(entry)
        existing = {d["_id"]: d for d in await store.current_documents(list(first))}
        creates = []
        for target, entry in first.items():
            if target in existing:
                await self._write_existing(store, entry, existing[target])
            elif entry.document is not None:
                creates.append(entry.document)
        if creates:
            stored = len(creates) if self.dry_run else len(await store.insert_many(creates))
            self.report.count(resource_type, "created", stored)
            if stored < len(creates):  # written meanwhile by another run: the same content
                self.report.count(resource_type, "unchanged", len(creates) - stored)
        for entry in repeated:
            current = None if self.dry_run else await store.current_document(entry.target)
            if current is not None:
                await self._write_existing(store, entry, current)
            else:  # a dry run writes nothing: compare with the first arrival
                same = same_content(first[entry.target].resource, entry.resource)
                self.report.count(resource_type, "unchanged" if same else "updated")

    async def _write_existing(
        self, store: ResourceStore, entry: _Pending, current: dict[str, Any]
    ) -> None:
        """Update a stored resource, unless it holds this content now or held it before: an
        import never moves a resource back to a version it superseded, so re-running files
        that carry two versions of one resource (a preliminary and a final result) changes
        nothing, and re-sending an old file does not undo a correction."""
        resource_type = entry.resource_type
        stored = store.to_version(current).resource or {}
        if same_content(stored, entry.resource) or await _held_before(store, entry, current):
            self.report.count(resource_type, "unchanged")
            return
        if not self.dry_run:
            await resources.update(
                store, entry.target, entry.resource, profiles=self.services.profiles
            )
        self.report.count(resource_type, "updated")


def _unresolved(error: GatewayError) -> bool:
    return any(issue.details_code == "MSG_CONDITIONAL_REFERENCE" for issue in error.issues)


async def _held_before(store: ResourceStore, entry: _Pending, current: dict[str, Any]) -> bool:
    """Whether a superseded version of the resource (older than `current`) said exactly this;
    read by key, so the cost does not grow with the history of other resources."""
    below = current["version_id"]
    archived = await store.archived(entry.target, limit=PAST_VERSIONS, below=below)
    return any(same_content(v.resource, entry.resource) for v in archived if v.resource is not None)
