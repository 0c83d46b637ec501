"""FHIR-facing validators and serializers of the domain models, built once from name tables.

The domain models carry no FHIR names. From a mapper's tables (mappers/names.py) these copy a
record model's pydantic-core schema with the FHIR names as aliases, derived views and
`fhir_rest` left out of output, and dates read from and written as their FHIR text. Validating
FHIR JSON, serialising back and serialising a stored document as FHIR then all run in
pydantic-core (Rust) on the domain classes themselves: no FHIR-shaped twin classes, no renaming
of keys in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaSerializer, SchemaValidator

from mappers.names import NameTable, TextTable, TextValue, check_tables

Node = dict[str, Any]
_ANY_FIELD: Node = {"type": "typed-dict-field", "schema": {"type": "any"}, "required": False}


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


def document_serializer(
    model: type[BaseModel], names: NameTable, texts: TextTable
) -> SchemaSerializer:
    """Serialises a stored document of `model` (a dict) straight into FHIR elements when called
    with `by_alias=True, exclude_none=True`: keys renamed, dates as their text, views, `fhir_rest`
    and the top level's other keys left out, what nested values do not model kept as stored.
    No record is built."""
    check_tables(model, names, texts)
    return SchemaSerializer(_stored_to_fhir(model.__pydantic_core_schema__, names, texts))


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

    return _with_ref(
        node,
        {
            "type": "function-before",
            "function": {"type": "no-info", "function": from_text},
            "schema": {key: item for key, item in node.items() if key != "ref"},
            "serialization": {"type": "function-plain", "function": value.text},
        },
    )


def _stored_to_fhir(node: Any, names: NameTable, texts: TextTable) -> Any:
    """A copy of a core schema whose models of the tables are typed dicts, for serialising the
    documents those models dump to."""
    if isinstance(node, list):
        return [_stored_to_fhir(item, names, texts) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "model" and node["cls"] in texts:
        text = {"type": "function-plain", "function": texts[node["cls"]].stored_text}
        return _with_ref(node, {"type": "any", "serialization": text})
    if node.get("type") == "model" and node["cls"] in names:
        table = names[node["cls"]].fields
        fields = {
            name: {
                "type": "typed-dict-field",
                "schema": _stored_to_fhir(field["schema"], names, texts),
                "required": False,
                "serialization_alias": table[name],
            }
            for name, field in node["schema"]["fields"].items()
            if name in table
        }
        # A view of a nested value (a quantity's canonical form) is a stored key too: named,
        # so that extra keys kept as stored do not include it, and never written.
        fields.update(
            (name, {**_ANY_FIELD, "serialization_exclude": True})
            for name in node["schema"]["fields"]
            if name not in table
        )
        extra = node.get("config", {}).get("extra_fields_behavior", "ignore")
        return _with_ref(node, {"type": "typed-dict", "fields": fields, "extra_behavior": extra})
    return {key: _stored_to_fhir(value, names, texts) for key, value in node.items()}


def _with_ref(node: Node, replacement: Node) -> Node:
    """`replacement` carrying `node`'s `ref`, where `definition-ref`s look for it."""
    return {**replacement, "ref": node["ref"]} if "ref" in node else replacement
