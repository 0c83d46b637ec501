"""Running a Bundle's entries (https://hl7.org/fhir/R4/http.html#transaction).

A transaction runs its planned entries DELETE, POST, PUT, GET in one unit of work
(gateway.store.unit): the first failure undoes every write and fails the Bundle. A batch
runs each entry alone, as the interaction it names, and whatever happens to one entry is that
entry's answer: a client error its 4xx, anything unexpected a logged 500 for it alone, so the
batch-response always says exactly which entries were stored.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import parse_qsl

from gateway.errors import GatewayError, InvalidRequest, Issue, MethodNotAllowed, VersionConflict
from gateway.search.request import parse
from gateway.services import conditional, resources
from gateway.services.compartment_entries import compartment_get
from gateway.services.context import Services
from gateway.services.searchset import searchset
from gateway.services.transaction.batch_references import BatchReferences
from gateway.services.transaction.entries import ORDER, Entry, EntryFailed, Outcome
from gateway.services.transaction.plan import resolve_references
from gateway.store.unit import Unit, atomic
from mappers.outcome import operation_outcome

log = logging.getLogger(__name__)


async def run_transaction(
    services: Services, entries: list[Entry], base_urls: tuple[str, ...]
) -> list[Outcome]:
    """The planned entries' outcomes in request order; all written, or none (EntryFailed)."""
    outcomes: dict[int, Outcome] = {}
    async with atomic(services.client, embedded=services.settings.embedded) as unit:
        for entry in sorted(entries, key=lambda e: (ORDER[e.method], e.index)):
            try:
                outcomes[entry.index] = await _execute(services, entry, base_urls, unit)
            except GatewayError as error:
                raise EntryFailed(entry.index, error) from error
    return [outcomes[entry.index] for entry in entries]


async def run_batch(
    services: Services, entries: list[Entry], base_urls: tuple[str, ...]
) -> list[Outcome]:
    """Each entry's outcome, in request order, each run on its own; a conditional reference
    is searched once for the batch until an entry writes what could change its answer."""
    cache = BatchReferences(base_urls)
    outcomes = []
    for entry in entries:
        outcomes.append(await _batch_entry(services, entry, cache))
        cache.written(entry.method, entry.resource_type)
    return outcomes


async def _batch_entry(services: Services, entry: Entry, cache: BatchReferences) -> Outcome:
    base_urls = cache.base_urls
    try:
        if entry.resource is not None:
            await resolve_references(services, entry.resource, cache.resolved, base_urls)
        return await _execute(services, entry, base_urls, None)
    except GatewayError as error:
        return Outcome.failed(error.status, error.issues)
    except Exception:  # a fault of ours: this entry's 500, never the whole batch's
        incident = uuid.uuid4().hex[:12]
        log.exception("Unexpected error %s in batch entry %d", incident, entry.index)
        text = f"Internal error (incident `{incident}`); it has been logged."
        return Outcome.failed(500, [Issue(text, code="exception", severity="fatal")])


async def _execute(
    services: Services, entry: Entry, base_urls: tuple[str, ...], unit: Unit | None
) -> Outcome:
    if entry.method == "DELETE":
        return await _delete(services, entry, base_urls, unit)
    if entry.method == "POST":
        return await _post(services, entry, base_urls, unit)
    if entry.method == "PUT":
        return await _put(services, entry, base_urls, unit)
    if entry.method in ("GET", "HEAD"):
        return await _get(services, entry, base_urls)
    raise MethodNotAllowed(f"`{entry.method}` is not supported in Bundles.")


async def _post(
    services: Services, entry: Entry, base_urls: tuple[str, ...], unit: Unit | None
) -> Outcome:
    assert entry.resource is not None
    store = services.store(entry.resource_type)
    if entry.if_none_exist:
        written = await conditional.conditional_create(
            services, store, entry.resource, entry.if_none_exist,
            base_urls=base_urls, resource_id=entry.target_id, unit=unit, known=entry.known,
        )  # fmt: skip
        if entry.target_id is not None and written.version.id != entry.target_id:
            raise VersionConflict(
                f"`{entry.resource_type}?{entry.if_none_exist}` was created concurrently."
            )
    else:
        written = await resources.create(
            store, entry.resource, resource_id=entry.target_id, unit=unit,
            profiles=services.profiles,
        )  # fmt: skip
    return Outcome("201 Created" if written.created else "200 OK", written.version)


async def _put(
    services: Services, entry: Entry, base_urls: tuple[str, ...], unit: Unit | None
) -> Outcome:
    assert entry.resource is not None
    store = services.store(entry.resource_type)
    if entry.criteria:
        written = await conditional.conditional_update(
            services, store, entry.resource, entry.criteria,
            base_urls=base_urls, unit=unit, new_id=entry.target_id,
        )  # fmt: skip
    elif entry.resource_id:
        written = await resources.update(
            store, entry.resource_id, entry.resource, if_match=entry.if_match, unit=unit,
            profiles=services.profiles,
        )  # fmt: skip
    else:
        raise InvalidRequest(
            "PUT needs `Type/id` or `Type?criteria` as its url.", expression="request.url"
        )
    if not written.changed:
        return Outcome("200 OK", written.version, outcome=operation_outcome([resources.NO_CHANGE]))
    return Outcome("201 Created" if written.created else "200 OK", written.version)


async def _delete(
    services: Services, entry: Entry, base_urls: tuple[str, ...], unit: Unit | None
) -> Outcome:
    store = services.store(entry.resource_type)
    target = entry.target_id or entry.resource_id
    if target:
        version = await resources.delete(store, target, if_match=entry.if_match, unit=unit)
    elif entry.criteria:
        version = await conditional.conditional_delete(
            services, store, entry.criteria, base_urls=base_urls, unit=unit
        )
    else:
        raise InvalidRequest(
            "DELETE needs `Type/id` or `Type?criteria` as its url.", expression="request.url"
        )
    return Outcome("204 No Content", extra={"etag": f'W/"{version.version_id}"'})


async def _get(services: Services, entry: Entry, base_urls: tuple[str, ...]) -> Outcome:
    """A read, vread or search entry: its answer is the entry's resource, always."""
    scoped = await compartment_get(services, entry.url, base=base_urls[0] if base_urls else "")
    if scoped is not None:
        return Outcome("200 OK", resource=scoped)
    store = services.store(entry.resource_type)
    if entry.resource_id and entry.version_id:
        version = await resources.vread(store, entry.resource_id, entry.version_id)
        return Outcome("200 OK", version, resource=version.resource)
    if entry.resource_id:
        version = await resources.read(store, entry.resource_id)
        return Outcome("200 OK", version, resource=version.resource)
    settings = services.settings
    searched = parse(
        entry.resource_type,
        parse_qsl(entry.criteria or "", keep_blank_values=True),
        default_count=settings.default_page_size,
        max_count=settings.max_page_size,
    )
    bundle = await searchset(services, searched, base=base_urls[0] if base_urls else "")
    return Outcome("200 OK", resource=bundle)
