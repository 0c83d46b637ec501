"""Date search: golden filters, then which indexed ranges they match.

https://hl7.org/fhir/R4/search.html#date and #prefix
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import mongomock
import pytest

from gateway.domain.time import parse_range
from gateway.errors import InvalidSearch, Issue
from gateway.search import date
from gateway.search.model import Clause, SearchParameter

BIRTHDATE = SearchParameter("birthdate", "date", ("Patient",), ("birth_date",))
EARLIEST, LATEST = datetime.min, datetime.max.replace(microsecond=999000)  # the index's open ends
NOW = datetime(2023, 3, 15)


def on_range(condition: Clause) -> Clause:
    return {"index.birthdate": {"$elemMatch": condition}}


def eq(start: datetime, end: datetime) -> Clause:
    return {"start": {"$gte": start}, "end": {"$lte": end}}


DAY_14, DAY_15 = datetime(2013, 1, 14), datetime(2013, 1, 15)
AT_10, AT_1001 = datetime(2013, 1, 14, 10), datetime(2013, 1, 14, 10, 1)
MAR_14, MAR_15 = datetime(2013, 3, 14), datetime(2013, 3, 15)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # search.html#date, the prefix examples
        pytest.param("eq2013-01-14", eq(DAY_14, DAY_15), id="spec-eq-day"),
        pytest.param(
            "ne2013-01-14",
            {"$or": [{"start": {"$lt": DAY_14}}, {"end": {"$gt": DAY_15}}]},
            id="spec-ne-day",
        ),
        pytest.param("lt2013-01-14T10:00", {"start": {"$lt": AT_10}}, id="spec-lt-minute-no-zone"),
        pytest.param("gt2013-01-14T10:00", {"end": {"$gt": AT_1001}}, id="spec-gt-minute-no-zone"),
        pytest.param(
            "ge2013-03-14",
            {"$or": [{"end": {"$gt": MAR_15}}, eq(MAR_14, MAR_15)]},
            id="spec-ge",
        ),
        pytest.param(
            "le2013-03-14",
            {"$or": [{"start": {"$lt": MAR_14}}, eq(MAR_14, MAR_15)]},
            id="spec-le",
        ),
        pytest.param("sa2013-03-14", {"start": {"$gte": MAR_15}}, id="spec-sa"),
        pytest.param("eb2013-03-14", {"end": {"$lte": MAR_14}}, id="spec-eb"),
        pytest.param(
            # now is 2023-03-15: the gap from the search day's end is 3652 days, 10% of it
            # 365 days 4:48 on each side
            "ap2013-03-14",
            {
                "start": {"$lt": datetime(2014, 3, 15, 4, 48)},
                "end": {"$gt": datetime(2012, 3, 13, 19, 12)},
            },
            id="spec-ap",
        ),
        # precision: the value's range (#prefix "range of the value", #date "other notes")
        pytest.param("2013-01-14", eq(DAY_14, DAY_15), id="no-prefix-is-eq"),
        pytest.param("2000", eq(datetime(2000, 1, 1), datetime(2001, 1, 1)), id="year"),
        pytest.param("2000-04", eq(datetime(2000, 4, 1), datetime(2000, 5, 1)), id="month"),
        pytest.param("2013-01-14T10:00Z", eq(AT_10, AT_1001), id="minute-utc"),
        pytest.param("2013-01-14T10:00", eq(AT_10, AT_1001), id="minute-no-zone-is-utc"),
        pytest.param("2013-01-14T11:00+01:00", eq(AT_10, AT_1001), id="minute-offset"),
        pytest.param(
            "2013-01-14T10:00:00Z", eq(AT_10, datetime(2013, 1, 14, 10, 0, 1)), id="second"
        ),
        pytest.param(
            "2013-01-14T10:00:00.25Z",
            eq(datetime(2013, 1, 14, 10, 0, 0, 250000), datetime(2013, 1, 14, 10, 0, 0, 260000)),
            id="fraction",
        ),
        pytest.param(
            "2013-01-14T10:00:00",
            eq(AT_10, datetime(2013, 1, 14, 10, 0, 1)),
            id="second-no-zone-is-utc",
        ),
        pytest.param(
            "ap2023",
            {"start": {"$lt": datetime(2024, 1, 1)}, "end": {"$gt": datetime(2023, 1, 1)}},
            id="ap-now-inside-is-overlap",
        ),
        pytest.param(
            # the gap is 2913101 days, 10% of it 291310 days 2:24; past the end is clamped
            "ap9999",
            {"start": {"$lt": LATEST}, "end": {"$gt": datetime(9201, 6, 2, 21, 36)}},
            id="ap-clamped-to-latest",
        ),
    ],
)
def test_filter(value: str, expected: Clause) -> None:
    assert date.clause(BIRTHDATE, value, now=NOW) == on_range(expected)


def test_ap_without_now_uses_the_clock() -> None:
    assert date.clause(BIRTHDATE, "ap2013") != date.clause(BIRTHDATE, "ap2013", now=NOW)


def ranges(*texts: str) -> list[dict[str, datetime]]:
    """Index entries as the indexer writes them: parse_range of each stored value."""
    return [dict(zip(("start", "end"), parse_range(text)[:2], strict=True)) for text in texts]


PATIENTS = {
    "day-0114": ranges("2013-01-14"),
    "at-0114T0000": ranges("2013-01-14T00:00:00Z"),
    "at-0114T1000": ranges("2013-01-14T10:00:00Z"),
    "at-0115T0000": ranges("2013-01-15T00:00:00Z"),
    "month-2013-01": ranges("2013-01"),
    "year-2013": ranges("2013"),
    "day-0314": ranges("2013-03-14"),
    "day-2015-06-15": ranges("2015-06-15"),
    "from-0121": [{"start": datetime(2013, 1, 21), "end": LATEST}],  # period without end
    "from-0315": [{"start": datetime(2013, 3, 15), "end": LATEST}],
    "until-0121": [{"start": EARLIEST, "end": datetime(2013, 1, 22)}],  # period without start
    "two-ranges": ranges("2010-05-01", "2013-01-14T12:00:00Z"),
}


@pytest.fixture(scope="module")
def patients() -> mongomock.Collection[dict[str, Any]]:
    collection: mongomock.Collection[dict[str, Any]] = mongomock.MongoClient().db.patients
    collection.insert_many([{"_id": key, "index": {"birthdate": r}} for key, r in PATIENTS.items()])
    collection.insert_one({"_id": "no-date", "index": {}})
    return collection


IN_2013 = set(PATIENTS) - {"day-2015-06-15"}


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        # search.html#date: eq2013-01-14 matches T00:00 and T10:00, not 2013-01-15T00:00
        pytest.param(
            "eq2013-01-14",
            NOW,
            {"day-0114", "at-0114T0000", "at-0114T1000", "two-ranges"},
            id="eq-day",
        ),
        # ne: every range not inside the day; two-ranges has one (2010) and matches both ways
        pytest.param(
            "ne2013-01-14",
            NOW,
            set(PATIENTS) - {"day-0114", "at-0114T0000", "at-0114T1000"},
            id="ne-day",
        ),
        # lt2013-01-14T10:00: "2013-01-14 matches, because it includes the part ... before 10am"
        pytest.param(
            "lt2013-01-14T10:00",
            NOW,
            {"day-0114", "at-0114T0000", "month-2013-01", "year-2013", "until-0121", "two-ranges"},
            id="lt-minute",
        ),
        # gt2013-01-14T10:00: "2013-01-14 matches, because it includes the part ... after 10am"
        pytest.param(
            "gt2013-01-14T10:00",
            NOW,
            set(PATIENTS) - {"at-0114T0000", "at-0114T1000"},
            id="gt-minute",
        ),
        # ge2013-03-14: "from 21-Jan 2013 onwards" is included
        pytest.param(
            "ge2013-03-14",
            NOW,
            {"year-2013", "day-0314", "day-2015-06-15", "from-0121", "from-0315"},
            id="ge",
        ),
        # le2013-03-14: "from 21-Jan 2013 onwards" is included
        pytest.param("le2013-03-14", NOW, set(PATIENTS) - {"day-2015-06-15", "from-0315"}, id="le"),
        # sa2013-03-14: "from 15-Mar 2013 onwards" in; "from 21-Jan" and "before 21-Jan" out
        pytest.param("sa2013-03-14", NOW, {"from-0315", "day-2015-06-15"}, id="sa"),
        # eb2013-03-14: "before and including 21-Jan 2013" in; both "from" periods out
        pytest.param(
            "eb2013-03-14",
            NOW,
            {
                "day-0114",
                "at-0114T0000",
                "at-0114T1000",
                "at-0115T0000",
                "month-2013-01",
                "until-0121",
                "two-ranges",
            },
            id="eb",
        ),
        # ap2013-03-14: 14-Mar in, 15-Jun 2015 out; ten years after, 10% is a year either side
        pytest.param("ap2013-03-14", NOW, IN_2013, id="ap-ten-years-later"),
        # a month after: 10% is about three days either side
        pytest.param(
            "ap2013-03-14",
            datetime(2013, 4, 14),
            {"year-2013", "day-0314", "from-0121", "from-0315"},
            id="ap-a-month-later",
        ),
        pytest.param("ap2013-03-14", MAR_14, {"year-2013", "day-0314", "from-0121"}, id="ap-now"),
        # a day search against month and year precision targets: not contained, but overlapping
        pytest.param(
            "eq2013-01-14",
            NOW,
            {"day-0114", "at-0114T0000", "at-0114T1000", "two-ranges"},
            id="day-excludes-month",
        ),
        pytest.param(
            "ap2013-01-14",
            DAY_14,
            {
                "day-0114",
                "at-0114T0000",
                "at-0114T1000",
                "month-2013-01",
                "year-2013",
                "until-0121",
                "two-ranges",
            },
            id="day-overlaps-month",
        ),
        # a month or year search contains the day and instant targets
        pytest.param(
            "2013-01",
            NOW,
            {
                "day-0114",
                "at-0114T0000",
                "at-0114T1000",
                "at-0115T0000",
                "month-2013-01",
                "two-ranges",
            },
            id="month-contains-days",
        ),
        pytest.param(
            "2013", NOW, IN_2013 - {"from-0121", "from-0315", "until-0121"}, id="year-contains"
        ),
        # open ends are never contained, always overlapped on their open side
        pytest.param("lt1900", NOW, {"until-0121"}, id="open-start-before-anything"),
        pytest.param("gt9000", NOW, {"from-0121", "from-0315"}, id="open-end-after-anything"),
        pytest.param("2013-01-14T11:00+01:00", NOW, {"at-0114T1000"}, id="offset-to-utc"),
    ],
)
def test_matches(
    patients: mongomock.Collection[dict[str, Any]],
    value: str,
    now: datetime | None,
    expected: set[str],
) -> None:
    found = {document["_id"] for document in patients.find(date.clause(BIRTHDATE, value, now=now))}
    assert found == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("2019-13", id="month-13"),
        pytest.param("2019-02-30", id="february-30"),
        pytest.param("2019-13-01T10:00", id="month-13-with-time"),
        pytest.param("gtabc", id="prefix-and-letters"),
        pytest.param("gt", id="prefix-alone"),
        pytest.param("23 May 2009", id="spec-incorrect-format"),
        pytest.param("2013-01-14T10", id="hour-without-minutes"),
        pytest.param("2013-01-14T10:00+0100", id="offset-without-colon"),
        pytest.param("19", id="short-year"),
        pytest.param("xx2013", id="unknown-prefix"),
    ],
)
def test_invalid_value(value: str) -> None:
    with pytest.raises(InvalidSearch) as caught:
        date.clause(BIRTHDATE, value, now=NOW)
    message = f"Invalid date `{value}` for parameter `birthdate`."
    assert caught.value.issues == [Issue(message, code="invalid", expression="birthdate")]


LAST_UPDATED = SearchParameter("_lastUpdated", "date", ("Patient",), ("last_updated",), point=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            "2020-05-01",
            {"$and": [
                {"last_updated": {"$gte": datetime(2020, 5, 1)}},
                {"last_updated": {"$lte": datetime(2020, 5, 1, 23, 59, 59, 999000)}},
            ]},
            id="eq-a-day",
        ),
        pytest.param(
            "gt2020-05-01", {"last_updated": {"$gt": datetime(2020, 5, 1, 23, 59, 59, 999000)}},
            id="gt-a-day",
        ),
        pytest.param("lt2020-05-01", {"last_updated": {"$lt": datetime(2020, 5, 1)}}, id="lt-a-day"),
    ],
)  # fmt: skip
def test_an_instant_is_searched_in_place(value: str, expected: dict[str, Any]) -> None:
    assert date.clause(LAST_UPDATED, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2020-05-01", ["day-start", "day-end"], id="eq"),
        pytest.param("ne2020-05-01", ["before", "after"], id="ne"),
        pytest.param("gt2020-05-01", ["after"], id="gt"),
        pytest.param("ge2020-05-01", ["after", "day-end", "day-start"], id="ge"),
        pytest.param("lt2020-05-01", ["before"], id="lt"),
        pytest.param("le2020-05-01", ["before", "day-end", "day-start"], id="le"),
        pytest.param("sa2020-05-01", ["after"], id="sa"),
        pytest.param("eb2020-05-01", ["before"], id="eb"),
        pytest.param("eq2020-05-01T23:59:59Z", ["day-end"], id="eq-a-second"),
    ],
)
def test_instants_match_as_their_millisecond(value: str, expected: list[str]) -> None:
    collection = mongomock.MongoClient().db.c
    collection.insert_many([
        {"_id": "before", "last_updated": datetime(2020, 4, 30, 23, 59, 59, 999000)},
        {"_id": "day-start", "last_updated": datetime(2020, 5, 1)},
        {"_id": "day-end", "last_updated": datetime(2020, 5, 1, 23, 59, 59, 999000)},
        {"_id": "after", "last_updated": datetime(2020, 5, 2)},
    ])  # fmt: skip
    found = sorted(d["_id"] for d in collection.find(date.clause(LAST_UPDATED, value)))
    assert found == sorted(expected)
