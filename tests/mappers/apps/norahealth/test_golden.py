"""NoraHealth rows -> FHIR -> rows over the golden fixtures (tests/fixtures/apps/norahealth)."""

from __future__ import annotations

import typing
from typing import Any

from gateway import jsonio
from gateway.jsonio import Json
from gateway.services.profiles import ProfilePolicy
from gateway.services.resources import findings
from mappers.apps.base import AppAdapter
from mappers.apps.ingest import map_records, read_records
from mappers.apps.view import row_json
from tests.mappers.apps.norahealth.conftest import patient_of, read_back

SECRETS = {"auth_tokens": "hash", "auth_sessions": "token"}


def _homeless(app: AppAdapter, entity: str) -> set[str]:
    found = app.entity(entity)
    assert found is not None
    return {name for name, where in found.fields.items() if where.where is None}


def test_records_map_to_the_golden_fhir(
    nora: AppAdapter, records: dict[str, list[Json]], golden_fhir: list[Json]
) -> None:
    mapped = map_records(read_records(nora, records), {})
    assert mapped.resources == golden_fhir
    assert jsonio.dumps(mapped.resources) == jsonio.dumps(golden_fhir)  # 72.50 stays 72.50


def test_remapping_makes_the_same_resources(
    nora: AppAdapter, records: dict[str, list[Json]]
) -> None:
    first = map_records(read_records(nora, records), {})
    again = map_records(read_records(nora, jsonio.deep_copy(records)), {})
    assert jsonio.dumps(first.resources) == jsonio.dumps(again.resources)
    assert first.made == again.made


def test_rows_in_any_order_make_the_same_resources(
    nora: AppAdapter, records: dict[str, list[Json]], golden_fhir: list[Json]
) -> None:
    reversed_payload = {name: rows[::-1] for name, rows in reversed(records.items())}
    mapped = map_records(read_records(nora, reversed_payload), {})
    key = lambda r: f"{r['resourceType']}/{r['id']}"  # noqa: E731
    assert sorted(mapped.resources, key=key) == sorted(golden_fhir, key=key)


def test_every_golden_resource_passes_the_write_checks(golden_fhir: list[Json]) -> None:
    for resource in golden_fhir:
        errors = [
            i for i in findings(resource, ProfilePolicy()) if i.severity in ("error", "fatal")
        ]
        assert errors == [], (resource["resourceType"], resource["id"], errors)


def test_every_resource_claims_a_profile_where_one_fits(golden_fhir: list[Json]) -> None:
    unprofiled = {
        (r["resourceType"], bool(r.get("valueString")))
        for r in golden_fhir
        if not r.get("meta", {}).get("profile")
    }
    # Patient, CarePlan and List have no gateway profile; the fitness level Observation
    # (a coded value) and a metric kept as JSON text fit no profile
    assert unprofiled == {
        ("Patient", False),
        ("List", False),
        ("CarePlan", False),
        ("Observation", False),
        ("Observation", True),
    }


def test_secrets_and_homeless_tables_never_reach_fhir(
    nora: AppAdapter, records: dict[str, list[Json]], golden_fhir: list[Json]
) -> None:
    read = read_records(nora, records)
    assert read.dropped == {"auth_tokens": {"hash": 2}, "auth_sessions": {"token": 1}}
    assert set(read.skipped) == {
        "auth_tokens",
        "auth_sessions",
        "auth_profiles",
        "storage_files",
        "recipes",
        "meal_plans",
        "pantry_inventory",
        "daily_targets",
        "agent_conversations",
    }
    text = jsonio.dumps(golden_fhir).decode()
    for entity, field in SECRETS.items():
        for row in records[entity]:
            assert row[field] not in text


def test_golden_fhir_reads_back_as_the_records(
    nora: AppAdapter, records: dict[str, list[Json]], golden_fhir: list[Json]
) -> None:
    mapped = {e.name for e in nora.entities if e.to_fhir is not None}
    expected = {  # as the model reads them: SQLite's 0/1 are booleans, defaults filled in
        name: sorted(
            (
                {
                    k: v
                    for k, v in _as_read(nora, name, row).items()
                    if k not in _homeless(nora, name)
                }
                for row in rows
            ),
            key=lambda row: row["id"],
        )
        for name, rows in records.items()
        if name in mapped
    }
    got: dict[str, list[Json]] = {name: [] for name in mapped}
    for patient in (r for r in golden_fhir if r["resourceType"] == "Patient"):
        for exported in read_back(nora, golden_fhir, patient):
            row = row_json(exported.row)
            got[exported.entity].append(
                {k: v for k, v in row.items() if k not in _homeless(nora, exported.entity)}
            )
    assert {name: sorted(rows, key=lambda row: row["id"]) for name, rows in got.items()} == expected


def _as_read(app: AppAdapter, entity: str, raw: Json) -> Json:
    found = app.entity(entity)
    assert found is not None
    assert found.model is not None
    return row_json(found.model.model_validate(raw))


def test_the_fields_without_a_home(nora: AppAdapter) -> None:
    homeless = {e.name: _homeless(nora, e.name) for e in nora.entities if e.to_fhir is not None}
    assert homeless == {
        "users": {"role", "profile_picture_id", "verified_at", "updated_at"},
        "health_profiles": {"updated_at"},
        "workouts": {"updated_at"},
        "workout_sessions": set(),
        "progress_metrics": set(),
    }


def test_every_field_of_every_model_has_a_home_or_a_reason(nora: AppAdapter) -> None:
    assert len(nora.entities) == 14
    for entity in nora.entities:
        assert entity.model is not None, entity.name
        assert set(entity.fields) == set(entity.model.model_fields), entity.name
        for name, where in entity.fields.items():
            assert (where.where is None) != (where.reason is None), (entity.name, name)
        assert (entity.to_fhir is None) == (entity.no_home is not None), entity.name


def test_the_fixture_holds_every_enum_value_of_the_seed(
    nora: AppAdapter, records: dict[str, list[Json]]
) -> None:
    for entity in nora.entities:
        assert entity.model is not None
        for name, info in entity.model.model_fields.items():
            values = _literal_values(info.annotation)
            if values:
                sent = {row.get(name) for row in records[entity.name]}
                assert values <= sent, (entity.name, name, values - sent)


def _literal_values(annotation: Any) -> set[Any]:
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    return {v for arg in typing.get_args(annotation) for v in _literal_values(arg)}


def test_reading_back_survives_any_element_removed(
    nora: AppAdapter, golden_fhir: list[Json]
) -> None:
    """Stored resources may have been edited as FHIR since: a missing element drops a row or a
    value, never raises (the service would answer 500)."""
    patients = {f"Patient/{r['id']}": r for r in golden_fhir if r["resourceType"] == "Patient"}
    for index, resource in enumerate(golden_fhir):
        owner = patient_of(resource) or f"Patient/{resource['id']}"
        for key in set(resource) - {"resourceType", "id"}:
            edited = [*golden_fhir]
            edited[index] = {k: v for k, v in resource.items() if k != key}
            patient = edited[index] if resource["resourceType"] == "Patient" else patients[owner]
            for exported in read_back(nora, edited, patient):
                model = type(exported.row)
                assert model.model_validate(exported.row.model_dump()) == exported.row
