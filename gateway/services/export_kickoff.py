"""What a Bulk Data `$export` kick-off asks for: its URL, `_type`, `_since`, the compartment.

https://hl7.org/fhir/uv/bulkdata/export.html#query-parameters. Stored with the job
(gateway.store.export_jobs), so it has a plain form too (`stored_request`, `request_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.domain.time import parse_range
from gateway.errors import InvalidRequest

# export.html#query-parameters: the full content type and the two abbreviations are required.
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
_GENERAL = frozenset({"_format", "_pretty"})  # http.html#general-parameters


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What a kick-off asked for."""

    url: str  # the kick-off request's full URL, for the manifest's `request`
    types: tuple[str, ...] | None = None
    since: datetime | None = None
    compartment: bool = False  # Patient/$export


def kickoff_parameters(
    items: list[tuple[str, str]], *, lenient: bool
) -> tuple[tuple[str, ...] | None, datetime | None]:
    """`_type` and `_since` of a kick-off. `_type` may repeat (its values are then combined);
    parameters this server does not support are an error unless `Prefer: handling=lenient`."""
    types: list[str] = []
    since: datetime | None = None
    for name, value in items:
        if name == "_type":
            types += [t.strip() for t in value.split(",") if t.strip()]
        elif name == "_since":
            since = _instant(value)
        elif name == "_outputFormat":
            if value not in OUTPUT_FORMATS:
                raise InvalidRequest(
                    f"_outputFormat `{value}` is not supported; this server writes "
                    "application/fhir+ndjson.",
                    expression="_outputFormat",
                )
        elif name not in _GENERAL and not lenient:
            raise InvalidRequest(
                f"Parameter `{name}` is not supported by $export here (send "
                "`Prefer: handling=lenient` to have it ignored).",
                expression=name,
                code="MSG_PARAM_UNKNOWN",
            )
    return (tuple(types) if types else None), since


def _instant(text: str) -> datetime:
    try:
        start, _, _ = parse_range(text)
    except ValueError as error:
        raise InvalidRequest(
            f"_since `{text}` is not a FHIR instant (e.g. `2026-01-01T00:00:00Z`).",
            expression="_since",
        ) from error
    return start


def stored_request(request: ExportRequest) -> dict[str, Any]:
    types = list(request.types) if request.types is not None else None
    return {
        "url": request.url,
        "types": types,
        "since": request.since,
        "compartment": request.compartment,
    }


def request_of(stored: dict[str, Any]) -> ExportRequest:
    types = tuple(stored["types"]) if stored["types"] is not None else None
    return ExportRequest(stored["url"], types, stored["since"], stored["compartment"])
