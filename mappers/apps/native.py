"""Native rows and their identity: the values every adapter shares.

A native row is `Identity(app, entity, native id)`. Every resource made from it carries the
identifier `{system: <SID>/<app>/<entity>, value: <native id>}`; its FHIR id is a UUID v5 of that
identifier and a part name (`resource_id(part)`), so a re-sent row lands on the same resources.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from gateway.jsonio import Json

__all__ = [
    "SID",
    "Day",
    "Identity",
    "Instant",
    "NativeId",
    "NativeRow",
    "fhir_date",
    "fhir_datetime",
    "stable_int",
]

GATEWAY = "http://fhir-gateway.org/fhir"
SID = f"{GATEWAY}/sid"
"""Identifier systems of native rows: `<SID>/<app>/<entity>`."""
_NAMESPACE = uuid.UUID("5d7f0c52-7a1e-4c39-9a43-2f0e6b1f3a10")  # fixed forever: ids depend on it

NativeId = str | int


class NativeRow(BaseModel):
    """Base of every row model: the seed's field names, nothing else, no silent coercion.

    `strict`: a JSON string is not an INTEGER column (use `Instant`/`Day` for timestamps, which
    arrive as ISO text). `extra="forbid"`: an unknown field is a 422 naming it, not data lost.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True, slots=True)
class Identity:
    """One native row: the app, the entity as its seed names it, the row's own id."""

    app: str
    entity: str
    native_id: str

    @classmethod
    def of(cls, app: str, entity: str, native_id: NativeId) -> Identity:
        return cls(app, entity, str(native_id))

    @property
    def system(self) -> str:
        return f"{SID}/{self.app}/{self.entity}"

    def identifier(self) -> Json:
        return {"system": self.system, "value": self.native_id}

    def resource_id(self, part: str = "") -> str:
        """The FHIR id of the row's resource `part` ("" for its primary resource)."""
        return str(uuid.uuid5(_NAMESPACE, f"{self.system}|{self.native_id}|{part}"))

    def reference(self, resource_type: str, part: str = "") -> Json:
        return {"reference": f"{resource_type}/{self.resource_id(part)}"}


# --- values as the seeds write them -------------------------------------------------------

_DATETIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?"
)


def _iso_datetime(text: str) -> str:
    match = _DATETIME.fullmatch(text)
    if match is None:
        raise ValueError(f"`{text}` is not an ISO 8601 date or date-time.")
    try:
        date.fromisoformat(match.group(1))
        if match.group(2):
            datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
    except ValueError as error:
        raise ValueError(f"`{text}` is not a valid date or date-time.") from error
    return text


def _iso_date(text: str) -> str:
    _iso_datetime(text)
    if len(text) > 10 and not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}T00:00(:00(\.0+)?)?(Z|\+00:?00)?", text
    ):
        raise ValueError(f"`{text}` is a date-time with a time of day; a date is expected.")
    return text


Instant = Annotated[str, AfterValidator(_iso_datetime)]
"""A DATE/DateTime/Date column as JSON carries it: ISO 8601 text (`2025-11-01T14:30:00.000Z`,
or a date alone); kept as sent so it comes back as sent."""

Day = Annotated[str, AfterValidator(_iso_date)]
"""A date-only column (Prisma `@db.Date`): `1985-03-15`, or Prisma's `1985-03-15T00:00:00.000Z`."""


def fhir_datetime(instant: str) -> str:
    """An `Instant` as a FHIR dateTime: a time without a zone is read as UTC (dateTime requires
    a zone when a time is given, datatypes.html#dateTime); a space separator becomes `T`."""
    match = _DATETIME.fullmatch(instant)
    if match is None or not match.group(2):
        return instant[:10]
    day, clock, zone = match.groups()
    if clock.count(":") == 1:
        clock += ":00"
    if zone and len(zone) == 5:  # +0100 -> +01:00
        zone = f"{zone[:3]}:{zone[3:]}"
    return f"{day}T{clock}{zone or 'Z'}"


def fhir_date(day: str) -> str:
    """A `Day` (or the date of an `Instant`) as a FHIR date."""
    return day[:10]


def stable_int(text: str) -> int:
    """A positive integer (< 2**53, exact in JSON everywhere) standing for `text`: the native
    id of a row built from a resource without the app's identifier, for apps whose ids are
    INTEGER columns. Not a secret, just a stable name."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:7], "big") >> 3
