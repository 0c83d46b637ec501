"""What every event's resources share: identity, profiles and tags in `meta`, the title as
narrative, the patient reference, and the way back for those.

Tags are the user's own words, so they are `meta.tag` codings in the twin's tag system
(https://hl7.org/fhir/R4/resource.html#Meta: tags are "not part of the resource's content" and
searchable with `_tag`). The title, a short description of the event, is the resource's
narrative (`text`, status `additional`) wherever the resource has no title element of its own.
"""

from __future__ import annotations

import html
import re

from gateway.jsonio import Json
from mappers.apps.base import MappingContext, RowProblem
from mappers.apps.medical_twin.codes import TAG_SYSTEM
from mappers.apps.medical_twin.models import BaseEvent
from mappers.apps.native import Identity, fhir_datetime

APP = "medical-twin"
_CODE = re.compile(r"[^\s]+( [^\s]+)*")
_DIV = re.compile(r'<div xmlns="http://www\.w3\.org/1999/xhtml">(.*)</div>', re.DOTALL)


def identity(row: BaseEvent, ctx: MappingContext) -> Identity:
    return ctx.identity("Event", row.id)


def patient(row: BaseEvent, ctx: MappingContext) -> Json:
    return ctx.identity("User", row.userId).reference("Patient")


def head(
    resource_type: str, row: BaseEvent, ctx: MappingContext, *, part: str = "", profiles: list[str]
) -> Json:
    """The start of a resource made from `row`: type, id, identifier and meta (profiles, and
    the row's tags on its primary resource only, so they come back once)."""
    own = identity(row, ctx)
    meta: Json = {"profile": profiles} if profiles else {}
    if row.tags and not part:
        meta["tag"] = [{"system": TAG_SYSTEM, "code": _code(tag)} for tag in row.tags]
    resource: Json = {"resourceType": resource_type, "id": own.resource_id(part)}
    if meta:
        resource["meta"] = meta
    resource["identifier"] = [own.identifier()]
    return resource


def _code(tag: str) -> str:
    """A tag as a FHIR code: datatypes.html#code allows no leading, trailing or repeated
    whitespace, and a tag must come back as written, so such a tag is refused, not trimmed."""
    if not _CODE.fullmatch(tag):
        raise RowProblem("tags", f"the tag `{tag}` has leading, trailing or repeated whitespace, which a FHIR tag code cannot carry.")  # fmt: skip
    return tag


def instant(text: str | None) -> str | None:
    """`createdAt` as an `instant` (`issued`): only a time of day makes one (datatypes.html#instant)."""
    return fhir_datetime(text) if text and len(text) > 10 else None  # a date alone is 10 long


def narrative(text: str) -> Json:
    """`text` as the resource's narrative, escaped as XHTML (narrative.html#Narrative)."""
    div = f'<div xmlns="http://www.w3.org/1999/xhtml">{html.escape(text, quote=False)}</div>'
    return {"status": "additional", "div": div}


def from_narrative(resource: Json) -> str | None:
    found = _DIV.fullmatch(resource.get("text", {}).get("div", ""))
    return html.unescape(found.group(1)) if found else None


def tags(resource: Json) -> list[str] | None:
    found = [
        t["code"] for t in resource.get("meta", {}).get("tag", ()) if t.get("system") == TAG_SYSTEM
    ]
    return found or None


def note(text: str | None) -> Json:
    return {"note": [{"text": text}]} if text else {}


def first_note(resource: Json) -> str | None:
    notes = resource.get("note") or [{}]
    text = notes[0].get("text")
    return text if isinstance(text, str) else None


def present(**fields: object) -> Json:
    """The keyword arguments whose value is not None: a FHIR element is absent, never null."""
    return {name: value for name, value in fields.items() if value is not None}
