"""NoraHealth (wellness app, SQLite; seed `001_51dee5eaae9f919d.txt`): its tables in and out of
the gateway as FHIR R4. Native -> FHIR per table (users, health_profiles, workouts,
workout_sessions, progress_metrics); FHIR -> native for one user in `from_fhir`.
docs/apps/norahealth.md says where each column lives and why.
"""

from __future__ import annotations

from mappers.apps.base import AppAdapter, Exported, FhirView
from mappers.apps.norahealth import health_profiles, progress, sessions, users, workouts
from mappers.apps.norahealth.common import APP
from mappers.apps.norahealth.exercise_export import workout_sessions
from mappers.apps.norahealth.exercise_export import workouts as workout_rows
from mappers.apps.norahealth.health_export import health_profiles as profile_rows
from mappers.apps.norahealth.skipped import ENTITIES as SKIPPED

__all__ = ["ADAPTER"]


def from_fhir(view: FhirView) -> list[Exported]:
    """The user's rows: the Patient as `users`, then what NoraHealth made from their records
    and what an EHR's resources give (body weight, calories; conditions and food allergies join
    an existing health profile)."""
    user = users.from_patient(view)
    return [
        Exported("users", user, (view.ref(view.patient),)),
        *profile_rows(view, user.id),
        *workout_rows(view, user.id),
        *workout_sessions(view, user.id),
        *progress.progress_metrics(view, user.id),
    ]


_BY_NAME = {
    e.name: e
    for e in (
        users.ENTITY,
        health_profiles.ENTITY,
        workouts.ENTITY,
        sessions.ENTITY,
        progress.ENTITY,
        *SKIPPED,
    )
}
_SEED_ORDER = (
    "users",
    "auth_tokens",
    "auth_sessions",
    "auth_profiles",
    "storage_files",
    "health_profiles",
    "recipes",
    "meal_plans",
    "workouts",
    "workout_sessions",
    "pantry_inventory",
    "daily_targets",
    "progress_metrics",
    "agent_conversations",
)

ADAPTER = AppAdapter(
    name=APP,
    title="NoraHealth",
    seeds=("001_51dee5eaae9f919d.txt",),
    entities=tuple(_BY_NAME[name] for name in _SEED_ORDER),
    patient_entity="users",
    from_fhir=from_fhir,
)
