"""Keeping the embedded store's indexes (gateway.store.embedded_index) up to date on
mongomock's write paths, and the switch that leaves them out.

mongomock keeps a collection's documents in one OrderedDict; `indexed` puts an IndexedDocuments
in its place, on the collection's first write, so that every put and removal files and unfiles
its document. Only an update changes a stored document in place, behind the table's back:
`update` files again, afterwards, every document it was offered.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mongomock import helpers as mongomock_helpers
from mongomock.collection import Collection
from mongomock.store import CollectionStore

from gateway.store.embedded_index import IndexedDocuments, indexed_fields

_mongomock_update = Collection._update
_indexing = True


@contextmanager
def scanning() -> Iterator[None]:
    """Stores opened within answer every query by mongomock's scan and keep no index (what the
    embedded store did before them): the benches' "before", in the same run as the "after"."""
    global _indexing
    _indexing = False
    try:
        yield
    finally:
        _indexing = True


def indexed(store: CollectionStore) -> IndexedDocuments | None:
    """The store's document table, made indexed on first use if its collection declares
    indexes (gateway.store.indexes); a dropped collection's fresh table is indexed again."""
    table = store._documents
    if type(table) is IndexedDocuments and table.fields is indexed_fields(store.name):
        return table
    if not _indexing or not indexed_fields(store.name):
        return None
    with store._rwlock.writer():
        table = store._documents = IndexedDocuments(
            indexed_fields(store.name), store._documents.items()
        )
    return table


def put(self: CollectionStore, key: Any, document: Any) -> None:
    """mongomock's store of one document; a collection's first puts its table under index, so
    the index grows with the collection rather than all at once at its first query."""
    if type(self._documents) is not IndexedDocuments:
        indexed(self)
    with self._rwlock.writer():
        self._documents[key] = document


def update(self: Any, spec: Any, document: Any, *args: Any, **kwargs: Any) -> Any:
    """mongomock's update, which changes stored documents in place: each document it was
    offered is filed again in the indexes afterwards. Within it no query uses an index (one
    may be stale until then: a unique-index check, say)."""
    store = self._store
    table = indexed(store)
    if table is None:
        return _mongomock_update(self, spec, document, *args, **kwargs)  # type: ignore[no-untyped-call]
    touched: list[Any] = []
    store.touched = touched
    try:
        return _mongomock_update(self, spec, document, *args, **kwargs)  # type: ignore[no-untyped-call]
    finally:
        del store.touched
        for key in touched:
            table.refile(mongomock_helpers.hashdict(key) if isinstance(key, dict) else key)
