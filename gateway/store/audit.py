"""The audit trail's store: AuditEvents the gateway records, append-only.

Issue 13, part 5: every request is recorded as an R4 AuditEvent (gateway.auth.audit), "append-only
(no update or delete through the API)". AuditEvent gets its own `AuditStore`: a `ResourceStore`
over the AuditEvent collection of the gateway's database, so read, vread, every R4 AuditEvent
search parameter (`date`, `agent`, `entity`, `patient`, `outcome`, `type`, `subtype`, `action`...),
paging, `_summary` and `_elements` work as for any type, while every write the services, Bundles
and the import make through a store is refused with 405 (`refuse`): one check every write passes,
as for the read-only conformance types (gateway.store.conformance).

The one way in is `append`, which the audit writer alone calls (gateway.http.audit_trail): a bulk
insert of the events as stored documents, each at version 1, built directly in the generic
record's shape (`fhir_rest`: the event less `resourceType` and `id`; a test compares it with what
`stored_document` makes) and indexed by the type's indexer. It skips the model validation and
deep copy a write pays (the events are built valid by gateway.auth.audit and handed over), which
keeps auditing cheap: bench/bench_audit.py measures it.

`reindex` stays allowed: it is the operator's CLI (`fhir-gateway reindex`), never the API, and it
rewrites search keys only, never an event's content, version or time; refusing it would stop a
reindex of every type at the first type holding events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

from gateway.domain.time import utc_now
from gateway.errors import MethodNotAllowed
from gateway.jsonio import Json
from gateway.search.index import build_indexer
from gateway.store.collection import Database, OwnedDocument
from gateway.store.history import HistoryStore
from gateway.store.indexes import collection_name
from gateway.store.repository import Indexer, ResourceStore
from mappers.generic import generic_mapper

__all__ = ["AUDIT_TYPE", "AuditStore", "audit_refusal", "audit_store"]

AUDIT_TYPE = "AuditEvent"


def audit_refusal() -> MethodNotAllowed:
    """The answer to any write of an AuditEvent through the API."""
    return MethodNotAllowed(
        "AuditEvents are recorded by the gateway and cannot be created, changed or deleted "
        "through the API.",
        code="MSG_OP_NOT_ALLOWED",
    )


class AuditStore(ResourceStore):
    """AuditEvents: read and searched as any type; written only by `append`."""

    def refuse(self) -> NoReturn:
        raise audit_refusal()

    def check_writable(self) -> NoReturn:
        self.refuse()

    async def write(self, *args: Any, **kwargs: Any) -> NoReturn:
        self.refuse()

    async def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        self.refuse()

    async def insert_many(self, documents: list[OwnedDocument]) -> NoReturn:
        self.refuse()

    async def append(self, events: Sequence[Json]) -> None:
        """Store `events` (AuditEvents with their ids, from gateway.auth.audit) as new
        resources at version 1, in one unordered bulk insert. The events are handed over: the
        stored documents share their containers."""
        if not events:
            return
        if not self.indexed:
            await self.create_indexes()
        updated = utc_now()
        documents = [
            self.storable(event_document(event, self.indexer, updated=updated)) for event in events
        ]
        await self.collection.insert_many(documents, ordered=False)


def event_document(event: Json, indexer: Indexer, *, updated: Any) -> OwnedDocument:
    """The document a create of `event` would store at version 1 (the generic record's shape)."""
    rest = {key: value for key, value in event.items() if key not in ("resourceType", "id")}
    document = OwnedDocument(
        _id=event["id"], version_id=1, last_updated=updated, written_by="POST", fhir_rest=rest
    )
    document.update(indexer(document))
    return document


def audit_store(database: Database, history: HistoryStore) -> AuditStore:
    """The AuditEvent store of `database`; its collection and indexes appear with the first
    event, as for any type kept whole."""
    return AuditStore(
        generic_mapper(AUDIT_TYPE),
        database[collection_name(AUDIT_TYPE)],
        history,
        build_indexer(AUDIT_TYPE),
        indexed=False,
    )
