"""An observation: a lab biomarker, a vital sign, a wearable metric, a survey answer.

The value keeps its unit as recorded: `[lb_av]` stays pounds and `[degF]` stays Fahrenheit.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from gateway.domain.base import Derived, FhirRecord, TimeRange
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

Flag = Literal["low", "normal", "high", "critical-low", "critical-high", "abnormal"]
"""How a result compares with its reference range, as a lab report flags it."""
Source = Literal["whoop", "oura", "apple_health", "garmin", "fitbit", "withings", "manual"]
"""The wearable, app or person that took the measurement."""


class ValueChoice(BaseModel):
    """The value of an observation or of one of its components: at most one of these is set."""

    value_quantity: Quantity | None = None
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
