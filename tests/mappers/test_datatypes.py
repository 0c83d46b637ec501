"""mappers/datatypes.py: how FHIR datatypes are read. References: references.html#Reference;
concepts: datatypes.html#CodeableConcept; dates keep their text: datatypes.html#dateTime."""

from __future__ import annotations

import pytest

from gateway.domain.elements import CodeableConcept, Coding, HumanName, Reference
from gateway.domain.patient import PatientRecord
from gateway.domain.time import FhirDateTime
from mappers.datatypes import (
    concept,
    label,
    name_text,
    points_to,
    reference_label,
    target,
    target_id,
    without,
)
from mappers.patient import MAPPER as PATIENT


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        pytest.param("Patient/p1", ("Patient", "p1"), id="relative"),
        pytest.param("https://ehr.example.org/fhir/Patient/p1", ("Patient", "p1"), id="absolute"),
        pytest.param("Patient/p1/_history/2", ("Patient", "p1"), id="versioned"),
        pytest.param("Patient/p1/", ("Patient", "p1"), id="trailing-slash"),
        pytest.param("#p1", None, id="contained"),
        pytest.param("urn:uuid:6b2d1f0e-8e4b-4c8e-9a51-0c2d5a3c9e11", None, id="urn"),
        pytest.param("p1", None, id="id-alone"),
        pytest.param(None, None, id="no-reference"),
    ],
)
def test_target_is_type_and_id(reference: str | None, expected: tuple[str, str] | None) -> None:
    assert target(Reference(reference=reference)) == expected


def test_target_id_is_the_id_of_that_type_only() -> None:
    reference = Reference(reference="Encounter/e1")

    assert (target_id(reference, "Encounter"), target_id(reference, "Patient")) == ("e1", None)
    assert target_id(None, "Encounter") is None


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        pytest.param(Reference(reference="PractitionerRole/r1"), True, id="by-url"),
        pytest.param(Reference(type="Practitioner", display="Dr. Lee"), True, id="by-type"),
        pytest.param(Reference(reference="PractitionerX/1", type="Practitioner"), False, id="url-wins"),
        pytest.param(Reference(display="Dr. Lee"), False, id="display-only"),
    ],
)  # fmt: skip
def test_points_to_reads_the_url_else_the_type(reference: Reference, expected: bool) -> None:
    assert points_to(reference, "Practitioner", "PractitionerRole") is expected


def test_reference_label_prefers_the_display() -> None:
    assert reference_label(Reference(reference="Patient/p1", display="Ada")) == "Ada"
    assert reference_label(Reference(reference="Patient/p1")) == "Patient/p1"
    assert reference_label(Reference()) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(CodeableConcept(text="T", coding=[Coding(display="D")]), "T", id="text"),
        pytest.param(CodeableConcept(coding=[Coding(code="c"), Coding(display="D")]), "D", id="display"),
        pytest.param(CodeableConcept(coding=[Coding(system="s"), Coding(code="c")]), "c", id="code"),
        pytest.param(CodeableConcept(), None, id="nothing"),
    ],
)  # fmt: skip
def test_label_is_what_a_person_reads(value: CodeableConcept, expected: str | None) -> None:
    assert label(value) == expected


def test_without_drops_one_coding_and_keeps_the_rest() -> None:
    value = CodeableConcept(coding=[Coding(system="s", code="C"), Coding(system="t", code="C")])

    assert without(value, "s", "C") == CodeableConcept(coding=[Coding(system="t", code="C")])


def test_name_text_prefers_the_text_then_given_and_family() -> None:
    assert name_text(HumanName(text="Ms C. Okafor", family="Okafor")) == "Ms C. Okafor"
    assert name_text(HumanName(given=["Chioma", None, "N."], family="Okafor")) == (
        "Chioma N. Okafor"
    )
    assert name_text(HumanName()) is None
    assert name_text(None) is None


def test_a_concept_outside_the_typed_fields_is_read_by_its_fhir_names() -> None:
    assert concept({"coding": [{"code": "c", "userSelected": True}]}) == CodeableConcept(
        coding=[Coding(code="c", user_selected=True)]
    )


def test_a_date_is_read_from_its_text_and_written_back_as_sent() -> None:
    text = "2019-05-06T10:20:30.1234+05:30"
    record = PATIENT.from_fhir({"resourceType": "Patient", "deceasedDateTime": text})

    assert record == PatientRecord(deceased_at=FhirDateTime.of(text))
    assert PATIENT.to_fhir(record) == {"resourceType": "Patient", "deceasedDateTime": text}
