"""In-process hash indexes for the embedded store, over the fields MongoDB's indexes cover.

MongoDB answers `Observation?patient=X&code=Y` or a conditional create's identifier look-up
from the indexes gateway.store.indexes declares; mongomock evaluates the filter against every
document. Here each declared field of a collection gets a hash index, string value -> the keys
of the documents reaching that value, so a filter fixing such a field by equality, `$in` or an
`$elemMatch` of strings names a few candidates instead of the whole collection.

An index only narrows: the caller still runs mongomock's `filter_applies` on every candidate,
so a candidate too many costs time, never a wrong answer. Missing a match would be wrong, so
the values a document is filed under are a superset of what any MongoDB path walk reaches: a
field is followed through dicts and through lists at any depth, every string reached is
filed, and a filter condition that is anything but plain strings narrows nothing.

The indexes live in the collection's document table itself (`IndexedDocuments` replaces
mongomock's OrderedDict on the collection's first write), so every write that puts or removes a
document — insert, insert_many, replace, delete, upserts, the undo of a unit, TTL expiry —
maintains them. An update changes a stored document in place: the collection's `_update` is
wrapped so every document it was offered is filed again afterwards
(gateway.store.embedded_upkeep).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

from gateway.store.indexes import index_keys

Candidates = set[Any]  # document keys, a superset of the matches
# Index buckets whose union holds the candidates: a plan compares the sizes of its choices
# without copying a bucket, so a large one (a status, a system) costs nothing unless chosen.
Plan = list[set[Any]]
# (field position, value) pairs a document is filed under, flattened: (0, "a", 2, "b", ...)
Filed = tuple[Any, ...]


@cache
def indexed_fields(collection: str) -> tuple[str, ...]:
    """Every field of the collection's declared indexes but `_id` (the table is keyed on it)."""
    try:
        declared = index_keys(collection)
    except KeyError:
        return ()
    fields = dict.fromkeys(field for keys in declared for field in keys if field != "_id")
    return tuple(fields)


class IndexedDocuments(OrderedDict[Any, Any]):
    """A collection's documents in insertion order, as mongomock keeps them, with a hash index
    per field and each document's scan position (results keep mongomock's order)."""

    def __init__(self, fields: tuple[str, ...], documents: Iterable[tuple[Any, Any]] = ()) -> None:
        super().__init__()
        self.fields = fields
        self._paths = [tuple(field.split(".")) for field in fields]
        self.positions = {field: n for n, field in enumerate(fields)}
        self.buckets: list[dict[str, set[Any]]] = [{} for _ in fields]
        self.filed: dict[Any, tuple[int, Filed]] = {}  # key -> (scan position, filed values)
        self._next = 0
        for key, document in documents:
            self[key] = document

    def __setitem__(self, key: Any, document: Any) -> None:
        held = self.filed.get(key)
        if held is None:
            position = self._next
            self._next += 1
        else:  # an OrderedDict keeps a replaced key where it was
            position = held[0]
            self._unfile(key, held[1])
        super().__setitem__(key, document)
        self.filed[key] = (position, self._file(key, document))

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._unfile(key, self.filed.pop(key)[1])

    def pop(self, key: Any, *default: Any) -> Any:
        if key not in self:
            return super().pop(key, *default)
        document = self[key]
        del self[key]
        return document

    def clear(self) -> None:
        super().clear()
        self.filed.clear()
        self.buckets = [{} for _ in self.fields]

    def popitem(self, last: bool = True) -> tuple[Any, Any]:
        raise NotImplementedError("The embedded store never pops an arbitrary document.")

    def move_to_end(self, key: Any, last: bool = True) -> None:
        raise NotImplementedError("The embedded store never reorders its documents.")

    def refile(self, key: Any) -> None:
        """File a document again after it was changed in place (an update)."""
        held = self.filed.get(key)
        if held is not None:
            self._unfile(key, held[1])
            self.filed[key] = (held[0], self._file(key, super().__getitem__(key)))

    def lookup(self, field: str, values: Iterable[str]) -> Plan | None:
        """The buckets of the documents filed under `values` for `field` (the index's own sets,
        not copies); None if the field has no index."""
        position = self.positions.get(field)
        if position is None:
            return None
        bucket = self.buckets[position]
        return [keys for value in values if (keys := bucket.get(value)) is not None]

    def in_order(self, keys: Candidates) -> list[Any]:
        """The documents of `keys` in scan order."""
        if len(keys) * 8 > len(self):
            return [document for key, document in self.items() if key in keys]
        filed = self.filed
        return [self[key] for key in sorted(keys, key=lambda key: filed[key][0])]

    def _file(self, key: Any, document: Any) -> Filed:
        filed: list[Any] = []
        for position, path in enumerate(self._paths):
            reached: list[str] = []
            _reach(document, path, 0, reached)
            if not reached:
                continue
            bucket = self.buckets[position]
            for value in dict.fromkeys(reached) if len(reached) > 1 else reached:
                keys = bucket.get(value)
                if keys is None:
                    bucket[value] = {key}
                else:
                    keys.add(key)
                filed += (position, value)
        return tuple(filed)

    def _unfile(self, key: Any, filed: Filed) -> None:
        for n in range(0, len(filed), 2):
            bucket = self.buckets[filed[n]]
            value = filed[n + 1]
            keys = bucket[value]
            keys.discard(key)
            if not keys:
                del bucket[value]


def _reach(value: Any, path: tuple[str, ...], step: int, found: list[str]) -> None:
    """Every string at `path`, through dicts and through lists at any depth (MongoDB follows
    one level of array per step; following more only files a document under more values)."""
    while True:
        if type(value) is list:
            for item in value:
                _reach(item, path, step, found)
            return
        if step == len(path):
            if isinstance(value, str):
                found.append(value)
            return
        if not isinstance(value, dict):
            return
        value = value.get(path[step])
        if value is None:
            return
        step += 1


def candidates(filter: Any, documents: IndexedDocuments) -> Candidates | None:
    """A superset of the keys of the documents matching `filter`, or None where no condition
    of it is served by an index."""
    plan = _plan(filter, documents, "")
    if plan is None:
        return None
    found: Candidates = set()
    for keys in plan:
        found |= keys
    return found


def _plan(filter: Any, documents: IndexedDocuments, prefix: str) -> Plan | None:
    """A conjunction takes its smallest served part (each holds every match), a disjunction
    the union of its parts if every part is served. `prefix` is the array an `$elemMatch`
    applies `filter` to: some element must match, and its fields are filed under the array's
    path followed by theirs."""
    if not isinstance(filter, Mapping):
        return None
    best: Plan | None = None
    for field, condition in filter.items():
        found: Plan | None = None
        if field == "$and" and isinstance(condition, list):
            for part in condition:
                best = _smaller(best, _plan(part, documents, prefix))
        elif field == "$or" and isinstance(condition, list) and condition:
            found = _union([_plan(part, documents, prefix) for part in condition])
        elif isinstance(field, str) and not field.startswith("$"):
            found = _field(f"{prefix}{field}", condition, documents)
        best = _smaller(best, found)
    return best


def _field(field: str, condition: Any, documents: IndexedDocuments) -> Plan | None:
    if type(condition) is str:
        return documents.lookup(field, (condition,))
    if not isinstance(condition, Mapping) or not all(
        isinstance(key, str) and key.startswith("$") for key in condition
    ):
        return None  # a whole embedded document, or no condition we serve
    best: Plan | None = None
    for operator, operand in condition.items():
        found: Plan | None = None
        if operator == "$eq" and type(operand) is str:
            found = documents.lookup(field, (operand,))
        elif operator == "$in" and _strings(operand):
            found = documents.lookup(field, operand)
        elif operator == "$elemMatch":
            found = _plan(operand, documents, f"{field}.")
        best = _smaller(best, found)
    return best


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(type(value) is str for value in values)


def _smaller(one: Plan | None, other: Plan | None) -> Plan | None:
    if one is None:
        return other
    if other is None:
        return one
    return one if sum(map(len, one)) <= sum(map(len, other)) else other


def _union(parts: list[Plan | None]) -> Plan | None:
    union: Plan = []
    for part in parts:
        if part is None:
            return None
        union += part
    return union


def recording(documents: Iterator[Any], into: list[Any]) -> Iterator[Any]:
    """`documents`, noting each one's `_id` as it is handed out (an update changes it next)."""
    for document in documents:
        into.append(document.get("_id"))
        yield document
