"""FHIR date, dateTime and instant text -> UTC range. https://hl7.org/fhir/R4/datatypes.html#dateTime"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from pydantic import ValidationError

from gateway.domain.time import FhirDateTime, parse_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2019", (datetime(2019, 1, 1), datetime(2020, 1, 1), "year"), id="year"),
        pytest.param("2019-05", (datetime(2019, 5, 1), datetime(2019, 6, 1), "month"), id="month"),
        pytest.param(
            "2019-12", (datetime(2019, 12, 1), datetime(2020, 1, 1), "month"), id="december"
        ),
        pytest.param(
            "2020-02", (datetime(2020, 2, 1), datetime(2020, 3, 1), "month"), id="leap-february"
        ),
        pytest.param("2019-05-06", (datetime(2019, 5, 6), datetime(2019, 5, 7), "day"), id="day"),
        pytest.param(
            "2019-12-31", (datetime(2019, 12, 31), datetime(2020, 1, 1), "day"), id="new-year-eve"
        ),
        pytest.param(
            "2019-05-06T10:20:30Z",
            (datetime(2019, 5, 6, 10, 20, 30), datetime(2019, 5, 6, 10, 20, 31), "second"),
            id="seconds-z",
        ),
        pytest.param(
            "2019-05-06T10:20:30+00:00",
            (datetime(2019, 5, 6, 10, 20, 30), datetime(2019, 5, 6, 10, 20, 31), "second"),
            id="seconds-zero-offset",
        ),
        pytest.param(
            "2019-05-06T10:20:30+02:00",
            (datetime(2019, 5, 6, 8, 20, 30), datetime(2019, 5, 6, 8, 20, 31), "second"),
            id="seconds-east-of-utc",
        ),
        pytest.param(
            "2019-05-06T23:20:30-05:00",
            (datetime(2019, 5, 7, 4, 20, 30), datetime(2019, 5, 7, 4, 20, 31), "second"),
            id="seconds-west-of-utc-next-day",
        ),
        pytest.param(
            "2019-12-31T23:30:00-01:00",
            (datetime(2020, 1, 1, 0, 30), datetime(2020, 1, 1, 0, 30, 1), "second"),
            id="seconds-west-of-utc-next-year",
        ),
        pytest.param(
            "2024-03-10T16:45:00+09:30",
            (datetime(2024, 3, 10, 7, 15), datetime(2024, 3, 10, 7, 15, 1), "second"),
            id="half-hour-offset",
        ),
        pytest.param(
            "2019-05-06T10:20:30.5Z",
            (
                datetime(2019, 5, 6, 10, 20, 30, 500000),
                datetime(2019, 5, 6, 10, 20, 30, 600000),
                "fraction",
            ),
            id="tenths",
        ),
        pytest.param(
            "2019-05-06T10:20:30.000Z",
            (datetime(2019, 5, 6, 10, 20, 30), datetime(2019, 5, 6, 10, 20, 30, 1000), "fraction"),
            id="milliseconds-zero",
        ),
        pytest.param(
            "2019-05-06T10:20:30.1234+05:30",
            (
                datetime(2019, 5, 6, 4, 50, 30, 123000),
                datetime(2019, 5, 6, 4, 50, 30, 124000),
                "fraction",
            ),
            id="sub-millisecond-rounded-outward-to-milliseconds",
        ),
        pytest.param(
            "2019-05-06T10:20:30.123456789Z",
            (
                datetime(2019, 5, 6, 10, 20, 30, 123000),
                datetime(2019, 5, 6, 10, 20, 30, 124000),
                "fraction",
            ),
            id="nanoseconds",
        ),
    ],
)
def test_parse_range_gives_utc_interval_of_the_precision(
    text: str, expected: tuple[datetime, datetime, str]
) -> None:
    assert parse_range(text) == expected


def test_minutes_without_seconds_parse_when_allowed() -> None:
    assert parse_range("2019-05-06T10:20+01:00", allow_minutes=True) == (
        datetime(2019, 5, 6, 9, 20),
        datetime(2019, 5, 6, 9, 21),
        "minute",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "2019-05-06T10:20:30",
            "`2019-05-06T10:20:30` has a time but no time zone",
            id="time-without-zone",
        ),
        pytest.param(
            "2019-05-06T10:20Z", "`2019-05-06T10:20Z` has a time without seconds", id="no-seconds"
        ),
        pytest.param("2019-13", "month must be in 1..12", id="month-13"),
        pytest.param("2019-00", "month must be in 1..12", id="month-0"),
        pytest.param("2019-02-29", "day is out of range for month", id="not-a-leap-year"),
        pytest.param("2019-05-06T25:00:00Z", "hour must be in 0..23", id="hour-25"),
        pytest.param("2016-12-31T23:59:61Z", "second must be in 0..59", id="second-61"),
        pytest.param("garbage", "`garbage` is not a FHIR date or dateTime", id="garbage"),
        pytest.param("", "`` is not a FHIR date or dateTime", id="empty"),
        pytest.param("2019-5", "`2019-5` is not a FHIR date or dateTime", id="one-digit-month"),
        pytest.param("19", "`19` is not a FHIR date or dateTime", id="two-digit-year"),
        pytest.param("2019-05-06Z", "`2019-05-06Z` is not a FHIR date or dateTime", id="date-zone"),
        pytest.param(
            "2019-05-06T10:20:30+0200",
            "`2019-05-06T10:20:30+0200` is not a FHIR date or dateTime",
            id="offset-without-colon",
        ),
        pytest.param(
            "2019-05-06 10:20:30Z",
            "`2019-05-06 10:20:30Z` is not a FHIR date or dateTime",
            id="space-for-t",
        ),
    ],
)
def test_parse_range_rejects_what_is_not_a_fhir_date(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_range(text)


@pytest.mark.parametrize(
    ("text", "start", "precision"),
    [
        pytest.param("9999-12-31", datetime(9999, 12, 31), "day", id="last-day"),
        pytest.param("9999-12", datetime(9999, 12, 1), "month", id="last-month"),
        pytest.param("9999", datetime(9999, 1, 1), "year", id="last-year"),
    ],
)
def test_parse_range_covers_the_last_fhir_year(text: str, start: datetime, precision: str) -> None:
    parsed_start, _end, parsed_precision = parse_range(text)
    assert (parsed_start, parsed_precision) == (start, precision)


LATEST = datetime(9999, 12, 31, 23, 59, 59, 999000)  # datetime.max truncated to milliseconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("9999", (datetime(9999, 1, 1), LATEST, "year"), id="last-year"),
        pytest.param("9999-12", (datetime(9999, 12, 1), LATEST, "month"), id="last-month"),
        pytest.param("9999-12-31", (datetime(9999, 12, 31), LATEST, "day"), id="last-day"),
        pytest.param(
            "9999-12-31T23:59:59Z",
            (datetime(9999, 12, 31, 23, 59, 59), LATEST, "second"),
            id="last-second",
        ),
        pytest.param(
            "9999-12-31T23:59:59.9995Z", (LATEST, LATEST, "fraction"), id="last-sub-millisecond"
        ),
        pytest.param(
            "9999-12-31T23:30:00-01:00", (LATEST, LATEST, "second"), id="after-year-9999-in-utc"
        ),
        pytest.param(
            "0001-01-01T00:30:00+01:00",
            (datetime.min, datetime(1, 1, 1, 0, 0, 1), "second"),
            id="before-year-one-in-utc",
        ),
        pytest.param(
            "0001-01-01", (datetime.min, datetime(1, 1, 2), "day"), id="first-day-unclamped"
        ),
    ],
)
def test_parse_range_clamps_bounds_datetime_cannot_hold(
    text: str, expected: tuple[datetime, datetime, str]
) -> None:
    assert parse_range(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "2016-12-31T23:59:60Z",
            (datetime(2016, 12, 31, 23, 59, 59), datetime(2017, 1, 1), "second"),
            id="second",
        ),
        pytest.param(
            "2016-12-31T23:59:60.25Z",
            (
                datetime(2016, 12, 31, 23, 59, 59, 250000),
                datetime(2016, 12, 31, 23, 59, 59, 260000),
                "fraction",
            ),
            id="fraction",
        ),
        pytest.param(
            "2017-01-01T00:59:60+01:00",
            (datetime(2016, 12, 31, 23, 59, 59), datetime(2017, 1, 1), "second"),
            id="with-offset",
        ),
    ],
)
def test_parse_range_reads_a_leap_second_as_the_last_second_of_its_minute(
    text: str, expected: tuple[datetime, datetime, str]
) -> None:
    assert parse_range(text) == expected


def test_leap_second_lies_in_its_minute() -> None:
    start, end, _ = parse_range("2016-12-31T23:59:60Z")
    minute_start, minute_end, _ = parse_range("2016-12-31T23:59Z", allow_minutes=True)

    assert minute_start <= start < end == minute_end


def test_fhir_date_time_of_keeps_the_text_and_its_range() -> None:
    assert FhirDateTime.of("2019-05-06T10:20:30.1234+05:30") == FhirDateTime(
        value="2019-05-06T10:20:30.1234+05:30",
        start=datetime(2019, 5, 6, 4, 50, 30, 123000),
        end=datetime(2019, 5, 6, 4, 50, 30, 124000),
        precision="fraction",
    )


def test_fhir_date_time_dumps_its_stored_form() -> None:
    moment = FhirDateTime.of("1974-12")

    assert moment.model_dump() == {
        "value": "1974-12",
        "start": datetime(1974, 12, 1),
        "end": datetime(1975, 1, 1),
        "precision": "month",
    }


def test_fhir_date_time_reads_back_its_stored_form() -> None:
    moment = FhirDateTime.of("2019-05-06T23:20:30-05:00")

    assert FhirDateTime.model_validate(moment.model_dump()) == moment


def test_fhir_date_time_of_invalid_text_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=re.escape("month must be in 1..12")):
        FhirDateTime.of("2019-13")


def test_fhir_date_time_is_not_read_from_text_by_the_domain() -> None:
    """Text is the FHIR form, which the mappers read (mappers/datatypes.py)."""
    with pytest.raises(ValidationError):
        FhirDateTime.model_validate("2019-05")
