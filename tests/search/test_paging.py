"""Keyset paging: the exact filters, and that following them visits every row once, in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import mongomock
import pytest

from gateway.errors import InvalidSearch
from gateway.search.model import NOTHING
from gateway.search.paging import (
    Cursor,
    after,
    decode_cursor,
    encode_cursor,
    reversed_spec,
    sort_spec,
    sort_values,
)


@pytest.mark.parametrize(
    ("spec", "values", "expected"),
    [
        pytest.param([("_id", 1)], ("b",), {"_id": {"$gt": "b"}}, id="id-only"),
        pytest.param(
            [("effective.start", 1), ("_id", 1)],
            (datetime(2020, 1, 1), "o7"),
            {"$or": [
                {"effective.start": {"$gt": datetime(2020, 1, 1)}},
                {"$and": [{"effective.start": datetime(2020, 1, 1)}, {"_id": {"$gt": "o7"}}]},
            ]},
            id="ascending-date",
        ),
        pytest.param(
            [("effective.start", -1), ("_id", 1)],
            (datetime(2020, 1, 1), "o7"),
            {"$or": [
                {"$or": [{"effective.start": {"$lt": datetime(2020, 1, 1)}}, {"effective.start": None}]},
                {"$and": [{"effective.start": datetime(2020, 1, 1)}, {"_id": {"$gt": "o7"}}]},
            ]},
            id="descending-date-nulls-last",
        ),
        pytest.param(
            [("status", 1), ("_id", 1)],
            (None, "o1"),
            {"$or": [{"status": {"$ne": None}}, {"$and": [{"status": None}, {"_id": {"$gt": "o1"}}]}]},
            id="ascending-from-null",
        ),
        pytest.param(
            [("status", -1), ("_id", 1)],
            (None, "o1"),
            {"$and": [{"status": None}, {"_id": {"$gt": "o1"}}]},
            id="descending-from-null",
        ),
    ],
)  # fmt: skip
def test_after_builds_the_keyset_filter(
    spec: list[tuple[str, int]], values: tuple[Any, ...], expected: dict[str, Any]
) -> None:
    assert after(spec, values) == expected


ROWS = [
    {"_id": "a", "score": 3, "status": "final"},
    {"_id": "b", "score": None, "status": "final"},
    {"_id": "c", "score": 1},
    {"_id": "d", "score": 3, "status": "amended"},
    {"_id": "e", "score": 2, "status": None},
    {"_id": "f"},
    {"_id": "g", "score": 1, "status": "final"},
]


@pytest.mark.parametrize(
    "sort",
    [
        pytest.param((("score", False),), id="score"),
        pytest.param((("score", True),), id="-score"),
        pytest.param((("status", False), ("score", True)), id="status,-score"),
        pytest.param((("status", True), ("score", False)), id="-status,score"),
    ],
)
def test_paging_visits_every_row_once_in_sort_order(sort: tuple[tuple[str, bool], ...]) -> None:
    collection = mongomock.MongoClient().db.rows
    collection.insert_many([dict(row) for row in ROWS])
    spec = [(field, -1 if descending else 1) for field, descending in sort] + [("_id", 1)]
    everything = [row["_id"] for row in collection.find({}).sort(spec)]
    seen: list[str] = []
    query: dict[str, Any] = {}
    while True:
        page = list(collection.find(query).sort(spec).limit(2))
        seen += [row["_id"] for row in page]
        if len(page) < 2:
            break
        query = after(spec, sort_values(page[-1], spec))
        if query is NOTHING:
            break
    assert seen == everything
    assert sorted(seen) == sorted(row["_id"] for row in ROWS)


def test_backwards_from_a_row_gives_the_rows_before_it_nearest_first() -> None:
    collection = mongomock.MongoClient().db.rows
    collection.insert_many([dict(row) for row in ROWS])
    spec = [("score", 1), ("_id", 1)]
    ordered = [row["_id"] for row in collection.find({}).sort(spec)]
    row = collection.find_one({"_id": "d"})
    before = [
        r["_id"]
        for r in collection.find(after(reversed_spec(spec), sort_values(row, spec))).sort(
            reversed_spec(spec)
        )
    ]
    assert before == list(reversed(ordered[: ordered.index("d")]))


def test_sort_spec_maps_codes_to_fields_and_ends_with_id() -> None:
    assert sort_spec("Observation", (("date", True), ("code", False))) == [
        ("index.date.start", -1),
        ("sort.code", 1),
        ("_id", 1),
    ]


def test_sorting_by_a_parameter_without_an_order_is_refused() -> None:
    with pytest.raises(InvalidSearch) as raised:
        sort_spec("Observation", (("performer", False),))
    assert raised.value.issues[0].expression == "_sort"


def test_cursor_round_trips_datetimes_and_nulls() -> None:
    cursor = Cursor((datetime(2020, 5, 1, 10, 0, 0, 123000), None, 4.5, "o1"), True, 12)
    assert decode_cursor(encode_cursor(cursor), fields=4) == cursor


@pytest.mark.parametrize("token", ["", "abc", "e30", encode_cursor(Cursor(("x",))) + "x"])
def test_a_cursor_we_did_not_issue_is_a_client_error(token: str) -> None:
    with pytest.raises(InvalidSearch):
        decode_cursor(token, fields=2)
