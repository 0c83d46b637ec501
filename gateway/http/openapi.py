"""The OpenAPI 3.1 document of the FHIR base, generated from the CapabilityStatement.

The CapabilityStatement is what the gateway says it implements (http.html#capabilities), built
from the mapper registry and the search registry; this turns it into paths, as HAPI FHIR's
OpenAPI interceptor does, so that the two cannot disagree. Instance interactions, the same for
every type, share one template (`/{type}/{id}`, the types as an enum); each type gets its own
`/{type}` and `/{type}/_search` with its search parameters, which differ. Errors are
OperationOutcomes; bodies are `application/fhir+json`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from gateway.http.openapi_parts import (
    SEARCH_TYPES,
    components,
    errors,
    fhir_body,
    query,
    ref,
)
from gateway.http.openapi_terminology import TERMINOLOGY_OPERATIONS, terminology_paths
from gateway.jsonio import Json
from gateway.services.bulk_jobs import OUTPUT_FORMATS
from gateway.services.exports import NDJSON
from gateway.services.lastn import MAX_PER_GROUP

RESULT_PARAMETERS = ("_count", "_sort", "_total", "_summary", "_elements", "_cursor")
GENERAL = ("_format", "_pretty")
_KEY = re.compile(r"[^A-Za-z0-9._-]")
_ID = {"type": "string", "pattern": "^[A-Za-z0-9\\-.]{1,64}$"}


def openapi_document(statement: Json, *, server: str, title: str) -> Json:
    rest = statement["rest"][0]
    resources: list[Json] = rest["resource"]
    parameters = {key: p for r in resources for key, p in _search_parameters(r).items()}
    document: Json = {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": statement["software"]["version"],
            "description": f"FHIR {statement['fhirVersion']} REST API. The CapabilityStatement "
            "at `GET /metadata` says the same in FHIR's terms.",
        },
        "servers": [{"url": server}],
        "paths": {
            "/metadata": {"get": _capabilities()},
            **_system(rest),
            **_instance(resources),
            **_compartments(rest),
            **{path: item for r in resources for path, item in _type_paths(r).items()},
        },
        "components": components([r["type"] for r in resources]),
    }
    document["components"]["parameters"].update(parameters)
    return document


def _operation(operation_id: str, summary: str, tag: str, responses: Json, **more: Any) -> Json:
    return {"operationId": operation_id, "summary": summary, "tags": [tag],
            "responses": responses, **more}  # fmt: skip


def _answer(description: str, schema: str, *headers: str) -> Json:
    answer: Json = {"description": description, "content": fhir_body(ref("schemas", schema))}
    if headers:
        answer["headers"] = {name: ref("headers", name) for name in headers}
    return answer


def _general() -> list[Json]:
    return [ref("parameters", name) for name in GENERAL]


def _capabilities() -> Json:
    ok = _answer("What this server implements.", "CapabilityStatement")
    return _operation("capabilities", "CapabilityStatement (http.html#capabilities)", "System",
                      {"200": ok, **errors(406)}, parameters=_general())  # fmt: skip


# --- system level ---------------------------------------------------------------------------


def _system(rest: Json) -> Json:
    paths: Json = {"/": {}}
    codes = [i["code"] for i in rest.get("interaction", [])]
    kinds = [code for code in codes if code in ("transaction", "batch")]
    if kinds:
        body = {"required": True, "content": fhir_body(ref("schemas", "Bundle"))}
        ok = _answer("The `-response` Bundle: an entry per request entry.", "Bundle")
        paths["/"]["post"] = _operation(
            "transaction", f"Process a {' or '.join(kinds)} Bundle (http.html#transaction)",
            "System", {"200": ok, **errors(400, 404, 409, 412, 413, 415, 422)},
            requestBody=body, parameters=[ref("parameters", "Prefer-return"), *_general()],
        )  # fmt: skip
    if "search-system" in codes:
        for path, item in _system_search(rest).items():
            paths.setdefault(path, {}).update(item)
    if "history-system" in codes:
        paths["/_history"] = {"get": _history("historySystem", "Every version of every "
                                              "resource, newest first", "System")}  # fmt: skip
    if any(o["name"] == "export" for o in rest.get("operation", [])):
        paths.update(_bulk_export())
    return {path: item for path, item in paths.items() if item}


def _system_search(rest: Json) -> Json:
    """`GET /?_type=...` and `POST /_search`: the parameters all types share (with `_type`,
    those the named types share)."""
    types = query("_type", {"type": "string"}, "Comma-separated resource types to search.")
    criteria = [query(p["name"], {"type": "string"}, f"A {p['type']} parameter of every type.")
                for p in rest.get("searchParam", [])]  # fmt: skip
    result = [ref("parameters", name) for name in RESULT_PARAMETERS]
    ok = {"200": _answer("A searchset Bundle.", "Bundle"), **errors(400)}
    names = ["_type", *(p["name"] for p in rest.get("searchParam", [])), *RESULT_PARAMETERS]
    form = {"type": "object", "properties": {name: {"type": "string"} for name in names}}
    body = {"content": {"application/x-www-form-urlencoded": {"schema": form}}}
    return {
        "/": {"get": _operation(
            "searchSystem", "Search several types at once (http.html#search)", "System", ok,
            parameters=[types, *criteria, *result, ref("parameters", "Prefer-handling"),
                        *_general()],
        )},
        "/_search": {"post": _operation(
            "searchSystemPost", "Search several types with a form body", "System",
            {**ok, **errors(415)}, requestBody=body, parameters=_general(),
        )},
    }  # fmt: skip


def _history(operation_id: str, summary: str, tag: str, *more: Json) -> Json:
    """history-system and history-type (http.html#history), paged by `next` links."""
    since = query("_since", {"type": "string"}, "Only versions written at or after this instant.")
    at = query("_at", {"type": "string"}, "Only the versions current at this instant (or "
               "during this date).")  # fmt: skip
    return _operation(
        operation_id, f"{summary} (http.html#history)", tag,
        {"200": _answer("A history Bundle.", "Bundle"), **errors(400, 404)},
        parameters=[*more, since, at, ref("parameters", "_count"), ref("parameters", "_cursor"),
                    *_general()],
    )  # fmt: skip


def _kick_off(operation_id: str, summary: str, tag: str) -> Json:
    prefer = {
        "name": "Prefer",
        "in": "header",
        "required": True,
        "schema": {"const": "respond-async"},
        "description": "The async pattern.",
    }
    parameters = [
        prefer,
        query("_type", {"type": "string"}, "Comma-separated resource types to export."),
        query("_since", {"type": "string"}, "Only resources changed after this instant."),
        query("_outputFormat", {"enum": sorted(OUTPUT_FORMATS)}, "NDJSON only."),
    ]
    started = {
        "description": "Started; poll `Content-Location`.",
        "headers": {
            "Content-Location": {"schema": {"type": "string"}, "description": "The status URL."}
        },
    }
    return _operation(operation_id, summary, tag, {"202": started, **errors(400)},
                      parameters=parameters)  # fmt: skip


def _bulk_export() -> Json:
    """Bulk Data export (https://hl7.org/fhir/uv/bulkdata/export.html): kick-off, status, file."""
    job = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
    file = {"name": "file_name", "in": "path", "required": True, "schema": {"type": "string"}}
    manifest = {"description": "Done: the manifest.", "content": {"application/json": {
        "schema": {"type": "object"}}}}  # fmt: skip
    running = {"description": "Still running (`X-Progress`, `Retry-After`)."}
    ndjson = {"description": "One file of the export.",
              "content": {NDJSON: {"schema": {"type": "string"}}}}  # fmt: skip
    return {
        "/$export": {"get": _kick_off("export", "Export everything (Bulk Data)", "Bulk Data")},
        "/$export-poll-status/{job_id}": {
            "parameters": [job],
            "get": _operation("exportStatus", "Status of an export", "Bulk Data",
                              {"200": manifest, "202": running, **errors(404)}),
            "delete": _operation("exportCancel", "Cancel or remove an export", "Bulk Data",
                                 {"202": _answer("Deleted.", "OperationOutcome"),
                                  **errors(404)}),
        },
        "/$export-file/{job_id}/{file_name}": {
            "get": _operation("exportFile", "Download an exported file", "Bulk Data",
                              {"200": ndjson, **errors(404)}, parameters=[job, file]),
        },
    }  # fmt: skip


# --- instance level: the same for every type --------------------------------------------------


def _instance(resources: list[Json]) -> Json:
    def types(code: str) -> list[str]:
        return [r["type"] for r in resources if any(i["code"] == code for i in r["interaction"])]

    def params(code: str, *more: Json) -> list[Json]:
        type_param = {"name": "type", "in": "path", "required": True,
                      "schema": {"enum": types(code)}}  # fmt: skip
        id_param = {"name": "id", "in": "path", "required": True, "schema": _ID}
        return [type_param, id_param, *more, *_general()]

    version = {"name": "vid", "in": "path", "required": True,
               "schema": {"type": "string", "pattern": "^[0-9]+$"}}  # fmt: skip
    read = _answer("The current version.", "Resource", "ETag", "Last-Modified")
    written = _answer("Updated (created: 201).", "Resource", "ETag", "Last-Modified", "Location")
    body = {"required": True, "content": fhir_body(ref("schemas", "Resource"))}
    writes = [ref("parameters", "If-Match"), ref("parameters", "Prefer-return")]
    return {
        "/{type}/{id}": {
            "get": _operation("read", "Read (http.html#read)", "Instance",
                              {"200": read, **errors(400, 404, 410)}, parameters=params("read")),
            "put": _operation("update", "Update, or create with this id (http.html#update)",
                              "Instance", {"200": written, "201": written,
                                           **errors(400, 409, 412, 422)},
                              parameters=params("update", *writes), requestBody=body),
            "delete": _operation("delete", "Delete (http.html#delete)", "Instance",
                                 {"204": {"description": "Deleted."}, **errors(404, 412)},
                                 parameters=params("delete", *writes)),
        },
        "/{type}/{id}/_history": {"get": _operation(
            "history", "The versions, newest first (http.html#history)", "Instance",
            {"200": _answer("A history Bundle.", "Bundle"), **errors(404)},
            parameters=params("history-instance", ref("parameters", "_count")),
        )},
        "/{type}/{id}/_history/{vid}": {"get": _operation(
            "vread", "Read a version (http.html#vread)", "Instance",
            {"200": read, **errors(404, 410)}, parameters=params("vread", version),
        )},
        "/{type}/{id}/$validate": {"post": _operation(
            "validateInstance", "Validate for an update or delete of this resource "
            "(resource-operation-validate.html)", "Instance",
            {"200": _VALIDATED, **errors(400, 404, 410, 415)},
            parameters=params("read", *_VALIDATE_PARAMETERS), requestBody=_VALIDATE_BODY,
        )},
    }  # fmt: skip


# --- type level: each type with its search parameters -----------------------------------------


def _search_parameters(resource: Json) -> dict[str, Json]:
    """The type's search parameters as OpenAPI parameters, keyed by their R4 definition."""
    found = {}
    for param in resource.get("searchParam", []):
        definition = param.get("definition", "")
        key = _KEY.sub("_", definition.rsplit("/", 1)[-1] or f"{resource['type']}-{param['name']}")
        text = f"{param['type']} parameter ({SEARCH_TYPES}{param['type']})"
        found[key] = query(param["name"], {"type": "string"},
                           f"A {text}{'; ' + definition if definition else ''}.")  # fmt: skip
    return found


def _type_paths(resource: Json) -> Json:
    resource_type = resource["type"]
    criteria = [ref("parameters", key) for key in _search_parameters(resource)]
    codes = {i["code"] for i in resource["interaction"]}
    item: Json = {}
    if "search-type" in codes:
        item["get"] = _search(resource, criteria)
    if "create" in codes:
        item["post"] = _create(resource)
    if resource.get("conditionalUpdate"):
        item["put"] = _conditional_update(resource_type, criteria)
    if resource.get("conditionalDelete") in ("single", "multiple"):
        item["delete"] = _conditional_delete(resource_type, criteria)
    paths = {f"/{resource_type}": item}
    if "search-type" in codes:
        paths[f"/{resource_type}/_search"] = {"post": _search_post(resource)}
    if "history-type" in codes:
        paths[f"/{resource_type}/_history"] = {"get": _history(
            f"history{resource_type}", f"Every version of every {resource_type}, newest first",
            resource_type)}  # fmt: skip
    for operation in resource.get("operation", []):
        paths.update(_OPERATIONS[operation["name"]](resource, criteria))
    return paths


def _includes(resource: Json) -> list[Json]:
    found = []
    for name, key in (("_include", "searchInclude"), ("_revinclude", "searchRevInclude")):
        if resource.get(key):
            schema = {"type": "array", "items": {"enum": resource[key]}}
            found.append({**query(name, schema, "Add the resources these references reach "
                                  "(search.html#include); repeat for several."),
                          "explode": True})  # fmt: skip
    return found


def _search(resource: Json, criteria: list[Json]) -> Json:
    resource_type = resource["type"]
    result = [ref("parameters", name) for name in RESULT_PARAMETERS]
    return _operation(
        f"search{resource_type}", f"Search {resource_type} (http.html#search)", resource_type,
        {"200": _answer("A searchset Bundle.", "Bundle"), **errors(400)},
        parameters=[*criteria, *result, *_includes(resource), ref("parameters", "Prefer-handling"),
                    *_general()],
    )  # fmt: skip


def _search_post(resource: Json) -> Json:
    resource_type = resource["type"]
    names = [p["name"] for p in resource.get("searchParam", [])] + list(RESULT_PARAMETERS)
    form = {"type": "object", "properties": {name: {"type": "string"} for name in names}}
    body = {"content": {"application/x-www-form-urlencoded": {"schema": form}}}
    return _operation(
        f"searchPost{resource_type}", f"Search {resource_type} with a form body", resource_type,
        {"200": _answer("A searchset Bundle.", "Bundle"), **errors(400, 415)},
        requestBody=body, parameters=_general(),
    )  # fmt: skip


def _create(resource: Json) -> Json:
    resource_type = resource["type"]
    headers = [ref("parameters", "Prefer-return"), *_general()]
    if resource.get("conditionalCreate"):
        headers.insert(0, ref("parameters", "If-None-Exist"))
    created = _answer("Created, under a server id.", resource_type, "ETag", "Location")
    matched = _answer("`If-None-Exist` matched this one.", resource_type, "ETag")
    body = {"required": True, "content": fhir_body(ref("schemas", resource_type))}
    return _operation(
        f"create{resource_type}", f"Create a {resource_type} (http.html#create)", resource_type,
        {"201": created, "200": matched, **errors(400, 412, 415, 422)},
        requestBody=body, parameters=headers,
    )  # fmt: skip


def _conditional_update(resource_type: str, criteria: list[Json]) -> Json:
    written = _answer("Updated the one match (none: 201, created).", resource_type, "ETag")
    body = {"required": True, "content": fhir_body(ref("schemas", resource_type))}
    return _operation(
        f"conditionalUpdate{resource_type}", f"Update the {resource_type} the criteria select "
        "(http.html#cond-update)", resource_type,
        {"200": written, "201": written, **errors(400, 412, 422)},
        requestBody=body, parameters=[*criteria, ref("parameters", "Prefer-return"), *_general()],
    )  # fmt: skip


def _conditional_delete(resource_type: str, criteria: list[Json]) -> Json:
    return _operation(
        f"conditionalDelete{resource_type}", f"Delete the {resource_type} the criteria select "
        "(http.html#cdelete)", resource_type,
        {"204": {"description": "Deleted."}, **errors(400, 404, 412)}, parameters=criteria,
    )  # fmt: skip


def _lastn(resource: Json, criteria: list[Json]) -> Json:
    maximum = query("max", {"type": "integer", "minimum": 1, "maximum": MAX_PER_GROUP},
                    "How many of the latest Observations per code (default 1).")  # fmt: skip
    return {f"/{resource['type']}/$lastn": {"get": _operation(
        "lastn", "The latest Observations per code (observation-operation-lastn.html)",
        resource["type"], {"200": _answer("A searchset Bundle.", "Bundle"), **errors(400)},
        parameters=[maximum, *criteria, *_general()],
    )}}  # fmt: skip


_VALIDATED = _answer("The findings; one information issue when there are none.",
                     "OperationOutcome")  # fmt: skip
_VALIDATE_BODY = {"required": True, "content": fhir_body(
    {"oneOf": [ref("schemas", "Resource"), ref("schemas", "Parameters")]})}  # fmt: skip
_VALIDATE_PARAMETERS = (
    query("mode", {"enum": ["create", "update", "delete", "profile"]}, "What to validate for."),
    query("profile", {"type": "string"}, "A profile to validate against too (canonical URL)."),
)


def _validate(resource: Json, criteria: list[Json]) -> Json:
    """`$validate` on the type (resource-operation-validate.html); a resource or Parameters."""
    del criteria  # the operation has its own parameters
    return {f"/{resource['type']}/$validate": {"post": _operation(
        f"validate{resource['type']}", f"Validate a {resource['type']} without writing it",
        resource["type"], {"200": _VALIDATED, **errors(400, 404, 415)},
        parameters=[*_VALIDATE_PARAMETERS, *_general()], requestBody=_VALIDATE_BODY,
    )}}  # fmt: skip


def _patient_export(resource: Json, criteria: list[Json]) -> Json:
    summary = "Export the patients' compartments (Bulk Data)"
    return {f"/{resource['type']}/$export": {"get": _kick_off("patientExport", summary,
                                                              "Bulk Data")}}  # fmt: skip


def _everything(resource: Json, criteria: list[Json]) -> Json:
    """`$everything` on every patient and on one (patient-operation-everything.html)."""
    del criteria  # the operation has its own parameters, not the type's search parameters
    string = {"type": "string"}
    parameters = [
        query("_type", string, "Comma-separated resource types to return."),
        query("_since", string, "Only resources updated at or after this instant."),
        query("start", string, "Care dates: leave out resources whose care date ends before."),
        query("end", string, "Care dates: leave out resources whose care date starts after."),
        ref("parameters", "_count"), ref("parameters", "_cursor"),
        ref("parameters", "Prefer-handling"), *_general(),
    ]  # fmt: skip
    answer = {"200": _answer("A searchset Bundle: the patients and their compartments.", "Bundle")}
    body = {"content": fhir_body(ref("schemas", "Parameters"))}
    patient = {"name": "id", "in": "path", "required": True, "schema": _ID}
    paths: Json = {}
    for path, name, more, statuses in (
        (f"/{resource['type']}/$everything", "everythingAll", [], (400,)),
        (f"/{resource['type']}/{{id}}/$everything", "everything", [patient], (400, 404, 410)),
    ):
        summary = "The record of " + ("every patient" if not more else "a patient")
        paths[path] = {
            "get": _operation(name, summary, resource["type"], {**answer, **errors(*statuses)},
                              parameters=[*more, *parameters]),
            "post": _operation(f"{name}Post", f"{summary}, parameters in a Parameters body",
                               resource["type"], {**answer, **errors(*statuses, 415)},
                               parameters=[*more, *parameters], requestBody=body),
        }  # fmt: skip
    return paths


# --- compartments: a type's search within one compartment -------------------------------------


def _compartments(rest: Json) -> Json:
    """`/{compartment}/{id}/{type}` (http.html#search): the type's search parameters apply."""
    names = [url.rsplit("/", 1)[-1] for url in rest.get("compartment", [])]
    if not names:
        return {}
    types = [r["type"] for r in rest["resource"]]
    path = [
        {"name": "compartment", "in": "path", "required": True,
         "schema": {"enum": [name[0].upper() + name[1:] for name in names]}},
        {"name": "id", "in": "path", "required": True, "schema": _ID},
        {"name": "type", "in": "path", "required": True, "schema": {"enum": types}},
    ]  # fmt: skip
    result = [ref("parameters", name) for name in RESULT_PARAMETERS]
    answer = {"200": _answer("A searchset Bundle of the compartment's matches.", "Bundle")}
    form = {"type": "object", "additionalProperties": {"type": "string"}}
    body = {"content": {"application/x-www-form-urlencoded": {"schema": form}}}
    summary = "Search a type within a compartment; the type's search parameters apply"
    return {
        "/{compartment}/{id}/{type}": {"get": _operation(
            "searchCompartment", summary, "Compartment", {**answer, **errors(400, 404)},
            parameters=[*path, *result, ref("parameters", "Prefer-handling"), *_general()],
        )},
        "/{compartment}/{id}/{type}/_search": {"post": _operation(
            "searchCompartmentPost", f"{summary} (form body)", "Compartment",
            {**answer, **errors(400, 404, 415)}, parameters=[*path, *_general()],
            requestBody=body,
        )},
    }  # fmt: skip


_OPERATIONS: dict[str, Callable[[Json, list[Json]], Json]] = {
    "lastn": _lastn,
    "export": _patient_export,
    "everything": _everything,
    "validate": _validate,
    **{name: partial(terminology_paths, name) for name in TERMINOLOGY_OPERATIONS},
}
