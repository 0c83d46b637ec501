"""An observation: a lab biomarker, a vital sign, a wearable metric, a survey answer.

https://hl7.org/fhir/R4/observation.html. The value keeps its unit as sent: `[lb_av]` stays
pounds and `[degF]` stays Fahrenheit.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from gateway.domain.base import FhirRecord, TimeRange, patient_id_of, reference_id_of
from gateway.domain.elements import (
    CodeableConcept,
    Element,
    Identifier,
    Period,
    Quantity,
    Range,
    Ratio,
    Reference,
)
from gateway.domain.time import FhirDateTime

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
Flag = Literal["low", "normal", "high", "critical-low", "critical-high", "abnormal"]
_FLAGS: dict[str, Flag] = {
    "L": "low", "N": "normal", "H": "high", "LL": "critical-low", "HH": "critical-high",
    "LU": "critical-low", "HU": "critical-high", "A": "abnormal", "AA": "abnormal",
}  # fmt: skip
Source = Literal["whoop", "oura", "apple_health", "garmin", "fitbit", "withings", "manual"]
_SOURCES: dict[str, Source] = {
    "whoop": "whoop", "oura": "oura", "ouraring": "oura", "apple": "apple_health",
    "healthkit": "apple_health", "garmin": "garmin", "fitbit": "fitbit", "withings": "withings",
    "manual": "manual",
}  # fmt: skip
# Whole words only, so "Pineapple sensor" is not Apple; `_` separates words too (apple_health).
_SOURCE_WORD = re.compile(rf"(?<![a-z0-9])({'|'.join(map(re.escape, _SOURCES))})(?![a-z0-9])")


class ValueChoice(BaseModel):
    """Observation.value[x] and component.value[x]: one of these is set."""

    value_quantity: Quantity | None = Field(default=None, alias="valueQuantity")
    value_concept: CodeableConcept | None = Field(default=None, alias="valueCodeableConcept")
    value_string: str | None = Field(default=None, alias="valueString")
    value_boolean: bool | None = Field(default=None, alias="valueBoolean")
    value_integer: int | None = Field(default=None, alias="valueInteger")
    value_range: Range | None = Field(default=None, alias="valueRange")
    value_ratio: Ratio | None = Field(default=None, alias="valueRatio")
    value_time: str | None = Field(default=None, alias="valueTime")
    value_date_time: FhirDateTime | None = Field(default=None, alias="valueDateTime")
    value_period: Period | None = Field(default=None, alias="valuePeriod")


class ReferenceRange(Element):
    low: Quantity | None = None
    high: Quantity | None = None
    type: CodeableConcept | None = None
    appliesTo: list[CodeableConcept] | None = None
    age: Range | None = None
    text: str | None = None


class ObservationComponent(ValueChoice, Element):
    code: CodeableConcept
    dataAbsentReason: CodeableConcept | None = None
    interpretation: list[CodeableConcept] | None = None
    referenceRange: list[ReferenceRange] | None = None


class ObservationRecord(ValueChoice, FhirRecord):
    derived_fields: ClassVar[frozenset[str]] = frozenset(
        {"patient_id", "encounter_id", "effective", "flag", "source"}
    )

    identifiers: list[Identifier] | None = Field(default=None, alias="identifier")
    status: str
    categories: list[CodeableConcept] | None = Field(default=None, alias="category")
    code: CodeableConcept
    subject: Reference | None = None
    encounter: Reference | None = None
    effective_date_time: FhirDateTime | None = Field(default=None, alias="effectiveDateTime")
    effective_period: Period | None = Field(default=None, alias="effectivePeriod")
    effective_instant: FhirDateTime | None = Field(default=None, alias="effectiveInstant")
    issued: FhirDateTime | None = None
    performers: list[Reference] | None = Field(default=None, alias="performer")
    data_absent_reason: CodeableConcept | None = Field(default=None, alias="dataAbsentReason")
    interpretations: list[CodeableConcept] | None = Field(default=None, alias="interpretation")
    method: CodeableConcept | None = None
    device: Reference | None = None
    reference_ranges: list[ReferenceRange] | None = Field(default=None, alias="referenceRange")
    members: list[Reference] | None = Field(default=None, alias="hasMember")
    components: list[ObservationComponent] | None = Field(default=None, alias="component")

    patient_id: str | None = None
    encounter_id: str | None = None
    effective: TimeRange | None = None
    flag: Flag | None = None
    source: Source | None = None

    def derive(self) -> None:
        self.patient_id = patient_id_of(self.subject)
        self.encounter_id = reference_id_of(self.encounter, "Encounter")
        self.effective = TimeRange.of(
            self.effective_date_time or self.effective_instant or self.effective_period
        )
        self.flag = next(
            (
                _FLAGS[code]
                for concept in self.interpretations or []
                for code in concept.codes(INTERPRETATION)
                if code in _FLAGS
            ),
            None,
        )
        self.source = self._source()

    def _source(self) -> Source | None:
        """The wearable or app that measured it, from the device it names or `meta.source`."""
        meta_source = str(self.fhir_rest.get("meta", {}).get("source", ""))
        texts = [self.device.display or "", self.device.reference or ""] if self.device else []
        for text in [*texts, meta_source]:
            word = _SOURCE_WORD.search(text.lower())
            if word:
                return _SOURCES[word.group(1)]
        return None
