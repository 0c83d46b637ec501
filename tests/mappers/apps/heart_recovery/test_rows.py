"""Heart Recovery Calendar part A: every enum value both ways, bad rows, and an EHR's FHIR."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import pytest

from gateway.errors import UnprocessableResource
from gateway.jsonio import Json, loads
from mappers.apps import adapter
from mappers.apps.base import AppAdapter
from mappers.apps.heart_recovery.models import Alert, CalendarEvent, Patient, User
from mappers.apps.ingest import check_foreign_keys, map_records, read_records
from mappers.apps.native import Identity, stable_int
from mappers.apps.view import Exported, FhirView, row_json
from tests.mappers.apps.partial import missing

ADAPTER = adapter("heart-recovery")
USERS = [
    {"id": 1, "email": "a@example.com", "name": "A Patient"},
    {"id": 2, "email": "t@example.com", "name": "A Therapist", "role": "therapist"},
]


def _adapter() -> AppAdapter:
    assert ADAPTER is not None
    return ADAPTER


def _enum(model: Any, field_name: str) -> tuple[str, ...]:
    annotation = model.model_fields[field_name].annotation
    literal = next(a for a in get_args(annotation) if a is not type(None))
    return get_args(literal)


def _round_trip(payload: Json, entity: str, *, user: int = 1) -> list[Json]:
    """The rows of `entity` from the resources `payload` makes, seen as user `user`'s view
    (everything, so a clinician's PractitionerRole is there)."""
    resources = map_records(read_records(_adapter(), payload), {}).resources
    patient_id = Identity.of("heart-recovery", "Users", user).resource_id()
    patient = next(r for r in resources if r["id"] == patient_id)
    view = FhirView("heart-recovery", patient, resources)
    return [row_json(e.row) for e in _adapter().from_fhir(view) if e.entity == entity]


ENUMS = [
    ("Patients", Patient, "gender"),
    ("Patients", Patient, "primaryPhoneType"),
    ("Patients", Patient, "preferredContactMethod"),
    ("Patients", Patient, "bestTimeToContact"),
    ("Patients", Patient, "smokingStatus"),
    ("Patients", Patient, "alcoholUse"),
    ("Alerts", Alert, "severity"),
    ("CalendarEvents", CalendarEvent, "status"),
    ("Users", User, "role"),
]


@pytest.mark.parametrize(("entity", "model", "field_name"), ENUMS)
def test_every_enum_value_of_the_seed_maps_and_comes_back(
    entity: str, model: Any, field_name: str
) -> None:
    for value in _enum(model, field_name):
        row: Json = {
            "Patients": {
                "id": 5,
                "therapistId": 2,
                "userId": 1,
                "name": "P",
                "primaryPhone": "555",
                "email": "p@example.com",
            },
            "Alerts": {"id": 5, "userId": 1, "type": "vital", "title": "T"},
            "CalendarEvents": {
                "id": 5,
                "calendarId": 1,
                "userId": 1,
                "title": "Visit",
                "startTime": "2025-11-12T14:30:00.000Z",
                "endTime": "2025-11-12T15:00:00.000Z",
                "category": "appointment",
            },
            "Users": {"id": 3, "email": "x@example.com", "name": "X"},
        }[entity] | {field_name: value}
        if entity == "Users":  # the row's own view: a Patient, or a clinician with its role
            viewer = 2 if value == "patient" else 1
            back = _round_trip({"Users": [*USERS[:1], row | {"id": 2}]}, entity, user=viewer)
            assert [r[field_name] for r in back if r["id"] == 2] == [value]
            continue
        back = _round_trip({"Users": USERS, entity: [row]}, entity)
        assert [r[field_name] for r in back] == [value], (field_name, value)


@pytest.mark.parametrize("value", [*_enum(CalendarEvent, "status"), None])
def test_every_event_status_comes_back_on_a_planned_activity(value: str | None) -> None:
    event = {"id": 5, "calendarId": 1, "userId": 1, "title": "Walk", "category": "exercise",
             "startTime": "2025-11-12T09:00:00.000Z", "status": value}  # fmt: skip
    back = _round_trip({"Users": USERS, "CalendarEvents": [event]}, "CalendarEvents")
    assert [r.get("status") for r in back] == [value]


def _problems(payload: Json) -> list[str | None]:
    def ingest() -> None:
        records = read_records(_adapter(), payload)
        check_foreign_keys(records, {})
        map_records(records, {})

    with pytest.raises(UnprocessableResource) as caught:
        ingest()
    return [issue.expression for issue in caught.value.issues]


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        pytest.param({"Users": [{"id": 1, "name": "No email"}]}, "Users[0].email", id="missing"),
        pytest.param({"Users": [{"id": "1", "email": "e", "name": "n"}]}, "Users[0].id", id="type"),
        pytest.param(
            {"Users": [{"id": 1, "email": "e", "name": "n", "role": "doctor"}]},
            "Users[0].role",
            id="enum",
        ),
        pytest.param(
            {"Alerts": [{"id": 1, "userId": 1, "type": "t", "title": "t", "colour": 1}]},
            "Alerts[0].colour",
            id="unknown-field",
        ),
        pytest.param(
            {"Medications": [{"id": 1, "userId": 9, "name": "Aspirin"}]},
            "Medications[0].userId",
            id="foreign-key",
        ),
        pytest.param(
            {"Users": USERS, "Patients": [{"id": 1, "therapistId": 2, "userId": 2, "name": "P"}]},
            "Patients[0].userId",
            id="account-is-a-therapist",
        ),
        pytest.param(
            {"Patients": [{"id": 1, "therapistId": 2, "name": "P", "dateOfBirth": "1961-02-30"}]},
            "Patients[0].dateOfBirth",
            id="bad-date",
        ),
    ],
)
def test_a_bad_row_is_a_422_naming_entity_row_and_field(payload: Json, where: str) -> None:
    assert where in _problems(payload)


def test_a_therapist_account_with_the_default_role_still_names_the_therapist() -> None:
    users = [*USERS, {"id": 3, "email": "d@example.com", "name": "Default-role therapist"}]
    profile = {"id": 5, "therapistId": 3, "userId": 1, "name": "P"}
    back = _round_trip({"Users": users, "Patients": [profile]}, "Patients")
    assert [r["therapistId"] for r in back] == [3]


def test_a_contacts_relationship_alone_comes_back() -> None:
    profile = {"id": 5, "therapistId": 2, "userId": 1, "name": "P",
               "emergencyContact1Relationship": "Neighbour"}  # fmt: skip
    back = _round_trip({"Users": USERS, "Patients": [profile]}, "Patients")
    assert [r.get("emergencyContact1Relationship") for r in back] == ["Neighbour"]


def test_rows_of_entities_without_a_home_are_accepted_unchecked() -> None:
    records = read_records(_adapter(), {"Calendars": [{"anything": True}]})
    assert records.skipped == {"Calendars": 1}
    assert records.rows == {}


def _foreign_view() -> FhirView:
    """The app's patient (account and profile) with an EHR's allergy, condition and drug."""
    payload = {
        "Users": USERS,
        "Patients": [
            {
                "id": 5,
                "therapistId": 2,
                "userId": 1,
                "name": "P",
                "medicationAllergies": "Penicillin",
            }
        ],
    }
    resources = map_records(read_records(_adapter(), payload), {}).resources
    patient = next(
        r for r in resources if r["id"] == Identity.of("heart-recovery", "Users", 1).resource_id()
    )
    subject = {"reference": f"Patient/{patient['id']}"}
    ehr: list[Json] = [
        {"resourceType": "AllergyIntolerance", "id": "ehr-1", "category": ["medication"],
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "387207008", "display": "Ibuprofen"}]},
         "patient": subject},
        {"resourceType": "AllergyIntolerance", "id": "ehr-2", "category": ["food"],
         "code": {"text": "Peanuts"}, "patient": subject},
        {"resourceType": "Condition", "id": "ehr-3", "code": {"text": "Atrial fibrillation"}, "subject": subject},
        {"resourceType": "MedicationRequest", "id": "ehr-4", "status": "active", "intent": "order",
         "medicationCodeableConcept": {"text": "Apixaban 5 MG"}, "subject": subject,
         "authoredOn": "2025-10-02", "dosageInstruction": [{"text": "twice daily"}]},
    ]  # fmt: skip
    return FhirView("heart-recovery", patient, [*resources, *ehr])


def test_an_ehrs_allergy_list_reaches_the_patient_profile() -> None:
    exported = [e for e in _adapter().from_fhir(_foreign_view()) if e.entity == "Patients"]
    assert len(exported) == 1
    row = row_json(exported[0].row)
    assert row["medicationAllergies"] == "Penicillin, Ibuprofen"
    assert row["otherAllergies"] == "Peanuts"
    assert row["chronicConditions"] == "Atrial fibrillation"
    assert {"AllergyIntolerance/ehr-1", "AllergyIntolerance/ehr-2", "Condition/ehr-3"} <= set(
        exported[0].sources
    )


def test_an_ehrs_prescription_becomes_a_medication_row() -> None:
    exported = [e for e in _adapter().from_fhir(_foreign_view()) if e.entity == "Medications"]
    assert [row_json(e.row) for e in exported] == [
        {
            "id": exported[0].row.model_dump()["id"],
            "userId": 1,
            "name": "Apixaban 5 MG",
            "dosage": "twice daily",
            "startDate": "2025-10-02",
            "isActive": True,
        }
    ]
    assert exported[0].sources == ("MedicationRequest/ehr-4",)


UNKNOWABLE = {"Users": {"email"}, "Patients": {"therapistId"}}
"""What an EHR does not record: the account's login email and the patient's therapist."""


def test_a_synthea_patient_reads_as_rows_that_validate(fhir_samples: Path) -> None:
    files = sorted((fhir_samples / "synthea").glob("*.json"))[:5]
    assert files
    entities = {e.name: e for e in _adapter().entities}
    for path in files:
        bundle = loads(path.read_bytes())
        resources = [e["resource"] for e in bundle.get("entry", ())]
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        exported = _adapter().from_fhir(FhirView("heart-recovery", patient, resources))
        assert {e.entity for e in exported} >= {"Users", "Patients"}, path.name
        for one in exported:
            model = entities[one.entity].model
            assert model is not None
            lacks = missing(model, row_json(one.row))
            assert lacks <= UNKNOWABLE.get(one.entity, set()), (path.name, one.entity, lacks)


def _ehr_patient(**more: Any) -> tuple[Json, list[Json]]:
    """A pure EHR patient (no row of the app) with an allergy list and a problem list."""
    patient: Json = {
        "resourceType": "Patient", "id": "ehr-p", "gender": "female", "birthDate": "1958-07-01",
        "name": [{"use": "official", "family": "Ng", "given": ["Li"]}],
        "telecom": [{"system": "phone", "value": "555-0100", "use": "home"}],
        "address": [{"line": ["1 Main St"], "city": "Boston", "state": "MA", "postalCode": "02110"}],
        **more,
    }  # fmt: skip
    subject = {"reference": "Patient/ehr-p"}
    facts: list[Json] = [
        {"resourceType": "AllergyIntolerance", "id": "a1", "category": ["medication"],
         "code": {"text": "Penicillin"}, "patient": subject},
        {"resourceType": "AllergyIntolerance", "id": "a2", "category": ["food"],
         "code": {"text": "Peanuts"}, "patient": subject},
        {"resourceType": "Condition", "id": "c1", "code": {"text": "Hypertension"}, "subject": subject},
    ]  # fmt: skip
    return patient, facts


def _by_entity(view: FhirView) -> dict[str, list[Exported]]:
    found: dict[str, list[Exported]] = {}
    for exported in _adapter().from_fhir(view):
        found.setdefault(exported.entity, []).append(exported)
    return found


def test_a_pure_ehr_patients_allergies_and_conditions_reach_its_patients_row() -> None:
    """The issue's "a clinic's allergy list must reach the cardiac-rehab app's patient profile",
    for a patient the app never sent: its profile lacks only the therapist an EHR cannot name."""
    patient, facts = _ehr_patient()
    rows = _by_entity(FhirView("heart-recovery", patient, [patient, *facts]))
    account = stable_int("Patient/ehr-p")
    [user] = rows["Users"]
    assert row_json(user.row) == {"id": account, "name": "Li Ng", "phoneNumber": "555-0100",
                                  "role": "patient"}  # fmt: skip
    assert missing(User, row_json(user.row)) == {"email"}
    [profile] = rows["Patients"]
    assert row_json(profile.row) == {
        "id": account, "userId": account, "name": "Li Ng", "firstName": "Li", "lastName": "Ng",
        "dateOfBirth": "1958-07-01", "gender": "female", "primaryPhone": "555-0100",
        "primaryPhoneType": "home", "streetAddress": "1 Main St", "city": "Boston",
        "state": "MA", "postalCode": "02110", "medicationAllergies": "Penicillin",
        "otherAllergies": "Peanuts", "chronicConditions": "Hypertension",
    }  # fmt: skip
    assert missing(Patient, row_json(profile.row)) == {"therapistId"}
    assert set(profile.sources) == {"Patient/ehr-p", "AllergyIntolerance/a1",
                                    "AllergyIntolerance/a2", "Condition/c1"}  # fmt: skip


def test_an_ehr_patients_general_practitioner_is_its_therapist_account() -> None:
    """The profile names its general practitioner as therapist (therapistId's home), so that
    Practitioner comes back as a therapist account, without the email only the app records."""
    patient, facts = _ehr_patient(generalPractitioner=[{"reference": "Practitioner/gp"}])
    gp: Json = {"resourceType": "Practitioner", "id": "gp",
                "name": [{"given": ["Ann"], "family": "Roe"}]}  # fmt: skip
    rows = _by_entity(FhirView("heart-recovery", patient, [patient, gp, *facts]))
    therapist = stable_int("Practitioner/gp")
    assert [row_json(u.row) for u in rows["Users"]][1:] == [
        {"id": therapist, "name": "Ann Roe", "role": "therapist"}
    ]
    [profile] = rows["Patients"]
    assert row_json(profile.row)["therapistId"] == therapist
    assert missing(Patient, row_json(profile.row)) == set()


def test_an_ehrs_other_clinicians_are_no_accounts() -> None:
    patient, _facts = _ehr_patient()
    doctor: Json = {"resourceType": "Practitioner", "id": "er", "name": [{"text": "Dr. Who"}]}
    rows = _by_entity(FhirView("heart-recovery", patient, [patient, doctor]))
    assert [u.sources for u in rows["Users"]] == [("Patient/ehr-p",)]
