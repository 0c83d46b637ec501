"""The embedded store: mongomock-motor, with accelerations that keep its results.

mongomock evaluates every filter against every document and copies every document value by
value, in pure Python. A gateway on it spent most of a read and a third of a write there. Each
replacement below returns exactly what mongomock's own function returns (tests compare them);
it only skips work whose result is known: a key lookup instead of a scan for `_id` equality
(MongoDB answers those from its `_id` index too), no per-value copy or conversion of values
that are immutable and already in MongoDB's form, no second walk of an inserted document for
NUL bytes in keys, which the BSON encoding of the same insert rejects right after, no full
evaluation of a document that surely fails an `$elemMatch` of plain strings (a token search on
an identifier: MongoDB answers it from an index), no copy of the remaining rows for every row
a cursor yields, and for a sorted query with a limit, only the first `skip + limit` rows in
order instead of sorting and copying every match (MongoDB walks an index the same way).
A filter fixing a field of a declared index by strings takes its candidates from an in-process
hash index (gateway.store.embedded_index) instead of scanning, as MongoDB takes them from its;
mongomock's own `filter_applies` still decides each candidate. The indexes are kept up to date
on every write path (gateway.store.embedded_upkeep).
"""

from __future__ import annotations

import copy
import heapq
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from bson.errors import InvalidDocument
from mongomock import collection as mongomock_collection
from mongomock import helpers as mongomock_helpers
from mongomock.collection import Collection, Cursor
from mongomock.filtering import filter_applies, resolve_sort_key
from mongomock.store import CollectionStore
from mongomock_motor import AsyncMongoMockClient

from gateway.jsonio import ExactDecimal
from gateway.store import embedded_upkeep
from gateway.store.collection import OwnedDocument
from gateway.store.embedded_index import candidates, recording
from gateway.store.embedded_upkeep import indexed

# ExactDecimal: a float that keeps its JSON text; never changed once made, so shared like a float
# (copying one re-parses its text).
_IMMUTABLE = (str, int, float, bool, type(None), bytes, ExactDecimal)
_LEAF_TYPES = frozenset((*_IMMUTABLE, datetime))
_IMMUTABLE_TYPES = frozenset(_IMMUTABLE)
_scan = Collection._iter_documents
_all_results = Cursor._compute_results
_mongomock_next = Cursor.__next__
_patch_datetimes = mongomock_helpers.patch_datetime_awareness_in_document
_mongomock_copy_field = mongomock_collection._copy_field
_installed = False


def embedded_client() -> Any:
    """A new, empty, in-process store with a Motor interface."""
    _install()
    return AsyncMongoMockClient()


def _install() -> None:
    global _installed
    if not _installed:
        Collection._iter_documents = _iter_documents  # type: ignore[method-assign]
        Collection._update = embedded_upkeep.update  # type: ignore[method-assign]
        CollectionStore.__setitem__ = embedded_upkeep.put  # type: ignore[method-assign]
        mongomock_collection._copy_field = copy_field
        mongomock_helpers.patch_datetime_awareness_in_document = normalise_datetimes
        mongomock_collection._validate_data_fields = validate_top_level_fields
        Cursor._compute_results = _compute_results  # type: ignore[method-assign]
        Cursor.__next__ = Cursor.next = _next  # type: ignore[method-assign]
        _installed = True


def _iter_documents(self: Any, filter: Any) -> Iterator[Mapping[str, Any]]:
    """mongomock's matches; within an update (embedded_upkeep.update) the documents handed out
    are noted, to be filed again, and the indexes, stale until then, are not read."""
    touched: list[Any] | None = getattr(self._store, "touched", None)
    if touched is None:
        return _matching(self, filter, use_index=True)
    return recording(_matching(self, filter, use_index=False), touched)


def _matching(self: Any, filter: Any, *, use_index: bool) -> Iterator[Mapping[str, Any]]:
    """mongomock's matches of `filter` in its scan order, from the fewest candidates known."""
    keys = id_keys(filter)
    store = self._store
    if keys is not None:
        documents = store._documents
        rows: Iterator[Any] = iter([documents[k] for k in keys if k in documents])
    elif store.is_empty:  # mongomock validates the filter on an empty store
        return _scan(self, filter)  # type: ignore[no-any-return,no-untyped-call]
    elif (table := indexed(store) if use_index else None) is not None and (
        found := candidates(filter, table)
    ) is not None:
        listed = table.in_order(found)
        if not listed:  # raise what mongomock raises for a filter it cannot evaluate
            filter_applies(filter, next(iter(table.values())))  # type: ignore[no-untyped-call]
        rows = iter(listed)
    elif needs := element_equalities(filter):
        rows = (doc for doc in list(store.documents) if may_match(needs, doc))
    else:
        return _scan(self, filter)  # type: ignore[no-any-return,no-untyped-call]
    return (doc for doc in rows if filter_applies(filter, doc))  # type: ignore[no-untyped-call]


def id_keys(filter: Any) -> list[str] | None:
    """The `_id` strings a filter restricts to (equality or `$in`), or None to scan."""
    if not isinstance(filter, Mapping) or "_id" not in filter:
        return None
    key = filter["_id"]
    if isinstance(key, str):
        return [key]
    if isinstance(key, Mapping) and list(key) == ["$in"]:
        values = key["$in"]
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            return list(dict.fromkeys(values))
    return None


Equalities = list[tuple[str, dict[str, str]]]


def element_equalities(filter: Any) -> Equalities:
    """The `field: {$elemMatch: {key: "string", …}}` conditions every match must meet (at the
    top level or in a top-level `$and`): what a token search on an identifier or coding asks."""
    if not isinstance(filter, Mapping):
        return []
    found: Equalities = []
    for field, condition in filter.items():
        if field == "$and" and isinstance(condition, list):
            found += [need for part in condition for need in element_equalities(part)]
        elif not field.startswith("$") and "." not in field and isinstance(condition, Mapping):
            wanted = condition.get("$elemMatch") if list(condition) == ["$elemMatch"] else None
            if isinstance(wanted, Mapping) and wanted and all(
                isinstance(k, str) and not k.startswith("$") and "." not in k
                and type(v) is str for k, v in wanted.items()
            ):  # fmt: skip
                found.append((field, dict(wanted)))
    return found


def may_match(needs: Equalities, document: Mapping[str, Any]) -> bool:
    """False only where the document surely fails a need: its field is absent, or a list of
    objects none of which has every wanted string (a list or other non-string value under a
    wanted key may still match, as arrays do in MongoDB, so such a document is kept)."""
    for field, wanted in needs:
        value = document.get(field)
        if value is None:
            return False
        if type(value) is not list:
            continue
        if not any(_element_may_match(element, wanted) for element in value):
            return False
    return True


def _element_may_match(element: Any, wanted: dict[str, str]) -> bool:
    if type(element) is not dict:
        return True
    for key, expected in wanted.items():
        actual = element.get(key)
        if type(actual) is str or actual is None:
            if actual != expected:
                return False
        elif type(actual) is not list and not isinstance(actual, Mapping):
            return False  # a number, boolean or date never equals a string
    return True


def copy_field(value: Any, container: Any) -> Any:
    """mongomock's result copy: fresh dicts and lists, immutable leaves shared."""
    kind = type(value)
    if kind is dict or isinstance(value, dict):
        fresh = container()
        for key, item in value.items():
            fresh[key] = item if type(item) in _LEAF_TYPES else copy_field(item, container)
        return fresh
    if kind is list:
        return [
            item if type(item) in _LEAF_TYPES else copy_field(item, container) for item in value
        ]
    if kind in _LEAF_TYPES:
        return value
    return copy.copy(value)


def normalise_datetimes(value: Any) -> Any:
    """mongomock's insert-time copy: naive UTC datetimes at millisecond precision.

    An OwnedDocument already is that, and no one else holds its parts: it is kept as it is.
    """
    kind = type(value)
    if kind is OwnedDocument:
        return dict(value)
    if kind is dict:
        return {
            k: v if type(v) in _IMMUTABLE_TYPES else normalise_datetimes(v)
            for k, v in value.items()
        }
    if kind is list or kind is tuple:
        return [v if type(v) in _IMMUTABLE_TYPES else normalise_datetimes(v) for v in value]
    if kind in _IMMUTABLE_TYPES:
        return value
    if kind is datetime and value.tzinfo is None and not value.microsecond % 1000:
        return value  # already naive UTC at millisecond precision: what mongomock would make
    if isinstance(value, OrderedDict):
        return OrderedDict((k, normalise_datetimes(v)) for k, v in value.items())
    return _patch_datetimes(value)  # type: ignore[no-untyped-call]


def validate_top_level_fields(data: Mapping[str, Any]) -> None:
    """mongomock's insert check, less its recursive NUL-byte scan of keys: `_insert` BSON-encodes
    the same document next, and the encoder rejects such keys with the same InvalidDocument."""
    for key in data:
        if key.startswith("$"):
            raise InvalidDocument(
                f'Top-level field names cannot start with the "$" sign (found: {key})'
            )


def _next(self: Any) -> Any:
    """mongomock's Cursor.__next__, without its copy of every remaining row per row (which made
    reading a whole collection quadratic): with no skip and no limit the rows are the results."""
    plain = not self._skip and not self._limit
    try:
        document = self._compute_results(with_limit_and_skip=not plain)[self._emitted]
    except IndexError as error:
        raise StopIteration from error
    self._emitted += 1
    return document


def _compute_results(self: Any, with_limit_and_skip: bool = False) -> list[Any]:
    """mongomock's Cursor results; a sorted, limited cursor picks its top rows with a heap, and
    a sorted cursor without a limit (a whole collection read in `_id` order: an export, a
    reindex) is ordered by `top_rows` too, in C where the values allow, instead of mongomock's
    comparison of every pair of rows in Python (a third of an export's time)."""
    limit = self._limit
    sort = list(self._sort.items()) if isinstance(self._sort, dict) else list(self._sort or [])
    plain = sort and all(not field.startswith("$") for field, _ in sort)
    if plain and not limit and not self.collection.codec_options.tz_aware:
        return _sorted_results(self, with_limit_and_skip)
    if not (with_limit_and_skip and plain and limit and limit > 0) or (
        self.collection.codec_options.tz_aware
    ):
        return _all_results(self, with_limit_and_skip)  # type: ignore[no-any-return,no-untyped-call]
    if getattr(self, "_top_factory", None) is not self._factory:
        top = top_rows(
            self.collection, self._spec, self._sort, self._projection, self._skip + limit
        )
        self._top = top[self._skip :][:limit]  # once: `_next` asks again for every row
        self._top_factory = self._factory
    rows: list[Any] = self._top
    return rows


def _sorted_results(self: Any, with_limit_and_skip: bool) -> list[Any]:
    """Every match of a sorted cursor without a limit, in mongomock's order, copied as mongomock
    copies them; computed once per cursor (`_next` asks again for every row)."""
    if getattr(self, "_sorted_factory", None) is not self._factory:
        fields = list(self._sort.items()) if isinstance(self._sort, dict) else list(self._sort)
        stored = len(self.collection._store._documents)  # no more matches than documents
        self._sorted = top_rows(self.collection, self._spec, fields, self._projection, stored)
        self._sorted_factory = self._factory
    rows: list[Any] = self._sorted
    return rows[self._skip :] if with_limit_and_skip and self._skip else rows


class _SortKey:
    """mongomock's order (resolve_sort_key per field, then the scan position for full ties)."""

    __slots__ = ("directions", "position", "values")

    def __init__(self, values: list[Any], directions: list[int], position: int) -> None:
        self.values, self.directions, self.position = values, directions, position

    def __lt__(self, other: _SortKey) -> bool:
        for mine, theirs, direction in zip(self.values, other.values, self.directions, strict=True):
            before, after = (mine, theirs) if direction > 0 else (theirs, mine)
            if before < after:
                return True
            if after < before:
                return False
        return self.position < other.position


def top_rows(
    collection: Any, spec: Any, fields: list[tuple[str, int]], projection: Any, count: int
) -> list[Any]:
    """The first `count` matches of `spec` in `fields` order, copied as mongomock would."""
    best = _ordered(collection, spec, fields, count)
    return [collection._copy_only_fields(doc, projection, dict) for doc in best]


def shared_rows(collection: Any, spec: Any, fields: list[tuple[str, int]]) -> list[Any] | None:
    """Every match of `spec` in `fields` order as the store holds it, NOT copied; None when
    `collection` is not embedded (or converts datetimes on the way out).

    For a reader that only serialises what it reads (a bulk export): mongomock copies every
    document it hands out, value by value in Python, which was half of an export's time, while
    MongoDB decodes a fresh document anyway. Whoever takes these must not change them or hand
    their parts to anyone who might."""
    store = getattr(collection, "_store", None)
    if not isinstance(store, CollectionStore) or collection.codec_options.tz_aware:
        return None
    return _ordered(collection, spec, fields, len(store._documents))


def _ordered(collection: Any, spec: Any, fields: list[tuple[str, int]], count: int) -> list[Any]:
    """The first `count` stored documents matching `spec`, in mongomock's `fields` order."""
    directions = [direction for _, direction in fields]
    matches = list(collection._iter_documents(spec))
    values = [[_sort_value(field, doc) for field, _ in fields] for doc in matches]
    native = _native_order(values, directions, count)
    if native is not None:
        best = [matches[i] for i in native]
    else:
        keyed = (
            (_SortKey(row, directions, i), doc)
            for i, (row, doc) in enumerate(zip(values, matches, strict=True))
        )
        best = [doc for _, doc in heapq.nsmallest(count, keyed, key=lambda pair: pair[0])]
    return best


# Types Python orders as BSON does, when every value of a sort field has the same one (a str
# compares by code point, as UTF-8 bytes do): then tuples of them sort in C, not by `__lt__`.
_NATIVE_TYPES = frozenset((str, int, datetime))


def _native_order(values: list[list[Any]], directions: list[int], count: int) -> list[int] | None:
    """The positions of the first `count` rows by plain tuple comparison, when that gives
    mongomock's order: every field's values present, scalar and of one native type, and every
    field sorted the same way (ties in scan order). None otherwise."""
    if len(set(directions)) != 1:
        return None
    for column in zip(*values, strict=True):
        kinds = {type(key.obj) for rank, key in column if rank == 1}
        if len(kinds) != 1 or not kinds <= _NATIVE_TYPES or any(r != 1 for r, _ in column):
            return None
    keys = [tuple(key.obj for _, key in row) for row in values]
    if directions[0] > 0:
        return heapq.nsmallest(count, range(len(keys)), key=lambda i: (keys[i], i))
    return heapq.nlargest(count, range(len(keys)), key=lambda i: (keys[i], -i))


def _sort_value(field: str, document: Any) -> Any:
    return resolve_sort_key(field, document)  # type: ignore[no-untyped-call]


def insert_built(collection: Any, documents: Sequence[OwnedDocument]) -> bool:
    """Insert `documents` into an embedded collection at once, as mongomock's `insert_many`
    would store them, or do nothing and answer False (the caller then inserts the usual way).

    For documents the store builds itself from plain values, in batches (the audit trail's,
    gateway.store.audit): mongomock re-checks each one (key types, a BSON encoding to prove it
    encodes, `_id` taken, a copy, every unique index), which costs more than building it. What
    those checks prove holds by construction for an OwnedDocument of plain values, and the two
    that depend on the store are kept: no `_id` taken or repeated, and no unique index but
    `_id`'s on the collection (else False). The stored documents are those mongomock stores
    (a test compares the two). Not embedded (MongoDB): False.
    """
    store = getattr(collection, "_store", None)
    if not isinstance(store, CollectionStore) or store._ttl_indexes:
        return False
    if any(index.get("unique") for index in store.indexes.values()):
        return False
    ids = [document["_id"] for document in documents]
    indexed(store)
    with store._rwlock.writer():
        held = store._documents
        if len(set(ids)) != len(ids) or any(key in held for key in ids):
            return False
        for key, document in zip(ids, documents, strict=True):
            held[key] = dict(document)
    return True
