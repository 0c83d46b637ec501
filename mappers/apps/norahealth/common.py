"""What NoraHealth's mappers share: code systems, epoch timestamps, JSON-text columns, numbers.

NoraHealth stores timestamps as Unix epoch seconds; FHIR instants and dateTimes are ISO 8601
with a zone (https://hl7.org/fhir/R4/datatypes.html#instant), written here in UTC with whole
seconds, so a timestamp comes back as the same integer.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from pydantic import StringConstraints

from gateway.jsonio import ExactDecimal, Json, exact_decoder
from mappers.apps.base import Identity, MappingContext, RowProblem

__all__ = [
    "APP",
    "GATEWAY",
    "LOINC",
    "SNOMED",
    "UCUM",
    "Text",
    "checked_instant",
    "coded",
    "codesystem",
    "enum_coded",
    "epoch",
    "instant",
    "json_text",
    "number",
    "number_text",
    "parse_json",
    "patient",
    "present",
    "profile",
    "resource_base",
    "string_list",
]

APP = "norahealth"
GATEWAY = "http://fhir-gateway.org/fhir"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")  # FHIR decimal


Text = Annotated[str, StringConstraints(pattern=r"\S")]
"""Text inside a JSON column: FHIR strings are never empty or only whitespace (datatypes.html#string)."""


def present(text: str | None) -> str | None:
    """A text column as FHIR can carry it: blank text (FHIR has no empty string) is no text."""
    return text if text is not None and text.strip() else None


def codesystem(name: str) -> str:
    return f"{GATEWAY}/CodeSystem/{name}"


def coded(system: str, code: str, display: str | None = None) -> Json:
    """A CodeableConcept of one coding from the gateway's CodeSystem `system`."""
    coding = {"system": codesystem(system), "code": code}
    return {"coding": [coding if display is None else {**coding, "display": display}]}


def enum_coded(system: str, value: str) -> Json:
    """An app enum in the gateway's lower-case CodeSystem `system` (`BEGINNER` -> `beginner`)."""
    return coded(system, value.lower(), value.title())


def profile(name: str) -> str:
    """A gateway profile's canonical, or R4's own for the vital signs (`bodyweight`)."""
    if name == "bodyweight":
        return "http://hl7.org/fhir/StructureDefinition/bodyweight"
    return f"{GATEWAY}/StructureDefinition/{name}"


def resource_base(resource_type: str, identity: Identity, part: str, *profiles: str) -> Json:
    """The start every NoraHealth resource shares: type, stable id, row identifier, profiles."""
    resource: Json = {"resourceType": resource_type, "id": identity.resource_id(part)}
    if profiles:
        resource["meta"] = {"profile": [profile(p) for p in profiles]}
    resource["identifier"] = [identity.identifier()]
    return resource


def patient(ctx: MappingContext, user_id: str) -> Json:
    return ctx.identity("users", user_id).reference("Patient")


def instant(seconds: int) -> str:
    """Unix epoch seconds as a FHIR instant in UTC."""
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"`{seconds}` is not a Unix timestamp FHIR can write.") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(value: Any) -> int | None:
    """A FHIR instant/dateTime as Unix epoch seconds; None when it is absent or has no time."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def checked_instant(field_name: str, seconds: int) -> str:
    """`instant`, or a RowProblem naming the field for a timestamp outside FHIR's years."""
    try:
        return instant(seconds)
    except ValueError as error:
        raise RowProblem(field_name, str(error)) from None


def parse_json(field_name: str, text: str) -> Any:
    """The value of a JSON-text column; RowProblem when it is not JSON."""
    try:
        return exact_decoder().decode(text)
    except ValueError:
        raise RowProblem(field_name, f"`{field_name}` is not valid JSON.") from None
    except RecursionError:
        raise RowProblem(field_name, f"`{field_name}` is JSON nested too deeply.") from None


def string_list(field_name: str, text: str | None) -> list[str]:
    """A JSON-text column holding an array of strings (empty for NULL)."""
    if text is None:
        return []
    value = parse_json(field_name, text)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RowProblem(field_name, f"`{field_name}` must be a JSON array of strings.")
    if not all(item.strip() for item in value):
        raise RowProblem(field_name, f"`{field_name}` has a blank entry.")
    return value


def json_text(value: Any) -> str:
    """A JSON value as NoraHealth writes its JSON columns (`["DAIRY", "GLUTEN"]`)."""
    return json.dumps(value, ensure_ascii=False)


def number(text: str) -> int | float | None:
    """The JSON number `text` is, exact (`72.50` stays `72.50`); None when it is not one."""
    if not _NUMBER.fullmatch(text):
        return None
    value: int | float = exact_decoder().decode(text)
    return value


def number_text(value: int | float) -> str:
    """A number back as the text it was written as."""
    if isinstance(value, ExactDecimal):
        return value.text
    return orjson.dumps(value).decode()
