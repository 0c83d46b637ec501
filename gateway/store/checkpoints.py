"""Where a long pass over stored documents got to, so that a killed run continues there.

A pass (`fhir-gateway reindex`) walks one type's documents in `_id` order and records the last
`_id` it finished after every batch. Kept in the database rather than printed for the operator
to pass back: running the same command again resumes, from whichever machine runs it, and the
record goes when the pass completes, so the next run starts from the beginning.
"""

from __future__ import annotations

from datetime import datetime

from gateway.store.collection import Collection


class CheckpointStore:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def after(self, key: str) -> str | None:
        """The last `_id` the pass `key` finished, if it stopped before completing."""
        document = await self.collection.find_one({"_id": key})
        return document["after"] if document else None

    async def record(self, key: str, after: str, *, at: datetime) -> None:
        document = {"_id": key, "after": after, "at": at}
        await self.collection.replace_one({"_id": key}, document, upsert=True)

    async def clear(self, key: str) -> None:
        await self.collection.delete_one({"_id": key})
