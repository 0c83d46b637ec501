"""gateway.demo: valid R4 that round trips, refers only to itself (every reference finds its
resource, also once loaded), and gives the domain real values to derive (lab flags, wearable
sources, emergency contacts, insurance, doses)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from gateway.demo import ANCHOR, generate
from gateway.domain.base import FhirRecord
from gateway.domain.encounter import EncounterRecord
from gateway.domain.medication_statement import MedicationStatementRecord
from gateway.domain.observation import ObservationRecord
from gateway.domain.patient import PatientRecord
from mappers import r4
from mappers.base import ResourceMapper
from mappers.datatypes import codes, has_code, label
from mappers.generic import generic_mapper
from mappers.invariants import invariant_issues
from mappers.registry import MAPPERS
from tests.conftest import api_client, make_settings


def _mapper(resource_type: str) -> ResourceMapper[Any]:
    return MAPPERS.get(resource_type) or generic_mapper(resource_type)


RESOURCES = generate()
RECORDS = [_mapper(r["resourceType"]).from_fhir(r) for r in RESOURCES]
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SOURCES = {"oura", "whoop", "apple_health", "garmin", "manual"}
T = TypeVar("T", bound=FhirRecord)


def _records(record_type: type[T]) -> list[T]:
    return [r for r in RECORDS if isinstance(r, record_type)]


def _observations(loinc: str) -> list[ObservationRecord]:
    return [r for r in _records(ObservationRecord) if loinc in codes(r.code, "http://loinc.org")]


def _labs() -> list[ObservationRecord]:
    return [
        r
        for r in _records(ObservationRecord)
        if any(has_code(c, CATEGORY, "laboratory") for c in r.categories or [])
    ]


def _expected_flag(value: float, low: float | None, high: float | None) -> str:
    if low is not None and value < low:
        return "low"
    if high is not None and value > high:
        return "high"
    return "normal"


def _containers(value: Any) -> Iterator[dict[str, Any] | list[Any]]:
    if isinstance(value, dict | list):
        yield value
        for child in value.values() if isinstance(value, dict) else value:
            yield from _containers(child)


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for child in value.values():
            yield from _references(child)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def test_every_resource_is_valid_r4() -> None:
    for resource in RESOURCES:
        r4.validate(resource)
        assert invariant_issues(resource) == [], resource["id"]


def test_every_resource_round_trips_through_its_mapper() -> None:
    for resource, record in zip(RESOURCES, RECORDS, strict=True):
        mapper = _mapper(resource["resourceType"])
        assert mapper.to_fhir(record) == {k: v for k, v in resource.items() if k != "id"}


def test_ids_are_unique() -> None:
    ids = [(r["resourceType"], r["id"]) for r in RESOURCES]
    assert len(ids) == len(set(ids))


def test_the_four_domain_types_and_their_practitioners_come_in_dependency_order() -> None:
    order = ["Practitioner", "Patient", "Encounter", "Observation", "MedicationStatement"]
    types = [r["resourceType"] for r in RESOURCES]
    assert types == sorted(types, key=order.index)
    assert set(types) == set(order)
    assert Counter(types)["Patient"] == 5


def test_every_reference_finds_its_resource() -> None:
    """Relative `Type/id` to a resource of the demo; `#` to the container, `#id` to a contained
    resource of the same resource (https://hl7.org/fhir/R4/references.html)."""
    known = {f"{r['resourceType']}/{r['id']}" for r in RESOURCES}
    for resource in RESOURCES:
        contained = {f"#{c['id']}" for c in resource.get("contained", [])}
        for reference in _references(resource):
            assert reference in known | contained | {"#"}, f"{resource['id']} -> {reference}"


async def test_every_reference_reads_once_the_demo_is_loaded() -> None:
    """What a new user does after `serve --demo`: follow a reference; it answers 200."""
    targets = {r for resource in RESOURCES for r in _references(resource) if r[0] != "#"}
    async with api_client(make_settings(demo_data=True)) as api:
        for target in sorted(targets):
            response = await api.get(f"/{target}")
            assert response.status_code == 200, (target, response.text)


def test_medication_statements_name_a_generated_prescriber() -> None:
    practitioners = {r["id"]: r for r in RESOURCES if r["resourceType"] == "Practitioner"}
    for statement in (r for r in RESOURCES if r["resourceType"] == "MedicationStatement"):
        source = statement["informationSource"]
        practitioner = practitioners[source["reference"].removeprefix("Practitioner/")]
        name = practitioner["name"][0]
        assert source["display"] == f"{name['prefix'][0]} {name['given'][0]} {name['family']}"


def test_references_point_at_earlier_resources_of_the_same_patient() -> None:
    seen: dict[str, dict[str, Any]] = {}
    for resource in RESOURCES:
        for reference in _references(resource):
            if reference.startswith(("Patient/", "Encounter/")):
                assert reference in seen, f"{resource['id']} -> {reference}"
                target = seen[reference]
                if target["resourceType"] == "Encounter":
                    assert target["subject"] == resource["subject"]
        seen[f"{resource['resourceType']}/{resource['id']}"] = resource


def test_resources_share_no_nested_objects() -> None:
    """A caller may change one resource (add `meta`, say) without changing another."""
    nodes = [id(node) for resource in RESOURCES for node in _containers(resource)]
    assert len(nodes) == len(set(nodes))


def test_same_seed_gives_the_same_output() -> None:
    assert generate(seed=7) == RESOURCES
    assert generate(patients=2, seed=11) == generate(patients=2, seed=11)


def test_different_seed_gives_different_output() -> None:
    assert generate(seed=8) != RESOURCES


def test_patients_argument_sets_how_many_patients() -> None:
    resources = generate(patients=2)
    assert [r["id"] for r in resources if r["resourceType"] == "Patient"] == [
        "demo-pat-1",
        "demo-pat-2",
    ]
    assert generate(patients=0) == []


def test_each_patient_has_three_or_four_encounters_and_two_or_three_medications() -> None:
    encounters = Counter(r.patient_id for r in _records(EncounterRecord))
    medications = Counter(r.patient_id for r in _records(MedicationStatementRecord))
    patients = {r["id"] for r in RESOURCES if r["resourceType"] == "Patient"}
    assert set(encounters) == set(medications) == patients
    assert set(encounters.values()) <= {3, 4}
    assert set(medications.values()) <= {2, 3}


def test_labs_are_flagged_from_value_against_reference_range() -> None:
    labs = _labs()
    for lab in labs:
        assert lab.value_quantity is not None
        assert lab.reference_ranges
        value, limits = lab.value_quantity.value, lab.reference_ranges[0]
        assert value is not None
        low = limits.low.value if limits.low else None
        high = limits.high.value if limits.high else None
        assert lab.flag == _expected_flag(value, low, high), label(lab.code)
        assert lab.value_quantity.system == UCUM
        assert lab.encounter_id is not None
    flags = Counter(lab.flag for lab in labs)
    assert flags["high"] >= 1
    assert flags["low"] >= 1
    assert flags["normal"] > flags["high"]


def test_lab_panels_use_loinc_codes_and_ucum_units() -> None:
    units = {codes(lab.code)[0]: lab.value_quantity.code for lab in _labs() if lab.value_quantity}
    assert units == {
        "718-7": "g/dL", "6690-2": "10*3/uL", "777-3": "10*3/uL",
        "2345-7": "mg/dL", "2160-0": "mg/dL", "2823-3": "mmol/L", "2951-2": "mmol/L",
        "2093-3": "mg/dL", "18262-6": "mg/dL", "2085-9": "mg/dL", "2571-8": "mg/dL",
        "4548-4": "%",
    }  # fmt: skip


def test_wearable_and_manual_metrics_name_their_source() -> None:
    observations = _records(ObservationRecord)
    from_devices = [r for r in observations if r.device is not None]
    assert {r.source for r in from_devices} == SOURCES
    assert {r.source for r in observations if r.device is None} == {None}
    by_display = {(r.device.display, r.source) for r in from_devices if r.device}
    assert ("Oura Ring", "oura") in by_display
    assert ("Apple Watch (Apple Health)", "apple_health") in by_display
    assert ("Manual entry", "manual") in by_display


def test_wearable_metrics_cover_several_days_before_the_anchor() -> None:
    days = {
        r.effective.start.date()
        for r in _observations("40443-4")
        if r.effective and r.effective.start
    }
    assert len(days) >= 5
    assert max(days) < ANCHOR + timedelta(days=1)


def test_sleep_is_a_period_in_hours_with_a_local_sleep_category() -> None:
    sleeps = _observations("93832-4")
    assert sleeps
    for sleep in sleeps:
        assert sleep.effective_period is not None
        assert sleep.value_quantity is not None
        assert sleep.value_quantity.code == "h"
        found = [c for concept in sleep.categories or [] for c in codes(concept)]
        assert found == ["activity", "sleep"]


def test_blood_pressure_panel_has_systolic_and_diastolic_in_mm_hg() -> None:
    panels = _observations("85354-9")
    assert panels
    for panel in panels:
        assert panel.value_quantity is None
        assert panel.components is not None
        assert [codes(c.code)[0] for c in panel.components] == ["8480-6", "8462-4"]
        for component in panel.components:
            assert component.value_quantity is not None
            assert component.value_quantity.code == "mm[Hg]"
            assert component.value_quantity.system == UCUM


def test_weight_is_in_pounds_and_temperature_in_fahrenheit() -> None:
    weights = [r.value_quantity for r in _observations("29463-7")]
    temperatures = [r.value_quantity for r in _observations("8310-5")]
    assert weights
    assert temperatures
    assert {(q.unit, q.code) for q in weights if q} == {("lb", "[lb_av]")}
    assert {(q.unit, q.code) for q in temperatures if q} == {("°F", "[degF]")}
    assert all(q and q.value and 90 < q.value < 300 for q in weights)
    assert all(q and q.value and 96 < q.value < 100 for q in temperatures)


def test_survey_answers_use_a_concept_and_an_integer() -> None:
    smoking = _observations("72166-2")
    pain = _observations("72514-3")
    assert smoking
    assert pain
    assert all(
        r.value_concept and codes(r.value_concept, "http://snomed.info/sct") for r in smoking
    )
    assert all(r.value_integer is not None and 0 <= r.value_integer <= 10 for r in pain)


def test_patients_derive_emergency_contacts_and_insurance() -> None:
    for patient in _records(PatientRecord):
        assert patient.emergency_contacts
        for contact in patient.emergency_contacts:
            assert contact.name
            assert contact.phone
            assert contact.phone.startswith("+1-")
            assert contact.relationship in {
                "Spouse", "Daughter", "Son", "Sister", "Partner", "Friend",
            }  # fmt: skip
        assert patient.insurance is not None
        assert len(patient.insurance) == 1
        policy = patient.insurance[0]
        assert policy.provider
        assert policy.policy_number
        assert policy.group_number
        assert policy.policy_number.startswith("POL-")
        assert policy.group_number.startswith("GRP-")


def test_medication_statements_derive_dose_frequency_prescriber_and_side_effects() -> None:
    statements = _records(MedicationStatementRecord)
    for statement in statements:
        assert statement.medication
        assert statement.dosage_text
        assert statement.dose is not None
        assert statement.dose.unit == "mg"
        assert statement.dose.value
        assert statement.dose.value > 0
        assert statement.frequency in {"1 per 1 d", "2 per 1 d"}
        assert statement.prescriber
        assert statement.prescriber.startswith("Dr. ")
        assert statement.encounter_id is not None
        assert statement.taken is not None
        assert (statement.taken.end is None) == (statement.status == "active")
    assert any(s.side_effects for s in statements)
    assert {s.status for s in statements} <= {"active", "completed", "stopped"}


def test_encounters_use_the_clinic_appointment_types() -> None:
    kinds = {"new_patient", "follow_up", "routine_checkup", "sick_visit", "telehealth"}
    for encounter in _records(EncounterRecord):
        assert encounter.types
        kind = codes(encounter.types[0])[0]
        assert kind in kinds
        assert encounter.encounter_class.code == ("VR" if kind == "telehealth" else "AMB")
        assert encounter.status in {"finished", "planned", "cancelled", "in-progress"}
        assert encounter.practitioner
        assert encounter.practitioner.startswith("Dr. ")
        assert encounter.facility
        assert encounter.when is not None
        assert (encounter.when.end is None) == (encounter.status == "in-progress")


def test_dates_count_from_the_anchor_not_the_clock() -> None:
    anchor = datetime.combine(ANCHOR, time())
    for record in _records(ObservationRecord):
        assert record.effective is not None
        assert record.effective.start is not None
        assert anchor - timedelta(days=200) < record.effective.start < anchor + timedelta(days=1)
    planned = [r for r in _records(EncounterRecord) if r.status == "planned"]
    assert all(r.when and r.when.start and r.when.start > anchor for r in planned)
