"""The twin's golden fixtures both ways: records.json -> fhir.json -> the rows again."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from gateway.jsonio import Json
from gateway.services.profiles import ProfilePolicy
from gateway.services.resources import findings
from mappers.apps.medical_twin import ADAPTER
from mappers.apps.medical_twin.models import (
    EventType,
    Flag,
    InterventionCategory,
    MetricSource,
    UserSettings,
)
from mappers.apps.view import row_json
from tests.mappers.apps.medical_twin.conftest import load, mapped, view_of

NO_HOME = {"User": {"passwordHash", "settings", "createdAt", "updatedAt"}, "Event": {"updatedAt"}}
"""Fields that never come back; an Event's createdAt comes back only where it has a home."""


def _expected(entity: str, row: Json) -> Json:
    kept = {k: v for k, v in row.items() if v is not None and k not in NO_HOME[entity]}
    if entity == "Event":
        lands = row["type"] in ("lab_result", "metric") and "T" in row.get("createdAt", "")
        if not lands:
            kept.pop("createdAt", None)
        if "biomarkers" in kept:
            kept["biomarkers"] = [
                {k: v for k, v in b.items() if v is not None} for b in row["biomarkers"]
            ]
    return kept


def _exported(resources: list[Json]) -> dict[str, list[Json]]:
    found: dict[str, list[Json]] = {"User": [], "Event": []}
    for patient in (r for r in resources if r["resourceType"] == "Patient"):
        for exported in ADAPTER.from_fhir(view_of(patient, resources)):
            found[exported.entity].append(row_json(exported.row))
    return found


def _sorted(rows: list[Json]) -> list[Json]:
    return sorted(rows, key=lambda r: str(r["id"]))


def test_every_model_field_has_a_home_or_a_reason() -> None:
    for entity in ADAPTER.entities:
        assert entity.model is not None
        assert set(entity.fields) == set(entity.model.model_fields), entity.name
        assert all(bool(h.where) != bool(h.reason) for h in entity.fields.values()), entity.name


def test_records_become_the_golden_resources(resources: list[Json]) -> None:
    assert resources == load("fhir.json")


def test_golden_resources_come_back_as_the_rows(records: Json) -> None:
    exported = _exported(load("fhir.json"))
    for entity in ("User", "Event"):
        expected = [_expected(entity, row) for row in records[entity]]
        assert _sorted(exported[entity]) == _sorted(expected), entity


def test_exact_numbers_come_back_as_written() -> None:
    events = {e["id"]: e for e in _exported(load("fhir.json"))["Event"]}
    weight = events["e0d5a3c2-0000-4000-8000-000000000017"]["value"]
    a1c = events["e0d5a3c2-0000-4000-8000-000000000001"]["biomarkers"][2]["value"]
    assert (str(weight), str(a1c)) == ("185.50", "5.40")


def test_remapping_gives_identical_resources(records: Json, resources: list[Json]) -> None:
    assert mapped(records) == resources


@pytest.mark.parametrize("resource", load("fhir.json"), ids=lambda r: f"{r['resourceType']}")
def test_every_resource_passes_the_write_checks(resource: Json) -> None:
    errors = [i for i in findings(resource, ProfilePolicy()) if i.severity in ("error", "fatal")]
    assert errors == []


def test_no_secret_reaches_fhir(records: Json, resources: list[Json]) -> None:
    text = repr(resources)
    for user in records["User"]:
        assert user["passwordHash"] not in text
        assert user["settings"]["aiModel"] not in text
    assert "enc:sk-secret" not in text


def _values(records: Json, path: tuple[str, ...]) -> set[Any]:
    rows: list[Any] = records[path[0]]
    for step in path[1:]:
        nested = [row.get(step) for row in rows if isinstance(row, dict)]
        rows = [v for value in nested for v in (value if isinstance(value, list) else [value])]
    return {v for v in rows if v is not None}


@pytest.mark.parametrize(
    ("path", "enum"),
    [
        (("Event", "type"), EventType),
        (("Event", "category"), InterventionCategory),
        (("Event", "source"), MetricSource),
        (("Event", "biomarkers", "flag"), Flag),
        (("User", "settings", "aiProvider"), UserSettings.model_fields["aiProvider"].annotation),
        (("User", "settings", "theme"), UserSettings.model_fields["theme"].annotation),
    ],
)
def test_the_fixture_holds_every_enum_value(path: tuple[str, ...], enum: Any) -> None:
    assert _values(load("records.json"), path) == set(get_args(enum))


def test_every_flag_category_and_source_comes_back() -> None:
    exported = {"Event": _exported(load("fhir.json"))["Event"]}
    for path in (("Event", "category"), ("Event", "source"), ("Event", "biomarkers", "flag")):
        assert _values(exported, path) == _values(load("records.json"), path), path
