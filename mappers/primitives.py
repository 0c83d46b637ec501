"""R4 primitive values in JSON: their JSON type, and the string rules fhir.resources leaves out.

https://hl7.org/fhir/R4/datatypes.html#primitive and json.html#primitive. fhir.resources
checks the formats of dates, times, codes, ids (pattern only), oids and decimals; it does not
check a string's size, its characters, an id's length, or uri, uuid and base64Binary formats
(its uri pattern `\\S*` is applied unanchored, so it matches anything). Those are here.
"""

from __future__ import annotations

import re
import sys
from typing import Final

BOOLEAN = {"boolean"}
INTEGER = {"integer", "positiveInt", "unsignedInt"}
DECIMAL = {"decimal"}
STRING_LIKE = {
    "string", "code", "id", "uri", "url", "canonical", "oid", "uuid", "markdown", "base64Binary",
    "date", "dateTime", "instant", "time", "xhtml",
}  # fmt: skip
JSON_KIND: dict[str, type] = {
    **dict.fromkeys(BOOLEAN, bool), **dict.fromkeys(INTEGER, int),
    **dict.fromkeys(DECIMAL, float), **dict.fromkeys(STRING_LIKE, str),
}  # fmt: skip

# datatypes.html#string: "strings SHALL NOT exceed 1MB (1024*1024 characters) in size"
# (string.value maxLength 1048576); code and markdown specialise string, so the limit holds for
# them too. An id is 1-64 characters. Other types (uri, base64Binary, xhtml) have no limit.
MAX_STRING: Final = 1024 * 1024
_MAX_LENGTH = {"string": MAX_STRING, "code": MAX_STRING, "markdown": MAX_STRING, "id": 64}
UNBOUNDED: Final = sys.maxsize

# datatypes.html#string: no code points below 32 except tab, CR and LF. XML 1.0, FHIR's other
# format, cannot carry them at all, so the rule holds for every string-like type.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
URI_TYPES = frozenset({"uri", "url", "canonical"})
# The formats (R4 regexes, datatypes.html) fhir.resources does not enforce.
FORMATS: dict[str, re.Pattern[str]] = {
    **dict.fromkeys(URI_TYPES, re.compile(r"\S*")),
    # fhir.resources takes any UUID (no prefix, upper case); R4 wants the URN, lower case
    "uuid": re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    # Only the alphabet: fhir.resources decodes (and so checks the padding) but drops other
    # characters first. R4's regex omits `/`, which base64 uses; R5 corrected it.
    "base64Binary": re.compile(r"[A-Za-z0-9+/=\s]+"),
}

Problem = tuple[str, str]  # (issue code, diagnostics): an Issue before its path is known


def max_length(type_name: str) -> int:
    return _MAX_LENGTH.get(type_name, UNBOUNDED)


def string_problem(value: str, type_name: str, limit: int) -> Problem | None:
    """What is wrong with the text of a string-like primitive (already a non-blank str)."""
    if len(value) > limit:
        return (
            "too-long",
            f"A FHIR {type_name} has at most {limit} characters; this has {len(value)}.",
        )
    if _CONTROL.search(value):
        return (
            "invalid",
            "Control characters (below U+0020, other than tab, CR and LF) are not allowed.",
        )
    pattern = FORMATS.get(type_name)
    if pattern is not None and not pattern.fullmatch(value):
        return "invalid", f"`{shown(value)}` is not a valid FHIR {type_name}."
    return None


def number_problem(value: int) -> Problem | None:
    """A whole decimal the store cannot hold: BSON integers are 64-bit, and orjson reads whole
    numbers up to 2**64 - 1 as ints (larger ones as doubles), so 2**63 to 2**64 - 1 would fail
    the write. R4 decimals have no such limit; keeping exact decimal text would lift it."""
    if -(2**63) <= value < 2**63:
        return None
    return "not-supported", f"`{value}` is beyond the 64-bit whole numbers this server stores."


def shown(text: str, limit: int = 64) -> str:
    """`text` cut to a length fit for a diagnostic: a client's value is echoed, not its megabyte."""
    return text if len(text) <= limit else text[:limit] + "…"
