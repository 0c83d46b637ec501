"""MedicationStatement <-> `MedicationStatementRecord`: the FHIR name of every field, and the
derived views (patient and encounter ids, medication, dosage text, dose, frequency, when taken,
prescriber, side effects). https://hl7.org/fhir/R4/medicationstatement.html

Side effects have no element in R4; the gateway reads them from its `medication-side-effect`
extension, published as fhir_profiles/source/StructureDefinition-medication-side-effect.json.
"""

from __future__ import annotations

from gateway.domain.base import TimeRange
from gateway.domain.medication_statement import (
    Dosage,
    Dose,
    DoseAndRate,
    MedicationStatementRecord,
    Timing,
    TimingRepeat,
)
from mappers import datatypes
from mappers.base import ResourceMapper, record_mapper
from mappers.datatypes import CLINICIANS, concept, label, points_to, reference_label, target_id
from mappers.names import FhirNames, NameTable

SIDE_EFFECT_URL = "http://fhir-gateway.org/fhir/StructureDefinition/medication-side-effect"

NAMES: NameTable = {
    **datatypes.NAMES,
    MedicationStatementRecord: FhirNames.of(
        "MedicationStatement",
        "status",
        "category",
        "subject",
        "context",
        identifiers="identifier",
        medication_concept="medicationCodeableConcept",
        medication_reference="medicationReference",
        effective_date_time="effectiveDateTime",
        effective_period="effectivePeriod",
        date_asserted="dateAsserted",
        information_source="informationSource",
        reason_codes="reasonCode",
        reason_references="reasonReference",
        dosages="dosage",
    ),
    Dosage: FhirNames.of(
        "Dosage",
        "sequence",
        "text",
        "timing",
        "route",
        as_needed="asNeededBoolean",
        dose_and_rate="doseAndRate",
    ),
    Timing: FhirNames.of("Timing", "repeat", "code"),
    TimingRepeat: FhirNames.of("Timing.repeat", "frequency", "period", period_unit="periodUnit"),
    DoseAndRate: FhirNames.of(
        "Dosage.doseAndRate", "type", dose_quantity="doseQuantity", dose_range="doseRange"
    ),
}


def derive(record: MedicationStatementRecord) -> None:
    record.patient_id = target_id(record.subject, "Patient")
    record.encounter_id = target_id(record.context, "Encounter")
    record.medication = medication(record)
    first = record.dosages[0] if record.dosages else None
    record.dosage_text = first.text if first else None
    record.dose = dose(first) if first else None
    record.frequency = frequency(first) if first else None
    record.taken = TimeRange.of(record.effective_period or record.effective_date_time)
    source = record.information_source
    record.prescriber = (
        reference_label(source) if source and points_to(source, *CLINICIANS) else None
    )
    record.side_effects = side_effects(record)


def medication(record: MedicationStatementRecord) -> str | None:
    """The medication's label, or the display of the Medication it refers to."""
    if record.medication_concept:
        return label(record.medication_concept)
    return record.medication_reference.display if record.medication_reference else None


def dose(dosage: Dosage) -> Dose | None:
    """The first dose quantity of the dosage (a dose range is not one dose)."""
    quantity = next((d.dose_quantity for d in dosage.dose_and_rate or [] if d.dose_quantity), None)
    if quantity is None:
        return None
    return Dose(value=quantity.value, unit=quantity.unit or quantity.code)


def frequency(dosage: Dosage) -> str | None:
    """`2 per 1 d`, or the timing's code text: how the seed apps write frequency."""
    timing = dosage.timing
    repeat = timing.repeat if timing else None
    if repeat and repeat.frequency is not None and repeat.period is not None:
        return f"{repeat.frequency} per {repeat.period:g} {repeat.period_unit or ''}".strip()
    return label(timing.code) if timing and timing.code else None


def side_effects(record: MedicationStatementRecord) -> list[str] | None:
    """The side-effect extensions' values, as text, in order."""
    return [
        extension.get("valueString")
        or label(concept(extension.get("valueCodeableConcept", {})))
        or ""
        for extension in record.fhir_rest.get("extension", [])
        if extension.get("url") == SIDE_EFFECT_URL
    ] or None


MAPPER: ResourceMapper[MedicationStatementRecord] = record_mapper(
    "MedicationStatement",
    MedicationStatementRecord,
    names=NAMES,
    texts=datatypes.TEXTS,
    derive=derive,
)
