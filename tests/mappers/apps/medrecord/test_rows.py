"""MedRecord AI rows in: every enum value both ways, both documents' spellings, Prisma
decimals, and every kind of bad row a 422 naming `<entity>[<row>].<field>`."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from gateway import jsonio
from gateway.errors import UnprocessableResource
from gateway.jsonio import Json
from mappers.apps.ingest import check_foreign_keys, map_records, read_records
from mappers.apps.medrecord import ADAPTER, models
from tests.mappers.apps.medrecord.conftest import from_fhir, to_fhir

PROVIDER = {"id": "p1", "email": "d@example.com", "passwordHash": "x", "firstName": "A",
            "lastName": "B"}  # fmt: skip
PATIENT = {"id": "pt1", "firstName": "C", "lastName": "D", "dateOfBirth": "1980-01-02",
           "sex": "female", "emergencyContactName": "E", "emergencyContactPhone": "1"}  # fmt: skip
APPOINTMENT = {"id": "a1", "patientId": "pt1", "providerId": "p1", "status": "completed",
               "appointmentDate": "2024-01-02T10:00:00Z", "appointmentType": "follow_up"}  # fmt: skip


def _payload(**extra: list[Json]) -> Json:
    return {"Provider": [PROVIDER], "Patient": [PATIENT], "Appointment": [APPOINTMENT], **extra}


def _round_trip(payload: Json) -> dict[str, dict[str, Json]]:
    return from_fhir(to_fhir(payload))


@pytest.mark.parametrize("sex", get_args(models.Sex))
def test_every_sex_maps_and_comes_back(sex: str) -> None:
    back = _round_trip(_payload(Patient=[{**PATIENT, "sex": sex}]))
    assert back["Patient"]["pt1"]["sex"] == sex


@pytest.mark.parametrize("severity", get_args(models.AllergySeverity))
def test_every_allergy_severity_maps_and_comes_back(severity: str) -> None:
    allergy = {"id": "al", "patientId": "pt1", "allergen": "Nuts", "severity": severity}
    back = _round_trip(_payload(Allergy=[allergy]))
    assert back["Allergy"]["al"]["severity"] == severity


@pytest.mark.parametrize("kind", get_args(models.AppointmentType))
@pytest.mark.parametrize("status", get_args(models.AppointmentStatus))
def test_every_appointment_type_and_status_maps_and_comes_back(kind: str, status: str) -> None:
    row = {**APPOINTMENT, "appointmentType": kind, "status": status}
    resources = to_fhir(_payload(Appointment=[row]))
    appointment = next(r for r in resources if r["resourceType"] == "Appointment")
    encounter = next(r for r in resources if r["resourceType"] == "Encounter")
    assert appointment["status"] in ("booked", "checked-in", "arrived", "fulfilled", "cancelled",
                                     "noshow")  # fmt: skip
    assert encounter["class"]["code"] == ("VR" if kind == "telehealth" else "AMB")
    back = from_fhir(resources)["Appointment"]["a1"]
    assert (back["appointmentType"], back["status"]) == (kind, status)


def test_no_show_and_checked_in_use_fhir_codes() -> None:
    for status, code in (("no_show", "noshow"), ("checked_in", "checked-in")):
        resources = to_fhir(_payload(Appointment=[{**APPOINTMENT, "status": status}]))
        assert next(r for r in resources if r["resourceType"] == "Appointment")["status"] == code


def test_prisma_decimal_text_keeps_its_digits() -> None:
    vitals = {"id": "v", "appointmentId": "a1", "weight": "180.50", "temperature": 98.60,
              "recordedAt": "2024-01-02T10:05:00Z"}  # fmt: skip
    payload = jsonio.loads(jsonio.dumps(_payload(VitalSigns=[vitals])).replace(b"98.6", b"98.60"))
    resources = to_fhir(payload)
    text = jsonio.dumps(resources)
    assert b'"value":180.50' in text
    assert b'"value":98.60' in text
    back = from_fhir(resources)["VitalSigns"]["v"]
    assert jsonio.dumps(back["weight"]) == b"180.50"


@pytest.mark.parametrize(
    ("entity", "row", "where"),
    [
        pytest.param("Patient", {k: v for k, v in PATIENT.items() if k != "sex"}, "Patient[0].sex",
                     id="missing-required"),
        pytest.param("Patient", {**PATIENT, "dateOfBirth": 19800102}, "Patient[0].dateOfBirth",
                     id="wrong-type"),
        pytest.param("Patient", {**PATIENT, "sex": "unknown"}, "Patient[0].sex", id="enum-not-in-seed"),
        pytest.param("Patient", {**PATIENT, "nickname": "Z"}, "Patient[0].nickname", id="unknown-field"),
        pytest.param("Symptom", {"id": "s", "medicalRecordId": "r"}, "Symptom[0].symptomName",
                     id="neither-spelling"),
        pytest.param("Symptom", {"id": "s", "medicalRecordId": "r", "symptomName": "a", "name": "b"},
                     "Symptom[0].name", id="spellings-differ"),
        pytest.param("Symptom", {"id": "s", "medicalRecordId": "r", "name": "a", "severity": 11},
                     "Symptom[0].severity", id="severity-out-of-1-10"),
        pytest.param("VitalSigns", {"id": "v", "appointmentId": "a1", "weight": "heavy"},
                     "VitalSigns[0].weight", id="decimal-text-not-a-number"),
        pytest.param("Appointment", {**APPOINTMENT, "status": "no-show"}, "Appointment[0].status",
                     id="fhir-code-is-not-the-seed-enum"),
    ],
)  # fmt: skip
def test_a_bad_row_is_a_422_naming_the_field(entity: str, row: Json, where: str) -> None:
    with pytest.raises(UnprocessableResource) as caught:
        read_records(ADAPTER, {entity: [row]})
    assert where in [issue.expression for issue in caught.value.issues]


def test_a_foreign_key_to_nothing_is_a_422_naming_the_field() -> None:
    records = read_records(ADAPTER, {"Allergy": [{"id": "al", "patientId": "ghost",
                                                  "allergen": "Nuts"}]})  # fmt: skip
    with pytest.raises(UnprocessableResource) as caught:
        check_foreign_keys(records, {})
    assert [issue.expression for issue in caught.value.issues] == ["Allergy[0].patientId"]


def test_an_appointment_without_a_time_of_day_is_a_422() -> None:
    payload = _payload(Appointment=[{**APPOINTMENT, "appointmentDate": "2024-01-02"}])
    with pytest.raises(UnprocessableResource) as caught:
        to_fhir(payload)
    assert [i.expression for i in caught.value.issues] == ["Appointment[0].appointmentDate"]


@pytest.mark.parametrize(
    ("entity", "row"),
    [
        ("ChronicCondition", {"id": "c", "patientId": "pt1", "condition": "Asthma",
                              "diagnosedDate": "2010-05-01T00:00:00Z"}),
        ("ChronicCondition", {"id": "c", "patientId": "pt1", "conditionName": "Asthma",
                              "diagnosedDate": "2010-05-01T08:00:00Z"}),
        ("ChronicCondition", {"id": "c", "patientId": "pt1", "conditionName": "Asthma",
                              "diagnosisDate": "2010-05-01"}),
    ],
)  # fmt: skip
def test_each_spelling_comes_back_under_its_own_name(entity: str, row: Json) -> None:
    back = _round_trip(_payload(**{entity: [row]}))
    assert back[entity][row["id"]] == {**row, "status": "active"}


def test_medical_record_fields_of_both_documents_keep_their_names() -> None:
    record: dict[str, Any] = {"id": "r", "appointmentId": "a1", "isDraft": False,
                              "updatedAt": "2024-01-02T11:00:00Z"}  # fmt: skip
    record |= {name: f"<{name}> & text" for name in ("subjective", "historyOfPresentIllness",
               "objective", "physicalExamNotes", "assessment", "plan", "treatmentPlan",
               "aiSummary", "transcript")}  # fmt: skip
    back = _round_trip(_payload(MedicalRecord=[record]))
    assert back["MedicalRecord"]["r"] == record


def test_a_symptom_finds_its_visit_through_a_stored_medical_record(
    records: Json, golden_fhir: list[Json]
) -> None:
    """Rows may arrive in several requests: the record's Composition comes from the store."""
    symptom = records["Symptom"][0]
    composition = next(r for r in golden_fhir if r["resourceType"] == "Composition")
    read = read_records(ADAPTER, {"Symptom": [symptom]})
    stored = {("MedicalRecord", symptom["medicalRecordId"]): composition}
    check_foreign_keys(read, stored)
    (observation,) = map_records(read, stored).resources
    alone = next(r for r in golden_fhir if r["id"] == observation["id"])
    assert observation == alone


def test_a_blank_text_is_no_value_and_a_blank_required_field_is_a_422() -> None:
    allergy = {"id": "al", "patientId": "pt1", "allergen": "Nuts", "reaction": " "}
    back = _round_trip(_payload(Allergy=[allergy]))
    assert back["Allergy"]["al"] == {"id": "al", "patientId": "pt1", "allergen": "Nuts"}
    with pytest.raises(UnprocessableResource) as caught:
        read_records(ADAPTER, {"Allergy": [{**allergy, "allergen": ""}]})
    assert [i.expression for i in caught.value.issues] == ["Allergy[0].allergen"]
