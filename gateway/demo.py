"""Demo FHIR R4 data shaped like the seed systems' records, identical for a given seed.

A fresh gateway, its docs and its tests need patients that look like what the seed systems send
(lab panels with reference ranges and flags, clinic vitals in lb and °F, Oura/WHOOP/Apple
Health/Garmin metrics, appointments, medications with side effects) without real health data,
a network or a faker library. All randomness comes from `random.Random(seed)` and every date
counts from `ANCHOR`, never from the clock. https://hl7.org/fhir/R4/resourcelist.html
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from gateway.jsonio import Json
from mappers.medication_statement import SIDE_EFFECT_URL
from mappers.observation import INTERPRETATION
from mappers.patient import CONTACT_ROLE

__all__ = ["ANCHOR", "generate"]

Span = Literal["morning", "day", "night"]
Moment = datetime | tuple[datetime, datetime]  # effectiveDateTime or effectivePeriod

ANCHOR = date(2026, 6, 1)
"""The demo's today: the last wearable day is the day before, planned visits come after."""
WEARABLE_DAYS = 5

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
DEMO = "http://fhir-gateway.org/demo"
ORDER = ("Practitioner", "Patient", "Encounter", "Observation", "MedicationStatement")


@dataclass(frozen=True, slots=True)
class Measure:
    """A LOINC-coded quantity: its UCUM unit and where values fall (`usual`: a patient's norm)."""

    loinc: str
    display: str
    text: str
    unit: str
    ucum: str
    usual: tuple[float, float]
    decimals: int = 0
    jitter: float = 0.0  # how far one reading strays from the patient's norm
    low: float | None = None  # reference range, labs only
    high: float | None = None
    abnormal: tuple[float, float] | None = None  # where a patient's finding puts the value

    def code(self) -> Json:
        return _loinc(self.loinc, self.display, self.text)

    def quantity(self, value: float) -> Json:
        return {"value": value, "unit": self.unit, "system": UCUM, "code": self.ucum}


@dataclass(frozen=True, slots=True)
class Metric:
    """A wearable or home metric: which categories it carries, and the time its value covers."""

    measure: Measure
    categories: tuple[str, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Device:
    source: str  # the seed's MetricSource, also in `meta.source`
    display: str
    metrics: tuple[str, ...]
    every: int = 1  # days between readings


@dataclass(frozen=True, slots=True)
class Drug:
    rxnorm: str
    display: str
    text: str
    dose: int  # mg
    per_day: int
    reason: str
    side_effects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Town:
    city: str
    state: str
    postal_code: str
    area_code: str
    utc_offset: int  # standard time, hours
    dst: bool = True


def lab_measure(
    loinc: str,
    display: str,
    text: str,
    unit: str,
    usual: tuple[float, float],
    decimals: int,
    low: float | None,
    high: float | None,
    abnormal: tuple[float, float],
) -> Measure:
    """A lab table row; labs print the UCUM code as the unit."""
    return Measure(loinc, display, text, unit, unit, usual, decimals, 0.0, low, high, abnormal)


# fmt: off
# Data tables, one row a line.

# Adult reference ranges as US reference labs print them; lipids have one-sided ranges.
# LOINC, display, short name, UCUM unit, usual span, decimals, low, high, a finding's span
PANELS: dict[str, tuple[Measure, ...]] = {
    "cbc": (
        lab_measure("718-7", "Hemoglobin [Mass/volume] in Blood", "Hemoglobin", "g/dL", (12.8, 16.4), 1, 12.0, 17.5, (10.1, 11.6)),
        lab_measure("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "WBC", "10*3/uL", (4.9, 9.6), 1, 4.5, 11.0, (11.8, 14.6)),
        lab_measure("777-3", "Platelets [#/volume] in Blood by Automated count", "Platelets", "10*3/uL", (175, 360), 0, 150, 400, (104, 141)),
    ),
    "cmp": (
        lab_measure("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "Glucose", "mg/dL", (76, 96), 0, 70, 99, (104, 131)),
        lab_measure("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "Creatinine", "mg/dL", (0.68, 1.12), 2, 0.6, 1.3, (1.42, 1.96)),
        lab_measure("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "Potassium", "mmol/L", (3.8, 4.8), 1, 3.5, 5.1, (3.0, 3.4)),
        lab_measure("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "Sodium", "mmol/L", (137, 143), 0, 135, 145, (129, 134)),
    ),
    "lipids": (
        lab_measure("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "Total cholesterol", "mg/dL", (148, 196), 0, None, 200, (214, 268)),
        lab_measure("18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay", "LDL cholesterol", "mg/dL", (61, 97), 0, None, 100, (131, 182)),
        lab_measure("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "HDL cholesterol", "mg/dL", (44, 74), 0, 40, None, (28, 38)),
        lab_measure("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "Triglycerides", "mg/dL", (68, 142), 0, None, 150, (166, 264)),
    ),
    "hba1c": (
        lab_measure("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "Hemoglobin A1c", "%", (4.8, 5.5), 1, 4.0, 5.6, (5.9, 6.9)),
    ),
}
REPEAT_PANELS = ("lipids", "hba1c")  # what the follow-up visit re-checks
LABS = tuple(m for panel in PANELS.values() for m in panel)
HIGH_FINDINGS = tuple(m.loinc for m in LABS if m.abnormal and m.high is not None and m.abnormal[0] > m.high)
LOW_FINDINGS = tuple(m.loinc for m in LABS if m.abnormal and m.low is not None and m.abnormal[1] < m.low)

BLOOD_PRESSURE = Measure("85354-9", "Blood pressure panel with all children optional", "Blood pressure", "mmHg", "mm[Hg]", (0, 0))
SYSTOLIC = Measure("8480-6", "Systolic blood pressure", "Systolic", "mmHg", "mm[Hg]", (112, 152), 0, 8)
DIASTOLIC = Measure("8462-4", "Diastolic blood pressure", "Diastolic", "mmHg", "mm[Hg]", (68, 92), 0, 5)
WEIGHT = Measure("29463-7", "Body weight", "Body weight", "lb", "[lb_av]", (128, 236), 1, 2.5)
VITALS = (
    Measure("8867-4", "Heart rate", "Heart rate", "/min", "/min", (58, 84), 0, 6),
    WEIGHT,
    Measure("8310-5", "Body temperature", "Body temperature", "°F", "[degF]", (97.7, 98.6), 1, 0.4),
    Measure("2708-6", "Oxygen saturation in Arterial blood", "SpO2", "%", "%", (95, 98.4), 0, 1),
    Measure("9279-1", "Respiratory rate", "Respiratory rate", "/min", "/min", (12, 18), 0, 2),
)




METRICS = {
    "steps": Metric(Measure("55423-8", "Number of steps in unspecified time Pedometer", "Steps", "steps", "{steps}", (3200, 11500), 0, 2400), ("activity",), "day"),
    "hrv": Metric(Measure("80404-7", "R-R interval.standard deviation (Heart rate variability)", "HRV", "ms", "ms", (24, 72), 0, 8), ("vital-signs",), "morning"),
    "rhr": Metric(Measure("40443-4", "Heart rate --resting", "Resting heart rate", "/min", "/min", (50, 72), 0, 4), ("vital-signs",), "morning"),
    "sleep": Metric(Measure("93832-4", "Sleep duration", "Sleep duration", "h", "h", (5.8, 7.9), 1, 0.8), ("activity", "sleep"), "night"),
    "weight": Metric(WEIGHT, ("vital-signs",), "morning"),
}
TRACKED = (SYSTOLIC, DIASTOLIC, *VITALS, *(m.measure for m in METRICS.values()))
CATEGORIES = {
    "laboratory": (CATEGORY, "Laboratory"),
    "vital-signs": (CATEGORY, "Vital Signs"),
    "activity": (CATEGORY, "Activity"),
    "social-history": (CATEGORY, "Social History"),
    "survey": (CATEGORY, "Survey"),
    "sleep": (f"{DEMO}/observation-category", "Sleep"),  # R4's category system has no sleep
}




DEVICES = (
    Device("oura", "Oura Ring", ("sleep", "hrv", "rhr")),
    Device("whoop", "WHOOP 4.0", ("hrv", "rhr", "sleep")),
    Device("apple_health", "Apple Watch (Apple Health)", ("steps", "rhr")),
    Device("garmin", "Garmin Forerunner 265", ("steps", "rhr", "hrv")),
)
MANUAL = Device("manual", "Manual entry", ("weight",), every=2)




DRUGS = (
    Drug("866427", "24 HR metoprolol succinate 25 MG Extended Release Oral Tablet", "Metoprolol succinate ER 25 mg", 25, 1, "Rate control after myocardial infarction", ("Fatigue", "Dizziness", "Cold hands")),
    Drug("259255", "atorvastatin 80 MG Oral Tablet", "Atorvastatin 80 mg", 80, 1, "Hyperlipidemia", ("Muscle aches", "Nausea")),
    Drug("314076", "lisinopril 10 MG Oral Tablet", "Lisinopril 10 mg", 10, 1, "Essential hypertension", ("Dry cough", "Dizziness")),
    Drug("243670", "aspirin 81 MG Oral Tablet", "Aspirin 81 mg", 81, 1, "Secondary prevention of coronary artery disease", ("Easy bruising", "Heartburn")),
    Drug("860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet", "Metformin ER 500 mg", 500, 2, "Prediabetes", ("Upset stomach", "Diarrhea")),
    Drug("309362", "clopidogrel 75 MG Oral Tablet", "Clopidogrel 75 mg", 75, 1, "Coronary stent", ("Easy bruising", "Rash")),
)
TIMES_A_DAY = {1: "once daily", 2: "twice daily"}

# kind -> (display, v3-ActCode class, minutes, reasons): the seed clinic's appointment types.
VISIT_KINDS: dict[str, tuple[str, str, int, tuple[str, ...]]] = {
    "new_patient": ("New patient visit", "AMB", 60, ("Establish care after myocardial infarction", "Establish care for hypertension", "Cardiac rehabilitation intake")),
    "follow_up": ("Follow-up visit", "AMB", 30, ("Review lipid panel and medications", "Blood pressure follow-up", "Cardiac rehab progress check")),
    "routine_checkup": ("Routine checkup", "AMB", 30, ("Annual physical", "Routine cardiovascular checkup")),
    "sick_visit": ("Sick visit", "AMB", 20, ("Upper respiratory symptoms", "Dizziness on standing", "Ankle swelling")),
    "telehealth": ("Telehealth visit", "VR", 20, ("Medication side effects check-in", "Review home blood pressure log")),
}
ACT_DISPLAY = {"AMB": "ambulatory", "VR": "virtual"}
SMOKING = (("266919005", "Never smoked tobacco"), ("8517006", "Ex-smoker"), ("449868002", "Smokes tobacco daily"))




TOWNS = (
    Town("Boston", "MA", "02134", "617", -5), Town("Cleveland", "OH", "44106", "216", -5),
    Town("Atlanta", "GA", "30307", "404", -5), Town("Chicago", "IL", "60614", "312", -6),
    Town("Minneapolis", "MN", "55408", "612", -6), Town("Denver", "CO", "80206", "303", -7),
    Town("Phoenix", "AZ", "85004", "602", -7, dst=False), Town("Seattle", "WA", "98103", "206", -8),
)
GIVEN = {
    "female": ("Maria", "Linda", "Aisha", "Mei", "Sarah", "Fatima", "Grace", "Elena", "Rosa"),
    "male": ("James", "Robert", "Carlos", "David", "Wei", "Samuel", "Ahmed", "Thomas", "Luis"),
}
FAMILY = ("Johnson", "Garcia", "Nguyen", "Okafor", "Patel", "Kowalski", "Rivera", "Chen", "Haddad", "Anderson", "Brooks", "Yamamoto")
STREETS = ("Maple Street", "Oak Avenue", "Cedar Lane", "Elm Street", "Lakeview Drive", "Hillcrest Road", "Willow Way")
DOCTORS = ("Dr. Priya Raman", "Dr. Michael Chen", "Dr. Sofia Alvarez", "Dr. Jonathan Reed", "Dr. Amara Okoye")
FACILITIES = ("Riverside Cardiology Clinic", "Lakeside Family Medicine", "Northgate Heart & Vascular Center", "Summit Primary Care")
LAB_NAMES = ("Quest Diagnostics", "Labcorp", "Riverside Hospital Laboratory")
PAYORS = ("Aetna", "Blue Cross Blue Shield", "UnitedHealthcare", "Cigna", "Humana", "Kaiser Permanente")
# relationship text, shares the patient's family name, the contact's sex (None: either)
RELATIONS = (("Spouse", True, None), ("Daughter", True, "female"), ("Son", True, "male"), ("Sister", True, "female"), ("Partner", False, None), ("Friend", False, None))
# fmt: on


@dataclass(frozen=True, slots=True)
class Chart:
    """One demo patient's fixed facts, shared by every resource built for them."""

    number: int
    sex: Literal["female", "male"]
    given: str
    family: str
    town: Town
    doctor: int  # index into DOCTORS
    facility: str
    lab: str
    findings: tuple[str, ...]  # LOINC codes of labs out of range for this patient
    devices: tuple[Device, ...]
    norms: dict[str, float] = field(hash=False)  # LOINC -> this patient's usual value

    @property
    def patient_id(self) -> str:
        return f"demo-pat-{self.number}"

    @property
    def subject(self) -> Json:
        return {"reference": f"Patient/{self.patient_id}"}

    @property
    def doctor_name(self) -> str:
        return DOCTORS[self.doctor]

    def at(self, moment: datetime) -> str:
        """A local wall-clock time as a FHIR dateTime with the town's offset that day."""
        dst = self.town.dst and _in_dst(moment.date())
        return f"{moment:%Y-%m-%dT%H:%M:%S}{self.town.utc_offset + dst:+03d}:00"

    def reading(self, rng: random.Random, measure: Measure) -> float:
        value = self.norms[measure.loinc] + rng.uniform(-measure.jitter, measure.jitter)
        return _rounded(value, measure.decimals)


@dataclass(frozen=True, slots=True)
class Visit:
    id: str
    kind: str
    status: str
    start: datetime

    @property
    def reference(self) -> Json:
        return {"reference": f"Encounter/{self.id}"}


def generate(*, patients: int = 5, seed: int = 7) -> list[Json]:
    """Demo resources for `patients` patients: their doctors as Practitioners, Patients,
    Encounters, Observations, then MedicationStatements, so each resource comes after
    everything it references and every reference has its resource."""
    rng = random.Random(seed)
    doctors: set[int] = set()
    resources: list[Json] = []
    for number in range(1, patients + 1):
        chart = _chart(rng, number)  # each chart, then its records: the seed's sequence
        doctors.add(chart.doctor)
        resources.extend(_records_of(rng, chart))
    resources.extend(_practitioner(doctor) for doctor in sorted(doctors))
    return sorted(resources, key=lambda r: ORDER.index(r["resourceType"]))


def _chart(rng: random.Random, number: int) -> Chart:
    sex: Literal["female", "male"] = rng.choice(("female", "male"))
    primary = DEVICES[(number - 1) % len(DEVICES)]  # every source shows up from four patients on
    second = rng.sample([d for d in DEVICES if d != primary], rng.randint(0, 1))
    low = (rng.choice(LOW_FINDINGS),) if rng.random() < 0.7 else ()
    return Chart(
        number=number,
        sex=sex,
        given=rng.choice(GIVEN[sex]),
        family=rng.choice(FAMILY),
        town=rng.choice(TOWNS),
        doctor=rng.randrange(len(DOCTORS)),
        facility=rng.choice(FACILITIES),
        lab=rng.choice(LAB_NAMES),
        findings=(rng.choice(HIGH_FINDINGS), *low),
        devices=(primary, *second, MANUAL),
        norms={m.loinc: rng.uniform(*m.usual) for m in TRACKED},
    )


def _records_of(rng: random.Random, chart: Chart) -> list[Json]:
    visits = _plan_visits(rng, chart)
    measured = [
        v for v in visits if v.status in ("finished", "in-progress") and v.kind != "telehealth"
    ]
    observations = [
        *_lab_panels(rng, chart, visits),
        *(o for visit in measured for o in _vital_signs(rng, chart, visit)),
        *_survey_answers(rng, chart, visits),
        *_wearable_metrics(rng, chart),
    ]
    medications = _medication_statements(rng, chart, visits)
    return [
        _patient(rng, chart),
        *(_encounter(rng, chart, visit) for visit in visits),
        *_numbered("Observation", f"demo-obs-{chart.number}", observations),
        *_numbered("MedicationStatement", f"demo-med-{chart.number}", medications),
    ]


def _numbered(resource_type: str, prefix: str, bodies: Iterable[Json]) -> list[Json]:
    return [
        {"resourceType": resource_type, "id": f"{prefix}-{k}", **body}
        for k, body in enumerate(bodies, 1)
    ]


# Practitioner ------------------------------------------------------------------------------


def _practitioner_id(doctor: int) -> str:
    return f"demo-prac-{doctor + 1}"


def _practitioner(doctor: int) -> Json:
    """A doctor of DOCTORS ("Dr. Priya Raman"), the prescriber MedicationStatements refer to."""
    prefix, given, family = DOCTORS[doctor].split(" ")
    return {
        "resourceType": "Practitioner",
        "id": _practitioner_id(doctor),
        "identifier": [{"system": f"{DEMO}/practitioner", "value": f"PRAC-{doctor + 1:03d}"}],
        "active": True,
        "name": [{"use": "official", "family": family, "given": [given], "prefix": [prefix]}],
    }


# Patient -----------------------------------------------------------------------------------


def _patient(rng: random.Random, chart: Chart) -> Json:
    mrn = f"{rng.randrange(100, 1000)}{chart.number:04d}"
    relations = rng.sample(RELATIONS, rng.randint(1, 2))
    return {
        "resourceType": "Patient",
        "id": chart.patient_id,
        "contained": [_coverage(rng)],
        "identifier": [_mrn(mrn)],
        "active": True,
        "name": [{"use": "official", "family": chart.family, "given": [chart.given]}],
        "telecom": [
            {"system": "phone", "value": _phone(rng, chart.town), "use": "mobile"},
            {
                "system": "email",
                "value": f"{chart.given}.{chart.family}@example.com".lower(),
                "use": "home",
            },
        ],
        "gender": chart.sex,
        "birthDate": (ANCHOR - timedelta(days=rng.randint(38 * 365, 79 * 365))).isoformat(),
        "address": [_address(rng, chart.town)],
        "contact": [_contact(rng, chart, relation) for relation in relations],
        "generalPractitioner": [{"display": chart.doctor_name}],
    }


def _mrn(value: str) -> Json:
    mr = {
        "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
        "code": "MR",
        "display": "Medical record number",
    }
    return {"use": "usual", "type": {"coding": [mr]}, "system": f"{DEMO}/mrn", "value": value}


def _coverage(rng: random.Random) -> Json:
    """The seed's insurance provider, policy and group as a Coverage the Patient contains;
    `beneficiary: #` points at the container, which satisfies dom-3."""
    group = {"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "group"}
    return {
        "resourceType": "Coverage",
        "id": "cov1",
        "status": "active",
        "beneficiary": {"reference": "#"},
        "payor": [{"display": rng.choice(PAYORS)}],
        "subscriberId": f"POL-{rng.randrange(10**8, 10**9)}",
        "class": [{"type": {"coding": [group]}, "value": f"GRP-{rng.randrange(10**4, 10**5)}"}],
    }


def _contact(rng: random.Random, chart: Chart, relation: tuple[str, bool, str | None]) -> Json:
    text, same_family, sex = relation
    emergency = {"system": CONTACT_ROLE, "code": "C", "display": "Emergency Contact"}
    given = rng.choice(GIVEN[sex or rng.choice(("female", "male"))])
    family = chart.family if same_family else rng.choice(FAMILY)
    return {
        "relationship": [{"coding": [emergency], "text": text}],
        "name": {"family": family, "given": [given]},
        "telecom": [{"system": "phone", "value": _phone(rng, chart.town), "use": "mobile"}],
    }


def _phone(rng: random.Random, town: Town) -> str:
    return f"+1-{town.area_code}-555-{rng.randrange(100, 200):04d}"  # 555-01xx: fictional


def _address(rng: random.Random, town: Town) -> Json:
    return {
        "use": "home",
        "line": [f"{rng.randrange(10, 9000)} {rng.choice(STREETS)}"],
        "city": town.city,
        "state": town.state,
        "postalCode": town.postal_code,
        "country": "US",
    }


# Encounters --------------------------------------------------------------------------------


def _plan_visits(rng: random.Random, chart: Chart) -> list[Visit]:
    """Intake and follow-up (always finished), a recent visit, sometimes one today or ahead."""
    recent = rng.choice(("routine_checkup", "sick_visit", "telehealth"))
    plan = [
        ("new_patient", -rng.randint(100, 150), "finished"),
        ("follow_up", -rng.randint(45, 75), "finished"),
        (recent, -rng.randint(5, 30), rng.choice(("finished", "finished", "cancelled"))),
    ]
    if rng.random() < 0.6:
        status = rng.choice(("planned", "in-progress"))
        days = rng.randint(7, 30) if status == "planned" else 0
        plan.append((rng.choice(("follow_up", "telehealth")), days, status))
    return [
        Visit(f"demo-enc-{chart.number}-{k}", kind, status, _clinic_hours(rng, days))
        for k, (kind, days, status) in enumerate(plan, 1)
    ]


def _clinic_hours(rng: random.Random, days: int) -> datetime:
    clock = time(rng.randint(8, 15), rng.choice((0, 15, 30, 45)))
    return datetime.combine(ANCHOR + timedelta(days=days), clock)


def _encounter(rng: random.Random, chart: Chart, visit: Visit) -> Json:
    label, act, minutes, reasons = VISIT_KINDS[visit.kind]
    period = {"start": chart.at(visit.start)}
    if visit.status != "in-progress":
        period["end"] = chart.at(visit.start + timedelta(minutes=minutes))
    kind = {"system": f"{DEMO}/appointment-type", "code": visit.kind, "display": label}
    return {
        "resourceType": "Encounter",
        "id": visit.id,
        "status": visit.status,
        "class": {"system": ACT_CODE, "code": act, "display": ACT_DISPLAY[act]},
        "type": [{"coding": [kind], "text": label}],
        "subject": chart.subject,
        "participant": [{"type": [_attender()], "individual": {"display": chart.doctor_name}}],
        "period": period,
        "reasonCode": [{"text": rng.choice(reasons)}],
        "serviceProvider": {"display": chart.facility},
    }


# Observations ------------------------------------------------------------------------------


def _observation(
    chart: Chart,
    categories: Iterable[str],
    code: Json,
    when: Moment,
    visit: Visit | None = None,
    **rest: Any,
) -> Json:
    """An Observation body without resourceType and id (`_numbered` adds them)."""
    body: Json = {
        "status": "final",
        "category": [
            {"coding": [{"system": CATEGORIES[c][0], "code": c, "display": CATEGORIES[c][1]}]}
            for c in categories
        ],
        "code": code,
        "subject": chart.subject,
        **_effective(chart, when),
    }
    if visit is not None:
        body["encounter"] = visit.reference
    return body | rest


def _effective(chart: Chart, when: Moment) -> Json:
    if isinstance(when, tuple):
        start, end = when
        return {"effectivePeriod": {"start": chart.at(start), "end": chart.at(end)}}
    return {"effectiveDateTime": chart.at(when)}


def _lab_panels(rng: random.Random, chart: Chart, visits: list[Visit]) -> list[Json]:
    """Every panel at intake; lipids and HbA1c again at the follow-up."""
    bodies = []
    for visit, panels in zip(visits[:2], (tuple(PANELS), REPEAT_PANELS), strict=True):
        drawn = visit.start + timedelta(minutes=10)
        issued = drawn + timedelta(hours=rng.randint(3, 28), minutes=rng.randint(0, 59))
        measures = [m for name in panels for m in PANELS[name]]
        bodies += [_lab_result(rng, chart, visit, m, drawn, issued) for m in measures]
    return bodies


def _lab_result(
    rng: random.Random,
    chart: Chart,
    visit: Visit,
    measure: Measure,
    drawn: datetime,
    issued: datetime,
) -> Json:
    value = _lab_value(rng, chart, measure)
    return _observation(
        chart,
        ("laboratory",),
        measure.code(),
        drawn,
        visit,
        issued=chart.at(issued),
        performer=[{"display": chart.lab}],
        valueQuantity=measure.quantity(value),
        interpretation=[interpretation(measure, value)],
        referenceRange=[_reference_range(measure)],
    )


def _lab_value(rng: random.Random, chart: Chart, measure: Measure) -> float:
    finding = measure.abnormal if measure.loinc in chart.findings else None
    return _rounded(rng.uniform(*(finding or measure.usual)), measure.decimals)


def interpretation(measure: Measure, value: float) -> Json:
    """L, N or H from the value against the reference range (v3-ObservationInterpretation)."""
    if measure.low is not None and value < measure.low:
        code, display = "L", "Low"
    elif measure.high is not None and value > measure.high:
        code, display = "H", "High"
    else:
        code, display = "N", "Normal"
    return {"coding": [{"system": INTERPRETATION, "code": code, "display": display}]}


def _reference_range(measure: Measure) -> Json:
    bounds = (("low", measure.low), ("high", measure.high))
    return {name: measure.quantity(value) for name, value in bounds if value is not None}


def _vital_signs(rng: random.Random, chart: Chart, visit: Visit) -> list[Json]:
    """The clinic's intake vitals: a BP panel (components only) and one Observation each."""
    taken = visit.start + timedelta(minutes=5)

    def vital(code: Json, **value: Any) -> Json:
        return _observation(chart, ("vital-signs",), code, taken, visit, **value)

    pressures = [
        {"code": m.code(), "valueQuantity": m.quantity(chart.reading(rng, m))}
        for m in (SYSTOLIC, DIASTOLIC)
    ]
    return [
        vital(BLOOD_PRESSURE.code(), component=pressures),
        *(vital(m.code(), valueQuantity=m.quantity(chart.reading(rng, m))) for m in VITALS),
    ]


def _survey_answers(rng: random.Random, chart: Chart, visits: list[Visit]) -> list[Json]:
    """Smoking status (a SNOMED concept) at intake, a 0-10 pain score at the follow-up."""
    intake, follow_up = visits[0], visits[1]
    code, display = rng.choice(SMOKING)
    status = {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display}
    smoking = _loinc("72166-2", "Tobacco smoking status", "Smoking status")
    pain = _loinc(
        "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "Pain score"
    )
    return [
        _observation(
            chart, ("social-history",), smoking, intake.start, intake, valueCodeableConcept=status
        ),
        _observation(
            chart, ("survey",), pain, follow_up.start, follow_up, valueInteger=rng.randint(0, 6)
        ),
    ]


def _wearable_metrics(rng: random.Random, chart: Chart) -> list[Json]:
    days = [ANCHOR - timedelta(days=back) for back in range(WEARABLE_DAYS, 0, -1)]
    return [
        _metric(rng, chart, METRICS[key], device, day)
        for device in chart.devices
        for key in device.metrics
        for day in days[:: device.every]
    ]


def _metric(rng: random.Random, chart: Chart, metric: Metric, device: Device, day: date) -> Json:
    value = chart.reading(rng, metric.measure)
    return _observation(
        chart,
        metric.categories,
        metric.measure.code(),
        _metric_time(rng, metric.span, day, value),
        meta={"source": f"urn:demo:{device.source}"},
        device={"display": device.display},
        valueQuantity=metric.measure.quantity(value),
    )


def _metric_time(rng: random.Random, span: Span, day: date, value: float) -> Moment:
    """A day's steps cover the day, a night's sleep runs from bedtime, the rest is a morning."""
    midnight = datetime.combine(day, time())
    if span == "morning":
        return midnight + timedelta(minutes=rng.randint(360, 465))
    if span == "day":
        return midnight, midnight + timedelta(days=1)
    asleep = midnight - timedelta(minutes=rng.randint(15, 95))
    return asleep, asleep + timedelta(hours=value)


# MedicationStatements ----------------------------------------------------------------------


def _medication_statements(rng: random.Random, chart: Chart, visits: list[Visit]) -> list[Json]:
    """Two or three drugs started at intake or follow-up; the first is still taken."""
    drugs = rng.sample(DRUGS, rng.randint(2, 3))
    statuses = ["active", *(rng.choice(("active", "completed", "stopped")) for _ in drugs[1:])]
    return [
        _medication_statement(rng, chart, drug, status, rng.choice(visits[:2]))
        for drug, status in zip(drugs, statuses, strict=True)
    ]


def _medication_statement(
    rng: random.Random, chart: Chart, drug: Drug, status: str, visit: Visit
) -> Json:
    rx = {"system": RXNORM, "code": drug.rxnorm, "display": drug.display}
    prescriber = f"Practitioner/{_practitioner_id(chart.doctor)}"
    body: Json = {
        "status": status,
        "medicationCodeableConcept": {"coding": [rx], "text": drug.text},
        "subject": chart.subject,
        "context": visit.reference,
        "effectivePeriod": _taken(rng, visit.start.date(), status),
        "dateAsserted": chart.at(datetime.combine(ANCHOR - timedelta(days=1), time(19, 30))),
        "informationSource": {"reference": prescriber, "display": chart.doctor_name},
        "reasonCode": [{"text": drug.reason}],
        "dosage": [_dosage(drug)],
    }
    effects = rng.sample(drug.side_effects, rng.randint(0, 2))
    if effects:
        body["extension"] = [{"url": SIDE_EFFECT_URL, "valueString": e} for e in effects]
    if status == "stopped":
        reason = f"Stopped because of {effects[0].lower()}" if effects else "Stopped by prescriber"
        body["statusReason"] = [{"text": reason}]
    return body


def _taken(rng: random.Random, start: date, status: str) -> Json:
    """From the prescribing visit; completed and stopped drugs ended before the anchor."""
    period = {"start": start.isoformat()}
    if status != "active":
        end = min(start + timedelta(days=rng.randint(14, 60)), ANCHOR - timedelta(days=2))
        period["end"] = end.isoformat()
    return period


def _dosage(drug: Drug) -> Json:
    return {
        "text": f"{drug.dose} mg {TIMES_A_DAY[drug.per_day]}",
        "timing": {"repeat": {"frequency": drug.per_day, "period": 1, "periodUnit": "d"}},
        "route": {
            "coding": [{"system": SNOMED, "code": "26643006", "display": "Oral route"}],
            "text": "oral",
        },
        "doseAndRate": [
            {"doseQuantity": {"value": drug.dose, "unit": "mg", "system": UCUM, "code": "mg"}}
        ],
    }


# Helpers -----------------------------------------------------------------------------------


def _loinc(code: str, display: str, text: str) -> Json:
    return {"coding": [{"system": LOINC, "code": code, "display": display}], "text": text}


def _attender() -> Json:
    participation = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
    return {"coding": [{"system": participation, "code": "ATND", "display": "attender"}]}


def _rounded(value: float, decimals: int) -> float:
    """Rounded as a device reports it; whole numbers stay JSON integers."""
    return round(value, decimals) if decimals else round(value)


def _in_dst(day: date) -> bool:
    """US daylight saving time: second Sunday of March to first Sunday of November."""
    march, november = date(day.year, 3, 8), date(day.year, 11, 1)
    start = march + timedelta(days=(6 - march.weekday()) % 7)
    end = november + timedelta(days=(6 - november.weekday()) % 7)
    return start <= day < end
