"""Derived views: domain facts each mapper's `derive` computes from the mapped elements at write
time.

Inputs are checked with `mappers.r4.validate` first, so every row is a resource a client may send.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.domain.base import TimeRange
from gateway.domain.medication_statement import Dose
from gateway.domain.patient import EmergencyContact, Insurance
from gateway.jsonio import Json
from mappers.medication_statement import SIDE_EFFECT_URL
from mappers.observation import INTERPRETATION
from mappers.patient import CONTACT_ROLE
from mappers.r4 import validate
from mappers.registry import MAPPERS

COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "resources"


def mapped(resource: Json) -> Any:
    validate(resource)
    return MAPPERS[resource["resourceType"]].from_fhir(resource)


def observation(**elements: Any) -> Json:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "Weight"},
        **elements,
    }


def patient(**elements: Any) -> Json:
    return {"resourceType": "Patient", **elements}


def medication_statement(**elements: Any) -> Json:
    return {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": {"text": "Metformin"},
        "subject": {"reference": "Patient/pat-ada"},
        **elements,
    }


def encounter(**elements: Any) -> Json:
    return {"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}, **elements}


def interpretation(code: str, system: str | None = INTERPRETATION) -> Json:
    coding = {"code": code} if system is None else {"system": system, "code": code}
    return {"coding": [coding]}


# Observation


@pytest.mark.parametrize(
    ("interpretations", "flag"),
    [
        pytest.param([interpretation("L")], "low", id="L"),
        pytest.param([interpretation("N")], "normal", id="N"),
        pytest.param([interpretation("H")], "high", id="H"),
        pytest.param([interpretation("LL")], "critical-low", id="LL"),
        pytest.param([interpretation("HH")], "critical-high", id="HH"),
        pytest.param([interpretation("LU")], "critical-low", id="LU"),
        pytest.param([interpretation("HU")], "critical-high", id="HU"),
        pytest.param([interpretation("A")], "abnormal", id="A"),
        pytest.param([interpretation("AA")], "abnormal", id="AA"),
        pytest.param([interpretation("POS")], None, id="code-without-flag"),
        pytest.param([interpretation("H", "http://example.org/flags")], None, id="other-system"),
        pytest.param([interpretation("H", None)], None, id="no-system"),
        pytest.param([{"text": "High"}], None, id="text-only"),
        pytest.param(
            [
                interpretation("POS"),
                interpretation("H", "http://example.org/flags"),
                interpretation("LL"),
            ],
            "critical-low",
            id="first-flagging-code-wins",
        ),
        pytest.param(
            [
                {
                    "coding": [
                        {"system": INTERPRETATION, "code": "N"},
                        {"system": INTERPRETATION, "code": "H"},
                    ]
                }
            ],
            "normal",
            id="first-coding-wins",
        ),
    ],
)
def test_observation_flag_comes_from_interpretation_codes(
    interpretations: list[Json], flag: str | None
) -> None:
    assert mapped(observation(interpretation=interpretations)).flag == flag


def test_observation_without_interpretation_has_no_flag() -> None:
    assert mapped(observation()).flag is None


def test_component_interpretation_does_not_flag_the_observation() -> None:
    component = {"code": {"text": "Systolic"}, "valueQuantity": {"value": 182}}
    resource = observation(component=[{**component, "interpretation": [interpretation("HH")]}])

    assert mapped(resource).flag is None


@pytest.mark.parametrize(
    ("elements", "source"),
    [
        pytest.param({"device": {"display": "Withings Body+"}}, "withings", id="device-display"),
        pytest.param({"device": {"display": "Apple Watch Series 9"}}, "apple_health", id="apple"),
        pytest.param({"device": {"display": "WHOOP 4.0 strap"}}, "whoop", id="whoop"),
        pytest.param({"device": {"display": "Oura Ring Gen3"}}, "oura", id="oura"),
        pytest.param({"device": {"display": "Garmin Venu 3"}}, "garmin", id="garmin"),
        pytest.param(
            {"device": {"reference": "Device/fitbit-charge-6"}}, "fitbit", id="device-reference"
        ),
        pytest.param(
            {"meta": {"source": "https://cloud.ouraring.com/v2"}}, "oura", id="meta-source"
        ),
        pytest.param({"meta": {"source": "com.apple.HealthKit"}}, "apple_health", id="healthkit"),
        pytest.param({"meta": {"source": "urn:app:manual-entry"}}, "manual", id="manual"),
        pytest.param(
            {
                "device": {"display": "Garmin Index scale"},
                "meta": {"source": "https://api.withings.net"},
            },
            "garmin",
            id="device-before-meta-source",
        ),
        pytest.param(
            {"device": {"display": "Omron cuff"}, "meta": {"source": "https://api.withings.net"}},
            "withings",
            id="meta-source-when-device-unknown",
        ),
        pytest.param({"device": {"display": "Omron cuff"}}, None, id="unknown-device"),
        pytest.param({"device": {"display": "Pineapple sensor"}}, None, id="word-inside-a-word"),
        pytest.param({"device": {"display": "Whoopee cushion"}}, None, id="word-as-a-prefix"),
        pytest.param({"meta": {"source": "urn:app:manually-typed"}}, None, id="longer-word"),
        pytest.param(
            {"device": {"display": "Pineapple sensor"}, "meta": {"source": "apple_health_export"}},
            "apple_health",
            id="underscore-separates-words",
        ),
        pytest.param({"device": {"display": "FITBIT Sense"}}, "fitbit", id="any-case"),
        pytest.param({"device": {"reference": "Device/garmin"}}, "garmin", id="word-at-the-end"),
        pytest.param({"meta": {"source": "https://ehr.example.org"}}, None, id="unknown-source"),
        pytest.param({}, None, id="neither"),
    ],
)
def test_observation_source_comes_from_device_or_meta_source(
    elements: Json, source: str | None
) -> None:
    assert mapped(observation(**elements)).source == source


@pytest.mark.parametrize(
    ("reference", "patient_id"),
    [
        pytest.param({"reference": "Patient/pat-ada"}, "pat-ada", id="relative"),
        pytest.param(
            {"reference": "https://ehr.example.org/fhir/Patient/pat-ada"}, "pat-ada", id="absolute"
        ),
        pytest.param({"reference": "Patient/pat-ada/_history/2"}, "pat-ada", id="versioned"),
        pytest.param(
            {"reference": "https://ehr.example.org/fhir/Patient/pat-ada/_history/2"},
            "pat-ada",
            id="absolute-versioned",
        ),
        pytest.param({"reference": "#p1"}, None, id="contained"),
        pytest.param(
            {"reference": "urn:uuid:6b2d1f0e-8e4b-4c8e-9a51-0c2d5a3c9e11"}, None, id="urn-uuid"
        ),
        pytest.param({"reference": "Group/cohort-7"}, None, id="not-a-patient"),
        pytest.param(
            {"type": "Patient", "identifier": {"system": "urn:oid:1.2.3", "value": "77"}},
            None,
            id="logical-reference",
        ),
        pytest.param({"display": "Ada Okafor"}, None, id="display-only"),
    ],
)
def test_observation_patient_id_comes_from_subject_reference(
    reference: Json, patient_id: str | None
) -> None:
    contained = [{"resourceType": "Patient", "id": "p1"}]
    assert mapped(observation(subject=reference, contained=contained)).patient_id == patient_id


@pytest.mark.parametrize(
    ("reference", "encounter_id"),
    [
        pytest.param({"reference": "Encounter/enc-1"}, "enc-1", id="relative"),
        pytest.param(
            {"reference": "http://ehr.example.org/fhir/Encounter/enc-1"}, "enc-1", id="absolute"
        ),
        pytest.param({"reference": "Encounter/enc-1/_history/3"}, "enc-1", id="versioned"),
        pytest.param({"reference": "#e1"}, None, id="contained"),
        pytest.param({"reference": "EpisodeOfCare/eoc-1"}, None, id="not-an-encounter"),
    ],
)
def test_observation_encounter_id_comes_from_encounter_reference(
    reference: Json, encounter_id: str | None
) -> None:
    contained = [
        {"resourceType": "Encounter", "id": "e1", "status": "finished", "class": {"code": "AMB"}}
    ]
    resource = observation(encounter=reference, contained=contained)

    assert mapped(resource).encounter_id == encounter_id


@pytest.mark.parametrize(
    ("elements", "effective"),
    [
        pytest.param(
            {"effectiveDateTime": "2024-01-15T07:02:13-05:00"},
            TimeRange(start=datetime(2024, 1, 15, 12, 2, 13), end=datetime(2024, 1, 15, 12, 2, 14)),
            id="date-time-with-offset",
        ),
        pytest.param(
            {"effectiveDateTime": "2019-05"},
            TimeRange(start=datetime(2019, 5, 1), end=datetime(2019, 6, 1)),
            id="month",
        ),
        pytest.param(
            {"effectiveInstant": "2024-02-29T23:59:59.123+01:00"},
            TimeRange(
                start=datetime(2024, 2, 29, 22, 59, 59, 123000),
                end=datetime(2024, 2, 29, 22, 59, 59, 124000),
            ),
            id="instant",
        ),
        pytest.param(
            {"effectivePeriod": {"start": "2019-05", "end": "2019-06-02"}},
            TimeRange(start=datetime(2019, 5, 1), end=datetime(2019, 6, 3)),
            id="period",
        ),
        pytest.param(
            {"effectivePeriod": {"start": "2024-06-01T00:00:00Z"}},
            TimeRange(start=datetime(2024, 6, 1)),
            id="open-period",
        ),
        pytest.param(
            {"effectiveTiming": {"event": ["2024-04-01T09:00:00+02:00"]}}, None, id="timing"
        ),
        pytest.param({}, None, id="none"),
    ],
)
def test_observation_effective_is_the_utc_range(
    elements: Json, effective: TimeRange | None
) -> None:
    assert mapped(observation(**elements)).effective == effective


# Patient


def contact(**elements: Any) -> Json:
    return {"name": {"given": ["Chioma"], "family": "Okafor"}, **elements}


EMERGENCY = {"coding": [{"system": CONTACT_ROLE, "code": "C", "display": "Emergency Contact"}]}
BARE_EMERGENCY = {"coding": [{"system": CONTACT_ROLE, "code": "C"}]}
DAUGHTER = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
            "code": "DAU",
            "display": "daughter",
        }
    ]
}


@pytest.mark.parametrize(
    ("contacts", "emergency_contacts"),
    [
        pytest.param(
            [
                contact(
                    relationship=[EMERGENCY], telecom=[{"system": "phone", "value": "+1 555 0199"}]
                )
            ],
            [
                EmergencyContact(
                    name="Chioma Okafor", relationship="Emergency Contact", phone="+1 555 0199"
                )
            ],
            id="v2-0131-C",
        ),
        pytest.param(
            [contact(relationship=[{"text": "Emergency contact (brother)"}])],
            [EmergencyContact(name="Chioma Okafor", relationship="Emergency contact (brother)")],
            id="relationship-text-says-emergency",
        ),
        pytest.param(
            [
                contact(
                    relationship=[
                        {
                            "coding": [
                                {
                                    "system": "http://example.org/roles",
                                    "code": "x",
                                    "display": "EMERGENCY",
                                }
                            ]
                        }
                    ]
                )
            ],
            [EmergencyContact(name="Chioma Okafor", relationship="EMERGENCY")],
            id="relationship-display-says-emergency",
        ),
        pytest.param(
            [
                contact(
                    relationship=[EMERGENCY],
                    telecom=[
                        {"system": "email", "value": "chioma@example.org"},
                        {"system": "sms", "value": "+1 555 0142"},
                        {"system": "phone", "value": "+1 555 0199"},
                    ],
                )
            ],
            [
                EmergencyContact(
                    name="Chioma Okafor", relationship="Emergency Contact", phone="+1 555 0142"
                )
            ],
            id="first-phone-or-sms",
        ),
        pytest.param(
            [contact(relationship=[EMERGENCY], name={"text": "Ms C. Okafor", "family": "Okafor"})],
            [EmergencyContact(name="Ms C. Okafor", relationship="Emergency Contact")],
            id="name-text-wins",
        ),
        pytest.param(
            [
                contact(
                    relationship=[EMERGENCY],
                    name={
                        "given": ["Chioma", None],
                        "_given": [None, {"id": "g"}],
                        "family": "Okafor",
                    },
                )
            ],
            [EmergencyContact(name="Chioma Okafor", relationship="Emergency Contact")],
            id="null-given-skipped",
        ),
        pytest.param(
            [{"relationship": [EMERGENCY], "organization": {"display": "Harbour Care Ltd"}}],
            [EmergencyContact(relationship="Emergency Contact")],
            id="no-name",
        ),
        pytest.param(
            [
                contact(relationship=[{"text": "Landlord"}]),
                contact(relationship=[EMERGENCY], name={"given": ["Erik"]}),
            ],
            [EmergencyContact(name="Erik", relationship="Emergency Contact")],
            id="only-emergency-contacts",
        ),
        pytest.param(
            [contact(relationship=[BARE_EMERGENCY, DAUGHTER])],
            [EmergencyContact(name="Chioma Okafor", relationship="daughter")],
            id="other-relationship-before-the-role",
        ),
        pytest.param(
            [contact(relationship=[EMERGENCY, DAUGHTER])],
            [EmergencyContact(name="Chioma Okafor", relationship="daughter")],
            id="other-relationship-before-the-role-display",
        ),
        pytest.param(
            [
                contact(
                    relationship=[{"coding": [BARE_EMERGENCY["coding"][0], DAUGHTER["coding"][0]]}]
                )
            ],
            [EmergencyContact(name="Chioma Okafor", relationship="daughter")],
            id="other-coding-in-the-same-concept",
        ),
        pytest.param(
            [contact(relationship=[{**EMERGENCY, "text": "Brother"}])],
            [EmergencyContact(name="Chioma Okafor", relationship="Brother")],
            id="role-with-text",
        ),
        pytest.param(
            [contact(relationship=[BARE_EMERGENCY])],
            [EmergencyContact(name="Chioma Okafor", relationship="C")],
            id="bare-role-alone",
        ),
        pytest.param([contact(relationship=[{"text": "Landlord"}])], None, id="none-is-emergency"),
        pytest.param([contact()], None, id="no-relationship"),
    ],
)
def test_patient_emergency_contacts_come_from_contacts(
    contacts: list[Json], emergency_contacts: list[EmergencyContact] | None
) -> None:
    assert mapped(patient(contact=contacts)).emergency_contacts == emergency_contacts


def test_golden_patient_emergency_contact_is_the_daughter() -> None:
    resource = json.loads(
        (GOLDEN / "patient-primitive-extensions.json").read_text(encoding="utf-8")
    )

    assert mapped(resource).emergency_contacts == [
        EmergencyContact(name="Chioma N. Okafor", relationship="daughter", phone="+1 555 0199")
    ]


def test_patient_without_contacts_has_no_emergency_contacts() -> None:
    assert mapped(patient()).emergency_contacts is None


def coverage(**elements: Any) -> Json:
    return {
        "resourceType": "Coverage",
        "id": "cov1",
        "status": "active",
        "beneficiary": {"reference": "#"},
        "payor": [{"display": "Northwind Health Plan"}],
        **elements,
    }


def coverage_class(code: str, value: str) -> Json:
    return {"type": {"coding": [{"system": COVERAGE_CLASS, "code": code}]}, "value": value}


@pytest.mark.parametrize(
    ("contained", "insurance"),
    [
        pytest.param(
            [
                coverage(
                    subscriberId="POL-1",
                    **{
                        "class": [
                            coverage_class("plan", "SILVER"),
                            coverage_class("group", "GRP-7"),
                        ]
                    },
                )
            ],
            [
                Insurance(
                    provider="Northwind Health Plan", policy_number="POL-1", group_number="GRP-7"
                )
            ],
            id="payor-subscriber-group",
        ),
        pytest.param(
            [coverage()],
            [Insurance(provider="Northwind Health Plan")],
            id="no-subscriber-no-group",
        ),
        pytest.param(
            [coverage(payor=[{"reference": "Organization/northwind"}])],
            [Insurance()],
            id="payor-without-display",
        ),
        pytest.param(
            [
                coverage(subscriberId="A"),
                coverage(id="cov2", subscriberId="B", payor=[{"display": "Contoso Mutual"}]),
            ],
            [
                Insurance(provider="Northwind Health Plan", policy_number="A"),
                Insurance(provider="Contoso Mutual", policy_number="B"),
            ],
            id="two-coverages",
        ),
        pytest.param(
            [{"resourceType": "Organization", "id": "org", "name": "Northwind"}],
            None,
            id="no-coverage",
        ),
    ],
)
def test_patient_insurance_comes_from_contained_coverage(
    contained: list[Json], insurance: list[Insurance] | None
) -> None:
    assert mapped(patient(contained=contained)).insurance == insurance


# MedicationStatement


@pytest.mark.parametrize(
    ("elements", "medication"),
    [
        pytest.param(
            {
                "medicationCodeableConcept": {
                    "text": "Ibuprofen 600 mg",
                    "coding": [{"display": "ibuprofen"}],
                }
            },
            "Ibuprofen 600 mg",
            id="concept-text",
        ),
        pytest.param(
            {
                "medicationCodeableConcept": {
                    "coding": [{"code": "197806"}, {"display": "ibuprofen 600 MG Oral Tablet"}]
                }
            },
            "ibuprofen 600 MG Oral Tablet",
            id="concept-display",
        ),
        pytest.param(
            {
                "medicationCodeableConcept": {
                    "coding": [
                        {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "197806"}
                    ]
                }
            },
            "197806",
            id="concept-code",
        ),
        pytest.param(
            {"medicationReference": {"reference": "Medication/met", "display": "Metformin 500 mg"}},
            "Metformin 500 mg",
            id="reference-display",
        ),
        pytest.param(
            {"medicationReference": {"reference": "Medication/met"}},
            None,
            id="reference-without-display",
        ),
    ],
)
def test_medication_statement_medication_is_the_label(
    elements: Json, medication: str | None
) -> None:
    resource = medication_statement()
    del resource["medicationCodeableConcept"]

    assert mapped({**resource, **elements}).medication == medication


def dosage(**elements: Any) -> Json:
    return {"text": "as directed", **elements}


@pytest.mark.parametrize(
    ("dosages", "dose"),
    [
        pytest.param(
            [dosage(doseAndRate=[{"doseQuantity": {"value": 500, "unit": "mg", "code": "mg"}}])],
            Dose(value=500, unit="mg"),
            id="dose-quantity",
        ),
        pytest.param(
            [
                dosage(
                    doseAndRate=[
                        {
                            "doseQuantity": {
                                "value": 2.5,
                                "system": "http://unitsofmeasure.org",
                                "code": "mL",
                            }
                        }
                    ]
                )
            ],
            Dose(value=2.5, unit="mL"),
            id="unit-from-code",
        ),
        pytest.param(
            [
                dosage(
                    doseAndRate=[
                        {"doseRange": {"low": {"value": 1}, "high": {"value": 2}}},
                        {"doseQuantity": {"value": 1, "unit": "tablet"}},
                    ]
                )
            ],
            Dose(value=1, unit="tablet"),
            id="first-dose-quantity",
        ),
        pytest.param(
            [dosage(doseAndRate=[{"doseRange": {"low": {"value": 1}, "high": {"value": 2}}}])],
            None,
            id="range-only",
        ),
        pytest.param(
            [dosage(), dosage(doseAndRate=[{"doseQuantity": {"value": 1000, "unit": "mg"}}])],
            None,
            id="only-the-first-dosage",
        ),
    ],
)
def test_medication_statement_dose_comes_from_the_first_dosage(
    dosages: list[Json], dose: Dose | None
) -> None:
    assert mapped(medication_statement(dosage=dosages)).dose == dose


@pytest.mark.parametrize(
    ("timing", "frequency"),
    [
        pytest.param(
            {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
            "2 per 1 d",
            id="twice-a-day",
        ),
        pytest.param(
            {"repeat": {"frequency": 1, "period": 0.5, "periodUnit": "h"}},
            "1 per 0.5 h",
            id="fractional-period",
        ),
        pytest.param({"repeat": {"frequency": 3, "period": 1}}, "3 per 1", id="no-period-unit"),
        pytest.param(
            {
                "code": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                            "code": "BID",
                        }
                    ]
                }
            },
            "BID",
            id="timing-code",
        ),
        pytest.param(
            {"repeat": {"frequency": 2}, "code": {"text": "twice daily"}},
            "twice daily",
            id="code-when-repeat-has-no-period",
        ),
        pytest.param({"repeat": {"when": ["HS"]}}, None, id="neither"),
    ],
)
def test_medication_statement_frequency_comes_from_timing(
    timing: Json, frequency: str | None
) -> None:
    assert mapped(medication_statement(dosage=[dosage(timing=timing)])).frequency == frequency


def test_medication_statement_dosage_text_is_the_first_dosage_text() -> None:
    resource = medication_statement(
        dosage=[dosage(text="500 mg twice a day"), dosage(text="1 g at night")]
    )

    assert mapped(resource).dosage_text == "500 mg twice a day"


def test_medication_statement_without_dosage_has_no_dosage_views() -> None:
    record = mapped(medication_statement())

    assert (record.dosage_text, record.dose, record.frequency) == (None, None, None)


@pytest.mark.parametrize(
    ("elements", "taken"),
    [
        pytest.param(
            {"effectivePeriod": {"start": "2023-12", "end": "2024-06-30"}},
            TimeRange(start=datetime(2023, 12, 1), end=datetime(2024, 7, 1)),
            id="period",
        ),
        pytest.param(
            {"effectivePeriod": {"start": "2024-01-01"}},
            TimeRange(start=datetime(2024, 1, 1)),
            id="ongoing",
        ),
        pytest.param(
            {"effectiveDateTime": "2024-02-14T18:20:00+05:30"},
            TimeRange(start=datetime(2024, 2, 14, 12, 50), end=datetime(2024, 2, 14, 12, 50, 1)),
            id="date-time-with-offset",
        ),
        pytest.param(
            {"effectivePeriod": {"start": "2020-01-01", "end": "9999-12-31"}},
            TimeRange(start=datetime(2020, 1, 1), end=datetime(9999, 12, 31, 23, 59, 59, 999000)),
            id="open-end-sentinel-clamped",
        ),
        pytest.param({}, None, id="none"),
    ],
)
def test_medication_statement_taken_is_the_effective_range(
    elements: Json, taken: TimeRange | None
) -> None:
    assert mapped(medication_statement(**elements)).taken == taken


@pytest.mark.parametrize(
    ("source", "prescriber"),
    [
        pytest.param(
            {"reference": "Practitioner/dr-lee", "display": "Dr. Lee"},
            "Dr. Lee",
            id="practitioner-display",
        ),
        pytest.param(
            {"reference": "Practitioner/dr-lee"}, "Practitioner/dr-lee", id="practitioner-reference"
        ),
        pytest.param(
            {"reference": "PractitionerRole/gp-4"}, "PractitionerRole/gp-4", id="practitioner-role"
        ),
        pytest.param(
            {"reference": "Patient/pat-ada", "display": "Ada"}, None, id="patient-self-report"
        ),
        pytest.param(
            {"reference": "RelatedPerson/rp-1", "display": "Chioma"}, None, id="related-person"
        ),
        pytest.param({"display": "Dr. Lee"}, None, id="display-only"),
        pytest.param(
            {"reference": "https://ehr.example.org/fhir/Practitioner/dr-lee", "display": "Dr. Lee"},
            "Dr. Lee",
            id="absolute-practitioner-url",
        ),
        pytest.param(
            {"reference": "https://ehr.example.org/fhir/PractitionerRole/gp-4/_history/2"},
            "https://ehr.example.org/fhir/PractitionerRole/gp-4/_history/2",
            id="absolute-versioned-practitioner-role",
        ),
        pytest.param(
            {"reference": "https://ehr.example.org/fhir/RelatedPerson/Practitioner-1"},
            None,
            id="absolute-related-person-with-practitioner-in-id",
        ),
        pytest.param(
            {"reference": "PractitionerX/1", "display": "Not a clinician"},
            None,
            id="type-sharing-the-prefix",
        ),
        pytest.param({"type": "Practitioner", "display": "Dr. Lee"}, "Dr. Lee", id="type-element"),
    ],
)
def test_medication_statement_prescriber_is_a_practitioner_information_source(
    source: Json, prescriber: str | None
) -> None:
    assert mapped(medication_statement(informationSource=source)).prescriber == prescriber


def side_effect(**value: Any) -> Json:
    return {"url": SIDE_EFFECT_URL, **value}


@pytest.mark.parametrize(
    ("extensions", "side_effects"),
    [
        pytest.param([side_effect(valueString="Nausea")], ["Nausea"], id="string"),
        pytest.param(
            [
                side_effect(
                    valueCodeableConcept={
                        "coding": [
                            {
                                "system": "http://snomed.info/sct",
                                "code": "62315008",
                                "display": "Diarrhea",
                            }
                        ]
                    }
                )
            ],
            ["Diarrhea"],
            id="codeable-concept",
        ),
        pytest.param(
            [
                side_effect(valueString="Nausea"),
                {"url": "http://example.org/adherence", "valueDecimal": 0.9},
                side_effect(valueCodeableConcept={"text": "Dizziness"}),
            ],
            ["Nausea", "Dizziness"],
            id="in-order-other-extensions-ignored",
        ),
        pytest.param(
            [{"url": "http://example.org/adherence", "valueDecimal": 0.9}], None, id="none"
        ),
    ],
)
def test_medication_statement_side_effects_come_from_the_extension(
    extensions: list[Json], side_effects: list[str] | None
) -> None:
    assert mapped(medication_statement(extension=extensions)).side_effects == side_effects


@pytest.mark.parametrize(
    ("elements", "ids"),
    [
        pytest.param(
            {
                "subject": {"reference": "Patient/pat-ada"},
                "context": {"reference": "Encounter/enc-1"},
            },
            ("pat-ada", "enc-1"),
            id="relative",
        ),
        pytest.param(
            {
                "subject": {"reference": "https://ehr.example.org/fhir/Patient/pat-ada/_history/2"},
                "context": {"reference": "EpisodeOfCare/eoc-1"},
            },
            ("pat-ada", None),
            id="absolute-versioned-and-episode",
        ),
        pytest.param({"subject": {"reference": "Group/g1"}}, (None, None), id="group"),
    ],
)
def test_medication_statement_patient_and_encounter_ids(
    elements: Json, ids: tuple[str | None, str | None]
) -> None:
    record = mapped(medication_statement(**elements))

    assert (record.patient_id, record.encounter_id) == ids


# Encounter


@pytest.mark.parametrize(
    ("participants", "practitioner"),
    [
        pytest.param(
            [{"individual": {"reference": "Practitioner/dr-lee", "display": "Dr. Lee"}}],
            "Dr. Lee",
            id="display",
        ),
        pytest.param(
            [{"individual": {"reference": "Practitioner/dr-lee"}}],
            "Practitioner/dr-lee",
            id="reference",
        ),
        pytest.param(
            [
                {"type": [{"text": "translator"}]},
                {"individual": {"reference": "PractitionerRole/r1"}},
            ],
            "PractitionerRole/r1",
            id="skips-participant-without-individual",
        ),
        pytest.param([{"type": [{"text": "translator"}]}], None, id="no-individual"),
        pytest.param(
            [
                {
                    "individual": {
                        "reference": "RelatedPerson/rp-erik",
                        "display": "Erik (interpreter)",
                    }
                },
                {"individual": {"reference": "Practitioner/dr-sato", "display": "Dr. Sato"}},
            ],
            "Dr. Sato",
            id="related-person-is-not-a-practitioner",
        ),
        pytest.param(
            [
                {"individual": {"reference": "Patient/pat-ada", "display": "Ada"}},
                {"individual": {"reference": "RelatedPerson/rp-erik", "display": "Erik"}},
            ],
            None,
            id="patient-and-related-person-only",
        ),
        pytest.param(
            [
                {"individual": {"display": "Dr. Sato"}},
                {"individual": {"reference": "https://ehr.example.org/fhir/Practitioner/dr-lee"}},
            ],
            "https://ehr.example.org/fhir/Practitioner/dr-lee",
            id="absolute-practitioner-before-display-only",
        ),
        pytest.param(
            [
                {"individual": {"type": "RelatedPerson", "display": "Erik (interpreter)"}},
                {"individual": {"display": "Dr. Sato"}},
            ],
            "Dr. Sato",
            id="display-only-fallback",
        ),
        pytest.param(
            [{"individual": {"type": "PractitionerRole", "display": "On-call GP"}}],
            "On-call GP",
            id="type-element",
        ),
    ],
)
def test_encounter_practitioner_comes_from_participants(
    participants: list[Json], practitioner: str | None
) -> None:
    assert mapped(encounter(participant=participants)).practitioner == practitioner


@pytest.mark.parametrize(
    ("elements", "facility"),
    [
        pytest.param(
            {
                "serviceProvider": {
                    "reference": "Organization/clinic",
                    "display": "Harbour Clinic",
                },
                "location": [{"location": {"display": "Ward 4B"}}],
            },
            "Harbour Clinic",
            id="service-provider-first",
        ),
        pytest.param(
            {"location": [{"location": {"reference": "Location/ward-4b", "display": "Ward 4B"}}]},
            "Ward 4B",
            id="location-display",
        ),
        pytest.param(
            {"location": [{"location": {"reference": "Location/ward-4b"}}]},
            "Location/ward-4b",
            id="location-reference",
        ),
        pytest.param(
            {
                "serviceProvider": {"identifier": {"value": "org-7"}},
                "location": [{"location": {"display": "Room 12"}}],
            },
            "Room 12",
            id="skips-service-provider-without-reference-or-display",
        ),
        pytest.param({}, None, id="none"),
    ],
)
def test_encounter_facility_comes_from_service_provider_or_location(
    elements: Json, facility: str | None
) -> None:
    assert mapped(encounter(**elements)).facility == facility


@pytest.mark.parametrize(
    ("elements", "when"),
    [
        pytest.param(
            {"period": {"start": "2019-05", "end": "2019-06-02"}},
            TimeRange(start=datetime(2019, 5, 1), end=datetime(2019, 6, 3)),
            id="partial-dates",
        ),
        pytest.param(
            {"period": {"start": "2024-03-10T16:45:00+09:00"}},
            TimeRange(start=datetime(2024, 3, 10, 7, 45)),
            id="open-end-with-offset",
        ),
        pytest.param(
            {"period": {"end": "2024"}},
            TimeRange(end=datetime(2025, 1, 1)),
            id="open-start",
        ),
        pytest.param({}, None, id="no-period"),
    ],
)
def test_encounter_when_is_the_period_range(elements: Json, when: TimeRange | None) -> None:
    assert mapped(encounter(**elements)).when == when


def test_encounter_patient_id_comes_from_subject() -> None:
    resource = encounter(subject={"reference": "https://ehr.example.org/fhir/Patient/pat-bo"})

    assert mapped(resource).patient_id == "pat-bo"


@pytest.mark.parametrize("resource_type", sorted(MAPPERS))
def test_derived_views_are_not_written_back_to_fhir(resource_type: str) -> None:
    resource = {
        "Patient": patient(contact=[contact(relationship=[EMERGENCY])], contained=[coverage()]),
        "Observation": observation(
            subject={"reference": "Patient/p"},
            interpretation=[interpretation("H")],
            effectiveDateTime="2024",
        ),
        "MedicationStatement": medication_statement(
            dosage=[dosage(doseAndRate=[{"doseQuantity": {"value": 1}}])], effectiveDateTime="2024"
        ),
        "Encounter": encounter(subject={"reference": "Patient/p"}, period={"start": "2024"}),
    }[resource_type]
    mapper = MAPPERS[resource_type]

    assert mapper.to_fhir(mapped(resource)) == resource
