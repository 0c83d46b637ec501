"""What the client sends and wants: JSON only, `_format`, `_pretty`, `Prefer`, `If-Match`.

https://hl7.org/fhir/R4/http.html#mime-type and #general-parameters. XML is not served: a
request for it is answered 406 (response) or 415 (body), each with an OperationOutcome.
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

from gateway.errors import NotAcceptable, PreconditionFailed, UnsupportedMediaType

JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir", "text/json")
_FORMAT_ALIASES = {"json", *JSON_TYPES}
_WILDCARDS = ("*/*", "application/*")
ReturnPreference = Literal["minimal", "representation", "OperationOutcome"]


def _media_type(value: str) -> str:
    return value.split(";")[0].strip().lower()


def check_response_format(request: Request) -> None:
    """Raise NotAcceptable unless the response may be FHIR JSON."""
    requested = request.query_params.get("_format") if request.scope["query_string"] else None
    if requested is not None:
        if _media_type(requested) not in _FORMAT_ALIASES:
            raise NotAcceptable(
                f"_format `{requested}` is not supported; this server speaks FHIR JSON only.",
                expression="_format",
            )
        return
    accept = request.headers.get("accept")
    if not accept:
        return
    for item in accept.split(","):
        media, _, params = item.partition(";")
        if "q=0" in params.replace(" ", "") and "q=0." not in params.replace(" ", ""):
            continue
        if _media_type(media) in (*JSON_TYPES, *_WILDCARDS):
            return
    raise NotAcceptable(
        f"Accept `{accept}` asks for a format this server does not produce; it serves "
        "application/fhir+json.",
    )


def check_body_type(request: Request) -> None:
    content_type = request.headers.get("content-type")
    if content_type is None:
        return  # a missing Content-Type on a JSON body is common; the parser decides
    if _media_type(content_type) not in JSON_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type `{content_type}` is not supported; send application/fhir+json.",
        )


def pretty(request: Request) -> bool:
    """`_pretty=true`; a request without a query (a read) is not parsed for one."""
    if not request.scope["query_string"]:
        return False
    return request.query_params.get("_pretty", "false").lower() == "true"


def return_preference(request: Request) -> ReturnPreference:
    for token in request.headers.get("prefer", "").split(";"):
        name, _, value = token.strip().partition("=")
        if name == "return" and value.strip('"') in (
            "minimal",
            "representation",
            "OperationOutcome",
        ):
            return value.strip('"')  # type: ignore[return-value]
    return "representation"


def if_match(request: Request) -> int | None:
    """The version an `If-Match: W/"n"` names; a malformed tag can match nothing (412)."""
    header = request.headers.get("if-match")
    if header is None:
        return None
    tag = header.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise PreconditionFailed(f"If-Match `{header}` names no version of this resource.")
    return int(tag)
