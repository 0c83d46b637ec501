"""Opening the store: the database handle and one ResourceStore per resource type."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beanie import init_beanie

from gateway.db import make_client
from gateway.domain.documents import ALL_DOCUMENTS, DOCUMENTS, HistoryDocument
from gateway.errors import NotFound
from gateway.search.index import build_indexer
from gateway.services.store import ResourceStore
from gateway.settings import Settings
from mappers.registry import MAPPERS


@dataclass(slots=True)
class Services:
    """What every interaction needs; built once per app (or CLI run)."""

    settings: Settings
    client: Any
    stores: dict[str, ResourceStore]

    def store(self, resource_type: str) -> ResourceStore:
        store = self.stores.get(resource_type)
        if store is None:
            raise NotFound(
                f"Resource type `{resource_type}` is not supported by this server.",
                code="MSG_UNKNOWN_TYPE",
            )
        return store

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
    return Services(settings=settings, client=client, stores=stores)
