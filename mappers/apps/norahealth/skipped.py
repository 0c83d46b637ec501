"""NoraHealth's tables without an honest FHIR home: accepted, reported skipped with the reason.

Their models still describe the rows (the schema, and a check that every column is declared).
"""

from __future__ import annotations

from mappers.apps.base import Entity, FieldHome, no_home
from mappers.apps.native import NativeRow
from mappers.apps.norahealth.models import (
    AgentConversation,
    AuthProfile,
    AuthSession,
    AuthToken,
    DailyTarget,
    MealPlan,
    PantryItem,
    Recipe,
    StorageFile,
)

__all__ = ["ENTITIES"]


def _skipped(
    name: str,
    model: type[NativeRow],
    reason: str,
    *,
    foreign_keys: dict[str, str] | None = None,
    secrets: tuple[str, ...] = (),
) -> Entity:
    fields: dict[str, FieldHome] = {field: no_home(reason) for field in model.model_fields}
    return Entity(
        name=name,
        model=model,
        fields=fields,
        no_home=reason,
        foreign_keys=foreign_keys or {},
        secrets=secrets,
    )


_USER = {"user_id": "users"}

ENTITIES = (
    _skipped(
        "auth_tokens",
        AuthToken,
        "a one-time sign-in token of the app's authentication, not health data; its hash is a secret",
        secrets=("hash",),
    ),
    _skipped(
        "auth_sessions",
        AuthSession,
        "a login session of the app, not health data; its token (a JWT) is a secret",
        foreign_keys=_USER,
        secrets=("token",),
    ),
    _skipped(
        "auth_profiles",
        AuthProfile,
        "authentication metadata of the app ({key, value}, possibly credentials), not health data",
        foreign_keys=_USER,
    ),
    _skipped(
        "storage_files",
        StorageFile,
        "the app's binary media (photos of food, avatars); FHIR could wrap the bytes in a "
        "Binary or Media, but nothing says what they show, so they stay in the app",
        foreign_keys=_USER,
    ),
    _skipped(
        "recipes",
        Recipe,
        "a recipe (ingredients, steps, macros) is catalogue content, not a record about a "
        "person; R4 has no recipe resource (NutritionOrder orders a diet, it is no cookbook)",
    ),
    _skipped(
        "meal_plans",
        MealPlan,
        "a day's menu of recipe ids, suggested by the app's planner and not ordered by a "
        "clinician: NutritionOrder would claim an order that was never given",
        foreign_keys=_USER,
    ),
    _skipped(
        "pantry_inventory",
        PantryItem,
        "the ingredients in a user's kitchen are not health data",
        foreign_keys=_USER,
    ),
    _skipped(
        "daily_targets",
        DailyTarget,
        "a day's to-do (eat the planned meals, do the planned workout) pointing at meal "
        "plans, which have no home; the completion that matters is in workout_sessions "
        "and the COMPLETION_RATE metric",
        foreign_keys=_USER,
    ),
    _skipped(
        "agent_conversations",
        AgentConversation,
        "chat transcripts with the app's AI agents are app state, not a clinical record; "
        "the facts the agents gather land in health_profiles",
        foreign_keys=_USER,
    ),
)
