"""MedRecord AI golden files both ways: records.json -> fhir.json exactly, and back."""

from __future__ import annotations

import pytest

from gateway import jsonio
from gateway.jsonio import Json
from gateway.services.profiles import ProfilePolicy
from gateway.services.resources import findings
from mappers.apps.base import Entity
from mappers.apps.medrecord import ADAPTER
from tests.mappers.apps.medrecord.conftest import from_fhir, to_fhir

# What comes back other than as sent, each a documented rule (docs/apps/medrecord.md):
# a Prisma date-time form of a date comes back as the date; a seed default comes back filled in;
# Composition.date is the note's updatedAt, createdAt when the row had none; a Decimal sent as
# Prisma's numeric text comes back as the JSON number with the same digits.
NORMALIZED: dict[tuple[str, str], Json] = {
    ("Patient", "pat-other"): {"dateOfBirth": "2001-07-30"},
    ("MedicalRecord", "rec-2"): {"isDraft": True, "updatedAt": "2024-03-06T09:30:00.000Z"},
    ("VitalSigns", "vs-2"): {
        "temperature": jsonio.ExactDecimal("100.9"),
        "weight": jsonio.ExactDecimal("172.25"),
    },
}


def _text(value: object) -> bytes:
    return jsonio.dumps(value, sort_keys=True)


def test_records_map_to_the_golden_fhir(records: Json, golden_fhir: list[Json]) -> None:
    assert _text(to_fhir(records)) == _text(golden_fhir)


def test_mapping_again_gives_the_same_resources_and_ids(records: Json) -> None:
    first, second = to_fhir(records), to_fhir(jsonio.deep_copy(records))
    assert _text(first) == _text(second)
    assert len({(r["resourceType"], r["id"]) for r in first}) == len(first)


def test_every_golden_resource_passes_the_write_checks(golden_fhir: list[Json]) -> None:
    policy = ProfilePolicy()
    errors = [
        (r["resourceType"], r["id"], issue.expression, issue.diagnostics)
        for r in golden_fhir
        for issue in findings(r, policy)
        if issue.severity in ("error", "fatal")
    ]
    assert errors == []


def test_golden_fhir_comes_back_as_the_records(records: Json, golden_fhir: list[Json]) -> None:
    back = from_fhir(golden_fhir)
    for entity_name, rows in records.items():
        entity = ADAPTER.entity(entity_name)
        assert entity is not None
        homeless = {name for name, where in entity.fields.items() if where.where is None}
        expected = {
            row["id"]: {
                **{k: v for k, v in row.items() if v is not None and k not in homeless},
                **NORMALIZED.get((entity_name, row["id"]), {}),
            }
            for row in rows
        }
        assert {k: _text(v) for k, v in back.get(entity_name, {}).items()} == {
            k: _text(v) for k, v in expected.items()
        }, entity_name


def test_fields_without_a_home_are_exactly_these() -> None:
    homeless = {
        (entity.name, name)
        for entity in ADAPTER.entities
        for name, where in entity.fields.items()
        if where.where is None
    }
    bookkeeping = {(e, "updatedAt") for e in ("Provider", "Patient", "Allergy", "ChronicCondition",
                   "Appointment", "Symptom", "Prescription", "VitalSigns")}  # fmt: skip
    assert homeless == bookkeeping | {
        ("Provider", "passwordHash"),
        ("Provider", "createdAt"),
        ("Patient", "createdAt"),
        ("Patient", "notes"),
        ("MedicalRecord", "createdAt"),
        ("VitalSigns", "createdAt"),
    }


@pytest.mark.parametrize("entity", ADAPTER.entities, ids=lambda e: e.name)
def test_every_model_field_has_a_home_or_a_reason(entity: Entity) -> None:
    assert entity.model is not None
    assert set(entity.fields) == set(entity.model.model_fields)
    assert all(bool(h.where) != bool(h.reason) for h in entity.fields.values())


def test_the_fixture_sends_every_entity_and_every_field(records: Json) -> None:
    for entity in ADAPTER.entities:
        sent = {name for row in records[entity.name] for name in row}
        assert sent == set(entity.fields), entity.name


def test_the_password_hash_is_never_in_a_resource(records: Json, golden_fhir: list[Json]) -> None:
    secret = records["Provider"][0]["passwordHash"]
    assert secret.encode() not in _text(to_fhir(records))
    provider = ADAPTER.entity("Provider")
    assert provider is not None
    assert provider.secrets == ("passwordHash",)
