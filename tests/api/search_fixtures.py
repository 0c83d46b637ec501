"""A small, deliberate population for search tests, loaded through the API with PUT.

Every record has a chosen id, so a search's answer is a sorted list of ids. What each record is
for (the spec example or edge it exercises) is noted beside it; the expectations in
test_search.py are derived from these by hand, so change both together.
"""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from gateway.jsonio import Json

BASE = "http://test/fhir"
MRN = "http://clinic.example/mrn"
SSN = "http://hl7.org/fhir/sid/us-ssn"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
XHTML = "http://www.w3.org/1999/xhtml"


def _concept(system: str | None, code: str, display: str, text: str | None = None) -> Json:
    coding: Json = {"code": code, "display": display}
    if system:
        coding = {"system": system, **coding}
    concept: Json = {"coding": [coding]}
    if text:
        concept["text"] = text
    return concept


def _category(code: str) -> list[Json]:
    return [{"coding": [{"system": CATEGORY, "code": code}]}]


def _quantity(value: float, unit: str, code: str | None = None) -> Json:
    quantity: Json = {"value": value, "unit": unit}
    if code:
        quantity.update(system=UCUM, code=code)
    return quantity


def _ref(reference: str) -> Json:
    return {"reference": reference}


# --- Patients -------------------------------------------------------------------------------
# Birth dates at three precisions (day, year, month) and one missing; genders incl. one missing;
# active true/false/missing; deceased as false, as a dateTime, as true.

MULLER: Json = {
    "resourceType": "Patient",
    "id": "pat-muller",
    "text": {"status": "generated", "div": f'<div xmlns="{XHTML}">Jürgen Karl Müller</div>'},
    "identifier": [
        {
            "use": "usual",
            "type": {"coding": [{"system": V2_0203, "code": "MR"}], "text": "Medical record"},
            "system": MRN,
            "value": "MRN-001",
        }
    ],
    "active": True,
    "name": [{"use": "official", "family": "Müller", "given": ["Jürgen", "Karl"]}],
    "telecom": [
        {"system": "phone", "value": "+49 30 5550101", "use": "home"},
        {"system": "email", "value": "j.mueller@example.de", "use": "work"},
    ],
    "gender": "male",
    "birthDate": "1974-12-25",
    "deceasedBoolean": False,
    "address": [
        {
            "use": "home",
            "line": ["Hauptstraße 5"],
            "city": "Berlin",
            "postalCode": "10115",
            "country": "DE",
        }
    ],
}
RIVERA: Json = {
    "resourceType": "Patient",
    "id": "pat-rivera",
    "identifier": [{"system": MRN, "value": "MRN-002"}],
    "active": True,
    "name": [
        {"use": "official", "family": "Rivera", "given": ["Ana", "María"]},
        {"use": "maiden", "family": "Castillo"},
    ],
    "telecom": [{"system": "email", "value": "ana.rivera@example.org"}],
    "gender": "female",
    "birthDate": "1980",
    "deceasedDateTime": "2021-03-04T10:00:00Z",
    "address": [{"city": "Boston", "state": "MA", "country": "US"}],
}
SMITH: Json = {
    "resourceType": "Patient",
    "id": "pat-smith",
    "identifier": [
        {
            "type": {"coding": [{"system": V2_0203, "code": "SS"}], "text": "Social Security"},
            "system": SSN,
            "value": "123-45-6789",
        },
        {"system": MRN, "value": "MRN-003"},
    ],
    "active": False,
    "name": [{"family": "Smith", "given": ["Eve"], "prefix": ["Dr."]}],
    "telecom": [{"system": "phone", "value": "555-0103", "use": "mobile"}],
    "gender": "female",
    "birthDate": "1980-06",
    "address": [{"line": ["1 Main St"], "city": "Cambridge", "state": "MA", "country": "US"}],
}
NG: Json = {
    "resourceType": "Patient",
    "id": "pat-ng",
    "name": [{"text": "Séverine Ng (guest)", "family": "Ng", "given": ["Séverine"]}],
    "deceasedBoolean": True,
}
PATIENTS = [MULLER, RIVERA, SMITH, NG]

# --- Encounters -----------------------------------------------------------------------------


def _encounter(
    id_: str,
    patient: str,
    status: str,
    class_code: str,
    *,
    period: Json | None = None,
    practitioner: str | None = None,
    type_: Json | None = None,
) -> Json:
    encounter: Json = {
        "resourceType": "Encounter",
        "id": id_,
        "status": status,
        "class": {"system": ACT_CODE, "code": class_code},
        "subject": _ref(f"Patient/{patient}"),
    }
    if type_:
        encounter["type"] = [type_]
    if practitioner:
        encounter["participant"] = [
            {
                "type": [_concept(PARTICIPATION, "PPRF", "primary performer")],
                "individual": _ref(f"Practitioner/{practitioner}"),
            }
        ]
    if period:
        encounter["period"] = period
    return encounter


CHECK_UP = _concept(SNOMED, "185349003", "Encounter for check up", "Check-up")
ADMISSION = _concept(SNOMED, "32485007", "Hospital admission", "Admission")
ENCOUNTERS = [
    _encounter("enc-1", "pat-muller", "finished", "AMB", practitioner="prac-1", type_=CHECK_UP,
               period={"start": "2013-01-14T09:00:00Z", "end": "2013-01-14T10:30:00Z"}),
    # Open-ended: started, not ended.
    _encounter("enc-2", "pat-rivera", "in-progress", "IMP", practitioner="prac-2",
               type_=ADMISSION, period={"start": "2020-02-01T08:00:00Z"}),
    _encounter("enc-3", "pat-smith", "finished", "AMB", type_=CHECK_UP,
               period={"start": "2013-01-15T10:00:00Z", "end": "2013-01-20T12:00:00Z"}),
    # No period at all.
    _encounter("enc-4", "pat-muller", "planned", "VR"),
]  # fmt: skip

# --- Observations ---------------------------------------------------------------------------
WEIGHT = _concept(LOINC, "29463-7", "Body weight", "Body weight")
HEART_RATE = _concept(LOINC, "8867-4", "Heart rate")
BP = _concept(LOINC, "85354-9", "Blood pressure panel", "Blood pressure")
SYSTOLIC = _concept(LOINC, "8480-6", "Systolic blood pressure")
DIASTOLIC = _concept(LOINC, "8462-4", "Diastolic blood pressure")
SMOKING = _concept(LOINC, "72166-2", "Tobacco smoking status")
GLUCOSE = _concept(LOINC, "2339-0", "Glucose [Mass/volume] in Blood")
NOTE = _concept(None, "note", "Free-text note")  # a coding without a system: `|note`


def _observation(
    id_: str,
    subject: str | None,
    code: Json,
    *,
    category: str | None = "vital-signs",
    status: str = "final",
    **elements: Any,
) -> Json:
    observation: Json = {"resourceType": "Observation", "id": id_, "status": status}
    if category:
        observation["category"] = _category(category)
    observation["code"] = code
    if subject:
        observation["subject"] = _ref(subject)
    observation.update(elements)
    return observation


def _bp(systolic: int, diastolic: int) -> list[Json]:
    return [
        {"code": SYSTOLIC, "valueQuantity": _quantity(systolic, "mmHg", "mm[Hg]")},
        {"code": DIASTOLIC, "valueQuantity": _quantity(diastolic, "mmHg", "mm[Hg]")},
    ]


def _flag(code: str) -> list[Json]:
    return [{"coding": [{"system": INTERPRETATION, "code": code}]}]


OBSERVATIONS = [
    # The spec's eq2013-01-14 examples: 2013-01-14T00:00 and T10:00 match, 2013-01-15T00:00 not.
    _observation("obs-hr-1", "Patient/pat-muller", HEART_RATE,
                 effectiveDateTime="2013-01-14T00:00:00Z",
                 valueQuantity=_quantity(72, "beats/minute", "/min")),
    _observation("obs-bp-1", "Patient/pat-muller", BP, encounter=_ref("Encounter/enc-1"),
                 effectivePeriod={"start": "2013-01-14T09:30:00Z", "end": "2013-01-14T09:35:00Z"},
                 component=_bp(120, 80), interpretation=_flag("N")),
    _observation("obs-weight-1", "Patient/pat-muller", WEIGHT, encounter=_ref("Encounter/enc-1"),
                 effectiveDateTime="2013-01-14T10:00:00Z",
                 valueQuantity=_quantity(85.4, "kg", "kg")),
    _observation("obs-hr-2", "Patient/pat-muller", HEART_RATE,
                 effectiveDateTime="2013-01-15T00:00:00Z",
                 valueQuantity=_quantity(80, "beats/minute", "/min")),
    # A partial date: the whole month of May 2019.
    _observation("obs-weight-2", "Patient/pat-muller", WEIGHT, effectiveDateTime="2019-05",
                 valueQuantity=_quantity(86, "kg", "kg")),
    # A year, and a CodeableConcept value.
    _observation("obs-smoking", "Patient/pat-smith", SMOKING, category="social-history",
                 effectiveDateTime="2019",
                 valueCodeableConcept=_concept(SNOMED, "8517006", "Ex-smoker", "Former smoker")),
    # An instant, and the subject as an absolute URL on our own base.
    _observation("obs-bp-2", f"{BASE}/Patient/pat-rivera", BP, encounter=_ref("Encounter/enc-2"),
                 effectiveInstant="2020-02-01T09:00:00.000Z", component=_bp(150, 95),
                 interpretation=_flag("H")),
    # The spec's quantity examples: 5.4 mg in UCUM; 5.35 with only a human unit; 5.45 outside.
    _observation("obs-glu-a", "Patient/pat-rivera", GLUCOSE, category="laboratory",
                 effectivePeriod={"start": "2020-02-01T08:00:00Z"},
                 valueQuantity=_quantity(5.4, "mg", "mg")),
    _observation("obs-glu-b", "Patient/pat-rivera", GLUCOSE, category="laboratory",
                 effectiveDateTime="2020-02-03", valueQuantity=_quantity(5.35, "mg")),
    _observation("obs-glu-c", "Patient/pat-smith", GLUCOSE, category="laboratory",
                 status="preliminary", effectiveDateTime="2021-07-01T12:00:00+02:00",
                 valueQuantity=_quantity(5.45, "mg", "mg")),
    # No category, no effective[x]; a value with a comma; a code without a system.
    _observation("obs-note", "Patient/pat-ng", NOTE, category=None,
                 valueString="Feels well, sleeps poorly"),
    # The subject is a Group, not a Patient.
    _observation("obs-group", "Group/grp-1", WEIGHT, effectiveDateTime="2022-01-01",
                 valueQuantity=_quantity(70, "kg", "kg")),
]  # fmt: skip

# --- Medication statements ------------------------------------------------------------------
MEDICATION_STATEMENTS = [
    {
        "resourceType": "MedicationStatement",
        "id": "med-1",
        "status": "active",
        "medicationCodeableConcept": _concept(RXNORM, "197361", "Amlodipine 5 MG Oral Tablet"),
        "subject": _ref("Patient/pat-muller"),
        "context": _ref("Encounter/enc-1"),
        "effectivePeriod": {"start": "2019-05-01"},
    },
    {
        "resourceType": "MedicationStatement",
        "id": "med-2",
        "status": "completed",
        "medicationCodeableConcept": _concept(RXNORM, "308136", "Amlodipine 2.5 MG Oral Tablet"),
        "subject": _ref("Patient/pat-rivera"),
        "effectiveDateTime": "2020-02-01",
    },
    {
        "resourceType": "MedicationStatement",
        "id": "med-3",
        "status": "active",
        "medicationReference": _ref("Medication/medication-9"),
        "subject": _ref("Patient/pat-smith"),
    },
]

POPULATION: list[Json] = [*PATIENTS, *ENCOUNTERS, *OBSERVATIONS, *MEDICATION_STATEMENTS]


def patient(id_: str, family: str, *, birth_date: str | None = None) -> Json:
    """A bare Patient for tests that write their own records."""
    resource: Json = {"resourceType": "Patient", "id": id_, "name": [{"family": family}]}
    if birth_date:
        resource["birthDate"] = birth_date
    return resource


async def put(api: AsyncClient, resource: Json) -> Json:
    """Create or update `resource` at its own id; the stored resource as answered."""
    response = await api.put(f"/{resource['resourceType']}/{resource['id']}", json=resource)
    assert response.status_code in (200, 201), response.text
    stored: Json = response.json()
    return stored


async def load(api: AsyncClient, resources: list[Json] | None = None) -> dict[str, Json]:
    """PUT every resource (the whole population by default); stored resources by `Type/id`."""
    stored = {}
    for resource in POPULATION if resources is None else resources:
        answer = await put(api, resource)
        stored[f"{answer['resourceType']}/{answer['id']}"] = answer
    return stored


def ids_of(resource_type: str) -> list[str]:
    return sorted(r["id"] for r in POPULATION if r["resourceType"] == resource_type)
