"""FHIR-facing validators and serializers of the domain models, built once from name tables.

The domain models carry no FHIR names. A mapper states, per model, the FHIR name of each field
(`FhirNames`, like cattrs' rename overrides); `fhir_schema` copies the record model's
pydantic-core schema with those names as validation and serialization aliases, derived views
and `fhir_rest` left out of output, and dates read from and written as their FHIR text.
Validating FHIR JSON and serialising back then both run in pydantic-core and build the domain
classes themselves: no FHIR-shaped twin classes, no renaming of keys in Python.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import CoreSchema, SchemaSerializer, SchemaValidator

import fhir_profiles
from gateway.domain.base import derived_fields


@dataclass(frozen=True, slots=True)
class FhirNames:
    """The FHIR element name of each field of one model; `fhir_type` is the FHIR type or
    backbone element the model stands for (`Coding`, `Patient.contact`)."""

    fhir_type: str
    fields: Mapping[str, str]

    @classmethod
    def of(cls, fhir_type: str, *same: str, **renamed: str) -> FhirNames:
        """`FhirNames.of("Coding", "system", "code", user_selected="userSelected")`: fields
        named as in FHIR, then field=FHIR name for the others."""
        return cls(fhir_type, {**{name: name for name in same}, **renamed})


@dataclass(frozen=True, slots=True)
class TextValue:
    """A model read from and written as one FHIR primitive string (a dateTime and its range):
    `parse` gives the model's fields from the text (raising ValueError), `text` the reverse."""

    parse: Callable[[str], Any]
    text: Callable[[Any], str]


NameTable = Mapping[type[BaseModel], FhirNames]
TextTable = Mapping[type[BaseModel], TextValue]


def fhir_validator(model: type[BaseModel], names: NameTable, texts: TextTable) -> SchemaValidator:
    """Validates FHIR JSON into `model`; raises TypeError if a table is incomplete."""
    with _own_schemas(names):
        return SchemaValidator(_fhir_schema(model, names, texts))


def fhir_serializer(model: type[BaseModel], names: NameTable, texts: TextTable) -> SchemaSerializer:
    """Serialises `model` as FHIR JSON (with `by_alias=True`)."""
    with _own_schemas(names):
        return SchemaSerializer(_fhir_schema(model, names, texts))


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


def _fhir_schema(model: type[BaseModel], names: NameTable, texts: TextTable) -> CoreSchema:
    check_tables(model, names, texts)
    schema: CoreSchema = _rewrite(model.__pydantic_core_schema__, names, texts)
    return schema


def check_tables(model: type[BaseModel], names: NameTable, texts: TextTable) -> None:
    """Every model a record holds outside its derived views has a table naming exactly its
    fields, each an element of its FHIR type, so a forgotten or misspelt name fails at import."""
    elements = fhir_profiles.elements()
    for held in _models(model, texts):
        table = names.get(held)
        if table is None:
            raise TypeError(f"{held.__name__} has no FHIR names")
        fields = set(held.model_fields) - derived_fields(held) - {"fhir_rest"}
        if set(table.fields) != fields:
            raise TypeError(f"FHIR names of {held.__name__} differ from its fields: {fields}")
        unknown = set(table.fields.values()) - set(elements[table.fhir_type])
        if unknown:
            raise TypeError(f"{sorted(unknown)} are not elements of {table.fhir_type}")


def _models(model: type[BaseModel], texts: TextTable) -> Iterator[type[BaseModel]]:
    """`model` and the models its non-derived fields hold, at any depth, each once."""
    seen: set[type[BaseModel]] = set()
    pending = [model]
    while pending:
        current = pending.pop()
        if current in seen or current in texts:
            continue
        seen.add(current)
        yield current
        for name, field in current.model_fields.items():
            if name not in derived_fields(current):
                pending.extend(_held(field.annotation))


def _held(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _held(argument)


def _rewrite(node: Any, names: NameTable, texts: TextTable) -> Any:
    """A copy of a core schema (dicts and lists) with the models of the tables FHIR-facing."""
    if isinstance(node, list):
        return [_rewrite(item, names, texts) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "model" and node["cls"] in texts:
        return _text_model(node, texts[node["cls"]])
    if node.get("type") == "model" and node["cls"] in names:
        return {**node, "schema": _fields(node["cls"], node["schema"], names, texts)}
    return {key: _rewrite(value, names, texts) for key, value in node.items()}


def _fields(
    model: type[BaseModel], schema: dict[str, Any], names: NameTable, texts: TextTable
) -> dict[str, Any]:
    """A `model-fields` schema with aliases; views and `fhir_rest` never serialised."""
    table = names[model].fields
    fields: dict[str, Any] = {}
    for name, field in schema["fields"].items():
        fhir_name = table.get(name)
        if fhir_name is None:  # a derived view or fhir_rest: not a FHIR element
            fields[name] = {**field, "serialization_exclude": True}
        else:
            fields[name] = {
                **field,
                "schema": _rewrite(field["schema"], names, texts),
                "validation_alias": fhir_name,
                "serialization_alias": fhir_name,
            }
    return {**schema, "fields": fields}


def _text_model(node: dict[str, Any], value: TextValue) -> dict[str, Any]:
    """Validate the model from its text and serialise it as that text; the `ref` moves to the
    wrapper, where `definition-ref`s look for it."""
    parse = value.parse

    def from_text(data: Any) -> Any:
        return parse(data) if isinstance(data, str) else data

    wrapper: dict[str, Any] = {
        "type": "function-before",
        "function": {"type": "no-info", "function": from_text},
        "schema": {key: item for key, item in node.items() if key != "ref"},
        "serialization": {"type": "function-plain", "function": value.text},
    }
    if "ref" in node:
        wrapper["ref"] = node["ref"]
    return wrapper
