"""Claims of conditional creates: one key per criteria, unique by `_id` (http.html#ccreate).

The creator of a match claims the key first; a second creator finds it held. Whether a held
claim is left over is the service's decision (gateway.services.conditional); this store only
takes, reads and takes over keys, each write undone with its unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from gateway.store.collection import Collection, Document
from gateway.store.unit import Unit, on_failure, options


@dataclass(frozen=True, slots=True)
class Claim:
    key: str  # `Type?canonical-criteria`
    resource_id: str  # the resource the claimer creates
    claimed: datetime


class ClaimStore:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def take(self, claim: Claim, unit: Unit | None = None) -> bool:
        """Claim a free key; False when someone holds it."""
        try:
            await self.collection.insert_one(_document(claim), **options(unit))
        except DuplicateKeyError:
            return False
        on_failure(unit, lambda: self.collection.delete_one({"_id": claim.key}))
        return True

    async def held(self, key: str, unit: Unit | None = None) -> Claim | None:
        document = await self.collection.find_one({"_id": key}, **options(unit))
        if document is None:
            return None
        return Claim(document["_id"], document["resource_id"], document["claimed"])

    async def take_over(self, held: Claim, claim: Claim, unit: Unit | None = None) -> bool:
        """Replace `held` by `claim`; False when `held` changed meanwhile (another took it)."""
        result = await self.collection.replace_one(
            {"_id": held.key, "resource_id": held.resource_id}, _document(claim), **options(unit)
        )
        if result.matched_count != 1:
            return False
        on_failure(unit, lambda: self.collection.replace_one({"_id": held.key}, _document(held)))
        return True


def _document(claim: Claim) -> Document:
    return {"_id": claim.key, "resource_id": claim.resource_id, "claimed": claim.claimed}
