"""The embedded store's accelerations return exactly what mongomock's own code returns."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import mongomock
import pytest
from bson.errors import InvalidDocument
from hypothesis import given, settings
from hypothesis import strategies as st
from mongomock.collection import Cursor
from mongomock.filtering import filter_applies

from gateway.store import embedded

DOCUMENTS: list[Any] = [
    {"_id": "a", "name": [{"family": "Rivera", "given": ["Ana", None]}], "n": 1.5, "ok": True},
    {
        "_id": "b",
        "when": {"start": datetime(2020, 1, 2, 3, 4, 5, 678901), "precision": "second"},
        "aware": datetime(2020, 1, 2, 3, 4, 5, 999999, tzinfo=timezone(timedelta(hours=2))),
        "blob": b"\x00\x01",
        "nested": [[{"x": [1, {"y": datetime(2021, 5, 1, tzinfo=UTC)}]}]],
    },
    OrderedDict([("_id", "c"), ("inner", OrderedDict([("k", 1)])), ("t", (1, 2))]),
]


def _mutable_containers(value: Any) -> list[int]:
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in _mutable_containers(v))]
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in _mutable_containers(v))]
    return []


@pytest.mark.parametrize("document", DOCUMENTS, ids=["plain", "datetimes", "ordered"])
def test_copy_field_equals_mongomocks_and_shares_no_container(document: Any) -> None:
    ours = embedded.copy_field(document, dict)
    theirs = embedded._mongomock_copy_field(document, dict)
    assert ours == theirs
    assert set(_mutable_containers(ours)).isdisjoint(_mutable_containers(document))


@pytest.mark.parametrize("document", DOCUMENTS, ids=["plain", "datetimes", "ordered"])
def test_normalise_datetimes_equals_mongomocks(document: Any) -> None:
    ours = embedded.normalise_datetimes(document)
    theirs = embedded._patch_datetimes(document)
    assert ours == theirs
    assert type(ours) is type(theirs)
    assert set(_mutable_containers(ours)).isdisjoint(_mutable_containers(document))


def test_top_level_dollar_field_is_still_rejected() -> None:
    with pytest.raises(InvalidDocument):
        embedded.validate_top_level_fields({"$set": 1})


async def test_nul_byte_in_a_nested_key_is_still_rejected_on_insert() -> None:
    collection = embedded.embedded_client()["db"]["things"]
    with pytest.raises(InvalidDocument):
        await collection.insert_one({"_id": "x", "a": {"b\x00c": 1}})
    assert await collection.count_documents({}) == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"_id": "p2"}, ["p2"], id="equality"),
        pytest.param({"_id": "nobody"}, [], id="missing"),
        pytest.param({"_id": {"$in": ["p3", "p1", "p3", "zz"]}}, ["p1", "p3"], id="in"),
        pytest.param({"_id": "p2", "kind": "lab"}, [], id="id-and-other-condition"),
        pytest.param({"_id": "p1", "kind": "lab"}, ["p1"], id="id-and-matching-condition"),
        pytest.param({"_id": {"$gt": "p1"}}, ["p2", "p3"], id="operator-scans"),
    ],
)
async def test_id_lookup_finds_what_a_scan_finds(
    query: dict[str, Any], expected: list[str]
) -> None:
    documents = [
        {"_id": "p1", "kind": "lab"},
        {"_id": "p2", "kind": "vital"},
        {"_id": "p3", "kind": "lab"},
    ]
    collection = embedded.embedded_client()["db"]["things"]
    await collection.insert_many([dict(d) for d in documents])
    found = sorted(d["_id"] for d in await collection.find(query).to_list(length=None))
    scanned = sorted(d["_id"] for d in documents if filter_applies(query, d))
    assert found == scanned == expected


def _rows(count: int) -> list[dict[str, Any]]:
    """Rows with ties, missing fields, nulls, mixed types, arrays and dates."""
    import random

    rng = random.Random(5)
    rows = []
    for i in range(count):
        row: dict[str, Any] = {"_id": f"r{i:03d}", "group": rng.choice(["a", "b", "c"])}
        if rng.random() < 0.8:
            row["score"] = rng.choice([1, 2, 2.5, 3, None, "x", [2, 1]])
        if rng.random() < 0.7:
            row["when"] = {"start": datetime(2020, 1, rng.randint(1, 5))}
        rows.append(row)
    return rows


@pytest.mark.parametrize(
    "sort",
    [
        pytest.param([("score", 1)], id="score"),
        pytest.param([("score", -1)], id="-score"),
        pytest.param([("group", 1), ("when.start", -1)], id="group,-when"),
        pytest.param([("when.start", -1), ("score", 1), ("_id", 1)], id="-when,score,_id"),
        # One native type per field, one direction: ordered by plain tuples (ties in scan order)
        pytest.param([("_id", 1)], id="_id"),
        pytest.param([("_id", -1)], id="-_id"),
        pytest.param([("group", 1)], id="group-ties"),
        pytest.param([("group", -1)], id="-group-ties"),
        pytest.param([("group", -1), ("_id", -1)], id="-group,-_id"),
    ],
)
@pytest.mark.parametrize(("skip", "limit"), [(0, 1), (0, 7), (5, 10), (0, 500)])
async def test_a_limited_sorted_query_returns_what_mongomock_returns(
    sort: list[tuple[str, int]], skip: int, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows(120)
    collection = embedded.embedded_client()["db"]["rows"]
    await collection.insert_many([dict(r) for r in rows])
    query = {"group": {"$in": ["a", "b"]}}
    projection = {"score": 1, "when": 1}
    ours = await collection.find(query, projection).sort(sort).skip(skip).limit(limit).to_list(None)
    monkeypatch.setattr(Cursor, "_compute_results", embedded._all_results)  # mongomock's own
    reference = mongomock.MongoClient().db.rows
    reference.insert_many([dict(r) for r in rows])
    theirs = list(reference.find(query, projection).sort(sort).skip(skip).limit(limit))
    assert [r["_id"] for r in ours] == [r["_id"] for r in theirs]
    assert ours == theirs


_ELEMENT_VALUES = st.one_of(
    st.sampled_from(["s", "v", "V"]),
    st.none(),
    st.integers(-1, 1),
    st.booleans(),
    st.lists(st.sampled_from(["s", "v", 1]), min_size=1, max_size=2),
    st.fixed_dictionaries({"v": st.sampled_from(["s", "v"])}),
)
_ELEMENT = st.dictionaries(st.sampled_from(["system", "value", "use"]), _ELEMENT_VALUES)
_FIELD = st.one_of(
    st.lists(st.one_of(_ELEMENT, _ELEMENT_VALUES), min_size=1, max_size=3),
    _ELEMENT,
    _ELEMENT_VALUES,
)
_DOCUMENTS = st.fixed_dictionaries(
    {"identifiers": _FIELD}, optional={"codes": _FIELD, "other": _ELEMENT_VALUES}
)
_FILTERS = (
    [
        {"identifiers": {"$elemMatch": {"value": "v"}}},
        {"identifiers": {"$elemMatch": {"system": "s", "value": "v"}}},
        {"identifiers": {"$elemMatch": {"value": "v"}}, "other": "s"},
        {"$and": [{"identifiers": {"$elemMatch": {"system": "s"}}},
                  {"codes": {"$elemMatch": {"value": "V"}}}]},
        {"$or": [{"identifiers": {"$elemMatch": {"system": "s"}}}, {"other": "v"}]},
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(documents=st.lists(_DOCUMENTS, max_size=6))
def test_the_elem_match_prescreen_drops_only_documents_mongomock_rejects(
    documents: list[dict[str, Any]],
) -> None:
    for query in _FILTERS:
        needs = embedded.element_equalities(query)
        for document in documents:
            if filter_applies(query, document):
                assert embedded.may_match(needs, document), (query, document)


async def test_an_identifier_search_finds_what_a_scan_finds() -> None:
    documents = [
        {"_id": "p1", "identifiers": [{"system": "s", "value": "v"}]},
        {
            "_id": "p2",
            "identifiers": [{"system": "s", "value": "w"}, {"system": "t", "value": "v"}],
        },
        {"_id": "p3", "identifiers": [{"system": "s", "value": ["v", "x"]}]},  # arrays match
        {"_id": "p4", "identifiers": {"system": "s", "value": "v"}},  # not a list
        {"_id": "p5"},
        {"_id": "p6", "identifiers": [{"system": "s", "value": "v", "use": "old"}]},
    ]
    query = {"identifiers": {"$elemMatch": {"system": "s", "value": "v"}}}
    assert embedded.element_equalities(query)
    collection = embedded.embedded_client()["db"]["patients"]
    await collection.insert_many([dict(d) for d in documents])
    found = [d["_id"] for d in await collection.find(query).to_list(length=None)]
    scanned = [d["_id"] for d in documents if filter_applies(query, d)]
    assert found == scanned
    assert found == ["p1", "p3", "p6"]


@pytest.mark.parametrize(("skip", "limit"), [(0, 0), (3, 0), (0, 4), (2, 5)])
async def test_iterating_a_cursor_yields_what_mongomock_yields(
    skip: int, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows(60)
    collection = embedded.embedded_client()["db"]["rows"]
    await collection.insert_many([dict(r) for r in rows])
    query = {"group": {"$in": ["a", "c"]}}
    ours = [r async for r in collection.find(query).sort("_id", -1).skip(skip).limit(limit)]
    monkeypatch.setattr(Cursor, "__next__", embedded._mongomock_next)
    monkeypatch.setattr(Cursor, "_compute_results", embedded._all_results)
    reference = mongomock.MongoClient().db.rows
    reference.insert_many([dict(r) for r in rows])
    theirs = list(reference.find(query).sort("_id", -1).skip(skip).limit(limit))
    assert ours == theirs
    assert len(ours) == (limit or len(theirs))


@pytest.mark.parametrize(
    "sort",
    [
        pytest.param([("_id", 1)], id="_id"),  # an export's or a reindex's order: native
        pytest.param([("score", 1)], id="score-mixed-types"),  # mongomock's comparisons
        pytest.param([("group", -1), ("when.start", 1)], id="-group,when"),
        pytest.param([("group", 1)], id="group-ties"),
    ],
)
@pytest.mark.parametrize("skip", [0, 4])
async def test_a_sorted_query_without_a_limit_returns_what_mongomock_returns(
    sort: list[tuple[str, int]], skip: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _rows(90)
    collection = embedded.embedded_client()["db"]["rows"]
    await collection.insert_many([dict(r) for r in rows])
    query = {"group": {"$in": ["a", "b"]}}
    projection = {"score": 1, "when": 1}
    ours = await collection.find(query, projection).sort(sort).skip(skip).to_list(None)
    iterated = [r async for r in collection.find(query).sort(sort).skip(skip).batch_size(7)]
    iterated[0]["group"] = "changed"  # a copy, as mongomock's: the store keeps its own
    again = [r async for r in collection.find(query).sort(sort).skip(skip)]
    assert again[0]["group"] != "changed"
    iterated[0]["group"] = again[0]["group"]
    monkeypatch.setattr(Cursor, "__next__", embedded._mongomock_next)
    monkeypatch.setattr(Cursor, "_compute_results", embedded._all_results)
    reference = mongomock.MongoClient().db.rows
    reference.insert_many([dict(r) for r in rows])
    assert ours == list(reference.find(query, projection).sort(sort).skip(skip))
    assert iterated == list(reference.find(query).sort(sort).skip(skip))


@pytest.mark.parametrize("sort", [[("_id", 1)], [("score", -1)], [("group", 1), ("_id", -1)]])
async def test_shared_rows_are_mongomocks_answer_in_order_uncopied(
    sort: list[tuple[str, int]],
) -> None:
    rows = _rows(80)
    collection = embedded.embedded_client()["db"]["rows"]
    await collection.insert_many([dict(r) for r in rows])
    query = {"group": {"$in": ["a", "c"]}}
    shared = embedded.shared_rows(collection, query, sort)
    assert shared is not None
    assert shared == await collection.find(query).sort(sort).to_list(None)
    held = collection._store._documents
    assert all(row is held[row["_id"]] for row in shared)  # the stored documents themselves


def test_shared_rows_answer_none_for_a_store_that_is_not_embedded() -> None:
    class Elsewhere:  # a MongoDB collection has no mongomock store behind it
        codec_options = None

    assert embedded.shared_rows(Elsewhere(), {}, [("_id", 1)]) is None
