"""workouts and workout_sessions back from FHIR: NoraHealth's own CarePlans and exercise-session
Observations. An EHR's care plans and exercise observations are not NoraHealth routines: a
routine's NOT NULL columns (exercises, difficulty) are the app's own design."""

from __future__ import annotations

from typing import Any

from gateway.jsonio import Json
from mappers.apps.base import Exported, FhirView
from mappers.apps.concepts import untranslate
from mappers.apps.norahealth.common import codesystem, epoch, json_text
from mappers.apps.norahealth.models import FitnessLevel, Soreness, Workout, WorkoutSession
from mappers.apps.norahealth.sessions import DURATION_CODE, SORENESS_CODE
from mappers.apps.norahealth.workouts import DURATION, MODIFICATION, TYPE_MAP

__all__ = ["workout_sessions", "workouts"]

_LEVELS: tuple[FitnessLevel, ...] = ("BEGINNER", "INTERMEDIATE", "ADVANCED")
_SORENESS: tuple[Soreness, ...] = ("NONE", "MILD", "MODERATE", "SEVERE")


def workouts(view: FhirView, user_id: str) -> list[Exported]:
    rows = []
    for plan in view.of_type("CarePlan"):
        native_id = view.native_id(plan, "workouts")
        kind = untranslate(TYPE_MAP, _code(plan.get("category", ()), "workout-type") or "")
        level = (_code(plan.get("category", ()), "difficulty-level") or "").upper()
        created = epoch(plan.get("created"))
        if native_id is None or kind is None or level not in _LEVELS or created is None:
            continue
        row = Workout.model_validate(
            {
                "id": native_id,
                "user_id": user_id,
                "name": plan.get("title", ""),
                "type": kind,
                "is_outdoor": _code(plan["category"], "norahealth-workout-setting") == "outdoor",
                "exercises": json_text(
                    [_exercise(a.get("detail", {})) for a in plan.get("activity", ())]
                ),
                "difficulty_level": level,
                "duration_minutes": _duration(plan),
                "created_at": created,
            }
        )
        rows.append(Exported("workouts", row, (view.ref(plan),)))
    return rows


def _code(concepts: Any, system: str) -> str | None:
    for concept in concepts:
        for coding in concept.get("coding", ()):
            if coding.get("system") == codesystem(system) and "code" in coding:
                return str(coding["code"])
    return None


def _duration(plan: Json) -> int | None:
    for extension in plan.get("extension", ()):
        if extension.get("url") == DURATION:
            value = extension.get("valueDuration", {}).get("value")
            return value if isinstance(value, int) else None
    return None


def _exercise(detail: Json) -> Json:
    """An exercise with the seed's keys, absent ones null (as the seed's example writes them)."""
    repeat = detail.get("scheduledTiming", {}).get("repeat", {})
    mods = [
        e["valueString"]
        for e in detail.get("extension", ())
        if e.get("url") == MODIFICATION and isinstance(e.get("valueString"), str)
    ]
    return {
        "name": detail.get("code", {}).get("text", ""),
        "sets": repeat.get("count"),
        "reps": detail.get("quantity", {}).get("value"),
        "duration_seconds": repeat.get("duration"),
        "instructions": detail.get("description"),
        "modifications": mods or None,
    }


def workout_sessions(view: FhirView, user_id: str) -> list[Exported]:
    rows = []
    for observation in view.of_type("Observation"):
        native_id = view.native_id(observation, "workout_sessions")
        plan = view.get((observation.get("basedOn") or [None])[0])
        workout_id = None if plan is None else view.native_id(plan, "workouts")
        completed = epoch(observation.get("effectiveDateTime"))
        created = epoch(observation.get("issued"))
        if native_id is None or plan is None or workout_id is None:
            continue
        if completed is None or created is None:
            continue
        components = {
            c["code"]["coding"][0].get("code"): c
            for c in observation.get("component", ())
            if c.get("code", {}).get("coding")
        }
        duration = components.get(DURATION_CODE["code"], {}).get("valueQuantity", {}).get("value")
        soreness = _code(
            [components.get(SORENESS_CODE["code"], {}).get("valueCodeableConcept", {})],
            "soreness-level",
        )
        row = WorkoutSession(
            id=native_id,
            workout_id=workout_id,
            user_id=user_id,
            completed_at=completed,
            soreness_level=_soreness(soreness),
            duration_minutes=duration if isinstance(duration, int) else None,
            notes=next((n["text"] for n in observation.get("note", ()) if "text" in n), None),
            created_at=created,
        )
        rows.append(Exported("workout_sessions", row, (view.ref(observation), view.ref(plan))))
    return rows


def _soreness(code: str | None) -> Soreness | None:
    level = (code or "").upper()
    return next((s for s in _SORENESS if s == level), None)
