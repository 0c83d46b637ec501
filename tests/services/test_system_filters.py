"""The exact MongoDB filters of system search and the history feeds: where a page continues in
each source, and what `_since` and `_at` select (gateway.services.system_search, history_feed)."""

from __future__ import annotations

from datetime import datetime

from gateway.search.paging import Cursor
from gateway.services.history_feed import (
    HistoryRequest,
    archived_after,
    current_after,
    time_bounds,
)
from gateway.services.system_search import common_parameters, position_clause

T = datetime(2026, 1, 1, 12, 0)
POSITION = (T, "Patient", "x", 2)  # (lastUpdated, type, id, version): a history feed entry
BEFORE_T = {"$or": [{"last_updated": {"$lt": T}}, {"last_updated": None}]}
RESOURCE_LEVEL = ["_id", "_lastUpdated", "_profile", "_security", "_source", "_tag"]


def test_current_versions_of_a_type_before_the_positions_type_continue_from_its_instant() -> None:
    """Descending, Condition < Patient: a Condition written at T comes after Patient/x at T."""
    assert current_after("Condition", POSITION) == {"last_updated": {"$lte": T}}


def test_current_versions_of_a_type_after_the_positions_type_continue_before_its_instant() -> None:
    assert current_after("Practitioner", POSITION) == {"last_updated": {"$lt": T}}


def test_current_versions_of_the_positions_type_continue_after_its_id() -> None:
    assert current_after("Patient", POSITION) == {
        "$or": [
            BEFORE_T,
            {"$and": [{"last_updated": T}, {"$or": [{"_id": {"$lt": "x"}}, {"_id": None}]}]},
        ]
    }


def test_archived_versions_continue_after_the_whole_position() -> None:
    assert archived_after(POSITION) == {
        "$or": [
            BEFORE_T,
            {"$and": [{"last_updated": T},
                      {"$or": [{"resource_type": {"$lt": "Patient"}}, {"resource_type": None}]}]},
            {"$and": [{"last_updated": T}, {"resource_type": "Patient"},
                      {"$or": [{"resource_id": {"$lt": "x"}}, {"resource_id": None}]}]},
            {"$and": [{"last_updated": T}, {"resource_type": "Patient"}, {"resource_id": "x"},
                      {"$or": [{"version_id": {"$lt": 2}}, {"version_id": None}]}]},
        ]
    }  # fmt: skip


def test_since_and_at_bound_last_updated() -> None:
    feed = HistoryRequest(None, count=10, since="2026-01-01T12:00:00Z", at="2026-01-02")
    assert time_bounds(feed) == [
        {"last_updated": {"$gte": T}},
        {"last_updated": {"$lt": datetime(2026, 1, 3)}},  # the end of the day `_at` names
    ]
    assert feed.at_range == (datetime(2026, 1, 2), datetime(2026, 1, 3))
    assert time_bounds(HistoryRequest("Patient", count=10)) == []


ORDER = [("last_updated", -1), ("_id", 1)]  # `_sort=-_lastUpdated`
STRICTLY_AFTER = {
    "$or": [BEFORE_T, {"$and": [{"last_updated": T}, {"_id": {"$gt": "x"}}]}]
}  # fmt: skip
EQUAL = {"$and": [{"last_updated": T}, {"_id": "x"}]}


def test_system_search_continues_strictly_after_the_cursor_in_its_type_and_earlier_ones() -> None:
    cursor = Cursor((T, "x", "Condition"))
    assert position_clause("Condition", ORDER, cursor, False) == STRICTLY_AFTER
    assert position_clause("Account", ORDER, cursor, False) == STRICTLY_AFTER


def test_system_search_takes_equal_sort_values_of_a_later_type() -> None:
    """Condition/x and Patient/x at the same instant: Patient/x follows Condition/x."""
    cursor = Cursor((T, "x", "Condition"))
    assert position_clause("Patient", ORDER, cursor, False) == {"$or": [STRICTLY_AFTER, EQUAL]}


def test_going_back_the_type_order_turns_too() -> None:
    cursor = Cursor((T, "x", "Condition"), backwards=True)
    back = [("last_updated", 1), ("_id", -1)]
    strictly_before = {
        "$or": [
            {"last_updated": {"$gt": T}},
            {"$and": [{"last_updated": T}, {"$or": [{"_id": {"$lt": "x"}}, {"_id": None}]}]},
        ]
    }
    assert position_clause("Account", back, cursor, True) == {"$or": [strictly_before, EQUAL]}
    assert position_clause("Patient", back, cursor, True) == strictly_before


def test_common_parameters_are_those_every_type_has_alike() -> None:
    assert sorted(common_parameters(())) == RESOURCE_LEVEL
    shared = common_parameters(("Condition", "Observation"))
    assert {"patient", "subject", "encounter", "identifier", *RESOURCE_LEVEL} <= set(shared)
    assert "family" in common_parameters(("Patient",))
    assert "family" not in common_parameters(("Patient", "Condition"))
    assert "patient" not in common_parameters(("Patient", "Condition"))
