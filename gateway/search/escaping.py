"""Search value escaping: `\\,` `\\|` `\\$` `\\\\` stand for the character itself.

https://hl7.org/fhir/R4/search.html#escaping — a value is split on unescaped separators first
(`,` between alternatives, `|` in tokens, `$` in composites), then each part is unescaped.
"""

from __future__ import annotations

_ESCAPABLE = frozenset(",|$\\")


def split_unescaped(text: str, separator: str) -> list[str]:
    """Split on `separator` where no backslash escapes it; escapes stay for `unescape`. Text
    without a backslash (nearly every value) splits as `str.split` does, at C speed: every
    conditional reference of a batch entry parses its criteria here."""
    if "\\" not in text:
        return text.split(separator)
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
        elif text.startswith(separator, index):
            parts.append("".join(current))
            current = []
            index += len(separator)
        else:
            current.append(char)
            index += 1
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    """`\\,` `\\|` `\\$` `\\\\` become the character; any other backslash is kept as written."""
    if "\\" not in text:
        return text
    out: list[str] = []
    index = 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text) and text[index + 1] in _ESCAPABLE:
            out.append(text[index + 1])
            index += 2
        else:
            out.append(text[index])
            index += 1
    return "".join(out)
