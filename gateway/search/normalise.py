"""Text as string search compares it: case-folded, without accents, single-spaced.

https://hl7.org/fhir/R4/search.html#string — "case- and accent-insensitive". Used when a resource
is written (the `index` values) and on every search value, so both sides agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache


def normalise(text: str) -> str:
    """`"  Müller\\tÅSA "` -> `"muller asa"`: casefold, NFKD without combining marks, spaces."""
    if text.isascii():  # nothing to decompose, and casefold is lower: the common case, fast
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())


# Latin letters with diacritics (Latin-1 Supplement to Latin Extended-B, Latin Extended
# Additional): the stored forms a plain letter of a normalised query stands for.
_ACCENTED = (range(0x00C0, 0x0250), range(0x1E00, 0x1F00))
_COMBINING = "[\u0300-\u036f]*"  # marks written apart from their letter (NFD text)


def starts_with_pattern(text: str) -> str:
    """A regular expression (case-insensitive use) matching text *as written* whose normalised
    form starts with `text`'s: for `:text` on token displays, which the index keeps as written.
    `"jose  m"` -> `^\\s*[jĵǰ][\\u0300-\\u036f]*[oòóôõö…]…\\s+[mḿṁṃ]…`. A letter that normalises to
    several (`ß` is `ss`) is matched only as written."""
    parts = [r"^\s*"]
    for char in normalise(text):
        if char == " ":
            parts.append(r"\s+")
            continue
        variants = _variants().get(char, "")
        parts.append(f"[{re.escape(char)}{variants}]{_COMBINING}" if variants else re.escape(char))
    return "".join(parts)


@cache
def _variants() -> dict[str, str]:
    found: dict[str, str] = {}
    for block in _ACCENTED:
        for point in block:
            letter = chr(point)
            plain = normalise(letter)
            if len(plain) == 1 and plain != letter:
                found[plain] = found.get(plain, "") + letter
    return found
