"""The tracking tables both ways against the golden fixtures (tests/fixtures/apps/heart-recovery/
tracking-records.json -> tracking-fhir.json -> rows), and what every entity declares."""

from __future__ import annotations

import re
from operator import itemgetter
from pathlib import Path
from typing import Any

import pytest

from gateway.services.profiles import ProfilePolicy
from gateway.services.resources import findings
from mappers.apps.heart_recovery.tracking import ENTITIES
from mappers.apps.ingest import read_records
from mappers.apps.view import row_json

from ..heart_recovery.compartment import view_of as compartment_view
from .support import ADAPTER, TRACKED, account, load, mapped, tracking_resources, view_of

SEED = Path(__file__).resolve().parents[4].parent / "shared/seeds/002_085323ce718dff36.txt"


def _expected_rows() -> dict[str, list[Any]]:
    """records.json minus what has no FHIR home: entities without one, fields without one,
    null values (absent in FHIR)."""
    expected: dict[str, list[Any]] = {}
    for entity in ENTITIES:
        if entity.to_fhir is None:
            continue
        homed = {name for name, where in entity.fields.items() if where.where is not None}
        expected[entity.name] = [
            {k: v for k, v in row.items() if k in homed and v is not None}
            for row in load("tracking-records.json")[entity.name]
        ]
    return expected


def test_records_map_to_the_golden_resources() -> None:
    made = tracking_resources(mapped(load("tracking-records.json")))
    assert made == load("tracking-fhir.json")


def test_remapping_gives_identical_resources_whatever_the_order() -> None:
    records = load("tracking-records.json")
    backwards = {name: rows[::-1] for name, rows in reversed(list(records.items()))}
    key = itemgetter("resourceType", "id")
    again = sorted(mapped(backwards).resources, key=key)
    assert again == sorted(mapped(load("tracking-records.json")).resources, key=key)


def test_every_golden_resource_passes_the_write_checks() -> None:
    for resource in load("tracking-fhir.json"):
        errors = [
            i for i in findings(resource, ProfilePolicy()) if i.severity in ("error", "fatal")
        ]
        assert errors == [], (resource["resourceType"], resource["identifier"], errors)


def test_golden_resources_come_back_as_the_rows_sent() -> None:
    result = mapped(load("tracking-records.json"))
    back: dict[str, list[Any]] = {}
    for exported in ADAPTER.from_fhir(view_of(result, load("tracking-fhir.json"))):
        if exported.entity in TRACKED:
            back.setdefault(exported.entity, []).append(row_json(exported.row))
    expected = _expected_rows()
    assert {name: sorted(rows, key=lambda r: r["id"]) for name, rows in back.items()} == expected


def test_fields_without_a_home_are_the_documented_ones() -> None:
    unhomed = {
        entity.name: sorted(n for n, where in entity.fields.items() if where.where is None)
        for entity in ENTITIES
        if entity.to_fhir is not None
    }
    bookkeeping = ["createdAt", "updatedAt"]
    assert unhomed == {
        "VitalsSamples": ["updatedAt"],
        "Exercises": ["createdAt"],
        "ExercisePrescriptions": ["updatedAt"],
        "ExerciseLogs": ["updatedAt"],
        "TherapyGoals": bookkeeping,
        "DeviceConnections": sorted(
            [
                "accessToken",
                "refreshToken",
                "tokenExpiry",
                "lastSyncAt",
                "syncFrequency",
                "settings",
                *bookkeeping,
            ]
        ),
        "SleepLogs": ["updatedAt"],
        "HydrationLogs": ["updatedAt"],
        "DailyScores": ["updatedAt"],
    }


def test_every_field_of_every_model_is_declared() -> None:
    for entity in ENTITIES:
        assert entity.model is not None
        assert set(entity.fields) == set(entity.model.model_fields), entity.name
        assert all((h.where is None) != (h.reason is None) for h in entity.fields.values())


def test_entities_are_the_seeds_tracking_tables_in_its_order() -> None:
    if not SEED.exists():
        pytest.skip(f"the seed document is not at {SEED}")
    tables = re.findall(r"^### (\w+) Table$", SEED.read_text(), flags=re.MULTILINE)
    assert [e.name for e in ENTITIES] == [t for t in tables if t in TRACKED]
    assert len(ENTITIES) == 17


def test_entities_without_a_home_are_skipped_and_secrets_dropped() -> None:
    records = read_records(ADAPTER, load("tracking-records.json"))
    assert records.skipped == {
        "FoodCategories": 1,
        "FoodItems": 1,
        "MealEntries": 5,
        "MealItemEntries": 2,
        "PhysicalTherapyPhases": 1,
        "TherapyRoutines": 1,
        "Activities": 1,
        "DeviceSyncLogs": 3,
    }
    assert records.dropped == {"DeviceConnections": {"accessToken": 1, "refreshToken": 1}}


def test_secrets_never_reach_fhir() -> None:
    text = (
        Path(__file__).parents[3] / "fixtures/apps/heart-recovery/tracking-fhir.json"
    ).read_text()
    assert "st-access-8f2c" not in text
    assert "st-refresh-91ab" not in text


def test_the_patients_compartment_gives_back_every_tracked_row_but_the_exercise_library() -> None:
    """What `GET /apps/heart-recovery/records?patient=1` gathers: the ActivityDefinitions of the
    exercise library are nobody's compartment and nothing references them, so they stay out."""
    result = mapped(load("tracking-records.json"))
    view = compartment_view(result.resources, account(result))
    back = {e.entity for e in ADAPTER.from_fhir(view) if e.entity in TRACKED}
    assert back == set(_expected_rows()) - {"Exercises"}
