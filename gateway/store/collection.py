"""The few collection operations the store uses, as Protocols that Motor and mongomock-motor
(the embedded store) both satisfy; nothing outside `gateway.store` holds a collection.

Motor's own stubs cannot stand in: they type `replace_one` as returning None, and every handle
comes from `make_client`, untyped (Motor or mongomock-motor). Naming what we call keeps a later
move to PyMongo's async client to this package. Every operation that may run inside a unit of
work takes its `session` as a keyword (absent on the embedded store, which has none).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from typing import Any, Protocol

from pymongo import IndexModel

Document = dict[str, Any]  # a stored document as read back
Filter = Mapping[str, Any]
SortSpec = Sequence[tuple[str, int]]  # (field, 1 or -1), as gateway.search.paging builds it


class OwnedDocument(dict[str, Any]):
    """A document built for one insert and not touched by its writer afterwards, sharing no
    container with anything else, its datetimes naive UTC at millisecond precision.

    The embedded store keeps such a document as it is instead of deep-copying it, as mongomock
    does with every insert to protect callers that go on mutating; MongoDB stores bytes and
    needs no such promise.
    """


class Matched(Protocol):
    @property
    def matched_count(self) -> int: ...


class Deleted(Protocol):
    @property
    def deleted_count(self) -> int: ...


class Cursor(Protocol):
    """A query's rows; the builder methods return the cursor itself."""

    def sort(self, key_or_list: SortSpec) -> Cursor: ...

    def limit(self, limit: int) -> Cursor: ...

    def batch_size(self, batch_size: int) -> Cursor: ...

    def to_list(self, length: int | None) -> Awaitable[list[Document]]: ...

    def __aiter__(self) -> AsyncIterator[Document]: ...


class Collection(Protocol):
    @property
    def name(self) -> str: ...

    def find(self, filter: Filter, projection: Filter | None = None, **session: Any) -> Cursor: ...

    async def find_one(self, filter: Filter, **session: Any) -> Document | None: ...

    async def count_documents(self, filter: Filter, **session: Any) -> int: ...

    async def estimated_document_count(self) -> int: ...

    async def insert_one(self, document: Document, **session: Any) -> object: ...

    async def insert_many(self, documents: Sequence[Document], *, ordered: bool) -> object: ...

    async def replace_one(
        self, filter: Filter, replacement: Document, **session: Any
    ) -> Matched: ...

    async def delete_one(self, filter: Filter, **session: Any) -> Deleted: ...

    async def create_indexes(self, indexes: Sequence[IndexModel]) -> list[str]: ...

    async def index_information(self) -> Mapping[str, Any]: ...


class Database(Protocol):
    def __getitem__(self, name: str) -> Collection: ...

    async def list_collection_names(self) -> list[str]: ...
