"""The current versions of one resource type: the API every service reads and writes through.

A type's current versions are documents of one collection (gateway.store.indexes names it):
the record's fields, the service's (`version_id`, `last_updated`, `written_by`) and the search
values computed at write time (`index`, `sort`). A create is one insert; an update or delete
first archives the version it replaces (gateway.store.history).

Writes are guarded by the version they replace (`{_id, version_id}` in the filter), so two
concurrent updates cannot both win: the loser sees no match and gets VersionConflict.

Queries take a filter built by gateway.search and answer documents; each method is one round
trip. Documents go in and out as the dicts the driver makes, without re-validation: Beanie
documents measured about 6x slower to insert and 3x slower to read by id (README "How it is
built", bench/bench_store.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from gateway.domain.base import FhirRecord
from gateway.errors import GatewayError, VersionConflict
from gateway.jsonio import Json
from gateway.search.paging import after as after_clause
from gateway.search.paths import all_of
from gateway.store.collection import Collection, Document, Filter, OwnedDocument, SortSpec
from gateway.store.decimals import bson_numbers, reads_exact_decimals
from gateway.store.embedded import shared_rows
from gateway.store.history import HistoryStore
from gateway.store.indexes import index_models
from gateway.store.unit import Unit, on_failure, options
from gateway.store.versions import Version, with_meta
from mappers.base import ResourceMapper

Indexer = Callable[[Document], Document]


def stored_document(
    record: FhirRecord,
    indexer: Indexer,
    resource_id: str,
    version_id: int,
    updated: datetime,
    method: str,
) -> OwnedDocument:
    """The stored form of a record: domain fields, service fields, search index. A free
    function, so that import workers build documents without a store (no database there)."""
    # model_dump builds every container afresh and the index adds only new ones, so the
    # document shares nothing and may be handed over without a defensive copy.
    document = OwnedDocument(
        _id=resource_id,
        version_id=version_id,
        last_updated=updated,
        written_by=method,
        **record.model_dump(exclude_none=True),
    )
    document.update(indexer(document))
    return document


@dataclass(slots=True)
class Reindexed:
    """What `ResourceStore.reindex` did with the documents it was given.

    `superseded`: written by someone else between the read and the rewrite; that write indexed
    them already. `failed`: (id, reason) of those the current mapping refuses.
    """

    rewritten: int = 0
    unchanged: int = 0
    superseded: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def _reason(error: GatewayError) -> str:
    return "; ".join(
        f"{issue.expression}: {issue.diagnostics}" if issue.expression else issue.diagnostics
        for issue in error.issues
    )


class ResourceStore:
    """The current versions of one resource type and their history.

    `indexed`: whether the collection's indexes exist already (Beanie makes the domain
    collections' at start); if not, they are made before the first write, so that a type nobody
    writes gets no collection.
    """

    def __init__(
        self,
        mapper: ResourceMapper[Any],
        collection: Collection,
        history: HistoryStore,
        indexer: Indexer | None = None,
        *,
        indexed: bool = True,
    ) -> None:
        self.mapper = mapper
        self.resource_type = mapper.resource_type
        # The raw handle: for benchmark floors, which measure the collection itself, and the
        # importer until it reads through `current_documents`. Services use the methods.
        self.collection = collection
        self.history = history
        self.indexer = indexer or (lambda document: {})
        self.indexed = indexed
        self.decimal128 = reads_exact_decimals(collection)  # MongoDB: gateway.store.decimals

    @property
    def name(self) -> str:
        """The collection's name."""
        return self.collection.name

    def to_version(self, document: Document) -> Version:
        """The served form of a stored document."""
        resource_id, version_id = document["_id"], document["version_id"]
        updated = document["last_updated"]
        fhir = self.mapper.document_to_fhir(document)  # no record built: tested equal
        resource = with_meta(fhir, resource_id, version_id, updated)
        method = document.get("written_by", "PUT")
        return Version(self.resource_type, resource_id, version_id, updated, resource, method)

    # --- current versions, by id --------------------------------------------------------------

    async def current_document(self, resource_id: str, unit: Unit | None = None) -> Document | None:
        return await self.collection.find_one({"_id": resource_id}, **options(unit))

    async def current_documents(self, ids: Sequence[str]) -> list[Document]:
        """The current documents of `ids` that exist, in the order of `ids` (one query)."""
        cursor = self.collection.find({"_id": {"$in": list(ids)}})
        found = {document["_id"]: document for document in await cursor.to_list(None)}
        return [found[i] for i in ids if i in found]

    async def current(self, resource_id: str) -> Version | None:
        document = await self.current_document(resource_id)
        return self.to_version(document) if document else None

    # --- archived versions --------------------------------------------------------------------

    async def latest_archived(self, resource_id: str, unit: Unit | None = None) -> Version | None:
        """The newest superseded version or deletion, if any (by key: gateway.store.history)."""
        return await self.history.latest(self.resource_type, resource_id, unit=unit)

    async def archived(
        self,
        resource_id: str,
        *,
        limit: int,
        below: int | None = None,
        unit: Unit | None = None,
    ) -> list[Version]:
        """Superseded versions and deletions, newest first; `below`: the current version, when
        the caller has read it (else the newest archived one is looked up first)."""
        if below is None:
            latest = await self.latest_archived(resource_id, unit)
            if latest is None:
                return []
            below = latest.version_id + 1
        history, resource_type = self.history, self.resource_type
        return await history.archived(
            resource_type, resource_id, below=below, limit=limit, unit=unit
        )

    async def version(self, resource_id: str, version_id: int) -> Version | None:
        current = await self.current(resource_id)
        if current is not None and current.version_id == version_id:
            return current
        return await self.history.version(self.resource_type, resource_id, version_id)

    async def versions(self, resource_id: str, *, limit: int) -> list[Version]:
        """Every version, newest first: the current one, then the archived ones."""
        current = await self.current(resource_id)
        if current is None:
            return await self.archived(resource_id, limit=limit)
        archived = await self.archived(resource_id, limit=limit - 1, below=current.version_id)
        return [current, *archived]

    # --- writes -------------------------------------------------------------------------------

    def check_writable(self) -> None:
        """Raise when this store takes no writes (gateway.store.conformance); the HTTP edge asks
        before reading a body, so a refused write is a 405 whatever the body or id."""

    async def write(
        self,
        record: FhirRecord,
        resource: Json,
        *,
        resource_id: str,
        version_id: int,
        updated: datetime,
        previous: Document | None,
        method: str,
        unit: Unit | None = None,
        previous_version: Version | None = None,
    ) -> Version:
        """Store `record` (mapped from `resource`) as `version_id`, replacing `previous`
        (`previous_version`: its served form, when the caller has made it already).

        The answer is `resource` with the new id and meta: the mapper returns exactly what it
        was given (tested over the corpus), so mapping the record back would give the same JSON.
        """
        if not self.indexed:
            await self.create_indexes()
        document = self.storable(self.document(record, resource_id, version_id, updated, method))
        collection, key = self.collection, {"_id": resource_id}
        if previous is None:
            try:
                await collection.insert_one(document, **options(unit))
            except DuplicateKeyError as error:
                raise VersionConflict(
                    f"`{self.resource_type}/{resource_id}` was created concurrently."
                ) from error
            on_failure(unit, lambda: collection.delete_one(key))
        else:
            await self.history.archive(previous_version or self.to_version(previous), unit)
            result = await collection.replace_one(
                {**key, "version_id": previous["version_id"]}, document, **options(unit)
            )
            if result.matched_count != 1:
                raise VersionConflict(
                    f"`{self.resource_type}/{resource_id}` changed while it was being updated."
                )
            on_failure(unit, lambda: collection.replace_one(key, previous))
        served = with_meta(resource, resource_id, version_id, updated)
        return Version(self.resource_type, resource_id, version_id, updated, served, method)

    def document(
        self, record: FhirRecord, resource_id: str, version_id: int, updated: datetime, method: str
    ) -> OwnedDocument:
        """The stored form of a record: domain fields, service fields, search index."""
        return stored_document(record, self.indexer, resource_id, version_id, updated, method)

    def storable(self, document: OwnedDocument) -> OwnedDocument:
        """`document` as the collection takes it: on MongoDB, ExactDecimals as Decimal128."""
        return bson_numbers(document) if self.decimal128 else document

    def storable_filter(self, query: Filter) -> Filter:
        """`query` as the collection compares it: on MongoDB, an ExactDecimal bound (a quantity
        search in canonical units) as a Decimal128, compared exactly with stored ones."""
        return bson_numbers(OwnedDocument(query)) if self.decimal128 else query

    async def insert_many(self, documents: list[OwnedDocument]) -> set[str]:
        """Bulk create (unordered): the ids stored; one that already exists is skipped."""
        if not documents:
            return set()
        documents = [self.storable(document) for document in documents]
        if not self.indexed:
            await self.create_indexes()
        try:
            await self.collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            refused = {documents[e["index"]]["_id"] for e in error.details.get("writeErrors", [])}
            return {d["_id"] for d in documents} - refused
        return {d["_id"] for d in documents}

    async def reindex(self, documents: Sequence[Document]) -> Reindexed:
        """Rebuild stored documents as a write builds them today (mapper, derived views,
        indexer) and replace those whose stored form changes: after the search definitions or
        extractors change, data written by an older version searches as new data does.

        The version and lastUpdated stay: search keys are not content, so no new version is
        made and nothing is archived. The replace is guarded by the version read, as `write`'s.
        """
        done = Reindexed()
        for document in documents:
            resource_id = document["_id"]
            try:
                rebuilt = self.rebuilt(document)
            except GatewayError as error:  # the mapping refuses what an older version stored
                done.failed.append((resource_id, _reason(error)))
                continue
            if rebuilt == document:
                done.unchanged += 1
                continue
            guard = {"_id": resource_id, "version_id": document["version_id"]}
            result = await self.collection.replace_one(guard, self.storable(rebuilt))
            if result.matched_count == 1:
                done.rewritten += 1
            else:
                done.superseded += 1
        return done

    def rebuilt(self, document: Document) -> OwnedDocument:
        """`document` as a write of its resource would store it now, same version and time."""
        record = self.mapper.from_fhir(self.mapper.document_to_fhir(document))
        return stored_document(
            record,
            self.indexer,
            document["_id"],
            document["version_id"],
            document["last_updated"],
            document.get("written_by", "PUT"),
        )

    async def delete(
        self, previous: Document, *, updated: datetime, unit: Unit | None = None
    ) -> Version:
        """Archive the current version, remove it, and record the deletion as the next version."""
        resource_id, replaces = previous["_id"], previous["version_id"]
        collection = self.collection
        await self.history.archive(self.to_version(previous), unit)
        result = await collection.delete_one(
            {"_id": resource_id, "version_id": replaces}, **options(unit)
        )
        if result.deleted_count != 1:
            raise VersionConflict(
                f"`{self.resource_type}/{resource_id}` changed while it was being deleted."
            )
        on_failure(unit, lambda: collection.insert_one(dict(previous)))
        version = Version(self.resource_type, resource_id, replaces + 1, updated, None, "DELETE")
        await self.history.archive(version, unit)
        return version

    async def create_indexes(self) -> None:
        """The collection's indexes from the one table (gateway.store.indexes). Creating an
        existing index changes nothing, so another process doing it too is harmless."""
        await self.collection.create_indexes(index_models(self.name))
        self.indexed = True

    # --- queries ------------------------------------------------------------------------------

    async def fetch(
        self,
        query: Filter,
        *,
        sort: SortSpec = (),
        limit: int | None = None,
        after: Sequence[Any] | None = None,
    ) -> list[Document]:
        """Whole documents matching `query` in `sort` order; `after`: the sort values of the row
        to continue after (keyset paging, gateway.search.paging)."""
        return await self._rows(query, None, sort, limit, after, None)

    async def keys(
        self,
        query: Filter,
        *,
        fields: Sequence[str] = (),
        sort: SortSpec = (),
        limit: int | None = None,
        after: Sequence[Any] | None = None,
        unit: Unit | None = None,
    ) -> list[Document]:
        """Like `fetch`, but each row holds only `_id`, the sort fields and `fields`: what
        choosing a page, a group or a reference needs, without reading whole documents."""
        projection = dict.fromkeys(["_id", *(f for f, _ in sort), *fields], 1)
        return await self._rows(query, projection, sort, limit, after, unit)

    async def ids(
        self,
        query: Filter,
        *,
        sort: SortSpec = (),
        limit: int | None = None,
        unit: Unit | None = None,
    ) -> list[str]:
        return [row["_id"] for row in await self.keys(query, sort=sort, limit=limit, unit=unit)]

    async def count(self, query: Filter) -> int:
        return await self.collection.count_documents(self.storable_filter(query))

    async def batches(
        self, query: Filter, *, size: int, read_only: bool = False
    ) -> AsyncIterator[list[Document]]:
        """The matching documents in `_id` order, `size` at a time (the cursor fetches the same
        number per round trip), so a reader of a whole collection holds one batch at a time.

        `read_only`: the caller changes nothing it is given (an export serialises and drops
        it), so the embedded store may hand out its own documents instead of copies
        (gateway.store.embedded.shared_rows); MongoDB decodes fresh ones either way."""
        shared = shared_rows(self.collection, query, [("_id", 1)]) if read_only else None
        if shared is not None:
            for start in range(0, len(shared), size):
                yield shared[start : start + size]
                await asyncio.sleep(0)  # a long export lets requests through between batches
            return
        cursor = self.collection.find(query).sort([("_id", 1)]).batch_size(size)
        batch: list[Document] = []
        async for document in cursor:
            batch.append(document)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    async def _rows(
        self,
        query: Filter,
        projection: Filter | None,
        sort: SortSpec,
        limit: int | None,
        after: Sequence[Any] | None,
        unit: Unit | None,
    ) -> list[Document]:
        if after is not None:
            query = all_of([dict(query), after_clause(list(sort), tuple(after))])
        cursor = self.collection.find(self.storable_filter(query), projection, **options(unit))
        if sort:
            cursor = cursor.sort(list(sort))
        if limit is not None:
            cursor = cursor.limit(limit)
        return await cursor.to_list(None)
