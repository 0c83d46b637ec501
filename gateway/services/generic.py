"""The R4 resource types kept whole (`GenericRecord`): which they are, and their stores.

A type is kept when R4 defines it and fhir.resources can validate it: R4B, which stands in for
R4, dropped 18 R4 types (ten MedicinalProduct*, six Substance* details, Effect- and
RiskEvidenceSynthesis), and rewrote Evidence so that no resource satisfies both (UNVALIDATABLE);
those are refused as unknown. Each type has its collection
`generic_<Type>`, opened on first use; its indexes are made before its first write, since
`Services.store` is synchronous and a collection never written holds nothing to find.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import fhir_profiles
from gateway.db import OwnedDocument
from gateway.search.index import build_indexer
from gateway.search.parameters import parameters_of
from gateway.search.paths import dotted
from gateway.services.store import ResourceStore, Version
from mappers.generic import generic_mapper
from mappers.r4 import has_model
from mappers.registry import MAPPERS

COLLECTION_PREFIX = "generic_"
# R4 requires Evidence.exposureBackground, which R4B's model forbids (it requires
# variableDefinition, unknown to R4). A test checks every type's required elements both ways.
UNVALIDATABLE = frozenset({"Evidence"})


@cache
def generic_types() -> frozenset[str]:
    return frozenset(
        t
        for t in fhir_profiles.resource_types()
        if t not in MAPPERS and t not in UNVALIDATABLE and has_model(t)
    )


def kept_types() -> list[str]:
    """Every resource type this server stores: our four and those kept whole, sorted."""
    return sorted({*MAPPERS, *generic_types()})


class GenericStore(ResourceStore):
    """A ResourceStore that declares its collection's indexes before its first write."""

    def __init__(self, resource_type: str, database: Any, history: Any) -> None:
        super().__init__(
            generic_mapper(resource_type),
            database[COLLECTION_PREFIX + resource_type],
            history,
            build_indexer(resource_type),
        )
        self.indexed = False

    async def write(self, *args: Any, **kwargs: Any) -> Version:
        if not self.indexed:
            await self.create_indexes()
        return await super().write(*args, **kwargs)

    async def insert_many(self, documents: list[OwnedDocument]) -> set[str]:
        if not self.indexed:
            await self.create_indexes()
        return await super().insert_many(documents)

    async def create_indexes(self) -> None:
        """Indexes for what searches of every type read: `_lastUpdated`, `identifier` (system
        with value, in one element) and `patient`. Creating an existing index changes nothing,
        so another process (or a concurrent first write) doing it too is harmless."""
        parameters = parameters_of(self.resource_type)
        await self.collection.create_index("last_updated")
        identifier = parameters.get("identifier")
        for path in identifier.paths if identifier else ():
            await self.collection.create_index(
                [(f"{dotted(path)}.system", 1), (f"{dotted(path)}.value", 1)]
            )
        if "patient" in parameters:
            await self.collection.create_index(parameters["patient"].index_field)
        self.indexed = True
