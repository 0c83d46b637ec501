"""Observation <-> `ObservationRecord`: the FHIR name of every field, and the derived views
(patient and encounter ids, effective range, lab flag, wearable source, the canonical form of
each value quantity).

https://hl7.org/fhir/R4/observation.html
"""

from __future__ import annotations

import re

from gateway.domain.base import TimeRange
from gateway.domain.elements import Quantity
from gateway.domain.observation import (
    Canonical,
    Flag,
    MeasuredQuantity,
    ObservationComponent,
    ObservationRecord,
    ReferenceRange,
    Source,
)
from gateway.ucum import UCUM, canonical_json
from mappers import datatypes
from mappers.base import ResourceMapper, record_mapper
from mappers.datatypes import codes, target_id
from mappers.names import FhirNames, NameTable

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
_FLAGS: dict[str, Flag] = {
    "L": "low", "N": "normal", "H": "high", "LL": "critical-low", "HH": "critical-high",
    "LU": "critical-low", "HU": "critical-high", "A": "abnormal", "AA": "abnormal",
}  # fmt: skip
_SOURCES: dict[str, Source] = {
    "whoop": "whoop", "oura": "oura", "ouraring": "oura", "apple": "apple_health",
    "healthkit": "apple_health", "garmin": "garmin", "fitbit": "fitbit", "withings": "withings",
    "manual": "manual",
}  # fmt: skip
# Whole words only, so "Pineapple sensor" is not Apple; `_` separates words too (apple_health).
_SOURCE_WORD = re.compile(rf"(?<![a-z0-9])({'|'.join(map(re.escape, _SOURCES))})(?![a-z0-9])")

VALUE_NAMES = {
    "value_quantity": "valueQuantity", "value_concept": "valueCodeableConcept",
    "value_string": "valueString", "value_boolean": "valueBoolean",
    "value_integer": "valueInteger", "value_range": "valueRange", "value_ratio": "valueRatio",
    "value_time": "valueTime", "value_date_time": "valueDateTime", "value_period": "valuePeriod",
}  # fmt: skip
NAMES: NameTable = {
    **datatypes.NAMES,
    MeasuredQuantity: datatypes.NAMES[Quantity],
    ObservationRecord: FhirNames.of(
        "Observation",
        "status",
        "code",
        "subject",
        "encounter",
        "issued",
        "method",
        "device",
        identifiers="identifier",
        categories="category",
        effective_date_time="effectiveDateTime",
        effective_period="effectivePeriod",
        effective_instant="effectiveInstant",
        performers="performer",
        data_absent_reason="dataAbsentReason",
        interpretations="interpretation",
        reference_ranges="referenceRange",
        members="hasMember",
        components="component",
        **VALUE_NAMES,
    ),
    ObservationComponent: FhirNames.of(
        "Observation.component",
        "code",
        data_absent_reason="dataAbsentReason",
        interpretations="interpretation",
        reference_ranges="referenceRange",
        **VALUE_NAMES,
    ),
    ReferenceRange: FhirNames.of(
        "Observation.referenceRange", "low", "high", "type", "age", "text", applies_to="appliesTo"
    ),
}


def derive(record: ObservationRecord) -> None:
    record.patient_id = target_id(record.subject, "Patient")
    record.encounter_id = target_id(record.encounter, "Encounter")
    record.effective = TimeRange.of(
        record.effective_date_time or record.effective_instant or record.effective_period
    )
    record.flag = flag(record)
    record.source = source(record)
    for value in [record, *(record.components or [])]:
        if value.value_quantity is not None:
            value.value_quantity.canonical = canonical(value.value_quantity)


def canonical(quantity: MeasuredQuantity) -> Canonical | None:
    """The quantity in its canonical unit, when its unit is a UCUM code that converts."""
    if quantity.value is None or quantity.system != UCUM or not quantity.code:
        return None
    found = canonical_json(quantity.value, quantity.code)
    return Canonical.model_construct(**found) if found else None


def flag(record: ObservationRecord) -> Flag | None:
    """The first v3 ObservationInterpretation code that flags a result, in order."""
    return next(
        (
            _FLAGS[code]
            for concept in record.interpretations or []
            for code in codes(concept, INTERPRETATION)
            if code in _FLAGS
        ),
        None,
    )


def source(record: ObservationRecord) -> Source | None:
    """The wearable or app that measured it, from the device it names or `meta.source`."""
    meta_source = str(record.fhir_rest.get("meta", {}).get("source", ""))
    device = record.device
    texts = [device.display or "", device.reference or ""] if device else []
    for text in [*texts, meta_source]:
        word = _SOURCE_WORD.search(text.lower())
        if word:
            return _SOURCES[word.group(1)]
    return None


MAPPER: ResourceMapper[ObservationRecord] = record_mapper(
    "Observation", ObservationRecord, names=NAMES, texts=datatypes.TEXTS, derive=derive
)
