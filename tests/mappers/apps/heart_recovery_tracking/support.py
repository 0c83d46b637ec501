"""A small adapter around the tracking tables for their tests: `Users` and `Patients` as plain
Patients (heart-a maps them for real), so the tracking mappings run as the service runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.jsonio import Json, loads
from mappers.apps.base import AppAdapter, Entity, MappingContext, NativeRow, home
from mappers.apps.heart_recovery.common import APP
from mappers.apps.heart_recovery.tracking import ENTITIES, rows
from mappers.apps.ingest import Mapped, map_records, read_records
from mappers.apps.view import FhirView

FIXTURES = Path(__file__).parents[3] / "fixtures" / "apps" / "heart-recovery"
TRACKED = {entity.name for entity in ENTITIES}


class Users(NativeRow):
    id: int
    email: str
    name: str
    role: str | None = None


class Patients(NativeRow):
    id: int
    therapistId: int
    userId: int | None = None
    name: str


def _patient(entity: str) -> Any:
    def to_fhir(row: Users | Patients, ctx: MappingContext) -> list[Json]:
        identity = ctx.identity(entity, row.id)
        return [
            {
                "resourceType": "Patient",
                "id": identity.resource_id(),
                "identifier": [identity.identifier()],
                "name": [{"text": row.name}],
            }
        ]

    return to_fhir


def _people(name: str, model: type[NativeRow]) -> Entity:
    fields = {field: home("Patient") for field in model.model_fields}
    return Entity(name, model, fields, to_fhir=_patient(name), primary=("Patient",))


ADAPTER = AppAdapter(
    name=APP,
    title="Heart Recovery Calendar (tracking tables)",
    seeds=("002_085323ce718dff36.txt",),
    entities=(_people("Users", Users), _people("Patients", Patients), *ENTITIES),
    patient_entity="Users",
    from_fhir=rows,
)


def load(name: str) -> Any:
    return loads((FIXTURES / name).read_bytes())


def mapped(payload: Any) -> Mapped:
    return map_records(read_records(ADAPTER, payload), {})


def tracking_resources(result: Mapped) -> list[Json]:
    """The resources the tracking tables made, in mapping order."""
    made = {
        ref for entity in TRACKED for refs in result.made.get(entity, {}).values() for ref in refs
    }
    return [r for r in result.resources if f"{r['resourceType']}/{r['id']}" in made]


def view_of(result: Mapped, resources: list[Json]) -> FhirView:
    """The first user's view: their Patient, the Patients row's Patient and `resources`."""
    people = [r for r in result.resources if r["resourceType"] == "Patient"]
    return FhirView(APP, people[0], [*people, *resources])
