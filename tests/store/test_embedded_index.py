"""The embedded store's hash indexes (gateway.store.embedded_index) answer exactly what
mongomock's scan answers, for documents and filters of the shapes the gateway stores and
builds (tests/search golden filters), after any sequence of writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import mongomock
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mongomock.filtering import filter_applies
from pymongo.errors import OperationFailure

from gateway.store import embedded
from gateway.store.embedded_index import IndexedDocuments, candidates, indexed_fields
from gateway.store.embedded_upkeep import indexed, scanning

COLLECTIONS = ("observations", "generic_Condition")
_STRINGS = st.sampled_from(["a", "b", "c"])
# A value where the gateway puts a string: usually one, sometimes none, a list, another type.
_VALUE = st.one_of(
    _STRINGS,
    _STRINGS,
    st.none(),
    st.integers(0, 1),
    st.lists(st.one_of(_STRINGS, st.lists(_STRINGS, max_size=2)), max_size=3),
    st.fixed_dictionaries({"code": _STRINGS}),
)
_CODING = st.fixed_dictionaries({}, optional={"system": _VALUE, "code": _VALUE})
# Nested arrays too: mongomock's $elemMatch finds {"code": "a"} in [[{"code": "a"}]]
_CODINGS = st.one_of(
    st.lists(_CODING, max_size=3),
    st.lists(st.lists(_CODING, max_size=2), max_size=2),
    _CODING,
    _VALUE,
)
_IDENTIFIER = st.fixed_dictionaries({}, optional={"system": _VALUE, "value": _VALUE})
_DATE = st.sampled_from([datetime(2020, 1, 1), datetime(2021, 6, 1), "a"])
_INDEX = st.fixed_dictionaries(
    {},
    optional={
        "patient": _VALUE,
        "subject": _VALUE,
        "date": st.fixed_dictionaries({"start": _DATE}),
        "code": st.one_of(st.lists(_CODING, max_size=2), _VALUE),
        "identifier": st.one_of(st.lists(_CODING, max_size=2), _CODING),
    },
)
_DOCUMENT = st.fixed_dictionaries(
    {},
    optional={
        "index": _INDEX,
        "code": st.fixed_dictionaries({}, optional={"coding": _CODINGS}),
        "categories": st.one_of(
            st.lists(st.fixed_dictionaries({}, optional={"coding": _CODINGS}), max_size=2), _VALUE
        ),
        "status": _VALUE,
        "identifiers": st.one_of(
            st.lists(_IDENTIFIER, max_size=2),
            st.lists(st.lists(_IDENTIFIER, max_size=2), max_size=2),
            _IDENTIFIER,
            _VALUE,
        ),
    },
)


def _leaf(draw: Any) -> dict[str, Any]:
    """One clause as gateway.search builds it (tests/search/test_filters.py and friends)."""
    s, t = draw(_STRINGS), draw(_STRINGS)
    clause: dict[str, Any] = draw(
        st.sampled_from(
            [
                {"index.patient": {"$in": [s, t]}},
                {"index.patient": s},
                {"index.subject": {"$in": [s]}},
                {"code.coding": {"$elemMatch": {"system": s, "code": t}}},
                {"code.coding": {"$elemMatch": {"system": None, "code": t}}},
                {"code.coding.code": {"$in": [s, t]}},
                {"categories.coding.code": s},
                {"status": {"$eq": s}},
                {"status": {"$ne": s}},
                {"identifiers": {"$elemMatch": {"system": s, "value": t}}},
                {"index.identifier": {"$elemMatch": {"system": s, "code": t}}},
                {"index.code": {"$elemMatch": {"code": {"$in": [s, t]}}}},
                {"index.code.code": {"$in": []}},
                {"index.date.start": {"$gte": datetime(2021, 1, 1)}},
                {"code.coding": {"$exists": True}},
                {"components": {"$elemMatch": {"$and": [{"code.coding.code": s}]}}},
                {"index.patient": {"$in": [s, None]}},
                {"index.patient": {"$not": {"$eq": s}}},
                {"_id": {"$in": [f"d{draw(st.integers(0, 9))}"]}},
            ]
        )
    )
    return clause


@st.composite
def filters(draw: Any, depth: int = 2) -> dict[str, Any]:
    shape = draw(st.sampled_from(["leaf", "and", "or", "fields"] if depth else ["leaf"]))
    if shape == "leaf":
        return _leaf(draw)
    parts = draw(st.lists(filters(depth - 1), min_size=1, max_size=3))
    if shape == "fields":  # several clauses in one document: an implicit $and
        merged: dict[str, Any] = {}
        for part in parts:
            merged.update(part)
        return merged
    return {f"${shape}": parts}


_WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.integers(0, 9), _DOCUMENT),
        st.tuples(st.just("replace"), st.integers(0, 9), _DOCUMENT),
        st.tuples(st.just("set"), st.integers(0, 9), st.tuples(st.just("index.patient"), _VALUE)),
        st.tuples(st.just("set"), st.integers(0, 9), st.tuples(st.just("status"), _VALUE)),
        st.tuples(st.just("set_many"), st.integers(0, 9), st.tuples(_STRINGS, _VALUE)),
        st.tuples(st.just("delete"), st.integers(0, 9), st.none()),
    ),
    max_size=25,
)


def _apply(collection: Any, write: tuple[str, int, Any]) -> None:
    kind, number, payload = write
    key = f"d{number}"
    if kind == "insert":
        if collection.find_one({"_id": key}) is None:
            collection.insert_one({"_id": key, **payload})
    elif kind == "replace":
        collection.replace_one({"_id": key}, payload, upsert=number % 2 == 0)
    elif kind == "set":
        collection.update_one({"_id": key}, {"$set": {payload[0]: payload[1]}})
    elif kind == "set_many":
        collection.update_many({"status": payload[0]}, {"$set": {"index.patient": payload[1]}})
    else:
        collection.delete_one({"_id": key})


def _collection(name: str) -> Any:
    embedded.embedded_client()  # installs the accelerations on mongomock's classes
    return mongomock.MongoClient().db[name]


def assert_same_as_scan(collection: Any, query: dict[str, Any]) -> None:
    ours = [d["_id"] for d in collection._iter_documents(query)]
    theirs = [d["_id"] for d in embedded._scan(collection, query)]  # type: ignore[no-untyped-call]
    assert ours == theirs, query


def assert_filed_as_rebuilt(collection: Any) -> None:
    """The maintained index equals one built afresh from the documents, in their scan order."""
    table = indexed(collection._store)
    assert isinstance(table, IndexedDocuments)
    fresh = IndexedDocuments(table.fields, list(table.items()))
    assert table.buckets == fresh.buckets
    assert sorted(table.filed, key=lambda k: table.filed[k][0]) == list(table)
    assert set(table.filed) == set(table)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(COLLECTIONS),
    writes=_WRITES,
    queries=st.lists(filters(), min_size=1, max_size=6),
)
def test_an_indexed_query_returns_what_mongomocks_scan_returns_after_any_writes(
    name: str, writes: list[tuple[str, int, Any]], queries: list[dict[str, Any]]
) -> None:
    collection = _collection(name)
    indexed(collection._store)  # indexed from the start: every write maintains it
    # Documents filed under nothing, so that candidates are few and read in scan position
    collection.insert_many([{"_id": f"filler{n}"} for n in range(40)])
    for write in writes:
        _apply(collection, write)
        assert_filed_as_rebuilt(collection)
    for query in queries:
        assert_same_as_scan(collection, query)


@settings(max_examples=300, deadline=None)
@given(documents=st.lists(_DOCUMENT, max_size=8), query=filters())
def test_candidates_hold_every_match(
    documents: list[dict[str, Any]], query: dict[str, Any]
) -> None:
    table = IndexedDocuments(indexed_fields("observations"), enumerate(documents))
    found = candidates(query, table)
    if found is not None:
        matching = {n for n, document in enumerate(documents) if _applies(query, document)}
        assert matching <= found


def _applies(query: dict[str, Any], document: dict[str, Any]) -> bool:
    return bool(filter_applies(query, document))  # type: ignore[no-untyped-call]


def test_a_patient_and_code_search_evaluates_only_that_patients_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collection = _collection("observations")
    collection.insert_many(
        [
            {
                "_id": f"o{n}",
                "index": {"patient": f"Patient/p{n % 50}"},
                "code": {"coding": [{"system": "http://loinc.org", "code": f"c{n % 7}"}]},
            }
            for n in range(1000)
        ]
    )
    evaluated: list[Any] = []

    def counting(query: Any, document: Any) -> bool:
        evaluated.append(document["_id"])
        return _applies(query, document)

    monkeypatch.setattr(embedded, "filter_applies", counting)
    query = {
        "$and": [
            {"index.patient": {"$in": ["Patient/p3", "http://x/Patient/p3"]}},
            {"code.coding": {"$elemMatch": {"system": "http://loinc.org", "code": "c3"}}},
        ]
    }
    found = [d["_id"] for d in collection.find(query)]
    assert found == [f"o{n}" for n in range(1000) if n % 50 == 3 and n % 7 == 3]
    assert len(evaluated) == 20  # the patient's documents, not the collection's 1,000


def test_an_undeclared_collection_keeps_mongomocks_table() -> None:
    collection = _collection("things")
    collection.insert_one({"_id": "x", "status": "a"})
    assert [d["_id"] for d in collection.find({"status": "a"})] == ["x"]
    assert indexed(collection._store) is None
    assert type(collection._store._documents) is not IndexedDocuments


def test_stores_opened_while_scanning_keep_no_index() -> None:
    with scanning():
        collection = _collection("observations")
        collection.insert_one({"_id": "x", "status": "a"})
        assert [d["_id"] for d in collection.find({"status": "a"})] == ["x"]
        assert type(collection._store._documents) is not IndexedDocuments
    assert [d["_id"] for d in collection.find({"status": "a"})] == ["x"]
    assert type(collection._store._documents) is IndexedDocuments


def test_an_empty_candidate_set_still_rejects_a_bad_filter() -> None:
    collection = _collection("observations")
    collection.insert_one({"_id": "x", "status": "a"})
    query = {"other": {"$unknownOperator": 1}, "status": "zzz"}  # mongomock stops at the first
    with pytest.raises(OperationFailure, match="unknown operator"):
        list(embedded._scan(collection, query))  # type: ignore[no-untyped-call]
    with pytest.raises(OperationFailure, match="unknown operator"):
        list(collection.find(query))


@pytest.mark.parametrize(
    ("document", "query"),
    [
        pytest.param(
            {"code": {"coding": [[{"code": "a"}]]}},
            {"code.coding": {"$elemMatch": {"code": "a"}}},
            id="elemMatch-in-a-nested-array",
        ),
        pytest.param(
            {"code": {"coding": [{"code": ["b", "a"]}]}},
            {"code.coding.code": "a"},
            id="array-of-strings-at-the-end",
        ),
        pytest.param(
            {"categories": [{"coding": [{"code": "a"}]}, {"coding": {"code": "b"}}]},
            {"categories.coding.code": {"$in": ["b"]}},
            id="arrays-and-objects-on-the-way",
        ),
        pytest.param(
            {"index": {"identifier": [{"system": "s", "code": "a"}]}},
            {"index.identifier": {"$elemMatch": {"system": "s", "code": "a"}}},
            id="dotted-array-field",
        ),
        pytest.param(
            {"code": {"coding": [{"code": "a"}]}},
            {"$or": [{"code.coding.code": "a"}, {"status": "x"}]},
            id="or-of-served-branches",
        ),
    ],
)
def test_a_document_is_found_wherever_mongomock_finds_it(
    document: dict[str, Any], query: dict[str, Any]
) -> None:
    collection = _collection("generic_Condition" if "index" in document else "observations")
    collection.insert_many([{"_id": f"f{n}", "status": "y"} for n in range(20)])
    collection.insert_one({"_id": "hit", **document})
    table = indexed(collection._store)
    assert table is not None
    assert candidates(query, table) is not None  # served by the index, not by a scan
    assert [d["_id"] for d in collection.find(query)] == ["hit"]
    assert_same_as_scan(collection, query)


def test_candidates_come_back_in_insertion_order_not_key_order() -> None:
    collection = _collection("observations")
    collection.insert_one({"_id": "z", "index": {"patient": "p"}})
    collection.insert_many([{"_id": f"f{n}"} for n in range(30)])
    collection.insert_one({"_id": "a", "index": {"patient": "p"}})
    collection.update_one({"_id": "z"}, {"$set": {"status": "final"}})  # keeps its position
    assert [d["_id"] for d in collection.find({"index.patient": "p"})] == ["z", "a"]


def test_a_declared_collection_is_indexed_from_its_first_write() -> None:
    collection = _collection("observations")
    collection.insert_one({"_id": "x", "index": {"patient": "p"}})
    table = collection._store._documents
    assert type(table) is IndexedDocuments  # before any query: memory grows with the writes
    assert table.lookup("index.patient", ["p"]) == [{"x"}]
