"""The Heart Recovery Calendar (`002_085323ce718dff36.txt`): cardiac-rehab records as FHIR R4.

Part A here (people, clinical records, calendar); the tracking tables (vitals, food, exercise,
sleep, devices) in `tracking`. Entities in the seed's order; `GET /apps/heart-recovery/records
?patient=` names a `Users` id. docs/apps/heart-recovery.md says where each table goes.
"""

from __future__ import annotations

from mappers.apps.base import AppAdapter, Entity
from mappers.apps.heart_recovery import (
    alerts,
    calendar,
    medications,
    medications_back,
    patients,
    patients_back,
    providers,
    tracking,
    users,
)
from mappers.apps.heart_recovery.common import APP
from mappers.apps.view import Exported, FhirView

__all__ = ["ADAPTER"]

SEED_ORDER = (
    "Users", "Patients", "Providers", "VitalsSamples", "Medications", "MedicationLogs", "Alerts",
    "Calendars", "CalendarEvents", "EventTemplates", "FoodCategories", "FoodItems", "MealEntries",
    "MealItemEntries", "Exercises", "ExercisePrescriptions", "ExerciseLogs",
    "PhysicalTherapyPhases", "TherapyRoutines", "Activities", "TherapyGoals",
    "DeviceConnections", "DeviceSyncLogs", "SleepLogs", "HydrationLogs", "DailyScores",
)  # fmt: skip
"""The seed's order (its sections), which is also the order rows are mapped in."""

_OURS: tuple[Entity, ...] = (
    users.ENTITY, patients.ENTITY, providers.ENTITY, medications.MEDICATION,
    medications.DOSE_LOG, alerts.ENTITY, calendar.CALENDARS, calendar.EVENTS, calendar.TEMPLATES,
)  # fmt: skip


def _in_seed_order(entities: tuple[Entity, ...]) -> tuple[Entity, ...]:
    rank = {name: index for index, name in enumerate(SEED_ORDER)}
    return tuple(sorted(entities, key=lambda e: rank.get(e.name, len(rank))))


_PEOPLE = ("Patient", "Practitioner", "PractitionerRole")


def _theirs(view: FhirView, names: tuple[str, ...]) -> FhirView:
    """The view without the records the entities `names` made, people aside: a Goal made from a
    `Patients` row is that row's, not a foreign Goal another table would read as its own."""
    kept = [
        r for r in view.resources
        if r["resourceType"] in _PEOPLE or not any(view.native_id(r, n) for n in names)
    ]  # fmt: skip
    return FhirView(view.app, view.patient, kept)


def from_fhir(view: FhirView) -> list[Exported]:
    ours = tuple(e.name for e in _OURS)
    return [
        *users.rows(view),
        *patients_back.rows(view),
        *providers.rows(view),
        *medications_back.rows(view),
        *alerts.rows(view),
        *calendar.rows(view),
        *tracking.rows(_theirs(view, ours)),
    ]


ADAPTER = AppAdapter(
    name=APP,
    title="Heart Recovery Calendar",
    seeds=("002_085323ce718dff36.txt",),
    entities=_in_seed_order((*_OURS, *tracking.ENTITIES)),
    patient_entity="Users",
    from_fhir=from_fhir,
)
