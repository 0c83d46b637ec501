"""A medication the patient takes or took: what, how much, how often, from when to when, why,
who prescribed it and the side effects noticed."""

from __future__ import annotations

from pydantic import BaseModel

from gateway.domain.base import Derived, FhirRecord, TimeRange
from gateway.domain.elements import (
    CodeableConcept,
    Element,
    Identifier,
    Number,
    Period,
    Quantity,
    Range,
    Reference,
)
from gateway.domain.time import FhirDateTime


class TimingRepeat(Element):
    """`frequency` times per `period` `period_unit` (2 per 1 d)."""

    frequency: int | None = None
    period: Number | None = None
    period_unit: str | None = None


class Timing(Element):
    repeat: TimingRepeat | None = None
    code: CodeableConcept | None = None


class DoseAndRate(Element):
    type: CodeableConcept | None = None
    dose_quantity: Quantity | None = None
    dose_range: Range | None = None


class Dosage(Element):
    sequence: int | None = None
    text: str | None = None
    timing: Timing | None = None
    as_needed: bool | None = None
    route: CodeableConcept | None = None
    dose_and_rate: list[DoseAndRate] | None = None


class Dose(BaseModel):
    value: Number | None = None
    unit: str | None = None


class MedicationStatementRecord(FhirRecord):
    identifiers: list[Identifier] | None = None
    status: str
    category: CodeableConcept | None = None
    medication_concept: CodeableConcept | None = None
    medication_reference: Reference | None = None
    subject: Reference
    context: Reference | None = None
    effective_date_time: FhirDateTime | None = None
    effective_period: Period | None = None
    date_asserted: FhirDateTime | None = None
    information_source: Reference | None = None
    reason_codes: list[CodeableConcept] | None = None
    reason_references: list[Reference] | None = None
    dosages: list[Dosage] | None = None

    patient_id: Derived[str | None] = None
    encounter_id: Derived[str | None] = None
    medication: Derived[str | None] = None
    dosage_text: Derived[str | None] = None
    dose: Derived[Dose | None] = None
    frequency: Derived[str | None] = None
    taken: Derived[TimeRange | None] = None
    prescriber: Derived[str | None] = None
    side_effects: Derived[list[str] | None] = None
