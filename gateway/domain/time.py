"""FHIR date, dateTime and instant values: the text as sent, and the UTC range it denotes.

https://hl7.org/fhir/R4/datatypes.html#dateTime and search.html#date: a value's precision
defines a range (`2019` is the whole year). Ranges are naive UTC datetimes, as MongoDB stores
them; a value without a time zone is taken as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SerializationInfo, model_serializer, model_validator

Precision = Literal["year", "month", "day", "minute", "second", "fraction"]

_PATTERN = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def parse_range(text: str, *, allow_minutes: bool = False) -> tuple[datetime, datetime, Precision]:
    """`text` → (start, end, precision): the half-open UTC interval [start, end).

    Raises ValueError for anything that is not a FHIR date/dateTime/instant. `allow_minutes`
    admits `hh:mm` without seconds, which search values may use but stored values may not.
    """
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"`{text}` is not a FHIR date or dateTime")
    parts = match.groupdict()
    year = int(parts["year"])
    if parts["month"] is None:
        return datetime(year, 1, 1), datetime(year + 1, 1, 1), "year"
    month = int(parts["month"])
    if parts["day"] is None:
        start = datetime(year, month, 1)
        end = datetime(year + month // 12, month % 12 + 1, 1)
        return start, end, "month"
    day = int(parts["day"])
    if parts["hour"] is None:
        start = datetime(year, month, day)
        return start, start + timedelta(days=1), "day"
    if parts["tz"] is None:
        raise ValueError(f"`{text}` has a time but no time zone")
    if parts["second"] is None and not allow_minutes:
        raise ValueError(f"`{text}` has a time without seconds")
    second = int(parts["second"] or 0)
    fraction = parts["fraction"] or ""
    micro = int((fraction + "000000")[:6]) if fraction else 0
    tz = parts["tz"]
    offset = timedelta(0) if tz == "Z" else _offset(tz)
    local = datetime(year, month, day, int(parts["hour"]), int(parts["minute"]), second, micro)
    start = local - offset
    if parts["second"] is None:
        step, precision = timedelta(minutes=1), "minute"
    elif fraction:
        step, precision = (
            timedelta(microseconds=max(1, 10 ** (6 - min(len(fraction), 6)))),
            "fraction",
        )
    else:
        step, precision = timedelta(seconds=1), "second"
    return _to_millis(start), _to_millis(start + step, up=True), precision  # type: ignore[return-value]


def _offset(tz: str) -> timedelta:
    sign = -1 if tz[0] == "-" else 1
    hours, minutes = int(tz[1:3]), int(tz[4:6])
    return sign * timedelta(hours=hours, minutes=minutes)


def _to_millis(moment: datetime, *, up: bool = False) -> datetime:
    """MongoDB keeps milliseconds; round so a stored bound reads back identical."""
    extra = moment.microsecond % 1000
    if not extra:
        return moment
    floor = moment - timedelta(microseconds=extra)
    return floor + timedelta(milliseconds=1) if up else floor


def utc_now() -> datetime:
    """Now as naive UTC at millisecond precision, the resolution MongoDB stores."""
    return _to_millis(datetime.now(UTC).replace(tzinfo=None))


def format_instant(moment: datetime) -> str:
    """A naive-UTC datetime as a FHIR instant, e.g. `2026-11-21T10:00:00.123Z`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class FhirDateTime(BaseModel):
    """A FHIR date/dateTime/instant as stored: its text, and the UTC range for search and sorting.

    Validates from the FHIR text or from its stored form; dumps to the text when serialised
    with `context={"fhir": True}`, to the stored form otherwise.
    """

    model_config = ConfigDict(frozen=True)

    value: str
    start: datetime
    end: datetime
    precision: Precision

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            start, end, precision = parse_range(data)
            return {"value": data, "start": start, "end": end, "precision": precision}
        return data

    @model_serializer(mode="plain")
    def _to_text(self, info: SerializationInfo) -> Any:
        if info.context and info.context.get("fhir"):
            return self.value
        return {
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "precision": self.precision,
        }

    @classmethod
    def of(cls, text: str) -> FhirDateTime:
        return cls.model_validate(text)
