"""The twin's demo records go through the adapter and make conformant resources."""

from __future__ import annotations

from collections import Counter

from gateway.demo_records.medical_twin import records
from gateway.services.profiles import ProfilePolicy
from gateway.services.resources import findings
from tests.mappers.apps.medical_twin.conftest import mapped


def test_demo_records_map_and_conform() -> None:
    resources = mapped(records())
    errors = [
        (r["resourceType"], i.diagnostics)
        for r in resources
        for i in findings(r, ProfilePolicy())
        if i.severity in ("error", "fatal")
    ]
    assert errors == []
    kinds = Counter(r["resourceType"] for r in resources)
    assert kinds["Patient"] == 4
    assert {"DiagnosticReport", "Encounter", "MedicationStatement", "CarePlan", "Device"} <= set(
        kinds
    )


def test_demo_records_are_deterministic_and_cover_every_event_type() -> None:
    assert records() == records()
    assert {e["type"] for e in records()["Event"]} == {
        "lab_result", "doctor_visit", "medication", "intervention", "metric"
    }  # fmt: skip
