"""The Digital Medical Twin's own sample records: four users and their timelines.

Sent through the adapter at start-up (gateway.demo_records), so the demo shows what the app
would send: lab panels with biomarkers (the demo's lab table, reference ranges and flags),
doctor visits with diagnoses, medications with side effects, lifestyle interventions, and a
few days of wearable metrics from each user's device plus a manual weight. Deterministic:
dates count from `gateway.demo.ANCHOR`, values come from one seeded `random.Random`.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from gateway.demo import (
    ANCHOR,
    DEVICES,
    DOCTORS,
    DRUGS,
    FACILITIES,
    LAB_NAMES,
    METRICS,
    PANELS,
    REPEAT_PANELS,
    TIMES_A_DAY,
    WEARABLE_DAYS,
    Measure,
)
from gateway.jsonio import Json

__all__ = ["records"]

_USERS = (("maria.garcia", "Maria"), ("james.okafor", "James"), ("mei.chen", "Mei"), ("luis.rivera", "Luis"))  # fmt: skip
_INTERVENTIONS = (
    ("diet", "Mediterranean diet", "Olive oil, fish twice a week, no processed meat"),
    ("exercise", "Zone 2 cardio", "45 minutes at 60-70% of max heart rate, four times a week"),
    ("supplement", "Omega-3", "2 g EPA/DHA with breakfast"),
    ("sleep", "Fixed bedtime", "Lights out at 22:30, no screens after 21:30"),
    ("stress", "Daily meditation", "10 minutes guided, mornings"),
    ("other", "Cold exposure", "2 minutes of cold water at the end of each shower"),
)


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute)).isoformat() + ".000Z"


def _uuid(rng: random.Random) -> str:
    return f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-a{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}"


def _reading(rng: random.Random, measure: Measure, *, finding: bool) -> float | int:
    low, high = measure.abnormal if finding and measure.abnormal else measure.usual
    value = round(rng.uniform(low, high), measure.decimals)
    return int(value) if measure.decimals == 0 else value


def _biomarker(rng: random.Random, measure: Measure, findings: set[str]) -> Json:
    value = _reading(rng, measure, finding=measure.loinc in findings)
    flag = "normal"
    if measure.high is not None and value > measure.high:
        flag = "high"
    elif measure.low is not None and value < measure.low:
        flag = "low"
    marker: Json = {"name": measure.text, "value": value, "unit": measure.ucum, "flag": flag}
    if measure.low is not None:
        marker["referenceMin"] = measure.low
    if measure.high is not None:
        marker["referenceMax"] = measure.high
    return marker


def _event(rng: random.Random, user: Json, kind: str, day: date, hour: int, title: str, **fields: object) -> Json:  # fmt: skip
    stamp = _at(day, hour)
    return {"id": _uuid(rng), "userId": user["id"], "type": kind, "date": stamp, "title": title,
            **{k: v for k, v in fields.items() if v is not None}, "createdAt": stamp, "updatedAt": stamp}  # fmt: skip


def _events(rng: random.Random, number: int, user: Json) -> list[Json]:
    def event(kind: str, day: date, hour: int, title: str, **fields: object) -> Json:
        return _event(rng, user, kind, day, hour, title, **fields)

    doctor, facility = DOCTORS[number % len(DOCTORS)], FACILITIES[number % len(FACILITIES)]
    labs = [m for panel in PANELS.values() for m in panel]
    findings = {m.loinc for m in rng.sample(labs, 2)}
    drugs = rng.sample(DRUGS, 2)
    found = []
    for back, panels in ((120, tuple(PANELS)), (30, REPEAT_PANELS)):
        day = ANCHOR - timedelta(days=back)
        markers = [_biomarker(rng, m, findings) for name in panels for m in PANELS[name]]
        found.append(event("lab_result", day, 8, "Blood work", labName=rng.choice(LAB_NAMES),
                           orderingDoctor=doctor, biomarkers=markers, tags=["labs"]))  # fmt: skip
        found.append(event("doctor_visit", day + timedelta(days=3), 10, "Follow-up visit",
                           doctorName=doctor, specialty="Cardiology", facility=facility,
                           diagnosis=[d.reason for d in drugs], followUp="Repeat labs in 3 months",
                           notes="Reviewed results and medications"))  # fmt: skip
    for index, drug in enumerate(drugs):
        start = ANCHOR - timedelta(days=110 - 40 * index)
        ended = {"endDate": _at(ANCHOR - timedelta(days=10), 0)} if index else {}
        found.append(event("medication", start, 9, f"Started {drug.text}", medicationName=drug.text,
                           dosage=f"{drug.dose}mg", frequency=TIMES_A_DAY[drug.per_day], prescriber=doctor,
                           reason=drug.reason, startDate=_at(start, 0), **ended,
                           sideEffects=list(drug.side_effects[: rng.randint(0, 2)]) or None))  # fmt: skip
    category, name, protocol = _INTERVENTIONS[number % len(_INTERVENTIONS)]
    start = ANCHOR - timedelta(days=60)
    found.append(event("intervention", start, 7, name, interventionName=name, category=category,
                       startDate=_at(start, 0), protocol=protocol))  # fmt: skip
    return found + _metrics(rng, number, user)


def _metrics(rng: random.Random, number: int, user: Json) -> list[Json]:
    device = DEVICES[number % len(DEVICES)]
    found = []
    for back in range(WEARABLE_DAYS, 0, -1):
        day = ANCHOR - timedelta(days=back)
        for key in device.metrics:
            measure = METRICS[key].measure
            found.append(_event(rng, user, "metric", day, 7, measure.text, source=device.source,
                              metricName=measure.text, value=_reading(rng, measure, finding=False),
                              unit=measure.unit))  # fmt: skip
        if back % 2:
            weight = round(rng.uniform(150, 210), 1)
            found.append(_event(rng, user, "metric", day, 6, "Morning weight", source="manual",
                              metricName="Weight", value=weight, unit="lbs"))  # fmt: skip
    return found


def records() -> dict[str, list[Json]]:
    rng = random.Random(20260601)
    users, events = [], []
    for number, (username, given) in enumerate(_USERS):
        stamp = _at(ANCHOR - timedelta(days=200 - number), 12)
        user = {"id": _uuid(rng), "username": username, "email": f"{given.lower()}@example.org",
                "createdAt": stamp, "updatedAt": stamp}  # fmt: skip
        users.append(user)
        events.extend(_events(rng, number, user))
    return {"User": users, "Event": events}
