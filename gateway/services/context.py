"""What every interaction needs: the settings and the opened store.

`Services.store` answers for every kept type (gateway.services.generic) and refuses the others;
services read and write only through the stores it gives (gateway.store).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.errors import NotFound
from gateway.services.generic import generic_types
from gateway.services.profiles import ProfilePolicy
from gateway.settings import Settings
from gateway.store.claims import ClaimStore
from gateway.store.client import make_client
from gateway.store.repository import ResourceStore
from gateway.store.storage import Storage


@dataclass(slots=True)
class Services:
    """Built once per app (or CLI run)."""

    settings: Settings
    storage: Storage
    # What writes are checked against (gateway.services.profiles); open_services reads it from
    # the settings, the default checks claimed profiles only.
    profiles: ProfilePolicy = field(default_factory=ProfilePolicy)

    @property
    def client(self) -> Any:
        """The driver's client, for units of work (gateway.store.unit.atomic)."""
        return self.storage.client

    @property
    def claims(self) -> ClaimStore:
        return self.storage.claims

    def store(self, resource_type: str) -> ResourceStore:
        store = self.storage.stores.get(resource_type)
        if store is not None:
            return store
        if resource_type not in generic_types():
            raise NotFound(
                f"Resource type `{resource_type}` is not supported by this server.",
                code="MSG_UNKNOWN_TYPE",
            )
        return self.storage.store(resource_type)

    def keeps(self, resource_type: str) -> bool:
        """Whether `resource_type` is stored here (its store may not be open yet)."""
        return resource_type in self.storage.stores or resource_type in generic_types()

    def close(self) -> None:
        self.storage.close()


async def open_services(settings: Settings) -> Services:
    profiles = ProfilePolicy.from_settings(settings)  # a bad setting stops the start here
    storage = await Storage.open(make_client(settings), settings.mongodb_database)
    return Services(settings=settings, storage=storage, profiles=profiles)
