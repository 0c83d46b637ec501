"""A toy app adapter for the tests of the contract and of the apps service: a patient entity
with a secret, a clinic (the row a foreign key names), a visit making two resources (Encounter
and a heart-rate Observation), an enum, an exact number, and an entity without a FHIR home.

Registered as app `toy` by the `toy_app` fixture below, which test modules import."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pytest

from gateway.jsonio import ExactNumber, Json
from mappers import apps
from mappers.apps.base import (
    AppAdapter,
    Entity,
    Exported,
    FhirView,
    Instant,
    MappingContext,
    NativeRow,
    RowProblem,
    fhir_datetime,
    home,
    no_home,
)

NAME = "toy"
BOOKKEEPING = no_home("the row's own bookkeeping; FHIR's meta.lastUpdated is the server's")


class Clinic(NativeRow):
    id: int
    name: str


class Person(NativeRow):
    id: str
    name: str
    sex: Literal["M", "F"] | None = None
    clinic_id: int | None = None
    password_hash: str | None = None
    createdAt: Instant | None = None


class Visit(NativeRow):
    id: int
    person_id: str
    clinic_id: int
    at: Instant
    heart_rate: ExactNumber | None = None


GENDER = {"M": "male", "F": "female"}


def clinic_fhir(row: Clinic, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("clinics", row.id)
    return [{"resourceType": "Organization", "id": identity.resource_id(),
             "identifier": [identity.identifier()], "name": row.name}]  # fmt: skip


def person_fhir(row: Person, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("people", row.id)
    if row.name.strip() == "":
        raise RowProblem("name", "a person needs a name.")
    patient: Json = {"resourceType": "Patient", "id": identity.resource_id(),
                     "identifier": [identity.identifier()], "name": [{"text": row.name}]}  # fmt: skip
    if row.sex:
        patient["gender"] = GENDER[row.sex]
    if row.clinic_id is not None:
        patient["managingOrganization"] = ctx.identity("clinics", row.clinic_id).reference(
            "Organization"
        )
    return [patient]


def visit_fhir(row: Visit, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("visits", row.id)
    subject = ctx.identity("people", row.person_id).reference("Patient")
    when = fhir_datetime(row.at)
    encounter: Json = {
        "resourceType": "Encounter", "id": identity.resource_id(),
        "identifier": [identity.identifier()], "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": subject, "period": {"start": when},
        "serviceProvider": ctx.identity("clinics", row.clinic_id).reference("Organization"),
    }  # fmt: skip
    made = [encounter]
    if row.heart_rate is not None:
        made.append({
            "resourceType": "Observation", "id": identity.resource_id("heartRate"),
            "identifier": [identity.identifier()], "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": subject, "effectiveDateTime": when,
            "encounter": identity.reference("Encounter"),
            "valueQuantity": {"value": row.heart_rate, "unit": "/min",
                              "system": "http://unitsofmeasure.org", "code": "/min"},
        })  # fmt: skip
    return made


def from_fhir(view: FhirView) -> list[Exported]:
    """The patient as a `people` row, and its visits with their heart rates."""
    patient = view.patient
    person_id = view.native_id(patient, "people") or patient["id"]
    sexes = {v: k for k, v in GENDER.items()}
    clinic = view.get(patient.get("managingOrganization"))
    clinic_id = clinic and view.native_id(clinic, "clinics")
    person = Person(
        id=person_id,
        name=(patient.get("name") or [{}])[0].get("text", ""),
        sex=sexes.get(patient.get("gender", "")),  # type: ignore[arg-type]
        clinic_id=int(clinic_id) if clinic_id else None,
    )
    found = [Exported("people", person, (view.ref(patient),))]
    for encounter in view.of_type("Encounter"):
        visit_id = view.native_id(encounter, "visits")
        organization = view.get(encounter.get("serviceProvider"))
        clinic_id = organization and view.native_id(organization, "clinics")
        if visit_id is None or clinic_id is None:
            continue
        sources = [view.ref(encounter)]
        rate = None
        for observation in view.of_type("Observation"):
            if view.native_id(observation, "visits") == visit_id:
                rate = observation["valueQuantity"]["value"]
                sources.append(view.ref(observation))
        visit = Visit(id=int(visit_id), person_id=person_id, clinic_id=int(clinic_id),
                      at=encounter["period"]["start"], heart_rate=rate)  # fmt: skip
        found.append(Exported("visits", visit, tuple(sources)))
    return found


ADAPTER = AppAdapter(
    name=NAME,
    title="Toy Clinic",
    seeds=("toy.md",),
    entities=(
        Entity(
            "clinics",
            Clinic,
            {"id": home("Organization.identifier"), "name": home("Organization.name")},
            to_fhir=clinic_fhir,
            primary=("Organization",),
        ),
        Entity(
            "people",
            Person,
            {
                "id": home("Patient.identifier"),
                "name": home("Patient.name.text"),
                "sex": home("Patient.gender"),
                "clinic_id": home("Patient.managingOrganization"),
                "password_hash": no_home("a secret: dropped"),
                "createdAt": BOOKKEEPING,
            },
            to_fhir=person_fhir,
            primary=("Patient",),
            foreign_keys={"clinic_id": "clinics"},
            secrets=("password_hash",),
        ),
        Entity(
            "visits",
            Visit,
            {
                "id": home("Encounter.identifier"),
                "person_id": home("Encounter.subject"),
                "clinic_id": home("Encounter.serviceProvider"),
                "at": home("Encounter.period.start"),
                "heart_rate": home("Observation.valueQuantity (LOINC 8867-4, /min)"),
            },
            to_fhir=visit_fhir,
            primary=("Encounter",),
            foreign_keys={"person_id": "people", "clinic_id": "clinics"},
        ),
        Entity("recipes", None, no_home="a recipe is not a health record.", secrets=("api_key",)),
    ),
    patient_entity="people",
    from_fhir=from_fhir,
)


@pytest.fixture
def toy_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[AppAdapter]:
    """The toy app registered as `toy` beside the seed apps, for one test."""
    monkeypatch.setitem(apps.APPS, NAME, __name__)
    apps.adapter.cache_clear()
    found = apps.adapter(NAME)
    assert found is ADAPTER
    yield found
    apps.adapter.cache_clear()
