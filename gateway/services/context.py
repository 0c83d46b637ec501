"""Opening the store: the database handle and one ResourceStore per resource type.

Our four types' stores open with the services; a type kept whole opens on its first use
(gateway.services.generic), so `Services.store` answers for every kept type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from beanie import init_beanie

from gateway.db import make_client
from gateway.domain.documents import ALL_DOCUMENTS, DOCUMENTS, HistoryDocument
from gateway.errors import NotFound
from gateway.search.index import build_indexer
from gateway.services.generic import GenericStore, generic_types
from gateway.services.store import ResourceStore
from gateway.settings import Settings
from mappers.registry import MAPPERS


@dataclass(slots=True)
class Services:
    """What every interaction needs; built once per app (or CLI run)."""

    settings: Settings
    client: Any
    stores: dict[str, ResourceStore]  # the stores opened so far
    database: Any
    history: Any
    collections: dict[str, Any] = field(default_factory=dict)

    def collection(self, name: str) -> Any:
        """A collection of the database, opened once (opening one costs more than a lookup)."""
        if name not in self.collections:
            self.collections[name] = self.database[name]
        return self.collections[name]

    def store(self, resource_type: str) -> ResourceStore:
        store = self.stores.get(resource_type)
        if store is None:
            if resource_type not in generic_types():
                raise NotFound(
                    f"Resource type `{resource_type}` is not supported by this server.",
                    code="MSG_UNKNOWN_TYPE",
                )
            store = GenericStore(resource_type, self.database, self.history)
            self.stores[resource_type] = store
        return store

    def keeps(self, resource_type: str) -> bool:
        """Whether `resource_type` is stored here (its store may not be open yet)."""
        return resource_type in self.stores or resource_type in generic_types()

    def close(self) -> None:
        self.client.close()


async def open_services(settings: Settings) -> Services:
    client = make_client(settings)
    database = client[settings.mongodb_database]
    await init_beanie(database=database, document_models=ALL_DOCUMENTS)
    history = HistoryDocument.get_motor_collection()
    stores = {
        resource_type: ResourceStore(
            MAPPERS[resource_type],
            DOCUMENTS[resource_type].get_motor_collection(),
            history,
            build_indexer(resource_type),
        )
        for resource_type in MAPPERS
    }
    return Services(
        settings=settings, client=client, stores=stores, database=database, history=history
    )
