"""The JSON Schema of what `POST /apps/{app}/records` takes (`GET /apps/{app}/schema`).

An object whose properties are the app's entity names, each an array of rows as the entity's
model defines them (pydantic's validation schema; the models' shared definitions in one
`$defs`). Rows of an entity without a FHIR home are any object: they are accepted and reported
skipped, never checked; the reason is the property's description. Secret fields are marked in
their description: accepted, never stored. https://json-schema.org/draft/2020-12
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from gateway.jsonio import Json
from mappers.apps.base import AppAdapter, Entity

SECRET = "Secret: accepted, never stored or mapped; the answer lists it as dropped."


def records_schema(adapter: AppAdapter) -> Json:
    modelled = [e for e in adapter.entities if e.model is not None and e.to_fhir is not None]
    refs, top = models_json_schema(
        [(e.model, "validation") for e in modelled if e.model is not None],
        ref_template="#/$defs/{model}",
    )
    definitions: dict[str, Any] = top.get("$defs", {})
    properties: Json = {}
    for entity in adapter.entities:
        if entity.model is None or entity.to_fhir is None:
            properties[entity.name] = {
                "type": "array",
                "items": {"type": "object"},
                "description": f"No FHIR home: {entity.no_home} Rows are accepted and skipped.",
            }
            continue
        item = refs[(entity.model, "validation")]
        _mark_secrets(definitions, item["$ref"].rsplit("/", 1)[1], entity)
        properties[entity.name] = {"type": "array", "items": item}
    schema: Json = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{adapter.title} records",
        "description": f"The rows `POST /apps/{adapter.name}/records` takes, by entity "
        f"(seed documents: {', '.join(adapter.seeds)}).",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if definitions:
        schema["$defs"] = definitions
    return schema


def _mark_secrets(definitions: dict[str, Any], name: str, entity: Entity) -> None:
    fields = definitions.get(name, {}).get("properties", {})
    for path in entity.secrets:
        top, _, rest = path.partition(".")
        if top in fields:
            said = fields[top].get("description")
            within = f" (`{path}`)" if rest else ""
            fields[top]["description"] = " ".join(filter(None, [said, SECRET + within]))
