"""A store that takes no writes through the store API: every write method answers `refuse()`.

Published conformance resources (gateway.store.conformance) and the audit trail
(gateway.store.audit) are read and searched as any type, while services, Bundles and the import,
which all write through `check_writable`, `write`, `delete` and `insert_many`, get a 405.
"""

from __future__ import annotations

from typing import Any, NoReturn

from gateway.store.collection import OwnedDocument
from gateway.store.repository import ResourceStore


class WriteRefusingStore(ResourceStore):
    """Reads and queries as any store; the API's writes raise what `refuse` raises."""

    def refuse(self) -> NoReturn:
        raise NotImplementedError  # each subclass says why it refuses

    def check_writable(self) -> NoReturn:
        self.refuse()

    async def write(self, *args: Any, **kwargs: Any) -> NoReturn:
        self.refuse()

    async def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        self.refuse()

    async def insert_many(self, documents: list[OwnedDocument]) -> NoReturn:
        self.refuse()
