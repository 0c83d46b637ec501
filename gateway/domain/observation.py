"""An observation: a lab biomarker, a vital sign, a wearable metric, a survey answer.

The value keeps its unit as recorded: `[lb_av]` stays pounds and `[degF]` stays Fahrenheit;
beside it, a derived view holds it in its canonical unit, which search compares across units.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from gateway.domain.base import Derived, FhirRecord, TimeRange
from gateway.domain.elements import (
    CodeableConcept,
    Element,
    Identifier,
    Number,
    Period,
    Quantity,
    Range,
    Ratio,
    Reference,
)
from gateway.domain.time import FhirDateTime

Flag = Literal["low", "normal", "high", "critical-low", "critical-high", "abnormal"]
"""How a result compares with its reference range, as a lab report flags it."""
Source = Literal["whoop", "oura", "apple_health", "garmin", "fitbit", "withings", "manual"]
"""The wearable, app or person that took the measurement."""


class Canonical(BaseModel):
    """A value in the canonical unit of its UCUM unit (gateway.ucum): `95 kg` is `95000 g`,
    `98.6 [degF]` is `310.15 K`."""

    model_config = ConfigDict(frozen=True)

    value: Number | None = None  # always set; optional as every decimal of the domain is
    code: str


class MeasuredQuantity(Quantity):
    """A measured value as recorded, and the same value in its canonical unit when its unit
    is a UCUM unit that converts."""

    canonical: Derived[Canonical | None] = None


class ValueChoice(BaseModel):
    """The value of an observation or of one of its components: at most one of these is set."""

    value_quantity: MeasuredQuantity | None = None
    value_concept: CodeableConcept | None = None
    value_string: str | None = None
    value_boolean: bool | None = None
    value_integer: int | None = None
    value_range: Range | None = None
    value_ratio: Ratio | None = None
    value_time: str | None = None
    value_date_time: FhirDateTime | None = None
    value_period: Period | None = None


class ReferenceRange(Element):
    low: Quantity | None = None
    high: Quantity | None = None
    type: CodeableConcept | None = None
    applies_to: list[CodeableConcept] | None = None
    age: Range | None = None
    text: str | None = None


class ObservationComponent(ValueChoice, Element):
    """One part of a panel measured together (systolic and diastolic of a blood pressure)."""

    code: CodeableConcept
    data_absent_reason: CodeableConcept | None = None
    interpretations: list[CodeableConcept] | None = None
    reference_ranges: list[ReferenceRange] | None = None


class ObservationRecord(ValueChoice, FhirRecord):
    identifiers: list[Identifier] | None = None
    status: str
    categories: list[CodeableConcept] | None = None
    code: CodeableConcept
    subject: Reference | None = None
    encounter: Reference | None = None
    effective_date_time: FhirDateTime | None = None
    effective_period: Period | None = None
    effective_instant: FhirDateTime | None = None
    issued: FhirDateTime | None = None
    performers: list[Reference] | None = None
    data_absent_reason: CodeableConcept | None = None
    interpretations: list[CodeableConcept] | None = None
    method: CodeableConcept | None = None
    device: Reference | None = None
    reference_ranges: list[ReferenceRange] | None = None
    members: list[Reference] | None = None
    components: list[ObservationComponent] | None = None

    patient_id: Derived[str | None] = None
    encounter_id: Derived[str | None] = None
    effective: Derived[TimeRange | None] = None
    flag: Derived[Flag | None] = None
    source: Derived[Source | None] = None
