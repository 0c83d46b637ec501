"""FHIR date, dateTime and instant values: the text as sent, and the UTC range it denotes.

https://hl7.org/fhir/R4/datatypes.html#dateTime and search.html#date: a value's precision
defines a range (`2019` is the whole year). Ranges are naive UTC datetimes, as MongoDB stores
them; a value without a time zone is taken as UTC.
"""

from __future__ import annotations

import re
from datetime import MAXYEAR, UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Precision = Literal["year", "month", "day", "minute", "second", "fraction"]

_PATTERN = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


# The last instant MongoDB stores exactly: datetime.max truncated to milliseconds.
_LATEST = datetime.max.replace(microsecond=999000)
_SECOND = timedelta(seconds=1)
_MILLISECOND = timedelta(milliseconds=1)


def parse_range(text: str, *, allow_minutes: bool = False) -> tuple[datetime, datetime, Precision]:
    """`text` → (start, end, precision): the half-open UTC interval [start, end).

    Raises ValueError for anything that is not a FHIR date/dateTime/instant. `allow_minutes`
    admits `hh:mm` without seconds, which search values may use but stored values may not.

    These are valid FHIR that `datetime` cannot hold, so they are clamped, never raised:
    - A bound past `_LATEST` (datetime.max truncated to milliseconds, so that MongoDB stores it
      exactly) becomes `_LATEST`: the exclusive end of `9999`, `9999-12` or `9999-12-31`, a common
      open-end sentinel. The range then misses only the last millisecond of year 9999.
    - A UTC start before `datetime.min`, as in `0001-01-01T00:30:00+01:00`, becomes
      `datetime.min`; the end is that plus the value's precision.
    - A leap second (`23:59:60Z`; R4's dateTime regex allows `60`) reads as second 59 of its
      minute, so the range [23:59:59, 00:00:00) ends, like the leap second, when the next minute
      starts, and `23:59` contains it. A `datetime` has no second 60 to start at.
    """
    fast = _seconds_range(text) or _millis_range(text)
    if fast is not None:
        return fast
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"`{text}` is not a FHIR date or dateTime")
    if match["hour"] is None:
        return _date_range(match)
    if match["tz"] is None:
        raise ValueError(f"`{text}` has a time but no time zone")
    if match["second"] is None and not allow_minutes:
        raise ValueError(f"`{text}` has a time without seconds")
    return _time_range(match)


def _seconds_range(text: str) -> tuple[datetime, datetime, Precision] | None:
    """The common `YYYY-MM-DDThh:mm:ss` + zone form, by the C parser; None for anything else
    (fractions, leap seconds, bounds to clamp), which the general path handles."""
    if len(text) not in (20, 25) or text[10] != "T" or text[19] not in "Z+-" or text[17] == "6":
        return None
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)
        return moment, moment + _SECOND, "second"
    except (ValueError, OverflowError):
        return None


def _millis_range(text: str) -> tuple[datetime, datetime, Precision] | None:
    """`YYYY-MM-DDThh:mm:ss.fff` + zone, as Synthea writes every `issued`, by the C parser: a
    third of the general path's cost. None for anything else; the dashes and colons are checked
    because `fromisoformat` also reads ISO week dates, which FHIR does not allow."""
    if len(text) not in (24, 29) or text[19] != "." or text[23] not in "Z+-" or text[17] == "6":
        return None
    if text[4] != "-" or text[7] != "-" or text[10] != "T" or text[13] != ":" or text[16] != ":":
        return None
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)
        return moment, moment + _MILLISECOND, "fraction"
    except (ValueError, OverflowError):
        return None


def _date_range(match: re.Match[str]) -> tuple[datetime, datetime, Precision]:
    year = int(match["year"])
    if match["month"] is None:
        return datetime(year, 1, 1), _first_of(year + 1, 1), "year"
    month = int(match["month"])
    if match["day"] is None:
        start = datetime(year, month, 1)
        return start, _first_of(year + month // 12, month % 12 + 1), "month"
    start = datetime(year, month, int(match["day"]))
    return start, _shift(start, timedelta(days=1)), "day"


def _time_range(match: re.Match[str]) -> tuple[datetime, datetime, Precision]:
    year, month, day, hour, minute = (
        int(match[g]) for g in ("year", "month", "day", "hour", "minute")
    )
    second = int(match["second"] or 0)
    second = 59 if second == 60 else second  # a leap second: see parse_range
    micro = int(((match["fraction"] or "") + "000000")[:6])
    local = datetime(year, month, day, hour, minute, second, micro)
    start = _shift(local, -_offset(match["tz"]))
    step, precision = _step(match)
    return _to_millis(start), _to_millis(_shift(start, step), up=True), precision


def _step(match: re.Match[str]) -> tuple[timedelta, Precision]:
    """The length the value's precision gives it: a minute, a second, or its last digit."""
    fraction = match["fraction"]
    if match["second"] is None:
        return timedelta(minutes=1), "minute"
    if fraction:
        return timedelta(microseconds=10 ** (6 - min(len(fraction), 6))), "fraction"
    return timedelta(seconds=1), "second"


def _first_of(year: int, month: int) -> datetime:
    """The first instant of `year`-`month`, or `_LATEST` past year 9999."""
    return datetime(year, month, 1) if year <= MAXYEAR else _LATEST


def _shift(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta` clamped to [datetime.min, _LATEST] instead of overflowing."""
    try:
        return min(moment + delta, _LATEST)
    except OverflowError:
        return _LATEST if delta > timedelta(0) else datetime.min


def _offset(tz: str) -> timedelta:
    if tz == "Z":
        return timedelta(0)
    sign = -1 if tz[0] == "-" else 1
    hours, minutes = int(tz[1:3]), int(tz[4:6])
    return sign * timedelta(hours=hours, minutes=minutes)


def _to_millis(moment: datetime, *, up: bool = False) -> datetime:
    """MongoDB keeps milliseconds; round so a stored bound reads back identical."""
    extra = moment.microsecond % 1000
    if not extra:
        return moment
    floor = moment - timedelta(microseconds=extra)
    return _shift(floor, timedelta(milliseconds=1)) if up else floor


def utc_now() -> datetime:
    """Now as naive UTC at millisecond precision, the resolution MongoDB stores (one
    `replace`: every write of a transaction entry asks)."""
    now = datetime.now(UTC)
    return now.replace(tzinfo=None, microsecond=now.microsecond - now.microsecond % 1000)


def format_instant(moment: datetime) -> str:
    """A naive-UTC datetime as a FHIR instant, e.g. `2026-11-21T10:00:00.123Z`.

    `isoformat` is C and costs half of `strftime`; twice per written entry (its meta and the
    response's lastModified). It pads a year below 1000 where `strftime` on glibc does not,
    and an aware datetime would gain an offset: those keep the `strftime` form."""
    if moment.tzinfo is None and moment.year >= 1000:
        return moment.isoformat(timespec="milliseconds") + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class FhirDateTime(BaseModel):
    """A date, dateTime or instant as recorded: its text (precision and zone as sent) and the
    UTC range it covers, for search and sorting. `of` builds one from the text."""

    model_config = ConfigDict(frozen=True)

    value: str
    start: datetime
    end: datetime
    precision: Precision

    @classmethod
    def of(cls, text: str) -> FhirDateTime:
        """Raises ValueError for text that is not a date, dateTime or instant."""
        return cls.model_validate(fields_of(text))


def fields_of(text: str) -> dict[str, Any]:
    """The fields of the `FhirDateTime` of `text`; raises ValueError as `parse_range` does."""
    start, end, precision = parse_range(text)
    return {"value": text, "start": start, "end": end, "precision": precision}
