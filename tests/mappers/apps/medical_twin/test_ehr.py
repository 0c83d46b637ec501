"""An EHR's FHIR read as the twin: lab results reach the timeline as biomarkers."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mappers.apps.medical_twin import ADAPTER
from mappers.apps.medical_twin.models import Event, User
from mappers.apps.view import Exported, FhirView, row_json
from tests.mappers.apps.medical_twin.conftest import load, view_of
from tests.mappers.apps.partial import missing

PATIENT = {"resourceType": "Patient", "id": "ehr-1"}
LDL = {
    "resourceType": "Observation", "id": "ldl-1", "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "18262-6", "display": "LDL Cholesterol"}]},
    "subject": {"reference": "Patient/ehr-1"}, "effectiveDateTime": "2025-02-03T08:00:00Z",
    "valueQuantity": {"value": 162, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"},
    "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "H"}]}],
    "referenceRange": [{"high": {"value": 100, "unit": "mg/dL"}}],
}  # fmt: skip


def _events(view: FhirView) -> list[Exported]:
    return [e for e in ADAPTER.from_fhir(view) if e.entity == "Event"]


def test_an_ehr_lab_result_reaches_the_timeline_as_a_biomarker() -> None:
    [exported] = _events(FhirView(ADAPTER.name, PATIENT, [LDL]))
    assert exported.sources == ("Observation/ldl-1",)
    assert row_json(exported.row) == {
        "id": "ldl-1", "userId": "ehr-1", "type": "lab_result", "date": "2025-02-03T08:00:00Z",
        "title": "LDL Cholesterol",
        "biomarkers": [{"name": "LDL Cholesterol", "value": 162, "unit": "mg/dL", "referenceMax": 100, "flag": "high"}],
    }  # fmt: skip


def test_a_report_groups_its_results_into_one_lab_result() -> None:
    hdl = {
        **LDL,
        "id": "hdl-1",
        "code": {"text": "HDL"},
        "interpretation": [],
        "referenceRange": [],
    }
    report = {
        "resourceType": "DiagnosticReport", "id": "panel-1", "status": "final",
        "code": {"text": "Lipid panel"}, "subject": {"reference": "Patient/ehr-1"},
        "effectiveDateTime": "2025-02-03T08:00:00Z",
        "result": [{"reference": "Observation/ldl-1"}, {"reference": "Observation/hdl-1"}],
    }  # fmt: skip
    [exported] = _events(FhirView(ADAPTER.name, PATIENT, [report, LDL, hdl]))
    assert exported.sources == (
        "DiagnosticReport/panel-1",
        "Observation/ldl-1",
        "Observation/hdl-1",
    )
    assert [b["name"] for b in row_json(exported.row)["biomarkers"]] == ["LDL Cholesterol", "HDL"]


def test_an_ehr_patient_reads_back_as_a_user_without_a_username() -> None:
    """The username is the app's login: an EHR has none, so the User row leaves it out (a
    re-send asks for it) and carries what FHIR has, named by the Patient's FHIR id."""
    resources = load("fhir.json")
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    foreign = {**patient, "identifier": []}
    exported = ADAPTER.from_fhir(view_of(foreign, resources))
    [user] = [e for e in exported if e.entity == "User"]
    email = next(t["value"] for t in patient["telecom"] if t["system"] == "email")
    assert row_json(user.row) == {"id": patient["id"], "email": email}
    assert user.sources == (f"Patient/{patient['id']}",)
    assert missing(User, row_json(user.row)) == {"username"}
    assert {row_json(e.row)["userId"] for e in exported if e.entity == "Event"} == {patient["id"]}


def test_an_ehr_patient_without_an_email_is_a_user_of_its_id_alone() -> None:
    [user] = [
        e for e in ADAPTER.from_fhir(FhirView(ADAPTER.name, PATIENT, [])) if e.entity == "User"
    ]
    assert row_json(user.row) == {"id": "ehr-1"}


def _bundle_view(path: Path) -> FhirView:
    """A Synthea bundle as the store holds it: `urn:uuid:` references made relative."""
    text = path.read_text()
    entries = json.loads(text)["entry"]
    types = {e["fullUrl"]: e["resource"]["resourceType"] for e in entries}
    text = re.sub(r'"urn:uuid:([0-9a-f-]+)"', lambda m: json.dumps(f"{types.get(m.group(0)[1:-1], 'Unknown')}/{m.group(1)}"), text)  # fmt: skip
    resources = [e["resource"] for e in json.loads(text)["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    return FhirView(ADAPTER.name, patient, [r for r in resources if r is not patient])


def test_a_synthea_patient_reads_as_valid_twin_rows(fhir_samples: Path) -> None:
    path = next((fhir_samples / "synthea").glob("Dennis_Durgan_*.json"))
    view = _bundle_view(path)
    exported = ADAPTER.from_fhir(view)
    [user] = [row_json(e.row) for e in exported if e.entity == "User"]
    assert user == {"id": view.patient["id"]}  # Synthea records no email; no username
    assert missing(User, user) == {"username"}
    rows = [row_json(e.row) for e in exported if e.entity == "Event"]
    for row in rows:
        Event.model_validate(row)
    assert {r["userId"] for r in rows} == {user["id"]}
    kinds = {r["type"] for r in rows}
    assert kinds == {"lab_result", "metric", "medication", "doctor_visit"}
    metrics = {r["metricName"] for r in rows if r["type"] == "metric"}
    assert {"Systolic Blood Pressure", "Diastolic Blood Pressure"} <= metrics
    labs = [r for r in rows if r["type"] == "lab_result"]
    assert any(b["name"] == "Total Cholesterol" for r in labs for b in r["biomarkers"])


def test_an_ehrs_visit_medication_and_device_metric_reach_the_timeline() -> None:
    device = {
        "resourceType": "Device",
        "id": "watch",
        "type": {
            "coding": [
                {"system": "http://fhir-gateway.org/fhir/CodeSystem/data-source", "code": "garmin"}
            ]
        },
    }
    steps = {
        "resourceType": "Observation",
        "id": "steps-1",
        "status": "final",
        "code": {"text": "Steps"},
        "subject": {"reference": "Patient/ehr-1"},
        "effectiveDateTime": "2025-02-03",
        "valueInteger": 8012,
        "device": {"reference": "Device/watch"},
    }
    visit = {
        "resourceType": "Encounter",
        "id": "enc-1",
        "status": "finished",
        "class": {"code": "AMB"},
        "subject": {"reference": "Patient/ehr-1"},
        "participant": [{"individual": {"reference": "Practitioner/doc"}}],
        "period": {"start": "2025-02-01T09:00:00Z"},
        "reasonCode": [{"text": "Chest pain"}],
    }
    doctor = {
        "resourceType": "Practitioner",
        "id": "doc",
        "name": [{"prefix": ["Dr."], "given": ["Ana"], "family": "Ruiz"}],
    }
    request = {
        "resourceType": "MedicationRequest",
        "id": "rx-1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/ehr-1"},
        "medicationCodeableConcept": {"text": "Lisinopril 10 MG"},
        "authoredOn": "2025-02-01",
        "dosageInstruction": [
            {
                "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "tablet"}}],
            }
        ],
    }
    view = FhirView(ADAPTER.name, PATIENT, [device, steps, visit, doctor, request])
    rows = {e.row.id: (row_json(e.row), e.sources) for e in _events(view)}
    assert rows == {
        "steps-1": (
            {
                "id": "steps-1",
                "userId": "ehr-1",
                "type": "metric",
                "date": "2025-02-03",
                "title": "Steps",
                "source": "garmin",
                "metricName": "Steps",
                "value": 8012,
            },
            ("Observation/steps-1",),
        ),
        "enc-1": (
            {
                "id": "enc-1",
                "userId": "ehr-1",
                "type": "doctor_visit",
                "date": "2025-02-01T09:00:00Z",
                "title": "AMB",
                "doctorName": "Dr. Ana Ruiz",
                "diagnosis": ["Chest pain"],
            },
            ("Encounter/enc-1",),
        ),
        "rx-1": (
            {
                "id": "rx-1",
                "userId": "ehr-1",
                "type": "medication",
                "date": "2025-02-01",
                "title": "Lisinopril 10 MG",
                "medicationName": "Lisinopril 10 MG",
                "dosage": "1 tablet",
                "frequency": "1 per 1 d",
                "startDate": "2025-02-01",
            },
            ("MedicationRequest/rx-1",),
        ),
    }


def test_a_metrics_sources_name_its_device() -> None:
    resources = load("fhir.json")
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    hrv = next(
        e
        for e in ADAPTER.from_fhir(view_of(patient, resources))
        if e.entity == "Event" and row_json(e.row).get("metricName") == "HRV"
    )
    assert [s.split("/")[0] for s in hrv.sources] == ["Observation", "Device"]
