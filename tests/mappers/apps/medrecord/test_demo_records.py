"""MedRecord AI's demo rows: the seed-data spec of ticket 001 and the Prisma seed's rows,
accepted and mapped with an empty store, every resource conformant, the same every time."""

from __future__ import annotations

from collections import Counter

from gateway import jsonio
from gateway.demo_records.medrecord import records
from gateway.services.profiles import ProfilePolicy
from gateway.services.resources import findings
from mappers.apps.ingest import check_foreign_keys, map_records, read_records
from mappers.apps.medrecord import ADAPTER


def test_demo_rows_map_with_an_empty_store_and_conform() -> None:
    read = read_records(ADAPTER, records())
    check_foreign_keys(read, {})
    resources = map_records(read, {}).resources
    policy = ProfilePolicy()
    errors = [
        (r["resourceType"], issue.expression)
        for r in resources
        for issue in findings(r, policy)
        if issue.severity in ("error", "fatal")
    ]
    assert errors == []
    refs = {f"{r['resourceType']}/{r['id']}" for r in resources}
    dangling = {
        ref for ref in _references(resources) if not ref.startswith("#") and ref not in refs
    }
    assert dangling == set()


def _references(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def test_demo_rows_follow_the_seed_data_spec() -> None:
    rows = records()
    assert [p["email"] for p in rows["Provider"]] == [
        "demo@medrecord.example",
        "doctor@example.com",
    ]
    assert rows["Patient"][0]["id"] == "sample-patient-1"
    spec = [p["id"] for p in rows["Patient"][1:]]
    assert len(spec) == 5
    for entity, low, high in (("Allergy", 2, 3), ("ChronicCondition", 1, 2), ("Appointment", 3, 5)):
        counts = Counter(row["patientId"] for row in rows[entity])
        assert all(low <= counts[p] <= high for p in spec), entity
    completed = {a["id"] for a in rows["Appointment"] if a["status"] == "completed"}
    assert {r["appointmentId"] for r in rows["MedicalRecord"]} == completed
    assert {v["appointmentId"] for v in rows["VitalSigns"]} == completed
    assert len({a["status"] for a in rows["Appointment"]}) == 6
    assert {p["sex"] for p in rows["Patient"]} == {"female", "male", "other"}


def test_demo_rows_are_the_same_every_time() -> None:
    assert jsonio.dumps(records()) == jsonio.dumps(records())
