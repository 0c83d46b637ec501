"""The domain records: plain snake_case models, derived views marked by type, stored forms that
read back equal. Records are built directly here, never through FHIR (tests/mappers does that)."""

from __future__ import annotations

import ast
import inspect
import re
import typing
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel

from gateway.domain import (
    base,
    elements,
    encounter,
    generic,
    medication_statement,
    observation,
    patient,
    time,
)
from gateway.domain.base import FhirRecord, TimeRange, derived_fields
from gateway.domain.elements import (
    CodeableConcept,
    Coding,
    HumanName,
    Number,
    Period,
    Quantity,
    Reference,
)
from gateway.domain.encounter import EncounterRecord
from gateway.domain.medication_statement import Dosage, DoseAndRate, MedicationStatementRecord
from gateway.domain.observation import ObservationRecord
from gateway.domain.patient import PatientRecord
from gateway.domain.time import FhirDateTime

MODULES = [base, elements, encounter, generic, medication_statement, observation, patient, time]
SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
MEDICATION_VIEWS = (
    "patient_id encounter_id medication dosage_text dose frequency taken prescriber side_effects"
)
SERVICE_FIELDS = {"_id": "Patient/1", "version_id": 3, "last_updated": datetime(2026, 1, 1)}


def models() -> list[type[BaseModel]]:
    """Every pydantic model the domain modules define."""
    return [
        value
        for module in MODULES
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
    ]


@pytest.mark.parametrize("model", models(), ids=lambda m: m.__name__)
def test_every_field_is_snake_case_without_alias(model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        assert SNAKE_CASE.fullmatch(name), name
        assert (field.alias, field.validation_alias, field.serialization_alias) == (None,) * 3


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_domain_modules_import_only_the_domain_and_libraries(module: ModuleType) -> None:
    """No FHIR library, mapper, search or service: the domain is what the apps record."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]
    forbidden = ("fhir", "mappers", "gateway.search", "gateway.services", "gateway.store")
    assert [name for name in imported if name.startswith(forbidden)] == []
    assert {name.split(".")[0] for name in imported} <= {
        "__future__", "datetime", "re", "typing", "pydantic", "gateway",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("record_type", "views"),
    [
        pytest.param(PatientRecord, {"emergency_contacts", "insurance"}, id="Patient"),
        pytest.param(
            ObservationRecord,
            {"patient_id", "encounter_id", "effective", "flag", "source"},
            id="Observation",
        ),
        pytest.param(
            EncounterRecord, {"patient_id", "when", "practitioner", "facility"}, id="Encounter"
        ),
        pytest.param(
            MedicationStatementRecord,
            set(MEDICATION_VIEWS.split()),
            id="MedicationStatement",
        ),
    ],
)
def test_derived_views_are_marked_on_their_fields(
    record_type: type[FhirRecord], views: set[str]
) -> None:
    assert derived_fields(record_type) == views


@pytest.mark.parametrize("model", models(), ids=lambda m: m.__name__)
def test_every_decimal_is_a_number(model: type[BaseModel]) -> None:
    """One alias for decimals, so keeping their exact text is a one-line change."""
    for name, field in model.model_fields.items():
        if float in _types(field.annotation):
            assert field.annotation in (Number, Number | None), name


def _types(annotation: Any) -> set[Any]:
    return {annotation, *(t for argument in typing.get_args(annotation) for t in _types(argument))}


def test_a_stored_record_reads_back_equal_with_what_its_values_do_not_model() -> None:
    record = MedicationStatementRecord(
        status="active",
        subject=Reference(reference="Patient/p1"),
        medication_concept=CodeableConcept(
            coding=[Coding(system="urn:s", code="c", user_selected=True, extension=[{"url": "u"}])]
        ),
        dosages=[
            Dosage(
                as_needed=True,
                dose_and_rate=[DoseAndRate(dose_quantity=Quantity(value=2.5, unit="mL"))],
                maxDosePerLifetime={"value": 10},
            )
        ],
        effective_period=Period(start=FhirDateTime.of("2024-01")),
        taken=TimeRange(start=datetime(2024, 1, 1)),
        fhir_rest={"note": [{"text": "with food"}]},
    )
    stored = record.model_dump(exclude_none=True)

    assert stored["dosages"] == [
        {
            "as_needed": True,
            "dose_and_rate": [{"dose_quantity": {"value": 2.5, "unit": "mL"}}],
            "maxDosePerLifetime": {"value": 10},
        }
    ]
    assert stored["medication_concept"]["coding"] == [
        {"system": "urn:s", "code": "c", "user_selected": True, "extension": [{"url": "u"}]}
    ]
    assert MedicationStatementRecord.model_validate({**stored, **SERVICE_FIELDS}) == record


def test_a_stored_document_s_index_and_service_fields_are_not_part_of_the_record() -> None:
    document = {"names": [{"family": "Okafor"}], "index": {"family": ["okafor"]}, "sort": {}}

    record = PatientRecord.model_validate({**document, **SERVICE_FIELDS})

    assert record == PatientRecord(names=[HumanName(family="Okafor")])


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(
            FhirDateTime.of("2019-05"),
            TimeRange(start=datetime(2019, 5, 1), end=datetime(2019, 6, 1)),
            id="date",
        ),
        pytest.param(
            Period(start=FhirDateTime.of("2019"), end=FhirDateTime.of("2019-06-02")),
            TimeRange(start=datetime(2019, 1, 1), end=datetime(2019, 6, 3)),
            id="period",
        ),
        pytest.param(
            Period(end=FhirDateTime.of("2024")),
            TimeRange(end=datetime(2025, 1, 1)),
            id="open-start",
        ),
        pytest.param(Period(), None, id="empty-period"),
        pytest.param(None, None, id="none"),
    ],
)
def test_time_range_covers_the_moment(
    moment: FhirDateTime | Period | None, expected: TimeRange | None
) -> None:
    assert TimeRange.of(moment) == expected
