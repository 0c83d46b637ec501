"""An EHR's resources (no MedRecord AI identifier) read as the app's rows where they have a
home: the visit as an Appointment, its vital signs in the app's units, allergies, conditions."""

from __future__ import annotations

from gateway.jsonio import ExactDecimal, Json
from mappers.apps.medrecord import ADAPTER
from mappers.apps.medrecord.models import Patient, Provider
from mappers.apps.native import SID
from mappers.apps.view import FhirView, row_json
from tests.mappers.apps.partial import missing

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VITAL = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                      "code": "vital-signs"}]}]  # fmt: skip
PATIENT: Json = {
    "resourceType": "Patient", "id": "ehr-p", "name": [{"family": "Ng", "given": ["Li"]}],
    "gender": "female", "birthDate": "1970-04-04",
    "telecom": [{"system": "phone", "value": "555-0001"}],
    "contact": [{
        "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                                      "code": "C"}]}],
        "name": {"text": "Bo Ng"}, "telecom": [{"system": "phone", "value": "555-0002"}],
    }],
}  # fmt: skip
DOCTOR: Json = {"resourceType": "Practitioner", "id": "ehr-dr",
                "name": [{"family": "Roe", "given": ["Ann"]}],
                "telecom": [{"system": "email", "value": "ann.roe@ehr.example"}]}  # fmt: skip
VISIT: Json = {
    "resourceType": "Encounter", "id": "ehr-e", "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "185349003"}]}],
    "subject": {"reference": "Patient/ehr-p"},
    "participant": [{"individual": {"reference": "Practitioner/ehr-dr"}}],
    "period": {"start": "2024-05-01T09:00:00+00:00"},
}  # fmt: skip


def _vital(rid: str, code: str, value: float, unit: str) -> Json:
    return {"resourceType": "Observation", "id": rid, "status": "final", "category": VITAL,
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "subject": {"reference": "Patient/ehr-p"}, "encounter": {"reference": "Encounter/ehr-e"},
            "effectiveDateTime": "2024-05-01T09:05:00+00:00",
            "valueQuantity": {"value": value, "system": UCUM, "code": unit}}  # fmt: skip


def _rows(resources: list[Json], patient: Json = PATIENT) -> dict[str, list[Json]]:
    found: dict[str, list[Json]] = {}
    for exported in ADAPTER.from_fhir(FhirView("medrecord", patient, resources)):
        found.setdefault(exported.entity, []).append(row_json(exported.row))
    return found


def test_an_ehr_visit_with_vitals_reads_as_an_appointment_and_vital_signs() -> None:
    resources = [PATIENT, DOCTOR, VISIT, _vital("w", "29463-7", 80, "kg"),
                 _vital("h", "8302-2", 175.3, "cm"), _vital("t", "8310-5", 37.2, "Cel"),
                 _vital("r", "8867-4", 71, "/min")]  # fmt: skip
    rows = _rows(resources)
    assert rows["Provider"] == [{"id": "ehr-dr", "email": "ann.roe@ehr.example",
                                 "firstName": "Ann", "lastName": "Roe"}]  # fmt: skip
    assert rows["Appointment"] == [{
        "id": "ehr-e", "patientId": "ehr-p", "providerId": "ehr-dr",
        "appointmentDate": "2024-05-01T09:00:00+00:00", "appointmentType": "routine_checkup",
        "status": "completed"}]  # fmt: skip
    assert rows["VitalSigns"] == [{
        "id": "ehr-e", "appointmentId": "ehr-e", "heartRate": 71,
        "temperature": ExactDecimal("99.0"), "weight": ExactDecimal("176.37"),
        "height": ExactDecimal("69.02"), "recordedAt": "2024-05-01T09:05:00+00:00"}]  # fmt: skip


def test_without_a_provider_the_visit_and_its_vitals_have_no_home() -> None:
    rows = _rows([PATIENT, VISIT, _vital("r", "8867-4", 71, "/min")])
    assert "Appointment" not in rows
    assert "VitalSigns" not in rows


def test_an_ehr_patient_with_an_emergency_contact_reads_as_a_patient() -> None:
    rows = _rows([PATIENT])
    assert rows["Patient"] == [{
        "id": "ehr-p", "firstName": "Li", "lastName": "Ng", "dateOfBirth": "1970-04-04",
        "sex": "female", "phone": "555-0001", "emergencyContactName": "Bo Ng",
        "emergencyContactPhone": "555-0002"}]  # fmt: skip


def test_an_ehr_patient_lacking_a_required_value_is_a_partial_row() -> None:
    """What only the app records (the emergency contact) or FHIR cannot say in the app's terms
    (gender unknown: the seed's Sex has no such value) is left out, never invented."""
    unknown = {**PATIENT, "gender": "unknown"}
    no_contact = {k: v for k, v in PATIENT.items() if k not in ("contact", "telecom")}
    [without_sex] = _rows([unknown], unknown)["Patient"]
    [without_contact] = _rows([no_contact], no_contact)["Patient"]
    assert without_sex == {
        "id": "ehr-p", "firstName": "Li", "lastName": "Ng", "dateOfBirth": "1970-04-04",
        "phone": "555-0001", "emergencyContactName": "Bo Ng", "emergencyContactPhone": "555-0002",
    }  # fmt: skip
    assert without_contact == {
        "id": "ehr-p", "firstName": "Li", "lastName": "Ng", "dateOfBirth": "1970-04-04",
        "sex": "female",
    }  # fmt: skip
    assert missing(Patient, without_sex) == {"sex"}
    assert missing(Patient, without_contact) == {"emergencyContactName", "emergencyContactPhone"}


def test_an_ehr_practitioner_without_email_is_a_partial_provider_with_its_visits() -> None:
    """The provider's email is its login in the app: an EHR has none, so the Provider row lacks
    it, and the visit and vital signs that need a provider come back with it."""
    no_email = {k: v for k, v in DOCTOR.items() if k != "telecom"}
    rows = _rows([PATIENT, no_email, VISIT, _vital("r", "8867-4", 71, "/min")])
    assert rows["Provider"] == [{"id": "ehr-dr", "firstName": "Ann", "lastName": "Roe"}]
    assert missing(Provider, rows["Provider"][0]) == {"email"}
    assert [(a["id"], a["providerId"], a["patientId"]) for a in rows["Appointment"]] == [
        ("ehr-e", "ehr-dr", "ehr-p")
    ]
    assert rows["VitalSigns"] == [{"id": "ehr-e", "appointmentId": "ehr-e", "heartRate": 71,
                                   "recordedAt": "2024-05-01T09:05:00+00:00"}]  # fmt: skip


def test_an_own_patient_lacking_a_required_value_is_left_out() -> None:
    """A resource the app sent comes back whole or not at all: no partial rows of its own."""
    own = {**PATIENT, "identifier": [{"system": f"{SID}/medrecord/Patient", "value": "p9"}]}
    own = {k: v for k, v in own.items() if k != "contact"}
    assert "Patient" not in _rows([own], own)


def test_an_ehr_allergy_and_condition_read_as_rows() -> None:
    allergy = {"resourceType": "AllergyIntolerance", "id": "ehr-a",
               "patient": {"reference": "Patient/ehr-p"},
               "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91935009",
                                    "display": "Allergy to peanut"}]},
               "reaction": [{"manifestation": [{"text": "Hives"}], "severity": "severe"}]}  # fmt: skip
    condition = {"resourceType": "Condition", "id": "ehr-c", "subject": {"reference": "Patient/ehr-p"},
                 "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                                "code": "resolved"}]},
                 "code": {"text": "Sinusitis"}, "onsetDateTime": "2019-02-03T10:00:00+00:00"}  # fmt: skip
    rows = _rows([PATIENT, allergy, condition])
    assert rows["Allergy"] == [{"id": "ehr-a", "patientId": "ehr-p", "allergen": "Allergy to peanut",
                                "reaction": "Hives", "severity": "severe"}]  # fmt: skip
    assert rows["ChronicCondition"] == [{"id": "ehr-c", "patientId": "ehr-p",
                                         "conditionName": "Sinusitis", "diagnosisDate": "2019-02-03",
                                         "status": "resolved"}]  # fmt: skip


def test_an_ehr_appointment_reads_as_one_appointment_not_two() -> None:
    booked = {"resourceType": "Appointment", "id": "ehr-b", "status": "noshow",
              "appointmentType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0276",
                                              "code": "FOLLOWUP"}]},
              "start": "2024-06-01T09:00:00Z", "end": "2024-06-01T09:30:00Z",
              "participant": [{"actor": {"reference": "Patient/ehr-p"}, "status": "accepted"},
                              {"actor": {"reference": "Practitioner/ehr-dr"}, "status": "accepted"}]}  # fmt: skip
    visit = {**VISIT, "appointment": [{"reference": "Appointment/ehr-b"}]}
    rows = _rows([PATIENT, DOCTOR, booked, visit, _vital("r", "8867-4", 71, "/min")])
    assert rows["Appointment"] == [{
        "id": "ehr-b", "patientId": "ehr-p", "providerId": "ehr-dr",
        "appointmentDate": "2024-06-01T09:00:00Z", "appointmentType": "follow_up",
        "status": "no_show"}]  # fmt: skip
    assert [(v["id"], v["appointmentId"]) for v in rows["VitalSigns"]] == [("ehr-e", "ehr-b")]


def test_a_general_practitioner_is_the_providerid_with_or_without_an_email() -> None:
    patient = {**PATIENT, "generalPractitioner": [{"reference": "Practitioner/ehr-dr"}]}
    no_email = {k: v for k, v in DOCTOR.items() if k != "telecom"}
    assert _rows([patient, DOCTOR], patient)["Patient"][0]["providerId"] == "ehr-dr"
    assert _rows([patient, no_email], patient)["Patient"][0]["providerId"] == "ehr-dr"
    assert "providerId" not in _rows([patient], patient)["Patient"][0]  # not gathered
