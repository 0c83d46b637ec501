"""`workouts` <-> CarePlan: a routine the user follows, one activity per exercise.

R4 CarePlan (https://hl7.org/fhir/R4/careplan.html) is the patient's plan of activities; each
exercise is an `activity.detail`: name as code text, instructions as description, sets as
`scheduledTiming.repeat.count`, seconds held as `repeat.duration`, repetitions per set as
`quantity` (UCUM `{repetitions}`), easier variants as `norahealth-exercise-modification`
extensions. The workout's type (ConceptMap norahealth-workout-type -> workout-type), difficulty
(difficulty-level) and setting (norahealth-workout-setting) are categories; the expected length
is the `norahealth-workout-duration` extension.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, RowProblem, home, no_home
from mappers.apps.concepts import translate
from mappers.apps.norahealth.common import (
    GATEWAY,
    UCUM,
    Text,
    checked_instant,
    coded,
    enum_coded,
    parse_json,
    patient,
    present,
    resource_base,
)
from mappers.apps.norahealth.models import Workout

__all__ = ["DURATION", "ENTITY", "MODIFICATION", "TYPE_MAP", "Exercise", "exercises"]

TYPE_MAP = f"{GATEWAY}/ConceptMap/norahealth-workout-type"
DURATION = f"{GATEWAY}/StructureDefinition/norahealth-workout-duration"
MODIFICATION = f"{GATEWAY}/StructureDefinition/norahealth-exercise-modification"
REPETITIONS = "{repetitions}"


class Exercise(BaseModel):
    """One `exercises` entry as the seed's JSON structure shows it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    name: Text
    sets: Annotated[int, Field(ge=1)] | None = None  # Timing.repeat.count is a positiveInt
    reps: Annotated[int, Field(ge=0)] | None = None
    duration_seconds: Annotated[int, Field(ge=0)] | None = None
    instructions: Text | None = None
    modifications: list[Text] | None = None


def exercises(text: str) -> list[Exercise]:
    value = parse_json("exercises", text)
    if not isinstance(value, list):
        raise RowProblem("exercises", "`exercises` must be a JSON array of Exercise objects.")
    try:
        return [Exercise.model_validate(item) for item in value]
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(step) for step in first["loc"])
        raise RowProblem("exercises", f"`exercises` {where}: {first['msg']}.") from None


def to_fhir(row: Workout, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("workouts", row.id)
    plan = resource_base("CarePlan", identity, "")
    if row.duration_minutes is not None and row.duration_minutes < 0:
        raise RowProblem("duration_minutes", "a workout's duration is not negative.")
    if row.duration_minutes is not None:
        plan["extension"] = [
            {
                "url": DURATION,
                "valueDuration": {
                    "value": row.duration_minutes,
                    "unit": "min",
                    "system": UCUM,
                    "code": "min",
                },
            }
        ]
    kind = translate(TYPE_MAP, row.type)
    setting = "outdoor" if row.is_outdoor else "indoor"
    plan.update(
        status="active",
        intent="plan",
        category=[
            {**coded("workout-type", kind), "text": row.type},
            enum_coded("difficulty-level", row.difficulty_level),
            coded("norahealth-workout-setting", setting, setting.title()),
        ],
        title=present(row.name),
        subject=patient(ctx, row.user_id),
        created=checked_instant("created_at", row.created_at),
    )
    activities = [{"detail": _detail(exercise)} for exercise in exercises(row.exercises)]
    if activities:
        plan["activity"] = activities
    return [{key: value for key, value in plan.items() if value is not None}]


def _detail(exercise: Exercise) -> Json:
    detail: Json = {}
    if exercise.modifications:
        detail["extension"] = [
            {"url": MODIFICATION, "valueString": m} for m in exercise.modifications
        ]
    detail["code"] = {"text": exercise.name}
    detail["status"] = "unknown"  # the routine is a template: its exercises are not tracked
    repeat: Json = {}
    if exercise.sets is not None:
        repeat["count"] = exercise.sets
    if exercise.duration_seconds is not None:
        repeat.update(duration=exercise.duration_seconds, durationUnit="s")
    if repeat:
        detail["scheduledTiming"] = {"repeat": repeat}
    if exercise.reps is not None:
        detail["quantity"] = {
            "value": exercise.reps,
            "unit": "repetitions",
            "system": UCUM,
            "code": REPETITIONS,
        }
    if exercise.instructions is not None:
        detail["description"] = exercise.instructions
    return detail


ENTITY = Entity(
    name="workouts",
    model=Workout,
    fields={
        "id": home("CarePlan.identifier"),
        "user_id": home("CarePlan.subject"),
        "name": home("CarePlan.title"),
        "type": home(
            "CarePlan.category, CodeSystem workout-type through ConceptMap norahealth-workout-type"
        ),
        "is_outdoor": home(
            "CarePlan.category, CodeSystem norahealth-workout-setting (indoor, outdoor)"
        ),
        "exercises": home(
            "CarePlan.activity.detail per exercise: code text = name, scheduledTiming.repeat.count = sets, "
            "repeat.duration (s) = duration_seconds, quantity {repetitions} = reps, description = instructions, "
            "extension norahealth-exercise-modification per modification"
        ),
        "difficulty_level": home("CarePlan.category, CodeSystem difficulty-level"),
        "duration_minutes": home("CarePlan extension norahealth-workout-duration, Duration in min"),
        "created_at": home("CarePlan.created"),
        "updated_at": no_home("the row's own bookkeeping; FHIR's meta.lastUpdated is the server's"),
    },
    to_fhir=to_fhir,
    primary=("CarePlan",),
    foreign_keys={"user_id": "users"},
)
