"""FHIR back to the exercise tables: ActivityDefinition -> Exercises, ServiceRequest ->
ExercisePrescriptions, exercise-session Observation -> ExerciseLogs.

Only resources carrying this app's identifier come back here: an EHR's ServiceRequests and
activity Observations are too varied to read as the app's prescriptions and logs.
"""

from __future__ import annotations

from typing import Any

from gateway.jsonio import Json
from mappers.apps.base import Exported, FhirView
from mappers.apps.concepts import untranslate
from mappers.apps.heart_recovery.tracking import shared
from mappers.apps.heart_recovery.tracking.exercise import (
    DIFFICULTY,
    ORDER_DETAILS,
    PRESCRIPTION_STATUS,
)
from mappers.apps.heart_recovery.tracking.models import (
    ExerciseLogs,
    ExercisePrescriptions,
    Exercises,
)
from mappers.apps.native import SID


def _exercise_id(view: FhirView, concept: Any) -> int | None:
    system = f"{SID}/{view.app}/Exercises"
    for found in concept.get("coding", ()) if isinstance(concept, dict) else ():
        code = found.get("code")
        if found.get("system") == system and isinstance(code, str) and code.isdigit():
            return int(code)
    return None


def _exercise(view: FhirView, resource: Json, native_id: int) -> Exercises | None:
    topics = resource.get("topic", ())
    artifacts = {a.get("label"): a.get("url") for a in resource.get("relatedArtifact", ())}
    difficulty = next(
        (
            c.get("code")
            for t in topics
            for c in t.get("coding", ())
            if c.get("system") == DIFFICULTY
        ),
        None,
    )
    return shared.build(
        Exercises,
        id=native_id,
        name=resource.get("title") or resource.get("code", {}).get("text"),
        category=next((t["text"] for t in topics if "coding" not in t and "text" in t), None),
        description=resource.get("description"),
        instructions=resource.get("usage"),
        videoUrl=artifacts.get("video"),
        imageUrl=artifacts.get("image"),
        difficulty=difficulty,
        targetMuscles=next((b.get("text") for b in resource.get("bodySite", ())), None),
        equipment=_equipment(resource),
        isActive={"active": True, "retired": False}.get(resource.get("status", "")),
        updatedAt=resource.get("date"),
    )


def _equipment(resource: Json) -> str | None:
    for participant in resource.get("participant", ()):
        if participant.get("type") == "device" and isinstance(participant.get("role"), dict):
            text = participant["role"].get("text")
            return text if isinstance(text, str) else None
    return None


def _prescription_id(view: FhirView, resource: Json) -> int | None:
    based_on = resource.get("basedOn", ())
    return next((shared.native_int(view, b, "ExercisePrescriptions") for b in based_on), None)


def _details(resource: Json) -> dict[str, Any]:
    """`sets: 3`, `reps: 12`, `intensity: moderate` back as columns."""
    labels = {label: column for column, label in ORDER_DETAILS}
    found: dict[str, Any] = {}
    for detail in resource.get("orderDetail", ()):
        label, _, value = str(detail.get("text", "")).partition(": ")
        column = labels.get(label)
        if column == "intensity":
            found[column] = value
        elif column is not None and value.isdigit():
            found[column] = int(value)
    return found


def _profile_id(view: FhirView, subject: Any) -> int | None:
    """The `Patients` row behind a prescription's subject: the profile itself, or the profile
    linking to that account (the lowest id when several therapists keep one)."""
    found = shared.native_int(view, subject, "Patients")
    if found is not None or not isinstance(subject, dict):
        return found
    linking = [
        shared.own_id(view, patient, "Patients")
        for patient in view.of_type("Patient")
        if any(
            link.get("other", {}).get("reference") == subject.get("reference")
            for link in patient.get("link", ())
        )
    ]
    return min((i for i in linking if i is not None), default=None)


def _prescription(view: FhirView, resource: Json, native_id: int) -> ExercisePrescriptions | None:
    exercise_id = _exercise_id(view, resource.get("code"))
    patient_id = _profile_id(view, resource.get("subject"))
    if exercise_id is None or patient_id is None:
        return None
    timing = resource.get("occurrenceTiming", {})
    repeat = timing.get("repeat", {})
    bounds = repeat.get("boundsPeriod", {})
    return shared.build(
        ExercisePrescriptions,
        id=native_id,
        patientId=patient_id,
        exerciseId=exercise_id,
        duration=shared.whole(repeat.get("duration")) if repeat.get("durationUnit") == "min" else None,
        frequency=timing.get("code", {}).get("text"),
        startDate=bounds.get("start"),
        endDate=bounds.get("end"),
        status=untranslate(PRESCRIPTION_STATUS, resource.get("status", "")),
        notes=shared.note_text(resource),
        createdAt=resource.get("authoredOn"),
        **_details(resource),
    )  # fmt: skip


COMPONENTS = {
    "duration": "55411-3",
    "distance": "55412-1",
    "calories": "55424-6",
    "avgHeartRate": "55425-3",
    "maxHeartRate": "55426-1",
}
UNITS = {"duration": "min", "distance": "[mi_i]", "calories": "kcal"}


def _log(view: FhirView, resource: Json, native_id: int) -> ExerciseLogs | None:
    when = shared.effective(resource)
    if when is None:
        return None
    fields: dict[str, Any] = {}
    for column, code in COMPONENTS.items():
        value = shared.quantity_value(
            shared.component(resource, shared.LOINC, code), UNITS.get(column, "/min")
        )
        if value is not None:
            fields[column] = value if column == "distance" else shared.whole(value)
    intensity = shared.component(resource, shared.APP_SCORE, "perceived-intensity")
    return shared.build(
        ExerciseLogs,
        id=native_id,
        userId=shared.user_id(view, resource.get("subject")),
        exerciseId=_exercise_id(view, resource.get("valueCodeableConcept")),
        prescriptionId=_prescription_id(view, resource),
        intensity=intensity.get("valueString") if intensity else None,
        completedAt=when,
        notes=shared.note_text(resource),
        createdAt=resource.get("issued"),
        **fields,
    )


def rows(view: FhirView) -> list[Exported]:
    found: list[Exported] = []
    readers = (
        ("ActivityDefinition", "Exercises", _exercise),
        ("ServiceRequest", "ExercisePrescriptions", _prescription),
        ("Observation", "ExerciseLogs", _log),
    )
    for resource_type, entity, read in readers:
        for resource in view.of_type(resource_type):
            native_id = shared.own_id(view, resource, entity)
            row = read(view, resource, native_id) if native_id is not None else None
            if row is not None:
                found.append(Exported(entity, row, (view.ref(resource),)))
    return found
