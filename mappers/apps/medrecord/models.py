"""MedRecord AI's rows: the Prisma models of seed 003 united with ticket 001 (seed 004).

The two documents name some fields differently (`conditionName` / `condition`,
`symptomName` / `name`, `isAIExtracted` / `aiGenerated`...) and each adds fields the other
lacks. An app built from either must be accepted, so each model holds the union: a field is
required only where both documents require it, and a required value with two names is a
"one of" rule (`_one_of`) that names both fields when neither is given. Enums are the Prisma
enums verbatim; `Decimal` columns arrive as JSON numbers or, as Prisma serializes them, as
numeric strings (`Decimal`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from gateway.jsonio import ExactDecimal
from mappers.apps.native import Day, Instant, NativeRow

__all__ = [
    "Allergy",
    "AllergySeverity",
    "Appointment",
    "AppointmentStatus",
    "AppointmentType",
    "ChronicCondition",
    "Decimal",
    "MedicalRecord",
    "Patient",
    "Prescription",
    "Provider",
    "Sex",
    "Symptom",
    "VitalSigns",
]

Sex = Literal["male", "female", "other"]
AllergySeverity = Literal["mild", "moderate", "severe", "life_threatening"]
AppointmentType = Literal["new_patient", "follow_up", "routine_checkup", "sick_visit", "telehealth"]
AppointmentStatus = Literal[
    "scheduled", "checked_in", "in_progress", "completed", "cancelled", "no_show"
]


def _decimal(value: Any) -> float | int:
    """A Prisma `Decimal`: a JSON number, or Prisma's JSON form of it, numeric text. Either
    becomes the number with its digits kept (`"185.50"` -> ExactDecimal `185.50`)."""
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return ExactDecimal(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise PydanticCustomError("decimal", "a decimal number or its text is expected")


Decimal = Annotated[float | int, PlainValidator(_decimal, json_schema_input_type=float | int | str)]
"""A Prisma `Decimal` column, as a JSON number or numeric text (see `_decimal`)."""

Severity = Annotated[int, Field(ge=1, le=10)]  # seed 003: "Severity range (1-10)", Zod
Pain = Annotated[int, Field(ge=0, le=10)]  # a 0-10 numeric rating scale (LOINC 72514-3)


def _fail(row: NativeRow, field_name: str, message: str) -> None:
    """A row-level rule's error located at a field, so the 422 names `<entity>[i].<field>`."""
    error = PydanticCustomError("one_of", message)
    detail = InitErrorDetails(type=error, loc=(field_name,), input=None)
    raise ValidationError.from_exception_data(type(row).__name__, [detail])


def _one_of(row: NativeRow, first: str, second: str) -> None:
    """A required value the two documents name differently: either name will do."""
    if getattr(row, first) is None and getattr(row, second) is None:
        _fail(row, first, f"`{first}` (seed 003) or `{second}` (seed 004) is required")
    _agree(row, first, second)


def _agree(row: NativeRow, first: str, second: str) -> None:
    """Both spellings of one value may be sent, but not saying different things."""
    a, b = getattr(row, first), getattr(row, second)
    if a is not None and b is not None and a != b:
        _fail(
            row, second, f"`{first}` (seed 003) and `{second}` (seed 004) are one value and differ"
        )


class _Row(NativeRow):
    """A MedRecord AI row. An empty text is no value: web forms send `""` for a field left
    blank, and FHIR has no empty string (R4 json.html), so `""` or blanks read as absent, and
    a required field left blank is a 422 naming it."""

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}


class Provider(_Row):
    id: str
    email: str
    passwordHash: str | None = None  # required by the seed; a secret the gateway never holds
    firstName: str
    lastName: str
    specialty: str | None = None
    licenseNumber: str | None = None
    phone: str | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class Patient(_Row):
    id: str
    providerId: str | None = None  # 004
    firstName: str
    lastName: str
    dateOfBirth: Day
    sex: Sex
    phone: str | None = None  # required by 003, optional by 004
    email: str | None = None
    address: str | None = None
    city: str | None = None  # 004
    state: str | None = None  # 004
    zipCode: str | None = None  # 004
    emergencyContactName: str
    emergencyContactPhone: str
    emergencyContactRelationship: str | None = None  # 003
    insuranceProvider: str | None = None  # 004
    insurancePolicyNumber: str | None = None  # 004
    notes: str | None = None  # 004
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class Allergy(_Row):
    id: str
    patientId: str
    allergen: str
    reaction: str | None = None
    severity: AllergySeverity | None = None
    onsetDate: Day | None = None  # 003
    createdAt: Instant | None = None
    updatedAt: Instant | None = None  # 004


class ChronicCondition(_Row):
    id: str
    patientId: str
    conditionName: str | None = None  # 003
    condition: str | None = None  # 004
    diagnosisDate: Day | None = None  # 003
    diagnosedDate: Instant | None = None  # 004 (a DateTime there)
    status: str | None = None  # 003, default "active"
    notes: str | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None  # 004

    @model_validator(mode="after")
    def _names(self) -> ChronicCondition:
        _one_of(self, "conditionName", "condition")
        _agree(self, "diagnosisDate", "diagnosedDate")
        return self


class Appointment(_Row):
    id: str
    patientId: str
    providerId: str
    appointmentDate: Instant
    appointmentType: AppointmentType
    reasonForVisit: str | None = None  # 003
    reason: str | None = None  # 004
    notes: str | None = None  # 004
    durationMinutes: Annotated[int, Field(ge=0)] | None = None  # 003, default 30
    status: AppointmentStatus | None = None  # default scheduled
    createdAt: Instant | None = None
    updatedAt: Instant | None = None

    @model_validator(mode="after")
    def _names(self) -> Appointment:
        _agree(self, "reasonForVisit", "reason")
        return self


class MedicalRecord(_Row):
    id: str
    appointmentId: str
    chiefComplaint: str | None = None
    historyOfPresentIllness: str | None = None  # 003
    physicalExamNotes: str | None = None  # 003
    diagnosis: str | None = None  # 003
    diagnosisNotes: str | None = None  # 003
    treatmentPlan: str | None = None  # 003
    followUpInstructions: str | None = None  # 003
    patientEducation: str | None = None  # 003
    subjective: str | None = None  # 004
    objective: str | None = None  # 004
    assessment: str | None = None  # 004
    plan: str | None = None  # 004
    audioFileUrl: str | None = None  # 003
    transcript: str | None = None  # 003
    aiTranscript: str | None = None  # 004
    aiSummary: str | None = None  # 004
    isAIGenerated: bool | None = None  # 003, default false
    isDraft: bool | None = None  # 003, default true
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class Symptom(_Row):
    id: str
    medicalRecordId: str
    symptomName: str | None = None  # 003
    name: str | None = None  # 004
    bodySite: str | None = None  # 003
    severity: Severity | None = None
    duration: str | None = None
    notes: str | None = None
    isAIExtracted: bool | None = None  # 003
    aiGenerated: bool | None = None  # 004
    createdAt: Instant | None = None
    updatedAt: Instant | None = None  # 004

    @model_validator(mode="after")
    def _names(self) -> Symptom:
        _one_of(self, "symptomName", "name")
        _agree(self, "isAIExtracted", "aiGenerated")
        return self


class Prescription(_Row):
    id: str
    medicalRecordId: str
    medicationName: str | None = None  # 003
    medication: str | None = None  # 004
    strength: str | None = None  # 003 (required there; 004 has none)
    dosage: str
    frequency: str
    duration: str | None = None
    quantity: Annotated[int, Field(ge=0)] | None = None
    refills: Annotated[int, Field(ge=0)] | None = None  # default 0
    instructions: str | None = None  # required by 003, optional by 004
    indication: str | None = None  # 003
    isAIExtracted: bool | None = None  # 003
    aiGenerated: bool | None = None  # 004
    createdAt: Instant | None = None
    updatedAt: Instant | None = None  # 004

    @model_validator(mode="after")
    def _names(self) -> Prescription:
        _one_of(self, "medicationName", "medication")
        _agree(self, "isAIExtracted", "aiGenerated")
        return self


class VitalSigns(_Row):
    id: str
    appointmentId: str
    bloodPressureSystolic: int | None = None
    bloodPressureDiastolic: int | None = None
    heartRate: int | None = None
    temperature: Decimal | None = None  # [degF]
    respiratoryRate: int | None = None
    oxygenSaturation: Annotated[int, Field(ge=0, le=100)] | None = None
    weight: Decimal | None = None  # [lb_av]
    height: Decimal | None = None  # [in_i]
    bmi: Decimal | None = None  # 003
    painLevel: Pain | None = None  # 003
    recordedAt: Instant | None = None  # 003, default now()
    createdAt: Instant | None = None  # 004
    updatedAt: Instant | None = None  # 004
