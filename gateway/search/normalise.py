"""Text as string search compares it: case-folded, without accents, single-spaced.

https://hl7.org/fhir/R4/search.html#string — "case- and accent-insensitive". Used when a resource
is written (the `index` values) and on every search value, so both sides agree.
"""

from __future__ import annotations

import unicodedata


def normalise(text: str) -> str:
    """`"  Müller\\tÅSA "` -> `"muller asa"`: casefold, NFKD without combining marks, spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())
