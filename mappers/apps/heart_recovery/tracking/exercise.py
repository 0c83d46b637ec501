"""The exercise library and what is done with it: Exercises -> ActivityDefinition,
ExercisePrescriptions -> ServiceRequest, ExerciseLogs -> Observation (exercise-session).

The library is a code system of the app's own: an exercise is the code `<id>` in the system
`<SID>/heart-recovery/Exercises` (its identifier system). ActivityDefinition.code, the
prescription's ServiceRequest.code and a log's valueCodeableConcept all carry that coding, so
a log or a prescription names its exercise without a resource type that cannot point at an
ActivityDefinition. https://hl7.org/fhir/R4/activitydefinition.html,
https://hl7.org/fhir/R4/servicerequest.html
"""

from __future__ import annotations

from gateway.jsonio import Json
from mappers.apps.base import Entity, MappingContext, home, no_home
from mappers.apps.concepts import translate
from mappers.apps.heart_recovery.tracking import shared
from mappers.apps.heart_recovery.tracking.models import (
    ExerciseLogs,
    ExercisePrescriptions,
    Exercises,
)
from mappers.apps.native import GATEWAY, fhir_datetime

PRESCRIPTION_STATUS = f"{GATEWAY}/ConceptMap/heart-recovery-prescription-status"
DIFFICULTY = f"{GATEWAY}/CodeSystem/difficulty-level"
SNOMED = "http://snomed.info/sct"
EXERCISE_THERAPY = ("229065009", "Exercise therapy")
BOOKKEEPING = "the row's own bookkeeping; FHIR's meta.lastUpdated is the server's"
ORDER_DETAILS = (("sets", "sets"), ("reps", "reps"), ("intensity", "intensity"))
"""(column, label): ServiceRequest.orderDetail texts are `<label>: <value>`."""


def exercise_concept(ctx: MappingContext, exercise_id: int) -> Json:
    """The exercise `exercise_id` of the app's library as a coding."""
    identity = ctx.identity("Exercises", exercise_id)
    return {"coding": [{"system": identity.system, "code": identity.native_id}]}


def _exercise(row: Exercises, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("Exercises", row.id)
    resource = shared.skeleton("ActivityDefinition", identity, "", None)  # no gateway profile
    resource["title"] = row.name
    resource["status"] = {True: "active", False: "retired", None: "unknown"}[row.isActive]
    shared.put(resource, "date", row.updatedAt and fhir_datetime(row.updatedAt))
    shared.put(resource, "description", row.description)
    topics = [{"text": row.category}] if row.category is not None else []
    if row.difficulty is not None:
        topics.append(shared.concept(DIFFICULTY, row.difficulty))
    shared.put(resource, "topic", topics or None)
    shared.put(resource, "usage", row.instructions)
    artifacts = [
        {"type": "documentation", "label": label, "url": url}
        for label, url in (("video", row.videoUrl), ("image", row.imageUrl))
        if url is not None
    ]
    shared.put(resource, "relatedArtifact", artifacts or None)
    resource["kind"] = "ServiceRequest"
    resource["code"] = {**exercise_concept(ctx, row.id), "text": row.name}
    if row.equipment is not None:
        resource["participant"] = [{"type": "device", "role": {"text": row.equipment}}]
    shared.put(resource, "bodySite", row.targetMuscles and [{"text": row.targetMuscles}])
    return [resource]


def prescribed_for(ctx: MappingContext, patient_id: int) -> Json:
    """The Patient a prescription is for: the patient's app account when the therapist's profile
    (`Patients`) links to one (so it shows in that Patient's compartment), else the profile."""
    profile = ctx.resource("Patients", patient_id)
    for link in profile.get("link", ()) if profile else ():
        account = link.get("other", {}).get("reference")
        if link.get("type") == "seealso" and isinstance(account, str):
            return {"reference": account}
    return ctx.identity("Patients", patient_id).reference("Patient")


def _timing(row: ExercisePrescriptions) -> Json | None:
    repeat: Json = {}
    if row.startDate is not None or row.endDate is not None:
        bounds: Json = {}
        shared.put(bounds, "start", row.startDate and fhir_datetime(row.startDate))
        shared.put(bounds, "end", row.endDate and fhir_datetime(row.endDate))
        repeat["boundsPeriod"] = bounds
    if row.duration is not None:
        repeat |= {"duration": row.duration, "durationUnit": "min"}
    timing: Json = {}
    shared.put(timing, "repeat", repeat or None)
    shared.put(timing, "code", row.frequency and {"text": row.frequency})
    return timing or None


def _prescription(row: ExercisePrescriptions, ctx: MappingContext) -> list[Json]:
    identity = ctx.identity("ExercisePrescriptions", row.id)
    resource = shared.skeleton("ServiceRequest", identity, "", None)  # no gateway profile
    resource["status"] = translate(PRESCRIPTION_STATUS, row.status) if row.status else "unknown"
    resource["intent"] = "order"
    resource["category"] = [shared.concept(SNOMED, *EXERCISE_THERAPY)]
    resource["code"] = exercise_concept(ctx, row.exerciseId)
    details = [
        {"text": f"{label}: {getattr(row, column)}"}
        for column, label in ORDER_DETAILS
        if getattr(row, column) is not None
    ]
    shared.put(resource, "orderDetail", details or None)
    resource["subject"] = prescribed_for(ctx, row.patientId)
    shared.put(resource, "occurrenceTiming", _timing(row))
    shared.put(resource, "authoredOn", row.createdAt and fhir_datetime(row.createdAt))
    shared.note(resource, row.notes)
    return [resource]


def _component(code: str, display: str, value: object, unit: str, ucum: str) -> Json:
    return {
        "code": shared.concept(shared.LOINC, code, display),
        "valueQuantity": shared.quantity(value, unit, ucum),
    }


def _log(row: ExerciseLogs, ctx: MappingContext) -> list[Json]:
    for column in ("duration", "distance", "calories", "avgHeartRate", "maxHeartRate"):
        shared.within(column, getattr(row, column), 0)
    identity = ctx.identity("ExerciseLogs", row.id)
    resource = shared.skeleton("Observation", identity, "", shared.profile("exercise-session"))
    if row.prescriptionId is not None:
        resource["basedOn"] = [
            ctx.identity("ExercisePrescriptions", row.prescriptionId).reference("ServiceRequest")
        ]
    resource["status"] = "final"
    resource["category"] = shared.category("activity", "Activity")
    resource["code"] = shared.concept(shared.LOINC, "73985-4", "Exercise activity")
    resource["subject"] = shared.patient_ref(ctx, row.userId)
    resource["effectiveDateTime"] = fhir_datetime(row.completedAt)
    shared.issued(resource, row.createdAt)
    if row.exerciseId is not None:
        resource["valueCodeableConcept"] = exercise_concept(ctx, row.exerciseId)
    measured = [
        ("55411-3", "Exercise duration", row.duration, "min", "min"),
        ("55412-1", "Exercise distance unspecified time", row.distance, "mi", "[mi_i]"),
        ("55424-6", "Calories burned in unspecified time Pedometer", row.calories, "kcal", "kcal"),
        (
            "55425-3",
            "Heart rate unspecified time mean by Pedometer",
            row.avgHeartRate,
            "/min",
            "/min",
        ),
        (
            "55426-1",
            "Heart rate unspecified time maximum by Pedometer",
            row.maxHeartRate,
            "/min",
            "/min",
        ),
    ]
    components = [_component(*m) for m in measured if m[2] is not None]
    if row.intensity is not None:
        code = shared.concept(
            shared.APP_SCORE, "perceived-intensity", "Perceived exercise intensity"
        )
        components.append({"code": code, "valueString": row.intensity})
    shared.put(resource, "component", components or None)
    shared.note(resource, row.notes)
    return [resource]


EXERCISES = Entity(
    name="Exercises",
    model=Exercises,
    to_fhir=_exercise,
    primary=("ActivityDefinition",),
    fields={
        "id": home(
            "ActivityDefinition.identifier; ActivityDefinition.code.coding (system <SID>/heart-recovery/Exercises, code the id)"
        ),
        "name": home("ActivityDefinition.title and code.text"),
        "category": home("ActivityDefinition.topic (text)"),
        "description": home("ActivityDefinition.description"),
        "instructions": home("ActivityDefinition.usage"),
        "videoUrl": home("ActivityDefinition.relatedArtifact (documentation, label video).url"),
        "imageUrl": home("ActivityDefinition.relatedArtifact (documentation, label image).url"),
        "difficulty": home("ActivityDefinition.topic, CodeSystem difficulty-level"),
        "targetMuscles": home("ActivityDefinition.bodySite (text)"),
        "equipment": home("ActivityDefinition.participant (type device).role.text"),
        "isActive": home("ActivityDefinition.status: true active, false retired, null unknown"),
        "createdAt": no_home(BOOKKEEPING),
        "updatedAt": home("ActivityDefinition.date (the definition's last change)"),
    },
)

PRESCRIPTIONS = Entity(
    name="ExercisePrescriptions",
    model=ExercisePrescriptions,
    to_fhir=_prescription,
    primary=("ServiceRequest",),
    foreign_keys={"patientId": "Patients", "exerciseId": "Exercises"},
    fields={
        "id": home("ServiceRequest.identifier"),
        "patientId": home(
            "ServiceRequest.subject: the Patient of the profile's account (Patient.link seealso), else the Patients row's Patient"
        ),
        "exerciseId": home("ServiceRequest.code.coding (system <SID>/heart-recovery/Exercises)"),
        "sets": home("ServiceRequest.orderDetail.text `sets: <n>`"),
        "reps": home("ServiceRequest.orderDetail.text `reps: <n>`"),
        "duration": home("ServiceRequest.occurrenceTiming.repeat.duration, min"),
        "frequency": home("ServiceRequest.occurrenceTiming.code.text"),
        "intensity": home("ServiceRequest.orderDetail.text `intensity: <text>`"),
        "startDate": home("ServiceRequest.occurrenceTiming.repeat.boundsPeriod.start"),
        "endDate": home("ServiceRequest.occurrenceTiming.repeat.boundsPeriod.end"),
        "status": home(
            "ServiceRequest.status through ConceptMap heart-recovery-prescription-status (discontinued -> revoked; null -> unknown)"
        ),
        "notes": home("ServiceRequest.note[0].text"),
        "createdAt": home("ServiceRequest.authoredOn"),
        "updatedAt": no_home(BOOKKEEPING),
    },
)

LOGS = Entity(
    name="ExerciseLogs",
    model=ExerciseLogs,
    to_fhir=_log,
    primary=("Observation",),
    foreign_keys={
        "userId": "Users",
        "exerciseId": "Exercises",
        "prescriptionId": "ExercisePrescriptions",
    },
    fields={
        "id": home("Observation (exercise-session profile).identifier"),
        "userId": home("Observation.subject (the Users row's Patient)"),
        "exerciseId": home(
            "Observation.valueCodeableConcept.coding (system <SID>/heart-recovery/Exercises): the kind of workout"
        ),
        "prescriptionId": home("Observation.basedOn (the prescription's ServiceRequest)"),
        "duration": home("Observation.component LOINC 55411-3 valueQuantity, min"),
        "distance": home("Observation.component LOINC 55412-1 valueQuantity, [mi_i]"),
        "calories": home("Observation.component LOINC 55424-6 valueQuantity, kcal"),
        "avgHeartRate": home("Observation.component LOINC 55425-3 valueQuantity, /min"),
        "maxHeartRate": home("Observation.component LOINC 55426-1 valueQuantity, /min"),
        "intensity": home("Observation.component app-score#perceived-intensity valueString"),
        "completedAt": home("Observation.effectiveDateTime"),
        "notes": home("Observation.note[0].text"),
        "createdAt": home("Observation.issued"),
        "updatedAt": no_home(BOOKKEEPING),
    },
)
