"""The seed apps' endpoints in the OpenAPI document: `/apps`, `/apps/{app}/records`, `/schema`.

They are served beside the FHIR base, not under it (gateway.http.routes.apps), so each path
item carries its own `servers`, naming the server root (OAS 3.1, Path Item Object `servers`:
https://spec.openapis.org/oas/v3.1.0#path-item-object). Each app gets concrete paths, so each
POST's body and each GET's answer is that app's records schema (mappers.apps.schema). The
schemas' `$defs` move into `components/schemas` under app-prefixed names: a `#/$defs/...`
inside this document would resolve against the document's root, where there is no `$defs`.
Answers are plain JSON; errors are OperationOutcomes, as the base's.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from gateway.http.openapi_parts import errors, ref
from gateway.jsonio import Json
from gateway.services.apps.registry import available
from mappers.apps.base import AppAdapter
from mappers.apps.schema import records_schema

TAG = "Seed apps"
JSON = "application/json"
_DEFS = "#/$defs/"
_KEY = re.compile(r"[^A-Za-z0-9._-]")  # what a components/schemas key may hold (OAS 3.1)
_GENERAL = [ref("parameters", "_format"), ref("parameters", "_pretty")]


def server_root(server: str, *, base_path: str) -> str:
    """The server root the apps hang from, given the FHIR base the document is rendered for.

    `/fhir` -> `/`, `http://h/fhir` -> `http://h/`, `http://h/proxy/fhir` -> `http://h/proxy/`;
    a base at `/` is the root itself. A public URL that does not end with the base path (a
    proxy that renames it) says nothing of where the root went: its origin is the best guess.
    """
    base_path = base_path.rstrip("/")
    server = server.rstrip("/")
    if server.endswith(base_path):
        return server[: len(server) - len(base_path)] + "/"
    parts = urlsplit(server)
    return f"{parts.scheme}://{parts.netloc}/" if parts.netloc else "/"


def add_apps(document: Json, *, root: str) -> Json:
    """Add the apps' paths and schemas to `document` (the FHIR base's), in place.

    The tag is not declared at the top: Swagger UI lists declared tags first, and the apps
    would then come before the FHIR base they sit beside; undeclared, they come last.
    """
    servers = [{"url": root, "description": "The server root: the apps are beside the base."}]
    schemas = document["components"]["schemas"]
    schemas.update(_SHARED)
    document["paths"]["/apps"] = {"servers": servers, "get": _list_apps()}
    for adapter in available():
        schemas.update(_components(adapter))
        for path, item in _app_paths(adapter).items():
            document["paths"][path] = {"servers": servers, **item}
    return document


def _name(adapter: AppAdapter) -> str:
    """`medical-twin` -> `MedicalTwin`: the prefix of the app's operation ids and schemas."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", adapter.name))


def _components(adapter: AppAdapter) -> dict[str, Json]:
    """The app's records schema and its definitions, every `#/$defs/X` now `App.X`."""
    schema = records_schema(adapter)
    schema.pop("$schema", None)  # OAS 3.1 schemas are 2020-12 already (jsonSchemaDialect)
    definitions: dict[str, Any] = schema.pop("$defs", {})
    keys = {name: f"{_name(adapter)}.{_KEY.sub('_', name)}" for name in definitions}
    found = {key: _rewrite(definitions[name], keys) for name, key in keys.items()}
    found[f"{_name(adapter)}.Records"] = _rewrite(schema, keys)
    return found


def _rewrite(value: Any, keys: dict[str, str]) -> Any:
    """`value` with each `#/$defs/X` string (a `$ref`, or a discriminator's mapping) pointing
    at `#/components/schemas/<keys[X]>`."""
    if isinstance(value, dict):
        return {k: _rewrite(v, keys) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, keys) for v in value]
    if isinstance(value, str) and value.startswith(_DEFS):
        return ref("schemas", keys[value.removeprefix(_DEFS)])["$ref"]
    return value


def _operation(operation_id: str, summary: str, responses: Json, **more: Any) -> Json:
    return {"operationId": operation_id, "summary": summary, "tags": [TAG],
            "responses": responses, **more}  # fmt: skip


def _answer(description: str, schema: Json) -> Json:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _list_apps() -> Json:
    apps = {"type": "array", "items": ref("schemas", "SeedApp")}
    return _operation("listApps", "The seed apps, their seed documents and entities",
                      {"200": _answer("The apps this gateway holds.", apps), **errors(406)},
                      parameters=_GENERAL)  # fmt: skip


def _app_paths(adapter: AppAdapter) -> Json:
    name, title = _name(adapter), adapter.title
    records = ref("schemas", f"{name}.Records")
    body = {"required": True, "content": {JSON: {"schema": records}}}
    stored = _answer("What each FHIR type and row became.", ref("schemas", "AppRecordsAnswer"))
    back = _answer(f"The patient's record in {title}'s shape: the rows POST takes.", records)
    schema = _answer("JSON Schema (2020-12) of what POST takes.", {"type": "object"})
    return {
        f"/apps/{adapter.name}/records": {
            "get": _operation(
                f"getRecords{name}", f"A patient's record as {title} rows",
                {"200": back, **errors(400, 404, 406, 422)},
                parameters=[*_read_parameters(adapter), *_GENERAL],
            ),
            "post": _operation(
                f"postRecords{name}", f"Store {title} rows as FHIR, in one transaction",
                {"200": stored, **errors(400, 406, 413, 415, 422)},
                requestBody=body, parameters=_GENERAL,
            ),
        },
        f"/apps/{adapter.name}/schema": {"get": _operation(
            f"getSchema{name}", f"The JSON Schema of {title} records",
            {"200": schema, **errors(406)}, parameters=_GENERAL,
        )},
    }  # fmt: skip


def _read_parameters(adapter: AppAdapter) -> list[Json]:
    entities = [e.name for e in adapter.entities]
    return [
        {"name": "patient", "in": "query", "required": True, "schema": {"type": "string"},
         "description": f"The patient: its `{adapter.patient_entity}` id in the app, or a "
         "FHIR Patient id. Missing: 400; unknown: 404."},
        {"name": "since", "in": "query", "schema": {"type": "string"},
         "description": "A FHIR instant: only rows built from a resource written at or after "
         "it. Not an instant: 400."},
        {"name": "entity", "in": "query", "style": "form", "explode": True,
         "schema": {"type": "array", "items": {"enum": entities}},
         "description": "Only these entities; repeatable or comma-separated. Unknown: 422."},
    ]  # fmt: skip


def _counts() -> Json:
    count = {"type": "integer", "minimum": 0}
    ids = {"type": "array", "items": {"type": "string"},
           "description": "The ids of the resources written (not of those deleted)."}  # fmt: skip
    names = ("created", "updated", "unchanged", "deleted")
    return {"type": "object", "required": [*names, "ids"],
            "properties": {**dict.fromkeys(names, count), "ids": ids}}  # fmt: skip


def _store_answer() -> Json:
    """What `POST /apps/{app}/records` answers (gateway.services.apps.ingest.store_records)."""
    string, count = {"type": "string"}, {"type": "integer", "minimum": 0}
    refs = {"type": "array", "items": string}
    return {
        "type": "object",
        "required": ["app", "resources", "rows", "skipped", "dropped"],
        "properties": {
            "app": string,
            "resources": {"type": "object", "additionalProperties": _counts(),
                          "description": "Per FHIR type, what the request did."},
            "rows": {"type": "object", "description": "entity -> native id -> the `Type/id`s "
                     "the row became.", "additionalProperties": {
                         "type": "object", "additionalProperties": refs}},
            "skipped": {"type": "array", "description": "Entities without a FHIR home: "
                        "accepted, not stored.", "items": {
                            "type": "object", "required": ["entity", "rows", "reason"],
                            "properties": {"entity": string, "rows": count, "reason": string}}},
            "dropped": {"type": "array", "description": "Secret fields: never stored.",
                        "items": {"type": "object", "required": ["entity", "field", "rows"],
                                  "properties": {"entity": string, "field": string,
                                                 "rows": count}}},
        },
    }  # fmt: skip


def _seed_app() -> Json:
    string = {"type": "string"}
    strings = {"type": "array", "items": string}
    fields = {"name": string, "title": string, "seeds": strings, "patientEntity": string,
              "entities": strings}  # fmt: skip
    return {"type": "object", "required": list(fields), "properties": fields}


_SHARED = {"AppRecordsAnswer": _store_answer(), "SeedApp": _seed_app()}
