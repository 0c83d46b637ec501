"""The FHIR names of the domain's models, as each mapper declares them, and their check.

A mapper states, per model, the FHIR element name of each field (`FhirNames`, like cattrs'
rename overrides), and how a model written as one FHIR primitive string is read and written
(`TextValue`: a dateTime and its range). `check_tables` holds the tables to the models when a
mapper is built, so a forgotten or misspelt name fails at import, not in a resource.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

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
    `parse` gives the model's fields from the text (raising ValueError), `text` the text of a
    model, `stored_text` the text of its stored form (its `model_dump()`)."""

    parse: Callable[[str], Any]
    text: Callable[[Any], str]
    stored_text: Callable[[Any], str]


NameTable = Mapping[type[BaseModel], FhirNames]
TextTable = Mapping[type[BaseModel], TextValue]


def check_tables(model: type[BaseModel], names: NameTable, texts: TextTable) -> None:
    """Every model `model` holds outside its derived views (itself included) has a table
    naming exactly its fields, each an element of its FHIR type; else TypeError."""
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
        views = derived_fields(current)
        for name, field in current.model_fields.items():
            if name not in views:
                pending.extend(_held(field.annotation))


def _held(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _held(argument)
