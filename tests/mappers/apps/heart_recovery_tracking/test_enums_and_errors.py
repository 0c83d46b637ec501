"""Every enum value of the seed maps to FHIR and comes back; bad rows are a 422 naming
`<entity>[<row>].<field>`."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from gateway.errors import UnprocessableResource
from gateway.jsonio import Json
from mappers.apps.heart_recovery.tracking.models import DeviceType, GoalStatus, PrescriptionStatus
from mappers.apps.ingest import check_foreign_keys, read_records
from mappers.apps.view import row_json

from .support import ADAPTER, mapped, view_of

PEOPLE: dict[str, list[Json]] = {
    "Users": [
        {"id": 1, "email": "a@example.org", "name": "Ana Ruiz"},
        {"id": 2, "email": "t@example.org", "name": "Tom Hale", "role": "therapist"},
    ],
    "Patients": [{"id": 10, "therapistId": 2, "userId": 1, "name": "Ana Ruiz"}],
}


def _round_trip(entity: str, rows: list[Json]) -> list[Json]:
    result = mapped({**PEOPLE, entity: rows})
    back = ADAPTER.from_fhir(view_of(result, result.resources))
    return sorted((row_json(e.row) for e in back if e.entity == entity), key=lambda r: r["id"])


@pytest.mark.parametrize("status", get_args(GoalStatus))
def test_every_goal_status_maps_and_comes_back(status: str) -> None:
    row = {"id": 1, "userId": 1, "title": "Walk daily", "status": status}
    assert _round_trip("TherapyGoals", [row]) == [row]


@pytest.mark.parametrize(
    ("status", "fhir"),
    [("active", "active"), ("completed", "completed"), ("discontinued", "revoked")],
)
def test_every_prescription_status_maps_and_comes_back(status: str, fhir: str) -> None:
    assert set(get_args(PrescriptionStatus)) == {"active", "completed", "discontinued"}
    row = {"id": 1, "patientId": 10, "exerciseId": 3, "status": status}
    result = mapped({**PEOPLE, "ExercisePrescriptions": [row]})
    assert [r["status"] for r in result.resources if r["resourceType"] == "ServiceRequest"] == [
        fhir
    ]
    assert _round_trip("ExercisePrescriptions", [row]) == [row]


@pytest.mark.parametrize("kind", get_args(DeviceType))
def test_every_device_type_maps_and_comes_back(kind: str) -> None:
    row = {"id": 1, "userId": 1, "deviceType": kind}
    assert _round_trip("DeviceConnections", [row]) == [row]


@pytest.mark.parametrize("difficulty", ["beginner", "intermediate", "advanced"])
def test_every_difficulty_maps_and_comes_back(difficulty: str) -> None:
    row = {"id": 1, "name": "Walking", "difficulty": difficulty}
    assert _round_trip("Exercises", [row]) == [row]


def test_a_lone_systolic_pressure_keeps_the_bp_profile_and_comes_back_alone() -> None:
    row = {"id": 1, "userId": 1, "systolicBP": 140, "recordedAt": "2025-11-01T08:00:00Z"}
    bp = next(
        r
        for r in mapped({**PEOPLE, "VitalsSamples": [row]}).resources
        if r["resourceType"] == "Observation"
    )
    assert bp["component"][1]["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert _round_trip("VitalsSamples", [row]) == [row]


def _check(payload: Any) -> None:
    check_foreign_keys(read_records(ADAPTER, payload), {})


def _problems(payload: Any) -> list[str | None]:
    with pytest.raises(UnprocessableResource) as raised:
        _check(payload)
    assert raised.value.status == 422
    return [issue.expression for issue in raised.value.issues]


VITALS: Json = {"id": 1, "userId": 1, "recordedAt": "2025-11-01T08:00:00Z"}


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        pytest.param(
            {"VitalsSamples": [{"id": 1, "userId": 1}]}, "VitalsSamples[0].recordedAt", id="missing"
        ),
        pytest.param(
            {"VitalsSamples": [{**VITALS, "heartRate": "72"}]},
            "VitalsSamples[0].heartRate",
            id="type",
        ),
        pytest.param(
            {"VitalsSamples": [{**VITALS, "recordedAt": "yesterday"}]},
            "VitalsSamples[0].recordedAt",
            id="date",
        ),
        pytest.param(
            {"TherapyGoals": [{"id": 1, "userId": 1, "title": "x", "status": "done"}]},
            "TherapyGoals[0].status",
            id="enum",
        ),
        pytest.param(
            {"DeviceConnections": [{"id": 1, "userId": 1, "deviceType": "fitbit"}]},
            "DeviceConnections[0].deviceType",
            id="device",
        ),
        pytest.param(
            {"SleepLogs": [{"id": 1, "userId": 1, "sleepDate": "2025-11-01", "mood": 3}]},
            "SleepLogs[0].mood",
            id="unknown",
        ),
        pytest.param(
            {
                **PEOPLE,
                "ExerciseLogs": [
                    {"id": 1, "userId": 1, "prescriptionId": 9, "completedAt": "2025-11-01"}
                ],
            },
            "ExerciseLogs[0].prescriptionId",
            id="fk",
        ),
        pytest.param(
            {**PEOPLE, "ExercisePrescriptions": [{"id": 1, "patientId": 99, "exerciseId": 1}]},
            "ExercisePrescriptions[0].patientId",
            id="patient",
        ),
        pytest.param(
            {"HydrationLogs": [{"id": 1, "userId": 7, "logDate": "2025-11-01", "amountOz": 8}]},
            "HydrationLogs[0].userId",
            id="user",
        ),
    ],
)
def test_bad_rows_are_422_naming_the_field(payload: Json, where: str) -> None:
    assert where in _problems(payload)


def test_a_date_alone_cannot_be_observation_issued() -> None:
    row = {**VITALS, "heartRate": 70, "createdAt": "2025-11-01"}
    with pytest.raises(UnprocessableResource) as raised:
        mapped({**PEOPLE, "VitalsSamples": [row]})
    assert [i.expression for i in raised.value.issues] == ["VitalsSamples[0].createdAt"]


@pytest.mark.parametrize(
    ("entity", "row", "where"),
    [
        ("TherapyGoals", {"id": 1, "userId": 1, "title": "x", "progress": 101}, "TherapyGoals[0].progress"),
        ("SleepLogs", {"id": 1, "userId": 1, "sleepDate": "2025-11-01", "quality": 0}, "SleepLogs[0].quality"),
        ("HydrationLogs", {"id": 1, "userId": 1, "logDate": "2025-11-01", "amountOz": -1}, "HydrationLogs[0].amountOz"),
        ("ExerciseLogs", {"id": 1, "userId": 1, "completedAt": "2025-11-01", "distance": -0.5}, "ExerciseLogs[0].distance"),
    ],
)  # fmt: skip
def test_values_the_profiles_forbid_are_422_naming_the_field(
    entity: str, row: Json, where: str
) -> None:
    with pytest.raises(UnprocessableResource) as raised:
        mapped({**PEOPLE, entity: [row]})
    assert [i.expression for i in raised.value.issues] == [where]
