"""The terminology operations in the OpenAPI document: GET with query parameters and POST with a
Parameters body, at type level and, where R4 defines it, instance level (gateway.http.routes
.terminology). Coding and CodeableConcept inputs go in the body only (operations.html)."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.http.openapi_parts import errors, fhir_body, query, ref
from gateway.jsonio import Json

_ID = {"type": "string", "pattern": "^[A-Za-z0-9\\-.]{1,64}$"}
_STRING, _INTEGER, _BOOLEAN = (
    {"type": "string"},
    {"type": "integer", "minimum": 0},
    {"type": "boolean"},
)


@dataclass(frozen=True, slots=True)
class _Described:
    summary: str
    answer: str  # the schema of a success
    instance: bool  # R4 defines it on an instance too
    parameters: tuple[tuple[str, Json, str], ...]


TERMINOLOGY_OPERATIONS = {
    "expand": _Described("The codes of a value set (valueset-operation-expand.html)", "ValueSet", True, (
        ("url", _STRING, "The value set's canonical URL (type level)."),
        ("valueSetVersion", _STRING, "Its version."),
        ("filter", _STRING, "Only codes whose code or display contain this text."),
        ("count", _INTEGER, "At most this many codes."),
        ("offset", _INTEGER, "Skip this many codes first."),
    )),
    "validate-code": _Described("Whether a code is in a value set (valueset-operation-validate-code.html)", "Parameters", True, (
        ("url", _STRING, "The value set's canonical URL (type level)."),
        ("valueSetVersion", _STRING, "Its version."),
        ("code", _STRING, "The code (or a `coding` / `codeableConcept` in a POST body)."),
        ("system", _STRING, "The code's system."),
        ("display", _STRING, "Its display, checked too."),
    )),
    "lookup": _Described("A code's details (codesystem-operation-lookup.html)", "Parameters", False, (
        ("system", _STRING, "The code system (or a `coding` in a POST body)."),
        ("code", _STRING, "The code."),
        ("version", _STRING, "The code system's version."),
    )),
    "translate": _Described("A code through the held ConceptMaps (conceptmap-operation-translate.html)", "Parameters", True, (
        ("url", _STRING, "Only this ConceptMap (type level)."),
        ("conceptMapVersion", _STRING, "Its version."),
        ("system", _STRING, "The code's system (or a `coding` / `codeableConcept` in a POST body)."),
        ("code", _STRING, "The code."),
        ("source", _STRING, "Only maps from this value set."),
        ("target", _STRING, "Only maps to this value set."),
        ("targetsystem", _STRING, "Only answers in this code system."),
        ("reverse", _BOOLEAN, "Which codes map to this one."),
    )),
}  # fmt: skip


def terminology_paths(name: str, resource: Json, criteria: list[Json]) -> Json:
    """The paths of operation `name` on `resource`'s type (its search `criteria` do not apply)."""
    del criteria
    resource_type, described = resource["type"], TERMINOLOGY_OPERATIONS[name]
    paths = {f"/{resource_type}/${name}": _item(resource_type, name, described, instance=False)}
    if described.instance:
        path = f"/{resource_type}/{{id}}/${name}"
        paths[path] = _item(resource_type, name, described, instance=True)
    return paths


def _item(resource_type: str, name: str, described: _Described, *, instance: bool) -> Json:
    more = [{"name": "id", "in": "path", "required": True, "schema": _ID}] if instance else []
    general = [ref("parameters", "_format"), ref("parameters", "_pretty")]
    parameters = [*more, *(query(*p) for p in described.parameters), *general]
    ok = {"description": "The answer.", "content": fhir_body(ref("schemas", described.answer))}
    statuses = (400, 404) if instance else (400,)
    key = "".join(part.capitalize() for part in name.split("-")) + ("Instance" if instance else "")
    summary = described.summary + (f", on one {resource_type}" if instance else "")
    body = {"content": fhir_body(ref("schemas", "Parameters"))}
    return {
        "get": {"operationId": f"{resource_type[0].lower()}{resource_type[1:]}{key}",
                "summary": summary, "tags": [resource_type],
                "responses": {"200": ok, **errors(*statuses)}, "parameters": parameters},
        "post": {"operationId": f"{resource_type[0].lower()}{resource_type[1:]}{key}Post",
                 "summary": f"{summary}, parameters in a Parameters body", "tags": [resource_type],
                 "responses": {"200": ok, **errors(*statuses, 415)}, "parameters": parameters,
                 "requestBody": body},
    }  # fmt: skip
