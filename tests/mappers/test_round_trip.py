"""FHIR -> record -> FHIR over the golden files we wrote (tests/golden/resources).

A mapper keeps what it models in typed fields and everything else in `fhir_rest`, so the round
trip gives back the resource minus the server's `id`, `meta.versionId` and `meta.lastUpdated`.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.domain.base import FhirRecord, TimeRange
from gateway.domain.elements import (
    CodeableConcept,
    Coding,
    Period,
    Quantity,
    Range,
    Ratio,
    Reference,
)
from gateway.domain.observation import Canonical, MeasuredQuantity
from gateway.domain.time import FhirDateTime
from gateway.jsonio import ExactDecimal, Json
from gateway.search.index import build_indexer
from mappers.r4 import validate
from mappers.registry import MAPPERS

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "resources"
GOLDEN_FILES = sorted(p.name for p in GOLDEN.glob("*.json"))
UCUM = "http://unitsofmeasure.org"


def load(name: str) -> Json:
    resource: Json = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    return resource


def from_fhir(resource: Json) -> Any:
    return MAPPERS[resource["resourceType"]].from_fhir(resource)


def to_fhir(record: FhirRecord) -> Json:
    return MAPPERS[_resource_type(record)].to_fhir(record)


def _resource_type(record: FhirRecord) -> str:
    return next(t for t, m in MAPPERS.items() if isinstance(record, m.record_type))


def without_server_fields(resource: Json) -> Json:
    """The resource as a client may send it: no `id`, no `meta.versionId`/`meta.lastUpdated`."""
    expected = copy.deepcopy(resource)
    expected.pop("id", None)
    meta = {
        k: v for k, v in expected.pop("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    if meta:
        expected["meta"] = meta
    return expected


def at(record: object, path: str) -> Any:
    """`components.0.model_extra` -> record.components[0].model_extra."""
    value: Any = record
    for part in path.split("."):
        value = value[int(part)] if part.isdigit() else getattr(value, part)
    return value


def test_there_are_golden_files_for_each_mapped_type() -> None:
    types = {load(name)["resourceType"] for name in GOLDEN_FILES}
    assert types == set(MAPPERS)


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_golden_file_is_valid_fhir(name: str) -> None:
    validate(load(name))


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_round_trip_gives_back_the_resource_without_server_fields(name: str) -> None:
    resource = load(name)

    assert to_fhir(from_fhir(resource)) == without_server_fields(resource)


def stored(record: FhirRecord) -> Json:
    """The document the store writes: the record's fields, service fields, search index."""
    resource_type = _resource_type(record)
    document = {
        "_id": "x",
        "version_id": 2,
        "last_updated": datetime(2026, 1, 1),
        "written_by": "PUT",
        **record.model_dump(exclude_none=True),
    }
    return {**document, **build_indexer(resource_type)(document)}


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_stored_document_reads_as_fhir_without_the_record(name: str) -> None:
    record = from_fhir(load(name))
    mapper = MAPPERS[_resource_type(record)]

    served = mapper.document_to_fhir(stored(record))

    assert served == without_server_fields(load(name))
    assert list(served) == list(to_fhir(mapper.record_type.model_validate(stored(record))))


def test_stored_document_with_a_null_reads_as_its_record_does() -> None:
    """The store never writes nulls; a document holding one still reads, without the null."""
    mapper = MAPPERS["Patient"]
    document = {"active": None, "names": [{"family": "Okafor", "text": None}], "fhir_rest": {}}

    assert mapper.document_to_fhir(document) == {
        "resourceType": "Patient",
        "name": [{"family": "Okafor"}],
    }


def test_a_document_stored_before_a_nested_key_was_renamed_reads_as_sent() -> None:
    """Nested keys were FHIR names before docs/storage.md's rule; kept as unmodelled elements,
    they come back out under those names."""
    mapper = MAPPERS["MedicationStatement"]
    dosage = {"asNeededBoolean": True, "doseAndRate": [{"doseQuantity": {"value": 1}}]}
    document = {"status": "active", "subject": {"reference": "Patient/p"}, "dosages": [dosage]}
    expected = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "subject": {"reference": "Patient/p"},
        "dosage": [dosage],
    }

    assert mapper.document_to_fhir(document) == expected
    assert mapper.to_fhir(mapper.record_type.model_validate(document)) == expected


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_mapping_leaves_the_input_unchanged(name: str) -> None:
    resource = load(name)

    from_fhir(resource)

    assert resource == load(name)


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        # Patient
        pytest.param(
            "patient-primitive-extensions.json",
            "birth_date",
            FhirDateTime(
                value="1974-12",
                start=datetime(1974, 12, 1),
                end=datetime(1975, 1, 1),
                precision="month",
            ),
            id="birth-date-keeps-month-precision",
        ),
        pytest.param(
            "patient-primitive-extensions.json",
            "deceased_at",
            FhirDateTime(
                value="2023-03-04T22:15:00+02:00",
                start=datetime(2023, 3, 4, 20, 15),
                end=datetime(2023, 3, 4, 20, 15, 1),
                precision="second",
            ),
            id="deceased-date-time-in-utc",
        ),
        pytest.param(
            "patient-primitive-extensions.json",
            "names.0.given",
            ["Ada", None],
            id="given-with-null",
        ),
        pytest.param(
            "patient-primitive-extensions.json",
            "names.0.model_extra",
            {
                "_given": [
                    None,
                    {
                        "extension": [
                            {
                                "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                                "valueCode": "masked",
                            }
                        ]
                    },
                ]
            },
            id="given-primitive-extension-kept-on-the-name",
        ),
        pytest.param("patient-primitive-extensions.json", "sex", "female", id="gender"),
        pytest.param("patient-primitive-extensions.json", "active", True, id="active"),
        pytest.param(
            "patient-primitive-extensions.json", "contacts.0.gender", "female", id="contact-gender"
        ),
        pytest.param(
            "patient-primitive-extensions.json",
            "general_practitioners.0",
            Reference(reference="Practitioner/dr-lee", display="Dr. Min-jun Lee"),
            id="general-practitioner",
        ),
        pytest.param(
            "patient-modifier-extension.json",
            "birth_date",
            FhirDateTime(
                value="1990-07-15",
                start=datetime(1990, 7, 15),
                end=datetime(1990, 7, 16),
                precision="day",
            ),
            id="birth-date-keeps-day-precision",
        ),
        pytest.param("patient-modifier-extension.json", "deceased", False, id="deceased-false"),
        pytest.param("patient-modifier-extension.json", "deceased_at", None, id="no-deceased-date"),
        pytest.param("patient-modifier-extension.json", "sex", "unknown", id="gender-unknown"),
        # Encounter
        pytest.param("encounter-status-history.json", "status", "finished", id="encounter-status"),
        pytest.param(
            "encounter-status-history.json",
            "encounter_class",
            Coding(
                system="http://terminology.hl7.org/CodeSystem/v3-ActCode",
                code="IMP",
                display="inpatient encounter",
            ),
            id="encounter-class",
        ),
        pytest.param(
            "encounter-status-history.json",
            "period",
            Period(
                start=FhirDateTime(
                    value="2019-05",
                    start=datetime(2019, 5, 1),
                    end=datetime(2019, 6, 1),
                    precision="month",
                ),
                end=FhirDateTime(
                    value="2019-06-02",
                    start=datetime(2019, 6, 2),
                    end=datetime(2019, 6, 3),
                    precision="day",
                ),
            ),
            id="encounter-period-partial-dates",
        ),
        pytest.param(
            "encounter-status-history.json",
            "participants.0.individual.reference",
            "Practitioner/dr-lee",
            id="encounter-participant",
        ),
        pytest.param(
            "encounter-status-history.json",
            "locations.0.status",
            "completed",
            id="encounter-location-status",
        ),
        pytest.param(
            "encounter-virtual-visit.json",
            "service_provider.display",
            "Harbour Skin Clinic",
            id="encounter-service-provider",
        ),
        pytest.param(
            "encounter-virtual-visit.json",
            "part_of.reference",
            "Encounter/enc-stay",
            id="encounter-part-of",
        ),
        # Observation
        pytest.param(
            "observation-weight-lb.json",
            "value_quantity",
            MeasuredQuantity(
                value=185.4,
                unit="lb",
                system=UCUM,
                code="[lb_av]",
                canonical=Canonical(value=ExactDecimal("84096.025398"), code="g"),
            ),
            id="weight-stays-in-pounds",
        ),
        pytest.param(
            "observation-weight-lb.json",
            "effective_date_time",
            FhirDateTime(
                value="2024-01-15T07:02:13-05:00",
                start=datetime(2024, 1, 15, 12, 2, 13),
                end=datetime(2024, 1, 15, 12, 2, 14),
                precision="second",
            ),
            id="effective-date-time-with-offset",
        ),
        pytest.param(
            "observation-weight-lb.json",
            "effective",
            TimeRange(start=datetime(2024, 1, 15, 12, 2, 13), end=datetime(2024, 1, 15, 12, 2, 14)),
            id="effective-is-the-utc-instant",
        ),
        pytest.param(
            "observation-weight-lb.json",
            "issued.start",
            datetime(2024, 1, 15, 12, 3, 0, 250000),
            id="issued-with-milliseconds",
        ),
        pytest.param(
            "observation-weight-lb.json",
            "reference_ranges.0.high",
            Quantity(value=160, unit="lb", system=UCUM, code="[lb_av]"),
            id="reference-range-in-pounds",
        ),
        pytest.param(
            "observation-weight-lb.json", "device.display", "Withings Body+ scale", id="device"
        ),
        pytest.param(
            "observation-temperature-degf.json",
            "value_quantity",
            MeasuredQuantity(
                value=98.6,
                unit="degF",
                system=UCUM,
                code="[degF]",
                canonical=Canonical(value=ExactDecimal("310.15"), code="K"),
            ),
            id="temperature-stays-in-fahrenheit",
        ),
        pytest.param(
            "observation-temperature-degf.json",
            "effective_instant",
            FhirDateTime(
                value="2024-02-29T23:59:59.1234+01:00",
                start=datetime(2024, 2, 29, 22, 59, 59, 123000),
                end=datetime(2024, 2, 29, 22, 59, 59, 124000),
                precision="fraction",
            ),
            id="effective-instant-with-fraction",
        ),
        pytest.param(
            "observation-temperature-degf.json",
            "status",
            "amended",
            id="observation-status",
        ),
        pytest.param(
            "observation-blood-pressure.json",
            "effective",
            TimeRange(start=datetime(2024, 3, 1, 8, 0), end=datetime(2024, 3, 1, 8, 5, 31)),
            id="effective-period",
        ),
        pytest.param(
            "observation-blood-pressure.json",
            "components.0.value_quantity",
            MeasuredQuantity(
                value=182,
                unit="mmHg",
                system=UCUM,
                code="mm[Hg]",
                canonical=Canonical(value=ExactDecimal("24264604"), code="g.m-1.s-2"),
            ),
            id="systolic-component",
        ),
        pytest.param(
            "observation-blood-pressure.json",
            "components.1.value_quantity.value",
            96,
            id="diastolic-component",
        ),
        pytest.param(
            "observation-blood-pressure.json",
            "components.2.value_boolean",
            False,
            id="boolean-component",
        ),
        pytest.param(
            "observation-blood-pressure.json",
            "components.2.model_extra",
            {
                "extension": [
                    {
                        "url": "http://fhir-gateway.org/fhir/StructureDefinition/cuff-size",
                        "valueCode": "adult-large",
                    }
                ]
            },
            id="component-extension-kept",
        ),
        pytest.param(
            "observation-blood-pressure.json", "device.reference", "#cuff", id="contained-device"
        ),
        pytest.param(
            "observation-mood-concept.json",
            "value_concept",
            CodeableConcept(
                coding=[
                    Coding(system="http://snomed.info/sct", code="112080002", display="Happiness")
                ],
                text="Pretty good",
            ),
            id="value-codeable-concept",
        ),
        pytest.param(
            "observation-value-string.json",
            "value_string",
            "Vegetarian; avoids dairy since 2018.",
            id="value-string",
        ),
        pytest.param(
            "observation-value-string.json",
            "effective",
            TimeRange(start=datetime(2019, 5, 1), end=datetime(2019, 6, 1)),
            id="effective-month",
        ),
        pytest.param("observation-value-boolean.json", "value_boolean", False, id="value-boolean"),
        pytest.param("observation-value-integer.json", "value_integer", 11412, id="value-integer"),
        pytest.param(
            "observation-value-range.json",
            "value_range",
            Range(
                low=Quantity(value=48, unit="beats/minute", system=UCUM, code="/min"),
                high=Quantity(value=171, unit="beats/minute", system=UCUM, code="/min"),
            ),
            id="value-range",
        ),
        pytest.param(
            "observation-value-ratio.json",
            "value_ratio",
            Ratio(numerator=Quantity(value=1, comparator=">="), denominator=Quantity(value=128)),
            id="value-ratio",
        ),
        pytest.param(
            "observation-value-period.json",
            "value_period.end",
            FhirDateTime(
                value="2024-06-02T06:40:00-07:00",
                start=datetime(2024, 6, 2, 13, 40),
                end=datetime(2024, 6, 2, 13, 40, 1),
                precision="second",
            ),
            id="value-period",
        ),
        pytest.param("observation-value-time.json", "value_time", "22:30:00", id="value-time"),
        pytest.param(
            "observation-value-datetime.json",
            "value_date_time",
            FhirDateTime(
                value="2024-05-28",
                start=datetime(2024, 5, 28),
                end=datetime(2024, 5, 29),
                precision="day",
            ),
            id="value-date-time",
        ),
        # MedicationStatement
        pytest.param(
            "medicationstatement-reference.json",
            "medication_reference.reference",
            "#med1",
            id="medication-reference",
        ),
        pytest.param(
            "medicationstatement-reference.json",
            "medication_concept",
            None,
            id="no-medication-concept-beside-reference",
        ),
        pytest.param(
            "medicationstatement-reference.json",
            "effective_period.start.precision",
            "month",
            id="medication-effective-period-month",
        ),
        pytest.param(
            "medicationstatement-reference.json",
            "dosages.0.timing.repeat.frequency",
            2,
            id="dosage-timing-frequency",
        ),
        pytest.param(
            "medicationstatement-reference.json",
            "dosages.0.dose_and_rate.0.dose_quantity",
            Quantity(value=500, unit="mg", system=UCUM, code="mg"),
            id="dosage-dose-quantity",
        ),
        pytest.param(
            "medicationstatement-reference.json",
            "dosages.0.timing.repeat.model_extra",
            {"when": ["CM", "CV"]},
            id="dosage-timing-when-kept",
        ),
        pytest.param(
            "medicationstatement-concept.json",
            "medication_concept.text",
            "Ibuprofen 600 mg",
            id="medication-codeable-concept",
        ),
        pytest.param(
            "medicationstatement-concept.json",
            "dosages.0.timing.repeat.period",
            0.25,
            id="dosage-timing-fractional-period",
        ),
        pytest.param(
            "medicationstatement-concept.json",
            "dosages.0.dose_and_rate.0.dose_range.high",
            Quantity(value=2, unit="tablet"),
            id="dosage-dose-range",
        ),
        # Nested elements are snake_case like the records; what they don't model stays beside
        pytest.param(
            "patient-primitive-extensions.json",
            "addresses.0.postal_code",
            "PO1 2AB",
            id="address-postal-code",
        ),
        pytest.param(
            "observation-blood-pressure.json",
            "components.0.reference_ranges.0.high.value",
            120,
            id="component-reference-range",
        ),
        pytest.param(
            "observation-blood-pressure.json",
            "components.0.interpretations.0.coding.0.code",
            "HH",
            id="component-interpretation",
        ),
        pytest.param(
            "medicationstatement-reference.json", "dosages.1.as_needed", True, id="as-needed"
        ),
        pytest.param(
            "medicationstatement-concept.json",
            "dosages.0.timing.repeat.period_unit",
            "d",
            id="timing-period-unit",
        ),
        pytest.param(
            "medicationstatement-concept.json",
            "dosages.0.model_extra",
            {
                "asNeededCodeableConcept": {"text": "pain"},
                "maxDosePerPeriod": {
                    "numerator": {"value": 2400, "unit": "mg", "system": UCUM, "code": "mg"},
                    "denominator": {"value": 1, "unit": "d", "system": UCUM, "code": "d"},
                },
            },
            id="dosage-unmodelled-elements-kept-verbatim",
        ),
    ],
)
def test_typed_field_holds_the_element(name: str, path: str, expected: Any) -> None:
    assert at(from_fhir(load(name)), path) == expected


@pytest.mark.parametrize(
    ("name", "rest"),
    [
        pytest.param(
            "patient-primitive-extensions.json",
            ["_birthDate", "contained", "meta"],
            id="patient-primitive-extensions",
        ),
        pytest.param(
            "patient-modifier-extension.json",
            ["communication", "extension", "modifierExtension", "multipleBirthInteger", "text"],
            id="patient-modifier-extension",
        ),
        pytest.param(
            "encounter-status-history.json",
            ["classHistory", "hospitalization", "length", "priority", "statusHistory"],
            id="encounter-status-history",
        ),
        pytest.param("encounter-virtual-visit.json", [], id="encounter-virtual-visit"),
        pytest.param("observation-weight-lb.json", ["meta", "note"], id="observation-weight-lb"),
        pytest.param(
            "observation-temperature-degf.json", ["bodySite"], id="observation-temperature-degf"
        ),
        pytest.param(
            "observation-blood-pressure.json",
            ["contained", "meta"],
            id="observation-blood-pressure",
        ),
        pytest.param(
            "observation-mood-concept.json", ["effectiveTiming", "meta"], id="observation-mood"
        ),
        pytest.param(
            "observation-sampled-data.json", ["valueSampledData"], id="observation-sampled-data"
        ),
        pytest.param("observation-value-string.json", ["_valueString"], id="observation-string"),
        pytest.param("observation-value-boolean.json", ["contained"], id="observation-boolean"),
        pytest.param("observation-value-ratio.json", ["specimen"], id="observation-ratio"),
        pytest.param(
            "medicationstatement-reference.json",
            ["contained", "extension", "meta", "note"],
            id="medicationstatement-reference",
        ),
        pytest.param(
            "medicationstatement-concept.json", ["statusReason"], id="medicationstatement-concept"
        ),
    ],
)
def test_unmodelled_elements_sit_in_fhir_rest_verbatim(name: str, rest: list[str]) -> None:
    resource = without_server_fields(load(name))

    assert from_fhir(resource).fhir_rest == {key: resource[key] for key in rest}


def test_service_meta_is_dropped_and_the_rest_of_meta_kept() -> None:
    record = from_fhir(load("observation-weight-lb.json"))

    assert record.fhir_rest["meta"] == {
        "profile": ["http://hl7.org/fhir/StructureDefinition/bodyweight"],
        "tag": [{"system": "http://fhir-gateway.org/tags", "code": "wearable-sync"}],
        "source": "https://api.withings.net/measure#sync-20240115",
    }


def test_meta_with_only_service_fields_is_dropped() -> None:
    record = from_fhir(load("encounter-status-history.json"))

    assert "meta" not in record.fhir_rest


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(
            {"resourceType": "Patient", "birthDate": "9999-12-31"},
            id="birth-date-9999-12-31",
        ),
        pytest.param(
            {
                "resourceType": "MedicationStatement",
                "status": "active",
                "medicationCodeableConcept": {"text": "Levothyroxine"},
                "subject": {"reference": "Patient/pat-ada"},
                "effectivePeriod": {"start": "2020-01-01", "end": "9999-12-31"},
            },
            id="period-end-9999-12-31",
        ),
        pytest.param(
            {"resourceType": "Patient", "birthDate": "9999-12"},
            id="birth-date-9999-12",
        ),
        pytest.param(
            {"resourceType": "Patient", "deceasedDateTime": "0001-01-01T00:30:00+01:00"},
            id="deceased-before-year-one-in-utc",
        ),
        pytest.param(
            {"resourceType": "Patient", "deceasedDateTime": "2016-12-31T23:59:60Z"},
            id="leap-second",
        ),
    ],
)
def test_valid_resource_with_extreme_date_round_trips(resource: Json) -> None:
    validate(resource)

    assert to_fhir(from_fhir(resource)) == resource
