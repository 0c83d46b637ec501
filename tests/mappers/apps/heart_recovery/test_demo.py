"""The Heart Recovery Calendar's demo rows go through the adapter as the service sends them."""

from __future__ import annotations

from gateway.demo_records.heart_recovery import records
from gateway.services.profiles import ProfilePolicy
from gateway.services.resources import findings
from mappers.apps import adapter
from mappers.apps.ingest import check_foreign_keys, map_records, read_records


def test_demo_records_are_deterministic() -> None:
    assert records() == records()


def test_demo_records_map_with_an_empty_store_and_conform() -> None:
    heart = adapter("heart-recovery")
    assert heart is not None
    rows = read_records(heart, records())
    check_foreign_keys(rows, {})
    resources = map_records(rows, {}).resources
    assert len(rows.rows["Users"]) == 6
    assert {r["resourceType"] for r in resources} >= {
        "Patient", "Practitioner", "Observation", "MedicationStatement", "Appointment", "Flag",
        "Goal", "Coverage", "AllergyIntolerance", "Condition", "Procedure", "Device",
    }  # fmt: skip
    policy = ProfilePolicy()
    errors = [
        (r["resourceType"], issue.diagnostics)
        for r in resources
        for issue in findings(r, policy)
        if issue.severity in ("error", "fatal")
    ]
    assert errors == []
