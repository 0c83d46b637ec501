"""The reusable pieces of the OpenAPI document: schemas, parameters, headers and error answers.

Bodies are FHIR JSON (`application/fhir+json`); their schemas say only what every resource has
(`resourceType`), not the R4 definitions, which the CapabilityStatement names by profile URL.
Every error is an OperationOutcome (https://hl7.org/fhir/R4/operationoutcome.html).
"""

from __future__ import annotations

from typing import Any

from gateway.http.negotiation import JSON_TYPES
from gateway.jsonio import Json
from gateway.search.request import SUMMARIES, TOTALS

FHIR_JSON = "application/fhir+json"
SEARCH_TYPES = "https://hl7.org/fhir/R4/search.html#"
ERRORS = {
    400: "Malformed request or invalid resource, naming the element or parameter.",
    404: "Unknown resource type or id.",
    405: "The path does not take this method (`Allow` lists those it does).",
    406: "The client asked for a format other than FHIR JSON.",
    409: "A concurrent write won.",
    410: "The resource was deleted.",
    412: "`If-Match` names another version, or the conditional criteria match several.",
    413: "The body or Bundle is over the server's limits.",
    415: "The body is not FHIR JSON.",
    422: "The resource breaks a FHIR invariant or a rule of this server.",
}


def ref(kind: str, name: str) -> Json:
    return {"$ref": f"#/components/{kind}/{name}"}


def fhir_body(schema: Json) -> Json:
    return {FHIR_JSON: {"schema": schema}}


def resource_schema(resource_type: str) -> Json:
    return {
        "type": "object",
        "description": f"A FHIR R4 {resource_type}: "
        f"https://hl7.org/fhir/R4/{resource_type.lower()}.html",
        "required": ["resourceType"],
        "properties": {"resourceType": {"const": resource_type}},
        "additionalProperties": True,
    }


def errors(*statuses: int) -> dict[str, Json]:
    """The error answers an operation may give, each an OperationOutcome; `default` for others."""
    answers = {str(status): ref("responses", f"E{status}") for status in statuses}
    return {**answers, "default": ref("responses", "Error")}


def components(resource_types: list[str]) -> Json:
    return {
        "schemas": {
            "Resource": {
                "type": "object",
                "required": ["resourceType"],
                "properties": {
                    "resourceType": {"type": "string", "enum": resource_types},
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9\\-.]{1,64}$"},
                    "meta": {"type": "object"},
                },
                "additionalProperties": True,
            },
            "OperationOutcome": _operation_outcome(),
            **{t: resource_schema(t) for t in ("Bundle", "CapabilityStatement")},
            **{t: resource_schema(t) for t in resource_types},
        },
        "responses": {
            "Error": _error("Any other error, as an OperationOutcome."),
            **{f"E{status}": _error(text) for status, text in ERRORS.items()},
        },
        "parameters": {**_result_parameters(), **_headers()},
        "headers": {
            "ETag": {"description": 'The version: `W/"n"`.', "schema": {"type": "string"}},
            "Last-Modified": {
                "description": "When the version was written (HTTP date).",
                "schema": {"type": "string"},
            },
            "Location": {
                "description": "`[base]/Type/id/_history/n` of what was written.",
                "schema": {"type": "string"},
            },
        },
    }


def _operation_outcome() -> Json:
    issue = {
        "type": "object",
        "required": ["severity", "code"],
        "properties": {
            "severity": {"enum": ["fatal", "error", "warning", "information"]},
            "code": {"type": "string"},
            "diagnostics": {"type": "string"},
            "expression": {"type": "array", "items": {"type": "string"}},
            "details": {"type": "object"},
        },
    }
    return {
        "type": "object",
        "required": ["resourceType", "issue"],
        "properties": {
            "resourceType": {"const": "OperationOutcome"},
            "issue": {"type": "array", "items": issue, "minItems": 1},
        },
    }


def _error(text: str) -> Json:
    return {"description": text, "content": fhir_body(ref("schemas", "OperationOutcome"))}


def query(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def _result_parameters() -> dict[str, Json]:
    """search.html#return: what shapes the answer rather than selecting resources."""
    return {
        "_count": query("_count", {"type": "integer", "minimum": 0},
                        "Page size (capped by MAX_PAGE_SIZE); 0 for the total only."),
        "_sort": query("_sort", {"type": "string"},
                       "Comma-separated parameter codes; `-` for descending."),
        "_total": query("_total", {"enum": list(TOTALS)}, "Whether to count the matches."),
        "_summary": query("_summary", {"enum": list(SUMMARIES)}, "A summary of each resource."),
        "_elements": query("_elements", {"type": "string"},
                           "Comma-separated elements to return."),
        "_cursor": query("_cursor", {"type": "string"},
                         "Opaque position in the results, from a `next` or `previous` link."),
        "_format": query("_format", {"enum": ["json", *JSON_TYPES]},
                         "Response format; FHIR JSON only (http.html#general-parameters)."),
        "_pretty": query("_pretty", {"type": "boolean"}, "Indent the JSON."),
    }  # fmt: skip


def _headers() -> dict[str, Json]:
    def header(name: str, description: str, **schema: Any) -> Json:
        return {"name": name, "in": "header", "description": description,
                "schema": {"type": "string", **schema}}  # fmt: skip

    return {
        "Prefer-return": header(
            "Prefer",
            "`return=minimal`, `return=representation` or `return=OperationOutcome` (http.html"
            "#ops).",
        ),
        "Prefer-handling": header(
            "Prefer", "`handling=strict` makes unknown search parameters a 400 (search.html)."
        ),
        "If-Match": header("If-Match", 'Update or delete only version `W/"n"`; else 412.'),
        "If-None-Exist": header(
            "If-None-Exist",
            "Conditional create: search criteria; one match answers it (200), several 412.",
        ),
    }
