"""The R4 primitive formats fhir.resources enforces, checked the way it checks them.

https://hl7.org/fhir/R4/datatypes.html#primitive gives a regex per type; fhir.resources
(`fhir_core.types`) applies them with a few additions of its own, which the compiled walk must
share to give its verdicts: dates must exist on the calendar (`2019-02-29` fails, via pydantic's
date parser), a second may be a leap second (`23:59:60`), an id has at most 255 characters (the
64 of R4 is `primitives.py`'s stricter rule), base64 is decoded (so the padding counts), a uuid
is a version-4 UUID of RFC 4122's variant (pydantic's `UUID4`), integers are 32-bit,
positiveInt >= 1, unsignedInt >= 0.
The string rules fhir.resources leaves out (size, control characters, uri) stay in primitives.py.

Each check takes a value whose JSON type the walk has already checked and answers a Problem or
None; `CHECKS` maps a type code to its check, and a type without one passes as it is.
"""

from __future__ import annotations

import binascii
import math
import re
from collections.abc import Callable
from typing import Any, Final

from mappers.primitives import Problem, shown

_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?"
_ZONE = r"(Z|[+\-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
DATE: Final = re.compile(_YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?")
DATE_TIME: Final = re.compile(
    _YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T" + _TIME + _ZONE + r")?)?)?"
)
INSTANT: Final = re.compile(_YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T" + _TIME + _ZONE)
TIME: Final = re.compile(_TIME)
CODE: Final = re.compile(r"[^\s]+(\s[^\s]+)*")
ID: Final = re.compile(r"[A-Za-z0-9\-.]{1,255}")
OID: Final = re.compile(r"urn:oid:[0-2](\.(0|[1-9][0-9]*))+")
UUID_VERSION_AT: Final = len("urn:uuid:") + 14  # `xxxxxxxx-xxxx-Vxxx-Nxxx-...`: the version
UUID_VARIANT_AT: Final = len("urn:uuid:") + 19  # N: the variant
_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_INT32: Final = 2**31


def _on_calendar(value: str) -> bool:
    """A full date (`YYYY-MM-DD...`) that exists; the regexes have checked the digits."""
    if len(value) < 10 or value[8:10] <= "28":
        return True  # every month has 28 days: most dates decided by one comparison
    year, month, day = int(value[:4]), int(value[5:7]), int(value[8:10])
    if month == 2 and day == 29:
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= _DAYS[month]


def _dated(pattern: re.Pattern[str], type_name: str) -> Callable[[Any], Problem | None]:
    def check(value: Any) -> Problem | None:
        if not pattern.fullmatch(value):
            return "structure", f"`{shown(value)}` is not a valid FHIR {type_name}."
        if not _on_calendar(value):
            return "structure", f"`{shown(value)}` is not a day of the calendar."
        return None

    return check


def _patterned(pattern: re.Pattern[str], type_name: str) -> Callable[[Any], Problem | None]:
    def check(value: Any) -> Problem | None:
        if pattern.fullmatch(value):
            return None
        return "structure", f"`{shown(value)}` is not a valid FHIR {type_name}."

    return check


def _ranged(low: int, type_name: str) -> Callable[[Any], Problem | None]:
    def check(value: Any) -> Problem | None:
        if low <= value < _INT32:
            return None
        return "structure", f"`{value}` is outside the range of a FHIR {type_name}."

    return check


def _uuid(value: Any) -> Problem | None:
    """primitives.py has checked the `urn:uuid:` form; pydantic's UUID4 wants version 4 of the
    RFC 4122 variant (RFC 4122 §4.1.1: the variant digit is 8, 9, a or b)."""
    if value[UUID_VERSION_AT] == "4" and value[UUID_VARIANT_AT] in "89ab":
        return None
    return "structure", f"`{shown(value)}` is not a version 4 UUID."


def _base64(value: Any) -> Problem | None:
    """As pydantic's Base64Bytes decodes: characters outside the alphabet are dropped, the
    padding must then be right (`base64.b64decode` without validate)."""
    try:
        binascii.a2b_base64(value.encode())
    except (binascii.Error, ValueError) as error:
        return "structure", f"Not valid base64: {error}."
    return None


def _decimal(value: Any) -> Problem | None:
    """JSON numbers always match the decimal regex; a float made in Python may be inf or nan."""
    if type(value) is float and not math.isfinite(value):
        return "structure", f"`{value}` is not a FHIR decimal."
    return None


CHECKS: dict[str, Callable[[Any], Problem | None]] = {
    "date": _dated(DATE, "date"),
    "dateTime": _dated(DATE_TIME, "dateTime"),
    "instant": _dated(INSTANT, "instant"),
    "time": _patterned(TIME, "time"),
    "code": _patterned(CODE, "code"),
    "id": _patterned(ID, "id"),
    "oid": _patterned(OID, "oid"),
    "uuid": _uuid,
    "base64Binary": _base64,
    "integer": _ranged(-_INT32, "integer"),
    "unsignedInt": _ranged(0, "unsignedInt"),
    "positiveInt": _ranged(1, "positiveInt"),
    "decimal": _decimal,
}
