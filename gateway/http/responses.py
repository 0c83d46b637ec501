"""FHIR JSON responses, serialised by orjson from plain dicts, and the version headers."""

from __future__ import annotations

from datetime import UTC
from email.utils import format_datetime
from typing import Any

import orjson
from starlette.responses import Response

from gateway.store.versions import Version

FHIR_JSON = "application/fhir+json"


class FHIRResponse(Response):
    media_type = FHIR_JSON

    def __init__(self, content: Any, *, pretty: bool = False, **kwargs: Any) -> None:
        self.pretty = pretty
        super().__init__(content, **kwargs)

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        return orjson.dumps(content, option=orjson.OPT_INDENT_2 if self.pretty else 0)

    def init_headers(self, headers: Any = None) -> None:
        super().init_headers(headers)
        if self.media_type == FHIR_JSON:
            raw = [(k, v) for k, v in self.raw_headers if k != b"content-type"]
            self.raw_headers = [*raw, (b"content-type", b"application/fhir+json; charset=utf-8")]


def etag(version_id: int) -> str:
    return f'W/"{version_id}"'


def http_date(version: Version) -> str:
    return format_datetime(version.last_updated.replace(tzinfo=UTC), usegmt=True)


def version_headers(version: Version, *, location: str | None = None) -> dict[str, str]:
    headers = {"ETag": etag(version.version_id), "Last-Modified": http_date(version)}
    if location:
        headers["Location"] = location
    return headers
