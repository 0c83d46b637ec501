"""The Digital Medical Twin's records as its seed document defines them (000_ed86d7a43c3150a7).

The seed writes TypeScript interfaces: `User` with embedded `UserSettings`, and an abstract
`BaseEvent` with five subtypes told apart by `type`. The request carries one `Event` list, so
`Event` is one flat model holding every subtype's fields; before it validates, the row is
validated as its subtype (`LabResult`, `DoctorVisit`, ...), which names the missing field of
that subtype and refuses another subtype's fields (`Event[3].doctorName`). Its JSON schema is
the union of the subtypes, discriminated by `type`.

Optional fields are the seed's `?` fields, plus three the gateway cannot give back: the secret
`passwordHash` (never stored), `settings` (app preferences with no FHIR home) and the
`createdAt`/`updatedAt` bookkeeping the app's store sets; a row rebuilt from FHIR lacks them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    Field,
    GetJsonSchemaHandler,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from mappers.apps.native import Instant, NativeRow

__all__ = [
    "Biomarker",
    "DoctorVisit",
    "Event",
    "EventType",
    "Intervention",
    "InterventionCategory",
    "LabResult",
    "Medication",
    "Metric",
    "MetricSource",
    "User",
    "UserSettings",
]


def _fhir_string(text: str) -> str:
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text):
        raise ValueError("control characters (other than tab, CR and LF) are not allowed")
    return text


Text = Annotated[str, StringConstraints(pattern=r"\S"), AfterValidator(_fhir_string)]
"""A string FHIR can carry: never empty, no control characters (datatypes.html#string)."""


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a number")
    return value  # an ExactDecimal (gateway.jsonio) stays one: `185.50` comes back `185.50`


Number = Annotated[float | int, PlainValidator(_number), WithJsonSchema({"type": "number"})]
"""A JSON number kept as written, as gateway.jsonio.ExactNumber does; one validator rather
than ExactNumber's union, so a wrong type is reported at the field (`Event[0].value`), not at
`Event[0].value.float` and `.int`."""

EventType = Literal["lab_result", "doctor_visit", "medication", "intervention", "metric"]
InterventionCategory = Literal["diet", "exercise", "supplement", "sleep", "stress", "other"]
MetricSource = Literal["whoop", "oura", "apple_health", "garmin", "manual"]
Flag = Literal["high", "low", "normal"]


class UserSettings(NativeRow):
    aiProvider: Literal["openai", "google"]
    aiModel: str
    apiKey: str | None = None  # encrypted, a secret: dropped, never mapped
    theme: Literal["light", "dark", "system"]


class User(NativeRow):
    id: Text
    username: Text
    passwordHash: str | None = None  # a secret: accepted, dropped, never mapped
    email: Text | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None
    settings: UserSettings | None = None


class Biomarker(NativeRow):
    name: Text
    value: Number
    unit: Text
    referenceMin: Number | None = None
    referenceMax: Number | None = None
    flag: Flag | None = None


class BaseEvent(NativeRow):
    id: Text
    userId: Text
    type: EventType
    date: Instant
    title: Text
    notes: Text | None = None
    tags: list[Text] | None = None
    createdAt: Instant | None = None
    updatedAt: Instant | None = None


class LabResult(BaseEvent):
    type: Literal["lab_result"]
    labName: Text | None = None
    orderingDoctor: Text | None = None
    biomarkers: list[Biomarker]


class DoctorVisit(BaseEvent):
    type: Literal["doctor_visit"]
    doctorName: Text
    specialty: Text | None = None
    facility: Text | None = None
    diagnosis: list[Text] | None = None
    followUp: Text | None = None


class Medication(BaseEvent):
    type: Literal["medication"]
    medicationName: Text
    dosage: Text
    frequency: Text
    prescriber: Text | None = None
    reason: Text | None = None
    startDate: Instant
    endDate: Instant | None = None
    sideEffects: list[Text] | None = None


class Intervention(BaseEvent):
    type: Literal["intervention"]
    interventionName: Text
    category: InterventionCategory
    startDate: Instant
    endDate: Instant | None = None
    protocol: Text | None = None


class Metric(BaseEvent):
    type: Literal["metric"]
    source: MetricSource
    metricName: Text
    value: Number
    unit: Text | None = None


SUBTYPES: dict[str, type[BaseEvent]] = {
    "lab_result": LabResult,
    "doctor_visit": DoctorVisit,
    "medication": Medication,
    "intervention": Intervention,
    "metric": Metric,
}
_SubtypeUnion = Annotated[
    LabResult | DoctorVisit | Medication | Intervention | Metric, Field(discriminator="type")
]


class Event(BaseEvent):
    """Any event: the base fields and every subtype's, each subtype's checked by `type`."""

    subtypes: ClassVar[dict[str, type[BaseEvent]]] = SUBTYPES

    labName: Text | None = None
    orderingDoctor: Text | None = None
    biomarkers: list[Biomarker] | None = None
    doctorName: Text | None = None
    specialty: Text | None = None
    facility: Text | None = None
    diagnosis: list[Text] | None = None
    followUp: Text | None = None
    medicationName: Text | None = None
    dosage: Text | None = None
    frequency: Text | None = None
    prescriber: Text | None = None
    reason: Text | None = None
    startDate: Instant | None = None
    endDate: Instant | None = None
    sideEffects: list[Text] | None = None
    interventionName: Text | None = None
    category: InterventionCategory | None = None
    protocol: Text | None = None
    source: MetricSource | None = None
    metricName: Text | None = None
    value: Number | None = None
    unit: Text | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _as_subtype(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Validate as the subtype first: its ValidationError keeps the field locations."""
        if isinstance(data, dict):
            kind = data.get("type")
            subtype = SUBTYPES.get(kind) if isinstance(kind, str) else None
            if subtype is not None:
                subtype.model_validate(data)
        return handler(data)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The schema an app reads: one of the five subtypes, by `type`."""
        schema: JsonSchemaValue = handler(TypeAdapter(_SubtypeUnion).core_schema)
        return {"title": "Event", **schema}
