"""Bulk import into the store: streamed items in, per-type counts and an error report out.

Idempotent by construction: every resource's id is decided from what it is, not when it
arrives — the source id with `--keep-ids`; otherwise an existing Patient (or an entry with
`ifNoneExist`) matched on its identifier; otherwise a UUID derived from the source's
`Type/id`, from the identifier, or from the content. A re-run therefore writes to the same
ids, finds the same content there and counts it unchanged; an interrupted run re-run finishes
the rest. References follow the same derivation (`urn:uuid:` within a file, `Type/id` across
files), so they point at the ids the referenced resources get.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from gateway.db import OwnedDocument
from gateway.domain.time import utc_now
from gateway.errors import GatewayError, Issue
from gateway.jsonio import deep_copy, dumps
from gateway.services import conditional, resources
from gateway.services.context import Services
from gateway.services.imports.preparation import Prepared, Preparer
from gateway.services.imports.readers import NO_RESOURCE, Item
from gateway.services.store import same_content
from mappers.base import FhirJson
from mappers.outcome import operation_outcome

T = TypeVar("T")
NAMESPACE = uuid.UUID("6f0bd2a3-43a3-4bd2-9d56-0a5a6d2f7c11")  # fhir-gateway import ids
OUTCOMES = ("created", "updated", "unchanged", "skipped", "failed")
AHEAD = 2  # batches in preparation while one is written
PAST_VERSIONS = 1_000  # how far back "held before" looks (see _write_existing)


@dataclass(slots=True)
class Failure:
    """One item that could not be imported: where it was, and why."""

    source: str
    position: str
    outcome: FhirJson

    def as_json(self) -> FhirJson:
        return {"file": self.source, "position": self.position, "outcome": self.outcome}


@dataclass(slots=True)
class Report:
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    failures: int = 0

    def count(self, resource_type: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(resource_type, Counter())[outcome] += n

    @property
    def resources(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())

    @property
    def ok(self) -> bool:
        return self.failures == 0


@dataclass(slots=True)
class _Pending:
    """An item with its id decided; `resource` is the copy to store once references are."""

    item: Item
    resource_type: str
    target: str
    resource: FhirJson = field(default_factory=dict)
    holders: list[dict[str, Any]] = field(default_factory=list)
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
        self.preparer = preparer or Preparer()
        self.batch_size = batch_size
        self.on_failure = on_failure or (lambda failure: None)
        self.on_progress = on_progress or (lambda count: None)
        self.report = Report()
        self.resolved: dict[str, str] = {}  # conditional reference -> Type/id
        self.matched: dict[tuple[str, str], str] = {}  # (type, identity criteria) -> target
        self.urls: dict[str, str] = {}  # fullUrl -> Type/target, for the file being read
        self.source: object = None
        self.waiting: list[_Pending] = []  # entries of this file naming a fullUrl not yet seen
        self.deferred: list[_Pending] = []  # conditional references that did not resolve yet
        self.retrying = False

    async def run(self, items: Iterable[Item]) -> Report:
        """Import everything, a file's items in batches that never mix files. The items'
        resources become the importer's: it rewrites their references in place.

        Each batch is given its ids and rewritten references here, in reading order, then
        prepared (validated, mapped, indexed: by the preparer's workers, if it has any) while
        the batches before it are written. An item naming a `urn:` fullUrl that comes later in
        its Bundle waits for the end of that file; one whose conditional references name
        resources a later file brings (Encounters before Practitioners) is retried once at the
        end of the run."""
        with _collect_rarely():
            return await self._run(items)

    async def _run(self, items: Iterable[Item]) -> Report:
        ahead: deque[tuple[_Batch, asyncio.Future[list[Prepared]]]] = deque()
        try:
            for batch in _file_chunks(items, self.batch_size):
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
        for chunk in _chunks(deferred, self.batch_size):
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
                self._unreadable(item)
                continue
            resource_type = str(item.resource.get("resourceType", "unknown"))
            try:
                entry = _Pending(item, resource_type, await self._target(item, resource_type))
            except GatewayError as error:
                self._fail(item, resource_type, *error.issues)
                continue
            if item.full_url:
                self.urls[item.full_url] = f"{resource_type}/{entry.target}"
            entries.append(entry)
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
        holders = _own_holders(resource)
        as_read = [holder["reference"] for holder in holders]
        _rewrite_references(holders, self.urls, self.keep_ids)
        unknown = [h["reference"] for h in holders if h["reference"].startswith("urn:")]
        if unknown and not file_done:
            for holder, reference in zip(holders, as_read, strict=True):
                holder["reference"] = reference  # rewritten again, whole, at the end of the file
            self.waiting.append(entry)
            return False
        if unknown:
            issue = Issue(f"Reference `{unknown[0]}` names no entry of its Bundle.",
                          code="not-found", expression=f"{entry.resource_type}")  # fmt: skip
            self._fail(entry.item, entry.resource_type, issue)
            return False
        body = {key: value for key, value in resource.items() if key != "id"}
        entry.resource = {"resourceType": entry.resource_type, "id": entry.target, **body}
        entry.holders = holders
        entry.conditional = any(_is_conditional(h["reference"]) for h in holders)
        return True

    def _submit(self, batch: _Batch) -> asyncio.Future[list[Prepared]]:
        return self.preparer.submit([(e.resource, not e.conditional) for e in batch.entries])

    async def _target(self, item: Item, resource_type: str) -> str:
        """The id this resource gets (see the module docstring)."""
        resource = item.resource or {}
        if not self.services.keeps(resource_type):
            raise GatewayError(f"`{resource_type}` is not a resource type this server keeps.",
                               issues=[Issue(f"Unknown resource type `{resource_type}`.",
                                             code="not-supported", expression="resourceType")])  # fmt: skip
        request = item.request or {}
        if not (self.keep_ids and isinstance(resource.get("id"), str)):
            criteria = request.get("ifNoneExist") or _identity_criteria(resource)
            if criteria and (resource_type == "Patient" or request.get("ifNoneExist")):
                key = (resource_type, criteria)
                if key not in self.matched:  # the same patient in many files: one look-up
                    found = await conditional.matching_ids(self.services, resource_type, criteria)
                    self.matched[key] = (
                        found[0]
                        if len(found) == 1
                        else local_target(resource_type, resource, request, keep_ids=False)
                    )
                target = self.matched[key]
                # Its other identifiers name it too: a later file may list them first, before
                # this resource is written (batches are targeted ahead of their writing).
                for other in _all_identity_criteria(resource):
                    self.matched.setdefault((resource_type, other), target)
                return target
        return local_target(resource_type, resource, request, keep_ids=self.keep_ids)

    async def _write_batch(self, batch: _Batch, prepared: asyncio.Future[list[Prepared]]) -> None:
        ready: list[_Pending] = []
        for entry, verdict in zip(batch.entries, await prepared, strict=True):
            if verdict.issues:
                self._fail(entry.item, entry.resource_type, *verdict.issues)
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
                self._fail(entry.item, entry.resource_type, *error.issues)
            return False
        entry.document = store.document(record, entry.target, 1, utc_now(), "POST")
        return True

    async def _resolve_conditional(self, holders: list[dict[str, Any]]) -> None:
        for holder in holders:
            reference = holder["reference"]
            if _is_conditional(reference):
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
        existing = {
            d["_id"]: d
            for d in await store.collection.find({"_id": {"$in": list(first)}}).to_list(None)
        }
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

    async def _write_existing(self, store: Any, entry: _Pending, current: dict[str, Any]) -> None:
        """Update a stored resource, unless it holds this content now or held it before: an
        import never moves a resource back to a version it superseded, so re-running files
        that carry two versions of one resource (a preliminary and a final result) changes
        nothing, and re-sending an old file does not undo a correction."""
        resource_type = entry.resource_type
        stored = store.to_version(current).resource or {}
        if same_content(stored, entry.resource) or await _held_before(store, entry):
            self.report.count(resource_type, "unchanged")
            return
        if not self.dry_run:
            await resources.update(store, entry.target, entry.resource)
        self.report.count(resource_type, "updated")

    def _unreadable(self, item: Item) -> None:
        skipped = skipped_type(item)
        if skipped is not None:
            self.report.count(skipped, "skipped")
            return
        self._fail(item, "unknown", Issue(item.error or "Unreadable item.", code="structure"))

    def _fail(self, item: Item, resource_type: str, *issues: Issue) -> None:
        self.report.count(resource_type, "failed")
        self.report.failures += 1
        self.on_failure(Failure(str(item.source), item.position, operation_outcome(issues)))


def skipped_type(item: Item) -> str | None:
    """The type an item without a resource is skipped under, or None if it failed. An import
    adds data: a Bundle entry that only requests (GET, HEAD, DELETE) or only answers (the
    entries of a `*-response` Bundle) carries none, so it is skipped, not run."""
    if item.resource is not None or item.error != NO_RESOURCE:
        return None
    request, response = item.request or {}, item.response or {}
    if str(request.get("method", "")).upper() in ("GET", "HEAD", "DELETE"):
        return _named_type(request.get("url"))
    if (item.bundle_type or "").endswith("-response"):
        return _named_type(response.get("location"))
    return None


def _named_type(url: Any) -> str:
    """`Patient` of `Patient/1`, `/Patient?name=x` or `https://host/fhir/Patient/1/_history/2`."""
    path = str(url or "").split("?")[0].strip("/").split("/")
    types = [part for part in path if part[:1].isupper() and part.isalpha()]
    return types[0] if types else "unknown"


def local_target(
    resource_type: str, resource: FhirJson, request: FhirJson, *, keep_ids: bool
) -> str:
    """The id decided without the store: the source id (`--keep-ids`), else one derived from
    the source `Type/id`, the identifier, or the content."""
    source_id = resource.get("id")
    if keep_ids and isinstance(source_id, str):
        return resources.check_id(source_id)
    if isinstance(source_id, str):
        return derived_id(resource_type, "id", source_id)
    criteria = request.get("ifNoneExist") or _identity_criteria(resource)
    if criteria:
        return derived_id(resource_type, "identifier", criteria)
    return derived_id(resource_type, "content", _fingerprint(resource))


@contextmanager
def _collect_rarely() -> Iterator[None]:
    """Fewer cyclic garbage collections while importing. Validation and mapping allocate
    millions of short-lived objects, each young collection also walks what the embedded store
    keeps, and the default thresholds made that a quarter of an import's time
    (bench/bench_import.py). Reference counting still frees everything acyclic at once."""
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _file_chunks(items: Iterable[Item], size: int) -> Iterable[list[Item]]:
    """Batches of at most `size` items, never spanning two files."""
    batch: list[Item] = []
    for item in items:
        if batch and (len(batch) >= size or item.source != batch[-1].source):
            yield batch
            batch = []
        batch.append(item)
    if batch:
        yield batch


def _chunks(items: Iterable[T], size: int) -> Iterable[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _unresolved(error: GatewayError) -> bool:
    return any(issue.details_code == "MSG_CONDITIONAL_REFERENCE" for issue in error.issues)


def derived_id(resource_type: str, kind: str, value: str) -> str:
    """A stable id for a resource arriving without one the gateway should keep."""
    return str(uuid.uuid5(NAMESPACE, f"{resource_type}|{kind}|{value}"))


def _identity_criteria(resource: FhirJson) -> str | None:
    """`identifier=system|value` of the first full identifier, the import's matching key."""
    return next(iter(_all_identity_criteria(resource)), None)


def _all_identity_criteria(resource: FhirJson) -> list[str]:
    identifiers = resource.get("identifier")
    return [
        f"identifier={identifier['system']}|{identifier['value']}"
        for identifier in (identifiers if isinstance(identifiers, list) else [])
        if isinstance(identifier, dict)
        and isinstance(identifier.get("system"), str)
        and isinstance(identifier.get("value"), str)
        and identifier["system"]
        and identifier["value"]
    ]


def _is_conditional(reference: str) -> bool:
    return "?" in reference and not reference.startswith(("#", "urn:"))


async def _held_before(store: Any, entry: _Pending) -> bool:
    """Whether a superseded version of the resource said exactly this."""
    archived = await store.archived(entry.target, limit=PAST_VERSIONS)
    return any(same_content(v.resource, entry.resource) for v in archived if v.resource is not None)


def _fingerprint(resource: FhirJson) -> str:
    body = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    return hashlib.sha256(dumps(body, sort_keys=True)).hexdigest()


def rewritten(resource: FhirJson, urls: dict[str, str], keep_ids: bool) -> FhirJson:
    """References to fullUrls of the same batch, and `Type/id` source references, as the ids
    those resources get; a copy, the item stays as read."""
    copy: FhirJson = deep_copy(resource)
    _rewrite_references(_own_holders(copy), urls, keep_ids)
    return copy


def _own_holders(resource: FhirJson) -> list[dict[str, Any]]:
    """The objects holding the resource's references. A Bundle kept whole (a document) holds
    its entries' references among themselves: they name its own fullUrls, not the import's."""
    if resource.get("resourceType") == "Bundle":
        return _holders({k: v for k, v in resource.items() if k != "entry"})
    return _holders(resource)


def _rewrite_references(
    holders: list[dict[str, Any]], urls: dict[str, str], keep_ids: bool
) -> None:
    for holder in holders:
        reference = holder["reference"]
        if reference in urls:
            holder["reference"] = urls[reference]
        elif not keep_ids and "/" in reference and not reference.startswith(("#", "urn:", "http")):
            parts = reference.split("/")
            if len(parts) in (2, 4) and parts[0][:1].isupper():
                holder["reference"] = f"{parts[0]}/{derived_id(parts[0], 'id', parts[1])}"


def _holders(value: Any) -> list[dict[str, Any]]:
    """The objects holding a string `reference`, at any depth (JSON as orjson parses it)."""
    found: list[dict[str, Any]] = []
    pending = [value]
    while pending:
        current = pending.pop()
        if type(current) is dict:
            if type(current.get("reference")) is str:
                found.append(current)
            for item in current.values():
                if type(item) is dict or type(item) is list:
                    pending.append(item)
        else:
            for item in current:
                if type(item) is dict or type(item) is list:
                    pending.append(item)
    return found
