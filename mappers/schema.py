"""FHIR-facing validators and serializers of the domain models, built once from name tables.

The domain models carry no FHIR names. From a mapper's tables (mappers/names.py) these copy a
record model's pydantic-core schema with the FHIR names as aliases, derived views and
`fhir_rest` left out of output, and dates read from and written as their FHIR text. Validating
FHIR JSON, serialising back and reading a stored document as FHIR then all run in pydantic-core
(Rust) and build the domain classes themselves: no FHIR-shaped twin classes, no renaming of
keys in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel
from pydantic_core import CoreSchema, SchemaSerializer, SchemaValidator

from mappers.names import NameTable, TextTable, TextValue, check_tables

Node = dict[str, Any]


def fhir_validator(model: type[BaseModel], names: NameTable, texts: TextTable) -> SchemaValidator:
    """Validates FHIR JSON into `model`; raises TypeError if a table is incomplete."""
    check_tables(model, names, texts)
    with _own_schemas(names):
        return SchemaValidator(_fhir_facing(model.__pydantic_core_schema__, names, texts))


def fhir_serializer(model: type[BaseModel], names: NameTable, texts: TextTable) -> SchemaSerializer:
    """Serialises `model` as FHIR JSON when called with `by_alias=True`."""
    check_tables(model, names, texts)
    with _own_schemas(names):
        return SchemaSerializer(_fhir_facing(model.__pydantic_core_schema__, names, texts))


def document_reader(model: type[BaseModel], names: NameTable, texts: TextTable) -> SchemaValidator:
    """Validates a stored document of `model` straight into FHIR elements: a dict keyed by FHIR
    names, views, `fhir_rest` and anything else unnamed left out, no record built. A field
    stored as null fails validation; the record's own path (which drops it) takes over."""
    check_tables(model, names, texts)
    schema: CoreSchema = _stored_to_fhir(model.__pydantic_core_schema__, names, texts)
    return SchemaValidator(schema)


@contextmanager
def _own_schemas(models: Iterable[type[BaseModel]]) -> Iterator[None]:
    """pydantic-core builds a `model` schema whose class is complete from the class's own
    validator and serializer (its "prebuilt" reuse), which would drop the FHIR names: while
    building, the classes say they are not complete. Import-time only."""
    hidden = [m for m in models if m.__dict__.get("__pydantic_complete__")]
    for model in hidden:
        model.__pydantic_complete__ = False
    try:
        yield
    finally:
        for model in hidden:
            model.__pydantic_complete__ = True


def _fhir_facing(node: Any, names: NameTable, texts: TextTable) -> Any:
    """A copy of a core schema (dicts and lists) with the models of the tables FHIR-facing."""
    if isinstance(node, list):
        return [_fhir_facing(item, names, texts) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "model" and node["cls"] in texts:
        return _text_model(node, texts[node["cls"]])
    if node.get("type") == "model" and node["cls"] in names:
        return {**node, "schema": _aliased(node["cls"], node["schema"], names, texts)}
    return {key: _fhir_facing(value, names, texts) for key, value in node.items()}


def _aliased(model: type[BaseModel], schema: Node, names: NameTable, texts: TextTable) -> Node:
    """A `model-fields` schema with aliases; views and `fhir_rest` never serialised."""
    table = names[model].fields
    fields: Node = {}
    for name, field in schema["fields"].items():
        fhir_name = table.get(name)
        if fhir_name is None:  # a derived view or fhir_rest: not a FHIR element
            fields[name] = {**field, "serialization_exclude": True}
        else:
            fields[name] = {
                **field,
                "schema": _fhir_facing(field["schema"], names, texts),
                "validation_alias": fhir_name,
                "serialization_alias": fhir_name,
            }
    return {**schema, "fields": fields}


def _text_model(node: Node, value: TextValue) -> Node:
    """Validate the model from its text and serialise it as that text."""
    parse = value.parse

    def from_text(data: Any) -> Any:
        return parse(data) if isinstance(data, str) else data

    return _wrapped(
        node,
        type="function-before",
        function={"type": "no-info", "function": from_text},
        serialization={"type": "function-plain", "function": value.text},
    )


def _stored_to_fhir(node: Any, names: NameTable, texts: TextTable) -> Any:
    """A copy of a core schema whose models of the tables validate into FHIR-named dicts."""
    if isinstance(node, list):
        return [_stored_to_fhir(item, names, texts) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "model" and node["cls"] in texts:
        text = texts[node["cls"]].text
        return _wrapped(node, type="function-after", function={"type": "no-info", "function": text})
    if node.get("type") == "model" and node["cls"] in names:
        table = names[node["cls"]].fields
        fields = {
            table[name]: {
                "type": "typed-dict-field",
                "schema": _stored_to_fhir(_not_null(field["schema"]), names, texts),
                "required": False,
                "validation_alias": name,
            }
            for name, field in node["schema"]["fields"].items()
            if name in table
        }
        typed_dict: Node = {
            "type": "typed-dict",
            "fields": fields,
            "extra_behavior": node.get("config", {}).get("extra_fields_behavior", "ignore"),
        }
        return {**typed_dict, "ref": node["ref"]} if "ref" in node else typed_dict
    return {key: _stored_to_fhir(value, names, texts) for key, value in node.items()}


def _not_null(schema: Node) -> Node:
    """A field's schema without its default and its null: a stored document omits empty
    fields, so a key is there with a value."""
    if schema["type"] == "default":
        schema = schema["schema"]
    return schema["schema"] if schema["type"] == "nullable" else schema


def _wrapped(node: Node, **wrapper: Any) -> Node:
    """`node` inside a function schema; its `ref` moves to the wrapper, where `definition-ref`s
    look for it."""
    inner = {key: value for key, value in node.items() if key != "ref"}
    return {**wrapper, "schema": inner, **({"ref": node["ref"]} if "ref" in node else {})}
