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
from typing import Any

import orjson

from gateway.domain.time import utc_now
from gateway.errors import GatewayError, Issue
from gateway.services import conditional, resources
from gateway.services.context import Services
from gateway.services.imports.readers import Item
from gateway.services.imports.validation import Validator, Verdicts
from mappers.base import FhirJson
from mappers.outcome import operation_outcome

NAMESPACE = uuid.UUID("6f0bd2a3-43a3-4bd2-9d56-0a5a6d2f7c11")  # fhir-gateway import ids
OUTCOMES = ("created", "updated", "unchanged", "failed")
AHEAD = 2  # batches in validation while one is mapped and written


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
    item: Item
    resource: FhirJson
    resource_type: str
    issues: list[Issue]
    target: str = ""
    record: Any = None


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
        validator: Validator | None = None,
    ) -> None:
        self.services, self.keep_ids, self.dry_run = services, keep_ids, dry_run
        self.validator = validator or Validator()
        self.batch_size = batch_size
        self.on_failure = on_failure or (lambda failure: None)
        self.on_progress = on_progress or (lambda count: None)
        self.report = Report()
        self.resolved: dict[str, str] = {}  # conditional reference -> Type/id
        self.matched: dict[tuple[str, str], str] = {}  # (type, identity criteria) -> target
        self.urls: dict[str, str] = {}  # fullUrl -> Type/target, for the file being read
        self.source: object = None
        self.waiting: list[Item] = []  # items of this file naming a fullUrl not yet seen
        self.file_done = False
        self.deferred: list[Item] = []  # items whose conditional references did not resolve yet
        self.retrying = False

    async def run(self, items: Iterable[Item]) -> Report:
        """Import everything, a file's items in batches that never mix files. An item naming a
        `urn:` fullUrl that comes later in its Bundle waits for the end of that file; one whose
        conditional references name resources a later file brings (Encounters before
        Practitioners) is retried once at the end of the run. The next batches are validated
        (by the validator's workers, if it has any) while one is mapped and written."""
        with _collect_rarely():
            return await self._run(items)

    async def _run(self, items: Iterable[Item]) -> Report:
        ahead: deque[tuple[list[Item], asyncio.Future[Verdicts]]] = deque()
        try:
            for batch in _file_chunks(items, self.batch_size):
                ahead.append((batch, self.validator.submit(batch)))
                if len(ahead) > AHEAD:
                    await self._next_batch(*ahead.popleft())
            while ahead:
                await self._next_batch(*ahead.popleft())
        finally:
            for _, verdicts in ahead:
                verdicts.cancel()
        await self._finish_file()
        self.retrying, deferred, self.deferred = True, self.deferred, []
        self.file_done = True  # a fullUrl not known by now is not coming
        for batch in _file_chunks(deferred, self.batch_size):
            if batch[0].source != self.source:
                self.source, self.urls = batch[0].source, {}
            await self._batch(batch)
        return self.report

    async def _next_batch(self, batch: list[Item], verdicts: asyncio.Future[Verdicts]) -> None:
        if batch[0].source != self.source:
            await self._finish_file()
            self.source, self.urls = batch[0].source, {}  # fullUrls are local to a file
        await self._batch(batch, await verdicts)

    async def _finish_file(self) -> None:
        waiting, self.waiting = self.waiting, []
        self.file_done = True
        for batch in _chunks(waiting, self.batch_size):
            await self._batch(batch)
        self.file_done = False

    async def _batch(self, items: list[Item], verdicts: Verdicts | None = None) -> None:
        if verdicts is None:
            verdicts = await self.validator.submit(items)
        pending: list[_Pending] = []
        for item, issues in zip(items, verdicts, strict=True):
            if item.resource is None:
                self._fail(
                    item, "unknown", Issue(item.error or "Unreadable item.", code="structure")
                )
                continue
            resource_type = str(item.resource.get("resourceType", "unknown"))
            entry = _Pending(item, item.resource, resource_type, issues)
            try:
                entry.target = await self._target(entry)
            except GatewayError as error:
                self._fail(item, resource_type, *error.issues)
                continue
            if item.full_url:
                self.urls[item.full_url] = f"{resource_type}/{entry.target}"
            pending.append(entry)
        accepted = [e for e in pending if await self._accept(e, self.urls)]
        await self._write(accepted)
        self.on_progress(len(items))

    async def _target(self, entry: _Pending) -> str:
        """The id this resource gets (see the module docstring)."""
        resource, resource_type = entry.resource, entry.resource_type
        if not self.services.keeps(resource_type):
            raise GatewayError(f"`{resource_type}` is not a resource type this server keeps.",
                               issues=[Issue(f"Unknown resource type `{resource_type}`.",
                                             code="not-supported", expression="resourceType")])  # fmt: skip
        request = entry.item.request or {}
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
                return self.matched[key]
        return local_target(resource_type, resource, request, keep_ids=self.keep_ids)

    async def _accept(self, entry: _Pending, urls: dict[str, str]) -> bool:
        copy, holders = _rewrite(entry.resource, urls, self.keep_ids)
        resource = {**copy, "id": entry.target}
        unknown = [h["reference"] for h in holders if h["reference"].startswith("urn:")]
        if unknown and not self.file_done:
            self.waiting.append(entry.item)
            return False
        if unknown:
            issue = Issue(f"Reference `{unknown[0]}` names no entry of its Bundle.",
                          code="not-found", expression=f"{entry.resource_type}")  # fmt: skip
            self._fail(entry.item, entry.resource_type, issue)
            return False
        if entry.issues:
            self._fail(entry.item, entry.resource_type, *entry.issues)
            return False
        try:
            await self._resolve_conditional(holders)
            store = self.services.store(entry.resource_type)
            entry.record = resources.accept(store, resource, checked=True)
        except GatewayError as error:
            if not self.retrying and _unresolved(error):
                self.deferred.append(entry.item)
            else:
                self._fail(entry.item, entry.resource_type, *error.issues)
            return False
        entry.resource = resource
        return True

    async def _resolve_conditional(self, holders: list[dict[str, Any]]) -> None:
        for holder in holders:
            reference = holder["reference"]
            if "?" in reference and not reference.startswith(("#", "urn:")):
                if reference not in self.resolved:
                    self.resolved[reference] = await conditional.resolve_reference(
                        self.services, reference
                    )
                holder["reference"] = self.resolved[reference]

    async def _write(self, accepted: list[_Pending]) -> None:
        by_type: dict[str, list[_Pending]] = {}
        for entry in accepted:
            by_type.setdefault(entry.resource_type, []).append(entry)
        for resource_type, entries in by_type.items():
            await self._write_type(resource_type, entries)

    async def _write_type(self, resource_type: str, entries: list[_Pending]) -> None:
        store = self.services.store(resource_type)
        targets = list(dict.fromkeys(e.target for e in entries))
        existing = {
            d["_id"]: d
            for d in await store.collection.find({"_id": {"$in": targets}}).to_list(None)
        }
        creates, seen = [], set()
        now = utc_now()
        for entry in entries:
            current = existing.get(entry.target)
            if entry.target in seen or (
                current is not None and _same(store, current, entry.resource)
            ):
                self.report.count(resource_type, "unchanged")
            elif current is not None:
                if not self.dry_run:
                    await resources.update(store, entry.target, entry.resource)
                self.report.count(resource_type, "updated")
            else:
                creates.append(store.document(entry.record, entry.target, 1, now, "POST"))
            seen.add(entry.target)
        if creates:
            stored = len(creates) if self.dry_run else len(await store.insert_many(creates))
            self.report.count(resource_type, "created", stored)
            if stored < len(creates):  # written meanwhile by another run: the same content
                self.report.count(resource_type, "unchanged", len(creates) - stored)

    def _fail(self, item: Item, resource_type: str, *issues: Issue) -> None:
        self.report.count(resource_type, "failed")
        self.report.failures += 1
        self.on_failure(Failure(str(item.source), item.position, operation_outcome(issues)))


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


def _chunks(items: Iterable[Item], size: int) -> Iterable[list[Item]]:
    batch: list[Item] = []
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
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("system") and identifier.get("value"):
            return f"identifier={identifier['system']}|{identifier['value']}"
    return None


def _fingerprint(resource: FhirJson) -> str:
    body = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def rewritten(resource: FhirJson, urls: dict[str, str], keep_ids: bool) -> FhirJson:
    """References to fullUrls of the same batch, and `Type/id` source references, as the ids
    those resources get; a copy, the item stays as read."""
    return _rewrite(resource, urls, keep_ids)[0]


def _rewrite(
    resource: FhirJson, urls: dict[str, str], keep_ids: bool
) -> tuple[FhirJson, list[dict[str, Any]]]:
    """`rewritten`, and the copy's objects holding a `reference`."""
    copy: FhirJson = orjson.loads(orjson.dumps(resource))
    holders = _holders(copy)
    for holder in holders:
        reference = holder["reference"]
        if reference in urls:
            holder["reference"] = urls[reference]
        elif not keep_ids and "/" in reference and not reference.startswith(("#", "urn:", "http")):
            parts = reference.split("/")
            if len(parts) in (2, 4) and parts[0][:1].isupper():
                holder["reference"] = f"{parts[0]}/{derived_id(parts[0], 'id', parts[1])}"
    return copy, holders


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


def _same(store: Any, current: dict[str, Any], resource: FhirJson) -> bool:
    """Whether the stored version already says exactly this (meta versions aside)."""
    stored = store.to_version(current).resource or {}
    return _comparable(stored) == _comparable(resource)


def _comparable(resource: FhirJson) -> FhirJson:
    result = dict(resource)
    meta = {
        k: v for k, v in result.pop("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    if meta:
        result["meta"] = meta
    return result
