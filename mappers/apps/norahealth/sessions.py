"""`workout_sessions` -> Observation (exercise-session): one completed workout.

The kind of workout is the value (from the workout's CarePlan category), the actual duration
and the soreness (`soreness-level`, lower-cased) are components, `basedOn` names the workout's
CarePlan; `issued` is when the app recorded the session.
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, RowProblem, home
from mappers.apps.norahealth.common import (
    LOINC,
    UCUM,
    checked_instant,
    codesystem,
    enum_coded,
    patient,
    present,
    resource_base,
)
from mappers.apps.norahealth.models import WorkoutSession

__all__ = ["DURATION_CODE", "ENTITY", "SORENESS_CODE"]

DURATION_CODE = {"system": LOINC, "code": "55411-3", "display": "Exercise duration"}
SORENESS_CODE = {
    "system": codesystem("app-score"),
    "code": "soreness",
    "display": "Post-workout soreness",
}
ACTIVITY = {
    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
    "code": "activity",
    "display": "Activity",
}


def to_fhir(row: WorkoutSession, ctx: MappingContext) -> list[Json]:
    if row.duration_minutes is not None and row.duration_minutes < 0:
        raise RowProblem("duration_minutes", "a session's duration is not negative.")
    identity = ctx.identity("workout_sessions", row.id)
    session = resource_base("Observation", identity, "", "exercise-session")
    session.update(
        basedOn=[ctx.identity("workouts", row.workout_id).reference("CarePlan")],
        status="final",
        category=[{"coding": [ACTIVITY]}],
        code={"coding": [{"system": LOINC, "code": "73985-4", "display": "Exercise activity"}]},
        subject=patient(ctx, row.user_id),
        effectiveDateTime=checked_instant("completed_at", row.completed_at),
        issued=checked_instant("created_at", row.created_at),
    )
    kind = _workout_kind(ctx, row.workout_id)
    if kind is not None:
        session["valueCodeableConcept"] = kind
    if present(row.notes):
        session["note"] = [{"text": row.notes}]
    components: list[Json] = []
    if row.duration_minutes is not None:
        components.append(
            {
                "code": {"coding": [DURATION_CODE]},
                "valueQuantity": {
                    "value": row.duration_minutes,
                    "unit": "min",
                    "system": UCUM,
                    "code": "min",
                },
            }
        )
    if row.soreness_level is not None:
        soreness = enum_coded("soreness-level", row.soreness_level)
        components.append({"code": {"coding": [SORENESS_CODE]}, "valueCodeableConcept": soreness})
    if components:
        session["component"] = components
    return [session]


def _workout_kind(ctx: MappingContext, workout_id: str) -> Json | None:
    """The workout-type coding of the session's workout (its CarePlan's first category)."""
    plan = ctx.resource("workouts", workout_id)
    for category in (plan or {}).get("category", ()):
        for coding in category.get("coding", ()):
            if coding.get("system") == codesystem("workout-type"):
                return {"coding": [coding]}
    return None


ENTITY = Entity(
    name="workout_sessions",
    model=WorkoutSession,
    fields={
        "id": home("Observation (exercise-session) identifier"),
        "workout_id": home("Observation.basedOn (the workout's CarePlan); its type is the value"),
        "user_id": home("Observation.subject"),
        "completed_at": home("Observation.effectiveDateTime"),
        "soreness_level": home(
            "Observation.component app-score#soreness, valueCodeableConcept CodeSystem soreness-level"
        ),
        "duration_minutes": home("Observation.component LOINC 55411-3, valueQuantity min"),
        "notes": home("Observation.note.text"),
        "created_at": home("Observation.issued"),
    },
    to_fhir=to_fhir,
    primary=("Observation",),
    foreign_keys={"workout_id": "workouts", "user_id": "users"},
)
