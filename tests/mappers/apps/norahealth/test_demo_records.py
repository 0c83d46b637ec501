"""NoraHealth's demo records go through the adapter as the service sends them at start-up."""

from __future__ import annotations

from gateway import jsonio
from gateway.demo_records.norahealth import records
from gateway.services.profiles import ProfilePolicy
from gateway.services.resources import findings
from mappers.apps.base import AppAdapter
from mappers.apps.ingest import check_foreign_keys, map_records, read_records
from tests.mappers.apps.norahealth.conftest import read_back


def test_demo_records_are_deterministic() -> None:
    assert jsonio.dumps(records()) == jsonio.dumps(records())


def test_demo_records_map_with_an_empty_store_and_pass_the_write_checks(
    nora: AppAdapter,
) -> None:
    read = read_records(nora, records())
    check_foreign_keys(read, {})
    mapped = map_records(read, {})
    assert len({r["subject"]["reference"] for r in mapped.resources if "subject" in r}) == 4
    types = {r["resourceType"] for r in mapped.resources}
    assert types == {
        "Patient",
        "List",
        "Goal",
        "Observation",
        "Condition",
        "AllergyIntolerance",
        "CarePlan",
    }
    policy = ProfilePolicy()
    for resource in mapped.resources:
        errors = [i for i in findings(resource, policy) if i.severity in ("error", "fatal")]
        assert errors == [], (resource["resourceType"], errors)


def test_demo_users_read_back_with_every_entity(nora: AppAdapter) -> None:
    resources = map_records(read_records(nora, records()), {}).resources
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    entities = {e.entity for e in read_back(nora, resources, patient)}
    assert entities == {
        "users",
        "health_profiles",
        "workouts",
        "workout_sessions",
        "progress_metrics",
    }
