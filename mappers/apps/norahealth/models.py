"""NoraHealth's tables as its seed document (`001_51dee5eaae9f919d.txt`, SQLite) defines them.

Column names verbatim; ids are ULID text; timestamps are Unix epoch seconds (`integer`: a string
is a wrong type); JSON columns are the text SQLite stores, parsed by the mappers; `boolean`
columns take `true`/`false` and SQLite's own 0/1. NOT NULL columns are required, except
`health_profiles.created_at`, which the seed's migration gives a `UNIXEPOCH()` default.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from mappers.apps.native import NativeRow

__all__ = [
    "AgentConversation",
    "AuthProfile",
    "AuthSession",
    "AuthToken",
    "DailyTarget",
    "Epoch",
    "FitnessLevel",
    "HealthProfile",
    "MealPlan",
    "MetricType",
    "PantryItem",
    "ProgressMetric",
    "Recipe",
    "ResolutionClass",
    "Soreness",
    "SqliteBool",
    "StorageFile",
    "User",
    "UserStatus",
    "Workout",
    "WorkoutSession",
    "WorkoutType",
]

Epoch = int
"""A Unix epoch timestamp in seconds, as every NoraHealth timestamp column holds it."""


def _sqlite_bool(value: Any) -> Any:
    """SQLite has no boolean type: it stores 0 and 1. Other values fail strict `bool`."""
    if type(value) is int and value in (0, 1):
        return bool(value)
    return value


SqliteBool = Annotated[bool, BeforeValidator(_sqlite_bool)]

UserStatus = Literal["NOT_VERIFIED", "VERIFIED", "BANNED"]
UserRole = Literal["USER", "ADMIN"]
TokenPurpose = Literal["SIGN_UP_VERIFICATION", "SIGN_IN_VERIFICATION"]
ResolutionClass = Literal["PERFORMANCE", "VITALITY", "LONGEVITY"]
FitnessLevel = Literal["BEGINNER", "INTERMEDIATE", "ADVANCED"]
WorkoutType = Literal["CARDIO", "STRENGTH", "FLEXIBILITY", "HIIT", "COMPOUND"]
Soreness = Literal["NONE", "MILD", "MODERATE", "SEVERE"]
MetricType = Literal["WEIGHT", "COMPLETION_RATE", "STREAK", "CALORIES_BURNED", "CALORIES_CONSUMED"]
AgentType = Literal["INTAKE_SAFETY", "MEAL_PLANNER", "EXERCISE_COACH", "LOGISTICS"]


class User(NativeRow):
    id: str
    email: str | None = None
    display_name: str | None = None
    status: UserStatus
    role: UserRole
    profile_picture_id: str | None = None
    verified_at: Epoch | None = None
    created_at: Epoch
    updated_at: Epoch | None = None
    deleted_at: Epoch | None = None


class AuthToken(NativeRow):
    id: str
    hash: str
    provider: str
    purpose: TokenPurpose
    expires_at: Epoch
    created_at: Epoch
    updated_at: Epoch | None = None


class AuthSession(NativeRow):
    id: str
    user_id: str
    token: str
    expires_at: Epoch
    created_at: Epoch
    updated_at: Epoch | None = None


class AuthProfile(NativeRow):
    id: str
    user_id: str
    meta: str
    created_at: Epoch
    updated_at: Epoch | None = None


class StorageFile(NativeRow):
    id: str
    original_name: str
    file_data: str  # a blob: JSON carries it as (base64) text
    mime_type: str
    user_id: str
    created_at: Epoch
    updated_at: Epoch | None = None


class HealthProfile(NativeRow):
    id: str
    user_id: str
    resolution_class: ResolutionClass
    dietary_exclusions: str
    physical_constraints: str
    medical_redlines: str | None = None
    fitness_goals: str | None = None
    fitness_level: FitnessLevel
    created_at: Epoch | None = None  # DEFAULT (UNIXEPOCH()) in the seed's migration
    updated_at: Epoch | None = None


class Recipe(NativeRow):
    id: str
    user_id: str | None = None
    name: str
    ingredients: str
    instructions: str
    calories: int | None = None
    protein: int | None = None
    carbs: int | None = None
    fat: int | None = None
    prep_time_minutes: int | None = None
    created_at: Epoch
    updated_at: Epoch | None = None


class MealPlan(NativeRow):
    id: str
    user_id: str
    date: str
    meals: str
    notes: str | None = None
    created_at: Epoch
    updated_at: Epoch | None = None


class Workout(NativeRow):
    id: str
    user_id: str
    name: str
    type: WorkoutType
    is_outdoor: SqliteBool = False
    exercises: str
    difficulty_level: FitnessLevel
    duration_minutes: int | None = None
    created_at: Epoch
    updated_at: Epoch | None = None


class WorkoutSession(NativeRow):
    id: str
    workout_id: str
    user_id: str
    completed_at: Epoch
    soreness_level: Soreness | None = None
    duration_minutes: int | None = None
    notes: str | None = None
    created_at: Epoch


class PantryItem(NativeRow):
    id: str
    user_id: str
    name: str
    expiry_date: Epoch | None = None
    image_url: str | None = None
    created_at: Epoch
    updated_at: Epoch | None = None


class DailyTarget(NativeRow):
    id: str
    user_id: str
    date: str
    meal_plan_id: str | None = None
    workout_id: str | None = None
    meal_completed: SqliteBool = False
    workout_completed: SqliteBool = False
    created_at: Epoch
    updated_at: Epoch | None = None


class ProgressMetric(NativeRow):
    id: str
    user_id: str
    type: MetricType
    value: str
    date: Epoch
    created_at: Epoch


class AgentConversation(NativeRow):
    id: str
    user_id: str
    agent_type: AgentType
    messages: str
    context: str | None = None
    created_at: Epoch
    updated_at: Epoch | None = None
