"""The Heart Recovery Calendar's tracking tables: vitals, food, exercise and therapy, goals,
devices, sleep, hydration and daily scores (seed "Health Tracking" to "Sleep & Wellness").

`ENTITIES` in the seed's order; `rows(view)` builds their rows back from one patient's FHIR.
The people and clinical tables are the other half of the adapter (mappers.apps.heart_recovery).
"""

from __future__ import annotations

from mappers.apps.base import Entity
from mappers.apps.heart_recovery.tracking import (
    exercise,
    exercise_rows,
    goals_devices,
    library,
    vitals,
    wellness,
    wellness_rows,
)
from mappers.apps.view import Exported, FhirView

__all__ = ["ENTITIES", "rows"]

ENTITIES: tuple[Entity, ...] = (
    vitals.ENTITY,
    library.FOOD_CATEGORIES,
    library.FOOD_ITEMS,
    library.MEAL_ENTRIES,
    library.MEAL_ITEMS,
    exercise.EXERCISES,
    exercise.PRESCRIPTIONS,
    exercise.LOGS,
    library.PHASES,
    library.ROUTINES,
    library.ACTIVITIES,
    goals_devices.GOALS,
    goals_devices.DEVICES,
    goals_devices.SYNC_LOGS,
    wellness.SLEEP,
    wellness.HYDRATION,
    wellness.SCORES_ENTITY,
)


def rows(view: FhirView) -> list[Exported]:
    """Every tracking row the patient's resources make, each naming its sources."""
    return [
        *vitals.rows(view),
        *exercise_rows.rows(view),
        *goals_devices.rows(view),
        *wellness_rows.rows(view),
    ]
