"""Resources without this app's identifier (an EHR's, a wearable's) read as tracking rows:
what the row can carry exactly is mapped, the rest left out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.jsonio import Json, loads
from mappers.apps.heart_recovery.tracking import ENTITIES, rows
from mappers.apps.native import stable_int
from mappers.apps.view import FhirView, row_json

PATIENT: Json = {"resourceType": "Patient", "id": "ehr-1"}
SUBJECT = {"reference": "Patient/ehr-1"}
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def _vital(rid: str, when: str, code: str, value: Any = None, unit: str = "") -> Json:
    resource: Json = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": SUBJECT,
        "effectiveDateTime": when,
    }
    if value is not None:
        resource["valueQuantity"] = {"value": value, "system": UCUM, "code": unit}
    return resource


def _bp(rid: str, when: str, systolic: float, diastolic: float) -> Json:
    resource = _vital(rid, when, "85354-9")
    resource["component"] = [
        {
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "valueQuantity": {"value": value, "system": UCUM, "code": "mm[Hg]"},
        }
        for code, value in (("8480-6", systolic), ("8462-4", diastolic))
    ]
    return resource


def _rows(resources: list[Json]) -> dict[str, list[Json]]:
    found: dict[str, list[Json]] = {}
    for exported in rows(FhirView("heart-recovery", PATIENT, [PATIENT, *resources])):
        found.setdefault(exported.entity, []).append(row_json(exported.row))
    return found


def test_an_ehrs_vital_signs_become_one_row_per_time_in_the_apps_units() -> None:
    morning, evening = "2025-11-01T08:00:00Z", "2025-11-01T20:00:00Z"
    resources = [
        _bp("bp", morning, 120.0, 80),
        _vital("hr", morning, "8867-4", 72.0, "/min"),
        _vital("spo2", morning, "59408-5", 98, "%"),
        _vital("kg", morning, "29463-7", 80.5, "kg"),  # the column is pounds: left out
        _vital("temp", morning, "8310-5", 37.0, "Cel"),  # the column is °F: left out
        _vital("lb", evening, "29463-7", 177.5, "[lb_av]"),
        _vital("hr-frac", evening, "8867-4", 71.5, "/min"),  # not a whole number: left out
        {**_vital("old", evening, "8867-4", 60, "/min"), "status": "entered-in-error"},
        _vital("kg-only", "2025-11-02T08:00:00Z", "29463-7", 80.0, "kg"),  # nothing fits: no row
    ]
    user = stable_int("Patient/ehr-1")
    assert _rows(resources) == {
        "VitalsSamples": [
            {
                "id": min(
                    stable_int(f"Observation/{r}") for r in ("bp", "hr", "spo2", "kg", "temp")
                ),
                "userId": user,
                "systolicBP": 120,
                "diastolicBP": 80,
                "heartRate": 72,
                "oxygenSaturation": 98,
                "recordedAt": morning,
            },
            {
                "id": min(stable_int("Observation/lb"), stable_int("Observation/hr-frac")),
                "userId": user,
                "weight": 177.5,
                "recordedAt": evening,
            },
        ]
    }


def test_a_foreign_goal_becomes_a_therapy_goal() -> None:
    goal = {
        "resourceType": "Goal",
        "id": "g1",
        "lifecycleStatus": "active",
        "description": {"text": "Lose 10 lb"},
        "subject": SUBJECT,
        "target": [{"dueDate": "2026-01-31"}],
    }
    coded_only = {
        "resourceType": "Goal",
        "id": "g2",
        "lifecycleStatus": "active",
        "description": {"coding": [{"system": "http://snomed.info/sct", "code": "1"}]},
        "subject": SUBJECT,
    }
    assert _rows([goal, coded_only]) == {
        "TherapyGoals": [
            {
                "id": stable_int("Goal/g1"),
                "userId": stable_int("Patient/ehr-1"),
                "title": "Lose 10 lb",
                "targetDate": "2026-01-31",
                "status": "in-progress",
            },
        ]
    }


def test_a_hydration_log_in_millilitres_is_left_out() -> None:
    code = {
        "coding": [
            {
                "system": "http://fhir-gateway.org/fhir/CodeSystem/wearable-metric",
                "code": "water-intake",
            }
        ]
    }
    ml = {
        "resourceType": "Observation",
        "id": "w1",
        "status": "final",
        "code": code,
        "subject": SUBJECT,
        "effectiveDateTime": "2025-11-01",
        "valueQuantity": {"value": 500, "system": UCUM, "code": "mL"},
    }
    oz = {**ml, "id": "w2", "valueQuantity": {"value": 16, "system": UCUM, "code": "[foz_us]"}}
    assert _rows([ml, oz]) == {
        "HydrationLogs": [
            {
                "id": stable_int("Observation/w2"),
                "userId": stable_int("Patient/ehr-1"),
                "logDate": "2025-11-01",
                "amountOz": 16,
            },
        ]
    }


def test_a_synthea_patient_gives_rows_that_validate(fhir_samples: Path) -> None:
    models = {entity.name: entity.model for entity in ENTITIES}
    bundles = sorted((fhir_samples / "synthea").glob("*.json"))
    if not bundles:
        pytest.skip("no Synthea bundles in the corpus")
    seen = 0
    for path in bundles:
        resources = [entry["resource"] for entry in loads(path.read_bytes())["entry"]]
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        for exported in rows(FhirView("heart-recovery", patient, resources)):
            model = models[exported.entity]
            assert model is not None
            assert model.model_validate(row_json(exported.row)) == exported.row
            assert exported.sources
            seen += 1
    assert seen > 0


def test_another_tables_goal_is_not_a_therapy_goal() -> None:
    """A Patients row's heart-rate Goal carries the Patients identifier: it is that row's."""
    system = "http://fhir-gateway.org/fhir/sid/heart-recovery/Patients"
    goal = {"resourceType": "Goal", "id": "g3", "lifecycleStatus": "active",
            "identifier": [{"system": system, "value": "10"}],
            "description": {"text": "Target heart rate"}, "subject": SUBJECT}  # fmt: skip
    assert _rows([goal]) == {}


def _ours(entity: str, value: str = "5") -> list[Json]:
    return [{"system": f"http://fhir-gateway.org/fhir/sid/heart-recovery/{entity}", "value": value}]


ODD: list[Json] = [
    {"resourceType": "ActivityDefinition", "id": "a1", "status": "active",
     "identifier": _ours("Exercises"), "topic": [{"coding": [{"system": "http://fhir-gateway.org/fhir/CodeSystem/difficulty-level"}]}]},
    {"resourceType": "ServiceRequest", "id": "s1", "status": "active", "intent": "order",
     "identifier": _ours("ExercisePrescriptions"), "subject": SUBJECT},
    {"resourceType": "Observation", "id": "o1", "status": "final", "identifier": _ours("ExerciseLogs"),
     "code": {"text": "walk"}},
    {"resourceType": "Observation", "id": "o2", "status": "final", "identifier": _ours("DailyScores", "x"),
     "code": {"text": "score"}, "valueString": "high"},
    {"resourceType": "Observation", "id": "o3", "status": "final",
     "code": {"coding": [{"system": LOINC, "code": "93832-4"}]}, "subject": SUBJECT,
     "effectiveDateTime": "2025-11", "valueQuantity": {"value": 7}},
    {"resourceType": "Observation", "id": "o4", "status": "final",
     "code": {"coding": [{"system": LOINC, "code": "8867-4"}]}, "effectiveDateTime": "2025-11-01",
     "valueQuantity": {"value": 72}},
    {"resourceType": "Goal", "id": "g4", "lifecycleStatus": "active", "subject": SUBJECT,
     "description": {"text": "x"}, "extension": [{"url": "http://fhir-gateway.org/fhir/StructureDefinition/goal-progress", "valueInteger": 250}]},
    {"resourceType": "Device", "id": "d1", "type": {"coding": [{"system": "http://fhir-gateway.org/fhir/CodeSystem/data-source"}]}},
]  # fmt: skip


def test_odd_resources_give_no_row_rather_than_an_error() -> None:
    """Valid FHIR the rows cannot hold (no title, a month for a day, a quantity without a unit)
    is left out, never a crash; a progress of 250 fits the INTEGER column, so it stays."""
    found = _rows(ODD)
    assert set(found) <= {"TherapyGoals"}
    assert [g["progress"] for g in found.get("TherapyGoals", [])] == [250]
