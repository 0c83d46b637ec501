"""The tables without a FHIR home: the food catalogue and meal logs, and the rehabilitation
programme's definitions (phases, routines, activities). Their rows are accepted, counted as
skipped and not stored; each entity says why in one sentence.
"""

from __future__ import annotations

from mappers.apps.base import Entity, no_home
from mappers.apps.heart_recovery.tracking.models import (
    Activities,
    FoodCategories,
    FoodItems,
    MealEntries,
    MealItemEntries,
    PhysicalTherapyPhases,
    TherapyRoutines,
)
from mappers.apps.native import NativeRow


def _without_home(
    name: str, model: type[NativeRow], reason: str, foreign_keys: dict[str, str] | None = None
) -> Entity:
    return Entity(
        name=name,
        model=model,
        no_home=reason,
        foreign_keys=foreign_keys or {},
        fields={field: no_home(reason) for field in model.model_fields},
    )


FOOD_CATEGORIES = _without_home(
    "FoodCategories",
    FoodCategories,
    "a food catalogue's grouping; R4 has no food product resource (NutritionProduct is R5).",
)
FOOD_ITEMS = _without_home(
    "FoodItems",
    FoodItems,
    "a food catalogue entry with nutrients per serving; R4 has no food product resource "
    "(NutritionProduct is R5).",
    {"categoryId": "FoodCategories"},
)
MEAL_ENTRIES = _without_home(
    "MealEntries",
    MealEntries,
    "a meal eaten is an intake record, which R4 lacks (NutritionIntake is R5; NutritionOrder "
    "is an order), and LOINC's intake codes are 24-hour totals, not one meal's.",
    {"userId": "Users"},
)
MEAL_ITEMS = _without_home(
    "MealItemEntries",
    MealItemEntries,
    "one food of a meal: a part of a MealEntries row, which has no R4 home.",
    {"mealEntryId": "MealEntries", "foodItemId": "FoodItems"},
)
PHASES = _without_home(
    "PhysicalTherapyPhases",
    PhysicalTherapyPhases,
    "a programme definition shared by all patients (weeks after surgery, goals, restrictions "
    "as free text); a PlanDefinition would hold only its text, and the gateway keeps patients' "
    "records, not programme content.",
)
ROUTINES = _without_home(
    "TherapyRoutines",
    TherapyRoutines,
    "a routine of a programme phase, shared by all patients: programme content, not a record.",
    {"phaseId": "PhysicalTherapyPhases"},
)
ACTIVITIES = _without_home(
    "Activities",
    Activities,
    "a step of a programme routine, shared by all patients: programme content, not a record.",
    {"routineId": "TherapyRoutines"},
)
