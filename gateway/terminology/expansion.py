"""An expanded ValueSet resource: the held definition plus `expansion`.

https://hl7.org/fhir/R4/valueset.html#expansion and valueset-operation-expand.html: `filter`
(here: case-insensitive text in the code or display), `count` and `offset` page the codes;
`total` counts every code passing the filter; hierarchies are flattened into one list.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from gateway.errors import InvalidRequest
from gateway.terminology.model import Coded, Json


def expanded(
    value_set: Json,
    codes: Sequence[Coded],
    *,
    text_filter: str | None = None,
    count: int | None = None,
    offset: int = 0,
) -> Json:
    if offset < 0 or (count is not None and count < 0):
        raise InvalidRequest("`count` and `offset` must not be negative.", code="MSG_PARAM_INVALID")
    chosen = [c for c in codes if _passes(c, text_filter)] if text_filter else list(codes)
    page = chosen[offset:] if count is None else chosen[offset : offset + count]
    expansion: Json = {
        "identifier": f"urn:uuid:{uuid.uuid4()}",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "total": len(chosen),
        "offset": offset,
    }
    parameters = _parameters(text_filter=text_filter, count=count, offset=offset)
    if parameters:
        expansion["parameter"] = parameters
    if page:
        expansion["contains"] = [_entry(c) for c in page]
    return {**value_set, "expansion": expansion}


def _passes(coded: Coded, text: str) -> bool:
    wanted = text.casefold()
    return wanted in coded.code.casefold() or wanted in (coded.display or "").casefold()


def _entry(coded: Coded) -> Json:
    entry: Json = {"system": coded.system, "code": coded.code}
    if coded.abstract:
        entry["abstract"] = True
    if coded.display is not None:
        entry["display"] = coded.display
    return entry


def _parameters(*, text_filter: str | None, count: int | None, offset: int) -> list[Json]:
    """The parameters that shaped the expansion (ValueSet.expansion.parameter)."""
    parameters: list[Json] = []
    if text_filter:
        parameters.append({"name": "filter", "valueString": text_filter})
    if count is not None:
        parameters.append({"name": "count", "valueInteger": count})
    if offset:
        parameters.append({"name": "offset", "valueInteger": offset})
    return parameters
