"""Heart Recovery Calendar part A: the golden fixture both ways, stable ids, conformance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.jsonio import Json, loads
from gateway.services.profiles import ProfilePolicy
from gateway.services.resources import findings
from mappers.apps import adapter
from mappers.apps.base import AppAdapter
from mappers.apps.ingest import map_records, read_records
from mappers.apps.native import Identity
from mappers.apps.view import row_json
from tests.mappers.apps.heart_recovery.compartment import view_of

FIXTURES = Path(__file__).parents[3] / "fixtures" / "apps" / "heart-recovery"
ADAPTER = adapter("heart-recovery")
OURS = ("Users", "Patients", "Providers", "Medications", "MedicationLogs", "Alerts",
        "Calendars", "CalendarEvents", "EventTemplates")  # fmt: skip

# What comes back other than sent: a NULL the seed's default (or the FHIR element) fills.
FILLED = {
    ("Users", "role"): "patient",  # the seed's default
    ("Alerts", "isResolved"): False,  # Flag.status active: not resolved
    ("CalendarEvents", "calendarId"): 0,  # required, and Calendars have no home
}


def _load(name: str) -> Any:
    return loads((FIXTURES / name).read_bytes())


def _adapter() -> AppAdapter:
    assert ADAPTER is not None
    return ADAPTER


def _mapped(payload: Json) -> list[Json]:
    return map_records(read_records(_adapter(), payload), {}).resources


def test_every_entity_of_part_a_is_in_the_adapter_in_seed_order() -> None:
    names = [e.name for e in _adapter().entities]
    assert [n for n in names if n in OURS] == list(OURS)
    assert _adapter().patient_entity == "Users"


@pytest.mark.parametrize("name", OURS)
def test_every_field_has_a_home_or_a_reason(name: str) -> None:
    entity = _adapter().entity(name)
    assert entity is not None
    assert entity.model is not None
    assert set(entity.fields) == set(entity.model.model_fields)
    for field_name, where in entity.fields.items():
        assert (where.where is None) != (where.reason is None), field_name
    assert (entity.to_fhir is None) == (entity.no_home is not None)


def test_records_map_to_the_golden_resources() -> None:
    assert _mapped(_load("records.json")) == _load("fhir.json")


def test_the_fixture_covers_every_field_of_part_a() -> None:
    records = _load("records.json")
    for name in OURS:
        entity = _adapter().entity(name)
        assert entity is not None
        assert entity.model is not None
        sent = {k for row in records[name] for k, v in row.items() if v is not None}
        assert sent == set(entity.model.model_fields), name


def test_remapping_gives_identical_resources() -> None:
    records = _load("records.json")
    assert _mapped(records) == _mapped(loads((FIXTURES / "records.json").read_bytes()))
    reversed_rows = {name: list(reversed(rows)) for name, rows in reversed(records.items())}
    assert sorted(_mapped(reversed_rows), key=lambda r: r["id"]) == sorted(
        _load("fhir.json"), key=lambda r: r["id"]
    )


def test_every_resource_passes_the_gateways_write_checks() -> None:
    policy = ProfilePolicy()
    for resource in _load("fhir.json"):
        errors = [i for i in findings(resource, policy) if i.severity in ("error", "fatal")]
        assert errors == [], (resource["resourceType"], errors)


def test_every_contact_point_reaches_someone() -> None:
    """A ContactPoint without a value is kept only to carry the primary phone's type."""
    empty = [
        point
        for resource in _load("fhir.json")
        for holder in [resource, *resource.get("contact", ()), *resource.get("contained", ())]
        for point in holder.get("telecom", ())
        if "value" not in point
    ]
    assert empty == [{"id": "primaryPhone", "system": "phone", "use": "work"}]


def test_secrets_never_reach_a_resource() -> None:
    assert b"$2b$10$" not in (FIXTURES / "fhir.json").read_bytes()
    records = read_records(_adapter(), _load("records.json"))
    assert records.dropped == {"Users": {"password": 1}}
    assert records.skipped == {"Calendars": 1, "EventTemplates": 2}


def _expected(name: str, row: Json) -> Json:
    entity = _adapter().entity(name)
    assert entity is not None
    kept = {k: v for k, v in row.items() if entity.fields[k].where is not None and v is not None}
    for (entity_name, field_name), value in FILLED.items():
        if entity_name == name and field_name not in kept:
            kept[field_name] = value
    return kept


def _appointment_has_no_series(name: str, row: Json) -> Json:
    """R4's Appointment has no series (an appointment's parentEventId is not kept) and needs a
    status (booked, which comes back pending)."""
    if name == "CalendarEvents" and "appointment" in row.get("category", "").lower():
        row.pop("parentEventId", None)
        row.setdefault("status", "pending")
    return row


def _patient(resources: list[Json], entity: str, native_id: int) -> Json:
    wanted = Identity.of("heart-recovery", entity, native_id).resource_id()
    return next(r for r in resources if r["resourceType"] == "Patient" and r["id"] == wanted)


def _back(resources: list[Json], entity: str, native_id: int) -> dict[str, list[Json]]:
    rows: dict[str, list[Json]] = {}
    for exported in _adapter().from_fhir(
        view_of(resources, _patient(resources, entity, native_id))
    ):
        rows.setdefault(exported.entity, []).append(row_json(exported.row))
    return {name: sorted(found, key=lambda r: r["id"]) for name, found in rows.items()}


@pytest.mark.parametrize("user", [1, 4])
def test_an_account_comes_back_as_sent_minus_what_has_no_home(user: int) -> None:
    records, resources = _load("records.json"), _load("fhir.json")

    def mine(name: str, row: Json) -> bool:
        if name == "Users":
            return bool(row["id"] == user)
        return row.get("userId") == user

    expected = {
        name: [_appointment_has_no_series(name, _expected(name, r)) for r in rows if mine(name, r)]
        for name, rows in records.items()
        if name in OURS and _adapter().entity(name).to_fhir  # type: ignore[union-attr]
    }
    assert _back(resources, "Users", user) == {k: v for k, v in expected.items() if v}


@pytest.mark.parametrize("profile", [11, 13])
def test_a_profile_without_an_account_comes_back_through_its_own_patient(profile: int) -> None:
    records, resources = _load("records.json"), _load("fhir.json")
    row = next(r for r in records["Patients"] if r["id"] == profile)
    assert _back(resources, "Patients", profile) == {"Patients": [_expected("Patients", row)]}


def test_a_clinician_account_comes_back_with_its_role_when_gathered() -> None:
    resources = _load("fhir.json")
    view = view_of(resources, _patient(resources, "Users", 4))
    view = type(view)(view.app, view.patient, resources)  # everything, PractitionerRoles too
    users = {
        row_json(e.row)["id"]: row_json(e.row)
        for e in _adapter().from_fhir(view)
        if e.entity == "Users"
    }
    records = {r["id"]: r for r in _load("records.json")["Users"]}
    assert users[2] == _expected("Users", records[2])
    assert users[3] == _expected("Users", records[3])
