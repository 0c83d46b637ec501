"""The opened database: a ResourceStore per resource type, the history, the claims.

Our four types' stores open with it; a type kept whole opens on its first use, and its
collection appears with its first write, so the 120-odd types nobody writes cost nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from beanie import init_beanie

from gateway.search.index import build_indexer
from gateway.store.audit import AUDIT_TYPE, AuditStore, audit_store
from gateway.store.checkpoints import CheckpointStore
from gateway.store.claims import ClaimStore
from gateway.store.collection import Database
from gateway.store.conformance import CONFORMANCE_TYPES, conformance_store
from gateway.store.documents import DOCUMENT_MODELS
from gateway.store.export_jobs import ExportJobStore
from gateway.store.history import HistoryStore
from gateway.store.indexes import CHECKPOINTS, CLAIMS, EXPORT_JOBS, HISTORY, collection_name
from gateway.store.repository import ResourceStore
from mappers.generic import generic_mapper
from mappers.registry import MAPPERS


class Storage:
    """Everything stored, behind typed stores. `client` is the driver's (Motor or the embedded
    store), for what spans collections: transactions (gateway.store.unit) and closing."""

    def __init__(self, client: Any, database: Database) -> None:
        self.client = client
        self.database = database
        self.history = HistoryStore(database[HISTORY])
        self.claims = ClaimStore(database[CLAIMS])
        self.checkpoints = CheckpointStore(database[CHECKPOINTS])
        self.export_jobs = ExportJobStore(database[EXPORT_JOBS])
        self.stores: dict[str, ResourceStore] = {}  # the stores opened so far
        for resource_type, mapper in MAPPERS.items():
            collection = database[collection_name(resource_type)]
            indexer = build_indexer(resource_type)
            self.stores[resource_type] = ResourceStore(mapper, collection, self.history, indexer)

    @classmethod
    async def open(cls, client: Any, database_name: str) -> Storage:
        """Open the database; `init_beanie` creates the domain collections' indexes."""
        database = client[database_name]
        await init_beanie(database=database, document_models=DOCUMENT_MODELS)
        return cls(client, database)

    def store(self, resource_type: str) -> ResourceStore:
        """The store of `resource_type`; one not among our four is kept whole (GenericRecord),
        the conformance types are served from `fhir_profiles/` (gateway.store.conformance), and
        AuditEvents are written by the audit trail alone (gateway.store.audit)."""
        store = self.stores.get(resource_type)
        if store is None and resource_type in CONFORMANCE_TYPES:
            store = self.stores[resource_type] = conformance_store(resource_type)  # read-only
        if store is None and resource_type == AUDIT_TYPE:  # append-only (gateway.store.audit)
            store = self.stores[resource_type] = audit_store(self.database, self.history)
        if store is None:
            store = ResourceStore(
                generic_mapper(resource_type),
                self.database[collection_name(resource_type)],
                self.history,
                build_indexer(resource_type),
                indexed=False,
            )
            self.stores[resource_type] = store
        return store

    @property
    def audit(self) -> AuditStore:
        """The AuditEvent store, whose `append` the audit writer alone calls."""
        store = self.store(AUDIT_TYPE)
        assert isinstance(store, AuditStore)  # registered above, never replaced
        return store

    async def holding(self, resource_types: Iterable[str]) -> list[str]:
        """Those of `resource_types` with any stored resource, in their order, without opening
        a store: both checks read metadata only (MongoDB's estimated count reads no document)."""
        present = set(await self.database.list_collection_names())
        found = []
        for resource_type in resource_types:
            name = collection_name(resource_type)
            if name in present and await self.database[name].estimated_document_count():
                found.append(resource_type)
        return found

    def close(self) -> None:
        self.client.close()
