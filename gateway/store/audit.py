"""The audit trail's store: AuditEvents the gateway records, append-only.

Issue 13, part 5: every request is recorded as an R4 AuditEvent (mappers.audit_event), "append-only
(no update or delete through the API)". AuditEvent gets its own `AuditStore`: a `ResourceStore`
over the AuditEvent collection of the gateway's database, so read, vread, every R4 AuditEvent
search parameter (`date`, `agent`, `entity`, `patient`, `outcome`, `type`, `subtype`, `action`...),
paging, `_summary` and `_elements` work as for any type, while every write the services, Bundles
and the import make through a store is refused with 405 (`refuse`): one check every write passes,
as for the read-only conformance types (gateway.store.conformance).

The one way in is `append`, which the audit writer alone calls (gateway.http.audit_trail): a bulk
insert of the requests' `AuditRecord`s, each at version 1, stored as the record's fields
(mappers/audit_document.py, which maps them to the R4 AuditEvent when read) beside search keys
read off those fields (gateway.store.audit_index, tested equal to what the generic indexer makes
of the event). An event is written for every request, so its cost is the audit's cost: a small
flat document inserts several times faster than the event kept whole, and the keys cost a
fraction of evaluating R4's eighteen expressions over the event (bench/bench_audit.py).

`reindex` stays allowed: it is the operator's CLI (`fhir-gateway reindex`), never the API, and it
rewrites search keys only, never an event's content, version or time; refusing it would stop a
reindex of every type at the first type holding events.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, NoReturn

from gateway.domain.time import utc_now
from gateway.errors import MethodNotAllowed
from gateway.search.index import build_indexer
from gateway.store.audit_index import audit_keys
from gateway.store.collection import Database, Document, OwnedDocument
from gateway.store.embedded import insert_built
from gateway.store.history import HistoryStore
from gateway.store.indexes import collection_name
from gateway.store.refusing import WriteRefusingStore
from gateway.store.repository import stored_document
from mappers.audit_document import AUDIT_MAPPER, RECORD_FIELD, record_fields
from mappers.audit_event import AuditRecord

__all__ = ["AUDIT_TYPE", "AuditStore", "audit_refusal", "audit_store"]

AUDIT_TYPE = "AuditEvent"


def audit_refusal() -> MethodNotAllowed:
    """The answer to any write of an AuditEvent through the API."""
    return MethodNotAllowed(
        "AuditEvents are recorded by the gateway and cannot be created, changed or deleted "
        "through the API.",
        code="MSG_OP_NOT_ALLOWED",
    )


class AuditStore(WriteRefusingStore):
    """AuditEvents: read and searched as any type; written only by `append`."""

    def refuse(self) -> NoReturn:
        raise audit_refusal()

    async def append(
        self, records: Sequence[AuditRecord], *, observer: str, ids: Sequence[str] | None = None
    ) -> None:
        """Store the events of `records`, recorded by the gateway `observer`, as new resources
        at version 1 (ids: `ids`, or new random ones), in one unordered bulk insert."""
        if not records:
            return
        if not self.indexed:
            await self.create_indexes()
        updated = utc_now()
        # 128 random bits as 32 hex digits (a valid R4 id): uuid4's randomness, a quarter its cost
        names = ids if ids is not None else [os.urandom(16).hex() for _ in records]
        documents = [
            self.storable(event_document(record, id=id, observer=observer, updated=updated))
            for record, id in zip(records, names, strict=True)
        ]
        if not insert_built(self.collection, documents):  # the embedded store's fast path
            await self.collection.insert_many(documents, ordered=False)

    def rebuilt(self, document: Document) -> OwnedDocument:
        """`document` with its search keys as `append` makes them today (reindex)."""
        if "fhir_rest" in document:  # kept whole, before events were stored as records
            record = self.mapper.from_fhir(self.mapper.document_to_fhir(document))
            return stored_document(
                record, build_indexer(AUDIT_TYPE), document["_id"], document["version_id"],
                document["last_updated"], document.get("written_by", "POST"),
            )  # fmt: skip
        kept = {k: v for k, v in document.items() if k not in ("index", "sort", "exact")}
        return OwnedDocument(kept, **audit_keys(kept[RECORD_FIELD]))


def event_document(record: AuditRecord, *, id: str, observer: str, updated: Any) -> OwnedDocument:
    """The stored form of `record`'s event: service fields, the record's, the search keys."""
    stored = record_fields(record, observer=observer)
    return OwnedDocument(
        {"_id": id, "version_id": 1, "last_updated": updated, "written_by": "POST"},
        **{RECORD_FIELD: stored},
        **audit_keys(stored),
    )


def _keys(document: Document) -> Document:
    """The store's indexer: the search keys of a stored event."""
    return audit_keys(document[RECORD_FIELD])


def audit_store(database: Database, history: HistoryStore) -> AuditStore:
    """The AuditEvent store of `database`; its collection and indexes appear with the first
    event, as for any type kept whole."""
    return AuditStore(
        AUDIT_MAPPER, database[collection_name(AUDIT_TYPE)], history, _keys, indexed=False
    )
