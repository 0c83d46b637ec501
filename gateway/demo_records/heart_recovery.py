"""The Heart Recovery Calendar's own sample rows: four cardiac-rehab patients after heart
surgery, two therapists, and a week of their tracking, sent through the app's adapter.

Deterministic: `random.Random(SEED)` and dates counted back from `gateway.demo.ANCHOR`; names,
towns, doctors, insurers and drugs come from the demo tables in `gateway.demo`. Only tables with
a FHIR home get rows (the others would be accepted and skipped).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from gateway.demo import ANCHOR, DOCTORS, DRUGS, FAMILY, GIVEN, PAYORS, RELATIONS, TOWNS, Drug
from gateway.jsonio import Json

__all__ = ["records"]

SEED = 2
DAYS = 7  # tracked days before ANCHOR
THERAPISTS = ((1, "Sam Okafor"), (2, "Grace Haddad"))
SURGERIES = ("Coronary artery bypass graft (CABG x3)", "Aortic valve replacement",
             "Percutaneous coronary intervention with stent", "Mitral valve repair")  # fmt: skip
STAGES = ("Phase II: early outpatient", "Phase III: maintenance")
EXERCISES = (
    (1, "Treadmill walking", "cardio", "beginner"),
    (2, "Stationary cycling", "cardio", "intermediate"),
    (3, "Resistance band rows", "strength", "beginner"),
)
DEVICES = (("polar", "Polar H10"), ("strava", "Strava"), ("samsung", "Galaxy Watch"))


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute)).strftime("%Y-%m-%dT%H:%M:00.000Z")


def records() -> dict[str, list[Json]]:
    rng = random.Random(SEED)
    out: dict[str, list[Json]] = {name: [] for name in (
        "Users", "Patients", "Providers", "VitalsSamples", "Medications", "MedicationLogs",
        "Alerts", "CalendarEvents", "Exercises", "ExercisePrescriptions", "ExerciseLogs",
        "TherapyGoals", "DeviceConnections", "SleepLogs", "HydrationLogs", "DailyScores")}  # fmt: skip
    for user_id, name in THERAPISTS:
        out["Users"].append({"id": user_id, "email": f"therapist{user_id}@heart-rehab.example.org",
                             "name": name, "role": "therapist", "timezone": "America/New_York"})  # fmt: skip
    for exercise_id, name, category, difficulty in EXERCISES:
        out["Exercises"].append({"id": exercise_id, "name": name, "category": category,
                                 "difficulty": difficulty, "isActive": True})  # fmt: skip
    for number in range(4):
        _patient(rng, number, out)
    return {name: rows for name, rows in out.items() if rows}


def _patient(rng: random.Random, number: int, out: dict[str, list[Json]]) -> None:
    user_id, profile_id = 10 + number, 100 + number
    sex = "female" if number % 2 == 0 else "male"
    given, family = GIVEN[sex][number], FAMILY[number + 2]
    town = TOWNS[number]
    phone = f"{town.area_code}-555-01{number:02d}"
    relation, _, _ = RELATIONS[number % len(RELATIONS)]
    contact = f"{rng.choice(GIVEN['female' if sex == 'male' else 'male'])} {family}"
    surgery = ANCHOR - timedelta(weeks=3 + 2 * number)
    doctor = DOCTORS[number % len(DOCTORS)]
    out["Users"].append({
        "id": user_id, "email": f"{given.lower()}.{family.lower()}@example.com",
        "password": "$2b$10$demo.hash.not.a.real.one", "name": f"{given} {family}",
        "phoneNumber": phone, "emergencyContact": contact, "emergencyPhone": f"{town.area_code}-555-02{number:02d}",
        "doctorName": doctor, "doctorPhone": f"{town.area_code}-555-0300", "timezone": "America/New_York",
        "role": "patient", "createdAt": _at(surgery, 12)})  # fmt: skip
    out["Patients"].append({
        "id": profile_id, "therapistId": THERAPISTS[number % 2][0], "userId": user_id,
        "firstName": given, "lastName": family, "name": f"{given} {family}",
        "dateOfBirth": f"{1950 + 4 * number}-0{number + 3}-1{number}", "gender": sex,
        "email": f"{given.lower()}.{family.lower()}@example.com", "primaryPhone": phone,
        "primaryPhoneType": ("mobile", "home", "mobile", "work")[number],
        "preferredContactMethod": ("text", "phone", "email", "phone")[number],
        "bestTimeToContact": ("morning", "afternoon", "evening", "morning")[number],
        "streetAddress": f"{rng.randrange(10, 900)} Maple Street", "city": town.city, "state": town.state,
        "postalCode": town.postal_code, "country": "US",
        "emergencyContact1Name": contact, "emergencyContact1Relationship": relation,
        "emergencyContact1Phone": f"{town.area_code}-555-02{number:02d}",
        "surgeryDate": _at(surgery, 0), "surgeryType": SURGERIES[number],
        "dischargeSummary": f"Discharged on day {5 + number} after {SURGERIES[number].lower()}. "
                            "Sternal precautions for six weeks; walk daily.",
        "medicationAllergies": ("Penicillin", None, "Sulfa drugs", None)[number],
        "otherAllergies": (None, "Latex", None, "Shellfish")[number],
        "chronicConditions": ("Hypertension", "Type 2 diabetes, Hypertension", "Hyperlipidemia", None)[number],
        "smokingStatus": ("former", "never", "current", "former")[number],
        "alcoholUse": ("occasional", "none", "moderate", "occasional")[number],
        "occupation": ("Teacher", "Electrician", "Accountant", "Retired")[number],
        "insuranceProvider": PAYORS[number], "insurancePolicyNumber": f"POL-{rng.randrange(10**6, 10**7)}",
        "insuranceGroupNumber": f"GRP-{rng.randrange(100, 999)}", "currentStage": STAGES[number % 2],
        "targetHeartRate": 105 + 5 * number, "maxHeartRate": 125 + 5 * number, "restingHeartRate": 64 + 3 * number,
        "bloodPressureGoal": "130/80", "weightGoal": 150.0 + 15 * number, "isActive": True})  # fmt: skip
    out["Providers"].append({
        "id": 200 + number, "userId": user_id, "name": doctor, "specialty": "Cardiology",
        "phone": f"{town.area_code}-555-0300", "address": f"1 Heart Way, {town.city}, {town.state}",
        "nextAppointment": _at(ANCHOR + timedelta(days=7 + number), 14, 30)})  # fmt: skip
    drugs = DRUGS[number % 3 : number % 3 + 3]
    for index, drug in enumerate(drugs):
        _medication(out, user_id, 300 + 10 * number + index, drug, surgery, doctor)
    _alerts(out, user_id, number)
    _calendar(out, user_id, number, doctor)
    _tracking(rng, out, user_id, profile_id, number, surgery)


def _medication(out: dict[str, list[Json]], user_id: int, med_id: int, drug: Drug,
                surgery: date, doctor: str) -> None:  # fmt: skip
    out["Medications"].append({
        "id": med_id, "userId": user_id, "name": drug.text, "dosage": f"{drug.dose}mg",
        "frequency": "once daily" if drug.per_day == 1 else "twice daily", "timeOfDay": "morning",
        "startDate": _at(surgery + timedelta(days=5), 0), "prescribedBy": doctor, "purpose": drug.reason,
        "sideEffects": ", ".join(drug.side_effects), "isActive": True})  # fmt: skip
    for day in range(3):
        taken = ANCHOR - timedelta(days=day + 1)
        out["MedicationLogs"].append({"id": med_id * 10 + day, "medicationId": med_id, "userId": user_id,
                                      "takenAt": _at(taken, 8, 5 + day), "dosageTaken": f"{drug.dose}mg"})  # fmt: skip


def _alerts(out: dict[str, list[Json]], user_id: int, number: int) -> None:
    day = ANCHOR - timedelta(days=2 + number)
    out["Alerts"].append({"id": 400 + 2 * number, "userId": user_id, "type": "vital",
                          "severity": ("high", "medium", "critical", "low")[number],
                          "title": "Blood pressure above goal", "message": "Systolic over 150 mmHg at rest.",
                          "isResolved": number % 2 == 0, "createdAt": _at(day, 9),
                          "resolvedAt": _at(day, 17) if number % 2 == 0 else None, "notified": True})  # fmt: skip
    out["Alerts"].append({"id": 401 + 2 * number, "userId": user_id, "type": "medication", "severity": "low",
                          "title": "Missed evening dose", "isResolved": False, "createdAt": _at(day, 21)})  # fmt: skip


def _calendar(out: dict[str, list[Json]], user_id: int, number: int, doctor: str) -> None:
    visit = ANCHOR + timedelta(days=7 + number)
    past = ANCHOR - timedelta(days=10 - number)
    out["CalendarEvents"].extend([
        {"id": 500 + 3 * number, "calendarId": 1, "userId": user_id, "title": f"Cardiology follow-up with {doctor}",
         "startTime": _at(visit, 14, 30), "endTime": _at(visit, 15), "location": "Heart & Vascular Clinic",
         "category": "appointment", "status": "pending"},
        {"id": 501 + 3 * number, "calendarId": 1, "userId": user_id, "title": "Cardiac rehab session",
         "startTime": _at(past, 10), "endTime": _at(past, 11), "category": "appointment", "status": "completed"},
        {"id": 502 + 3 * number, "calendarId": 1, "userId": user_id, "title": "Take medications",
         "startTime": _at(ANCHOR, 8), "category": "medication", "recurrenceRule": "FREQ=DAILY"},
    ])  # fmt: skip


def _tracking(rng: random.Random, out: dict[str, list[Json]], user_id: int, profile_id: int,
              number: int, surgery: date) -> None:  # fmt: skip
    exercise = EXERCISES[number % len(EXERCISES)][0]
    prescription = 600 + number
    out["ExercisePrescriptions"].append({"id": prescription, "patientId": profile_id, "exerciseId": exercise,
                                         "duration": 20 + 5 * number, "frequency": "5x per week",
                                         "intensity": "moderate", "startDate": _at(surgery + timedelta(weeks=2), 0),
                                         "status": "active"})  # fmt: skip
    device, name = DEVICES[number % len(DEVICES)]
    out["DeviceConnections"].append({"id": 700 + number, "userId": user_id, "deviceType": device,
                                     "deviceName": name, "accessToken": "demo-token", "isActive": True,
                                     "lastSyncAt": _at(ANCHOR - timedelta(days=1), 6)})  # fmt: skip
    out["TherapyGoals"].append({"id": 800 + number, "userId": user_id, "title": "Walk 30 minutes without stopping",
                                "category": "endurance", "targetDate": _at(ANCHOR + timedelta(weeks=4), 0),
                                "progress": 40 + 15 * number, "status": "in-progress"})  # fmt: skip
    for day in range(DAYS):
        when = ANCHOR - timedelta(days=DAYS - day)
        key = 1000 * (number + 1) + day
        out["VitalsSamples"].append({
            "id": key, "userId": user_id, "systolicBP": rng.randrange(112, 148), "diastolicBP": rng.randrange(68, 90),
            "heartRate": rng.randrange(60, 84), "weight": round(160 + 12 * number + rng.uniform(-2, 2), 1),
            "oxygenSaturation": rng.randrange(95, 100), "temperature": round(rng.uniform(97.7, 98.6), 1),
            "recordedAt": _at(when, 7, 30)})  # fmt: skip
        if day % 2 == 0:
            out["ExerciseLogs"].append({"id": key, "userId": user_id, "exerciseId": exercise,
                                        "prescriptionId": prescription, "duration": 20 + rng.randrange(0, 15),
                                        "avgHeartRate": rng.randrange(92, 110), "intensity": "moderate",
                                        "completedAt": _at(when, 10)})  # fmt: skip
        out["SleepLogs"].append({"id": key, "userId": user_id, "sleepDate": when.isoformat(),
                                 "totalHours": round(rng.uniform(5.8, 7.9), 1), "quality": rng.randrange(2, 6),
                                 "interruptions": rng.randrange(0, 4)})  # fmt: skip
        out["HydrationLogs"].append({"id": key, "userId": user_id, "logDate": when.isoformat(),
                                     "amountOz": float(rng.randrange(40, 72)), "goalOz": 64.0})  # fmt: skip
        out["DailyScores"].append({"id": key, "userId": user_id, "date": when.isoformat(),
                                   "overallScore": rng.randrange(60, 95)})  # fmt: skip
