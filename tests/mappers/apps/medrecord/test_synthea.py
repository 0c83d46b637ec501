"""An EHR's FHIR (Synthea patients from the corpus) read as MedRecord AI rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gateway.jsonio import Json
from mappers.apps.medrecord import ADAPTER
from mappers.apps.view import FhirView, row_json
from tests.mappers.apps.partial import missing

UNKNOWABLE = {
    "Patient": {"emergencyContactName", "emergencyContactPhone"},
    "Provider": {"email"},
}


def _resolved(bundle: Json) -> list[Json]:
    """The bundle's resources with `urn:uuid:` references as the server stores them."""
    resources = [entry["resource"] for entry in bundle.get("entry", ())]
    by_url = {
        entry["fullUrl"]: f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
        for entry in bundle.get("entry", ())
        if "fullUrl" in entry
    }

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: by_url.get(v, v) if k == "reference" and isinstance(v, str) else walk(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return [walk(r) for r in resources]


def _synthea(fhir_samples: Path) -> list[Path]:
    return sorted((fhir_samples / "synthea").glob("*.json"))[:8]


def test_synthea_patients_read_as_rows_that_validate(fhir_samples: Path) -> None:
    """Every row validates but the patient's and its providers', which lack only what an EHR
    does not record (emergency contact, a provider's email)."""
    exported_any: set[str] = set()
    for path in _synthea(fhir_samples):
        resources = _resolved(json.loads(path.read_text()))
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        for exported in ADAPTER.from_fhir(FhirView("medrecord", patient, resources)):
            entity = ADAPTER.entity(exported.entity)
            assert entity is not None
            assert entity.model is not None
            lacks = missing(entity.model, row_json(exported.row))  # the app's shape, re-read
            assert lacks <= UNKNOWABLE.get(exported.entity, set()), (path.name, lacks)
            assert all(source.split("/")[0] for source in exported.sources)
            exported_any.add(exported.entity)
    assert {"ChronicCondition", "Patient", "Provider", "Appointment", "VitalSigns"} <= exported_any


def test_a_synthea_patient_reads_back_as_its_own_patient_row(fhir_samples: Path) -> None:
    path = next((fhir_samples / "synthea").glob("Fabian_Murray_*.json"))
    resources = _resolved(json.loads(path.read_text()))
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    rows = ADAPTER.from_fhir(FhirView("medrecord", patient, resources))
    [own] = [e for e in rows if e.entity == "Patient"]
    assert own.sources == (f"Patient/{patient['id']}",)
    assert row_json(own.row) == {
        "id": patient["id"], "firstName": "Fabian", "lastName": "Murray",
        "dateOfBirth": "1981-02-14", "sex": "male", "phone": "555-637-6988",
        "address": "710 Stiedemann Common", "city": "Hanover", "state": "Massachusetts",
        "zipCode": "02339",
    }  # fmt: skip
    [doctor] = [e for e in rows if e.entity == "Provider"]
    appointments = [row_json(e.row) for e in rows if e.entity == "Appointment"]
    assert appointments
    assert {(a["patientId"], a["providerId"]) for a in appointments} == {
        (patient["id"], row_json(doctor.row)["id"])
    }


def test_an_ehr_condition_and_allergy_are_named_by_their_fhir_ids(fhir_samples: Path) -> None:
    for path in _synthea(fhir_samples):
        resources = _resolved(json.loads(path.read_text()))
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        rows = ADAPTER.from_fhir(FhirView("medrecord", patient, resources))
        for exported in rows:
            if exported.entity in ("ChronicCondition", "Allergy"):
                row = row_json(exported.row)
                assert exported.sources == (f"{exported.sources[0].split('/')[0]}/{row['id']}",)
                assert row["patientId"] == patient["id"]
