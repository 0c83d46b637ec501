"""What an app adapter is: the app's entities, each a typed row model and its FHIR home.

The four seed apps (their data-model documents are the project's seeds) keep their records in their own shapes. An adapter
(`mappers/apps/<app>/`) declares every entity of its seed document as an `Entity`: the row
model exactly as the seed defines it, where each field lives in FHIR (or why it has no home),
the foreign keys, the secret fields, and the mapping native row -> FHIR resources. The way back
(FHIR -> rows) is one function over a patient's resources (`FhirView`). Adapters do no I/O:
the service (gateway.services.apps) reads the store and runs the transaction.

Identity: a native row is `Identity(app, entity, native id)`. Every resource made from it
carries the identifier `{system: <SID>/<app>/<entity>, value: <native id>}`, and its FHIR id is
a UUID v5 of that identifier and a part name (`resource_id(part)`), so a re-sent row lands on
the same resources, and a foreign key becomes a reference without looking anything up.
https://hl7.org/fhir/R4/datatypes.html#Identifier, https://hl7.org/fhir/R4/resource.html#id
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from gateway.jsonio import Json
from mappers.apps.native import (
    SID,
    Day,
    Identity,
    Instant,
    NativeId,
    NativeRow,
    fhir_date,
    fhir_datetime,
    stable_int,
)
from mappers.apps.view import Exported, FhirView

__all__ = [
    "SID",
    "AppAdapter",
    "Day",
    "Entity",
    "Exported",
    "FhirView",
    "Identity",
    "Instant",
    "MappingContext",
    "NativeId",
    "NativeRow",
    "RowProblem",
    "fhir_date",
    "fhir_datetime",
    "home",
    "no_home",
    "stable_int",
]


class RowProblem(ValueError):
    """Raised by a `to_fhir` for a row the model accepts but the mapping cannot (a JSON-text
    column that is not JSON, a vitals row of a therapist); becomes a 422 naming the field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


class MappingContext(Protocol):
    """What a `to_fhir` may ask while mapping one row (mappers.apps.ingest implements it)."""

    @property
    def app(self) -> str: ...

    def identity(self, entity: str, native_id: NativeId) -> Identity: ...

    def resource(self, entity: str, native_id: NativeId) -> Json | None:
        """The primary resource of the row `entity`/`native_id`, mapped from this request (in
        any order) or already stored; None for an entity without a FHIR home."""

    def row(self, entity: str, native_id: NativeId) -> NativeRow | None:
        """The row itself when this request carries it."""


ToFhir = Callable[[Any, MappingContext], list[Json]]


@dataclass(frozen=True, slots=True)
class FieldHome:
    """Where a field lives in FHIR (`where`), or why it has none (`reason`)."""

    where: str | None = None
    reason: str | None = None


def home(where: str) -> FieldHome:
    return FieldHome(where=where)


def no_home(reason: str) -> FieldHome:
    return FieldHome(reason=reason)


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity of a seed document, named exactly as the seed names it.

    `to_fhir` None: rows are accepted and reported skipped with `no_home` as the reason (not
    validated: an app sends what it has). `primary`: the FHIR types whose `resource_id("")`
    stands for the row when another row's foreign key names it (several when rows vary, e.g.
    Users -> Patient or Practitioner by role). `foreign_keys`: field -> target entity.
    `secrets`: dotted field paths dropped and reported, never mapped (`settings.apiKey`).
    `fields`: every model field -> its FieldHome (a test holds it to the model)."""

    name: str
    model: type[NativeRow] | None
    fields: Mapping[str, FieldHome] = field(default_factory=dict)
    to_fhir: ToFhir | None = None
    no_home: str | None = None
    primary: tuple[str, ...] = ()
    foreign_keys: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    id_field: str = "id"


@dataclass(frozen=True, slots=True)
class AppAdapter:
    """One seed app. `entities` in the seed's order; `patient_entity` is the entity whose native
    id `GET /apps/{app}/records?patient=` names; `from_fhir` builds rows from a patient's FHIR."""

    name: str
    title: str
    seeds: tuple[str, ...]
    entities: tuple[Entity, ...]
    patient_entity: str
    from_fhir: Callable[[FhirView], list[Exported]]

    def entity(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.name == name), None)
