"""A medication the patient takes or took: what, how much, how often, from when to when, why.

https://hl7.org/fhir/R4/medicationstatement.html. Side effects have no element in R4; the gateway
reads them from its `medication-side-effect` extension (fhir_profiles/structure-definitions).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from gateway.domain.base import FhirRecord, TimeRange, patient_id_of, reference_id_of
from gateway.domain.elements import (
    CLINICIANS,
    CodeableConcept,
    Element,
    Identifier,
    Period,
    Quantity,
    Range,
    Reference,
)
from gateway.domain.time import FhirDateTime
from gateway.jsonio import ExactNumber

SIDE_EFFECT_URL = "http://fhir-gateway.org/fhir/StructureDefinition/medication-side-effect"


class TimingRepeat(Element):
    frequency: int | None = None
    period: ExactNumber | None = None
    periodUnit: str | None = None


class Timing(Element):
    repeat: TimingRepeat | None = None
    code: CodeableConcept | None = None


class DoseAndRate(Element):
    type: CodeableConcept | None = None
    doseQuantity: Quantity | None = None
    doseRange: Range | None = None


class Dosage(Element):
    sequence: int | None = None
    text: str | None = None
    timing: Timing | None = None
    asNeededBoolean: bool | None = None
    route: CodeableConcept | None = None
    doseAndRate: list[DoseAndRate] | None = None

    def frequency_text(self) -> str | None:
        """`2 per 1 d`, or the timing's code text: how the seed apps write frequency."""
        repeat = self.timing.repeat if self.timing else None
        if repeat and repeat.frequency is not None and repeat.period is not None:
            return f"{repeat.frequency} per {repeat.period:g} {repeat.periodUnit or ''}".strip()
        return self.timing.code.label() if self.timing and self.timing.code else None


class Dose(BaseModel):
    value: ExactNumber | None = None
    unit: str | None = None


class MedicationStatementRecord(FhirRecord):
    derived_fields: ClassVar[frozenset[str]] = frozenset(
        {"patient_id", "encounter_id", "medication", "dosage_text", "dose", "frequency",
         "taken", "prescriber", "side_effects"}
    )  # fmt: skip

    identifiers: list[Identifier] | None = Field(default=None, alias="identifier")
    status: str
    category: CodeableConcept | None = None
    medication_concept: CodeableConcept | None = Field(
        default=None, alias="medicationCodeableConcept"
    )
    medication_reference: Reference | None = Field(default=None, alias="medicationReference")
    subject: Reference
    context: Reference | None = None
    effective_date_time: FhirDateTime | None = Field(default=None, alias="effectiveDateTime")
    effective_period: Period | None = Field(default=None, alias="effectivePeriod")
    date_asserted: FhirDateTime | None = Field(default=None, alias="dateAsserted")
    information_source: Reference | None = Field(default=None, alias="informationSource")
    reason_codes: list[CodeableConcept] | None = Field(default=None, alias="reasonCode")
    reason_references: list[Reference] | None = Field(default=None, alias="reasonReference")
    dosages: list[Dosage] | None = Field(default=None, alias="dosage")

    patient_id: str | None = None
    encounter_id: str | None = None
    medication: str | None = None
    dosage_text: str | None = None
    dose: Dose | None = None
    frequency: str | None = None
    taken: TimeRange | None = None
    prescriber: str | None = None
    side_effects: list[str] | None = None

    def derive(self) -> None:
        self.patient_id = patient_id_of(self.subject)
        self.encounter_id = reference_id_of(self.context, "Encounter")
        self.medication = (
            self.medication_concept.label()
            if self.medication_concept
            else (self.medication_reference.display if self.medication_reference else None)
        )
        first = self.dosages[0] if self.dosages else None
        self.dosage_text = first.text if first else None
        quantity = (
            next((d.doseQuantity for d in (first.doseAndRate or []) if d.doseQuantity), None)
            if first
            else None
        )
        self.dose = (
            Dose(value=quantity.value, unit=quantity.unit or quantity.code) if quantity else None
        )
        self.frequency = first.frequency_text() if first else None
        self.taken = TimeRange.of(self.effective_period or self.effective_date_time)
        source = self.information_source
        self.prescriber = source.label() if source and source.points_to(*CLINICIANS) else None
        self.side_effects = [
            ext.get("valueString")
            or CodeableConcept.model_validate(ext.get("valueCodeableConcept", {})).label()
            or ""
            for ext in self.fhir_rest.get("extension", [])
            if ext.get("url") == SIDE_EFFECT_URL
        ] or None
