"""MedRecord AI's demo rows: ticket 001's seed data spec and the Prisma seed script's rows.

Seed 004 asks for 1 provider ("Dr. Demo"), 5 patients with varied demographics, 2-3 allergies
and 1-2 chronic conditions each, 3-5 appointments each with various statuses, medical records
with symptoms and prescriptions and vital signs for the completed ones; seed 003's script adds
provider John Smith and patient `sample-patient-1`, Jane Doe. The five use ticket 001's field
names, Jane Doe's rows the Prisma schema's. Deterministic: `random.Random(SEED)`, every date
counted from `gateway.demo.ANCHOR`; password hashes are fake, to show they are dropped.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from gateway.demo import ANCHOR, DRUGS, FAMILY, GIVEN, PAYORS, STREETS, TIMES_A_DAY, TOWNS
from gateway.jsonio import Json

__all__ = ["records"]

SEED = 3004
FAKE_HASH = "$2b$12$demo.not.a.real.hash.demo.not.a.real.hash.demo00"
DEMO_ID = "medrec-provider-demo"
SMITH_ID = "medrec-provider-smith"
ALLERGIES = (("Penicillin", "Hives", "moderate"), ("Peanuts", "Anaphylaxis", "life_threatening"),
             ("Latex", "Contact dermatitis", "mild"), ("Sulfa drugs", "Rash", "severe"),
             ("Shellfish", "Swelling of lips", "severe"), ("Pollen", "Sneezing", "mild"))  # fmt: skip
CONDITIONS = (("Essential hypertension", "active"), ("Type 2 diabetes mellitus", "active"),
              ("Hyperlipidemia", "active"), ("Asthma", "remission"),
              ("Hypothyroidism", "controlled"), ("Osteoarthritis of knee", "active"))  # fmt: skip
COMPLAINTS = (("Headache", "Head", "Persistent headaches, worse in the morning."),
              ("Cough", "Chest", "Productive cough without shortness of breath."),
              ("Knee pain", "Left knee", "Aching pain after walking more than a mile."),
              ("Fatigue", None, "Tired most afternoons despite sleeping 7 hours."),
              ("Dizziness", None, "Lightheaded when standing up quickly."))  # fmt: skip
# status, days from ANCHOR: every patient's visits, most recent last
SCHEDULES = (
    (("completed", -120), ("completed", -30), ("scheduled", 14)),
    (("completed", -90), ("no_show", -60), ("completed", -10), ("scheduled", 21)),
    (("completed", -200), ("cancelled", -45), ("completed", -5), ("checked_in", 0), ("scheduled", 30)),
    (("completed", -75), ("in_progress", 0), ("scheduled", 7)),
    (("completed", -150), ("completed", -60), ("completed", -20), ("scheduled", 45)),
)  # fmt: skip
NOTES = (
    "Prefers morning appointments.",
    "Needs a large-print medication list.",
    "Prefers text reminders.",
    "Interpreter requested (Spanish).",
    "Mobility aid: cane.",
)
KINDS = ("new_patient", "follow_up", "routine_checkup", "sick_visit", "telehealth")


def _at(days: int, hour: int) -> str:
    moment = datetime.combine(ANCHOR + timedelta(days=days), time(hour)) + timedelta(hours=5)
    return moment.strftime("%Y-%m-%dT%H:%M:00.000Z")  # clinic hours in US Eastern, as UTC


def records() -> dict[str, list[Json]]:
    rng = random.Random(SEED)
    rows: dict[str, list[Json]] = {name: [] for name in ("Provider", "Patient", "Allergy",
        "ChronicCondition", "Appointment", "MedicalRecord", "Symptom", "Prescription", "VitalSigns")}  # fmt: skip
    rows["Provider"] += [
        {"id": DEMO_ID, "email": "demo@medrecord.example", "passwordHash": FAKE_HASH,
         "firstName": "Demo", "lastName": "Doctor", "specialty": "Family Medicine",
         "licenseNumber": "MD-00001", "phone": "+1-555-0150"},
        {"id": SMITH_ID, "email": "doctor@example.com", "passwordHash": FAKE_HASH,
         "firstName": "John", "lastName": "Smith", "specialty": "General Practice",
         "licenseNumber": "MD-12345"},
    ]  # fmt: skip
    rows["Patient"].append(
        {"id": "sample-patient-1", "firstName": "Jane", "lastName": "Doe",
         "dateOfBirth": "1985-03-15", "sex": "female", "phone": "+1-555-0100",
         "email": "jane.doe@email.com", "emergencyContactName": "John Doe",
         "emergencyContactPhone": "+1-555-0101", "emergencyContactRelationship": "Spouse"}
    )  # fmt: skip
    for number, schedule in enumerate(SCHEDULES, start=1):
        _patient(rows, rng, number, schedule)
    return rows


def _patient(rows: dict[str, list[Json]], rng: random.Random, number: int,
             schedule: tuple[tuple[str, int], ...]) -> None:  # fmt: skip
    sex = ("female", "male", "female", "male", "other")[number - 1]
    given = rng.choice(GIVEN["male" if sex == "male" else "female"])
    family, town = rng.choice(FAMILY), TOWNS[number]
    patient_id = f"medrec-patient-{number}"
    rows["Patient"].append({
        "id": patient_id, "providerId": DEMO_ID, "firstName": given, "lastName": family,
        "dateOfBirth": f"{1948 + 9 * number}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "sex": sex, "phone": f"+1-{town.area_code}-555-01{number:02d}",
        "email": f"{given.lower()}.{family.lower()}@example.com",
        "address": f"{rng.randint(10, 990)} {rng.choice(STREETS)}", "city": town.city,
        "state": town.state, "zipCode": town.postal_code,
        "emergencyContactName": f"{rng.choice(GIVEN['female'])} {family}",
        "emergencyContactPhone": f"+1-{town.area_code}-555-02{number:02d}",
        "insuranceProvider": PAYORS[number % len(PAYORS)],
        "insurancePolicyNumber": f"POL-{rng.randint(100000, 999999)}",
        "notes": rng.choice(NOTES),
    })  # fmt: skip
    for index, (allergen, reaction, severity) in enumerate(rng.sample(ALLERGIES, 2 + number % 2)):
        rows["Allergy"].append({"id": f"{patient_id}-allergy-{index}", "patientId": patient_id,
                                "allergen": allergen, "reaction": reaction, "severity": severity})  # fmt: skip
    for index, (name, status) in enumerate(rng.sample(CONDITIONS, 1 + number % 2)):
        rows["ChronicCondition"].append({
            "id": f"{patient_id}-condition-{index}", "patientId": patient_id, "condition": name,
            "diagnosedDate": f"{2010 + rng.randint(0, 12)}-0{rng.randint(1, 9)}-15T00:00:00.000Z",
            "status": status, "notes": None})  # fmt: skip
    for index, (status, days) in enumerate(schedule):
        _visit(rows, rng, patient_id, f"{patient_id}-visit-{index}", status, days, first=index == 0)


def _visit(rows: dict[str, list[Json]], rng: random.Random, patient_id: str, visit_id: str,
           status: str, days: int, *, first: bool) -> None:  # fmt: skip
    kind = "new_patient" if first else rng.choice(KINDS[1:])
    complaint, site, story = rng.choice(COMPLAINTS)
    start = _at(days, rng.choice((9, 10, 11, 14, 15)))
    rows["Appointment"].append({
        "id": visit_id, "patientId": patient_id, "providerId": DEMO_ID, "appointmentDate": start,
        "appointmentType": kind, "reason": complaint if kind == "sick_visit" else "Routine review",
        "status": status, "notes": "Telehealth link sent by email." if kind == "telehealth" else None,
    })  # fmt: skip
    if status != "completed":
        return
    drug = rng.choice(DRUGS)
    name, strength = drug.text.rsplit(" ", 2)[0], " ".join(drug.text.rsplit(" ", 2)[1:])
    record_id = f"{visit_id}-record"
    rows["MedicalRecord"].append({
        "id": record_id, "appointmentId": visit_id, "chiefComplaint": complaint,
        "subjective": story, "objective": "Alert and oriented; heart and lungs normal.",
        "assessment": f"{complaint}; stable chronic conditions.",
        "plan": f"Start {drug.text} {TIMES_A_DAY[drug.per_day]}; follow up in 3 months.",
        "aiSummary": f"Visit for {complaint.lower()}; plan reviewed with patient.",
        "isAIGenerated": True, "isDraft": False, "updatedAt": _at(days, 17),
    })  # fmt: skip
    rows["Symptom"].append({
        "id": f"{record_id}-symptom", "medicalRecordId": record_id, "name": complaint,
        "bodySite": site, "severity": rng.randint(2, 7), "duration": f"{rng.randint(2, 14)} days",
        "aiGenerated": True,
    })  # fmt: skip
    rows["Prescription"].append({
        "id": f"{record_id}-rx", "medicalRecordId": record_id, "medication": name,
        "strength": strength, "dosage": "1 tablet", "frequency": TIMES_A_DAY[drug.per_day], "duration": "90 days", "quantity": 90 * drug.per_day, "refills": 2,
        "instructions": "Take with water.", "indication": drug.reason, "aiGenerated": False,
    })  # fmt: skip
    height = rng.randint(60, 74)
    weight = rng.randint(1200, 2400) / 10
    rows["VitalSigns"].append({
        "id": f"{visit_id}-vitals", "appointmentId": visit_id,
        "bloodPressureSystolic": rng.randint(112, 152), "bloodPressureDiastolic": rng.randint(68, 92),
        "heartRate": rng.randint(58, 84), "temperature": round(rng.uniform(97.7, 98.9), 1),
        "respiratoryRate": rng.randint(12, 18), "oxygenSaturation": rng.randint(95, 99),
        "weight": weight, "height": height, "bmi": round(703 * weight / height**2, 1),
        "painLevel": rng.randint(0, 4), "recordedAt": start,
    })  # fmt: skip
