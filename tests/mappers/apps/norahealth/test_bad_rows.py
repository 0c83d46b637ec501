"""Rows NoraHealth's models or mappings refuse: a 422 naming `<entity>[<row>].<field>`."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import UnprocessableResource
from gateway.jsonio import Json
from gateway.services.profiles import ProfilePolicy, blocking
from gateway.services.resources import findings
from mappers.apps.base import AppAdapter
from mappers.apps.ingest import check_foreign_keys, map_records, read_records
from mappers.apps.norahealth.models import Workout

USER = {"id": "01U", "status": "VERIFIED", "role": "USER", "created_at": 1706140800}
WORKOUT = {
    "id": "01W",
    "user_id": "01U",
    "name": "Run",
    "type": "CARDIO",
    "exercises": "[]",
    "difficulty_level": "BEGINNER",
    "created_at": 1706140800,
}
PROFILE = {
    "id": "01H",
    "user_id": "01U",
    "resolution_class": "VITALITY",
    "dietary_exclusions": "[]",
    "physical_constraints": "[]",
    "fitness_level": "BEGINNER",
}
METRIC = {
    "id": "01M",
    "user_id": "01U",
    "type": "WEIGHT",
    "value": "70",
    "date": 1706140800,
    "created_at": 1706140800,
}


def _expressions(error: UnprocessableResource) -> list[str | None]:
    return [issue.expression for issue in error.issues]


def _map(app: AppAdapter, payload: Any) -> list[Json]:
    records = read_records(app, payload)
    check_foreign_keys(records, {})
    return map_records(records, {}).resources


@pytest.mark.parametrize(
    ("payload", "expression"),
    [
        pytest.param({"users": [{**USER, "status": None}]}, "users[0].status", id="null-required"),
        pytest.param(
            {"users": [{k: v for k, v in USER.items() if k != "role"}]},
            "users[0].role",
            id="missing-required",
        ),
        pytest.param({"users": [{**USER, "status": "ACTIVE"}]}, "users[0].status", id="enum"),
        pytest.param(
            {"users": [{**USER, "created_at": "2024-01-25"}]},
            "users[0].created_at",
            id="epoch-text",
        ),
        pytest.param(
            {"users": [{**USER, "created_at": True}]}, "users[0].created_at", id="epoch-bool"
        ),
        pytest.param({"users": [{**USER, "age": 30}]}, "users[0].age", id="unknown-field"),
        pytest.param(
            {"users": [USER], "workouts": [{**WORKOUT, "is_outdoor": 2}]},
            "workouts[0].is_outdoor",
            id="boolean-not-0-or-1",
        ),
        pytest.param(
            {
                "users": [USER],
                "workout_sessions": [
                    {
                        "id": "01S",
                        "workout_id": "01W",
                        "user_id": "01U",
                        "completed_at": 1,
                        "soreness_level": "SORE",
                        "created_at": 1,
                    }
                ],
            },
            "workout_sessions[0].soreness_level",
            id="soreness-enum",
        ),
        pytest.param(
            {"users": [USER], "progress_metrics": [{**METRIC, "type": "STEPS"}]},
            "progress_metrics[0].type",
            id="metric-enum",
        ),
    ],
)
def test_a_row_the_model_refuses_is_named(nora: AppAdapter, payload: Json, expression: str) -> None:
    with pytest.raises(UnprocessableResource) as raised:
        read_records(nora, payload)
    assert expression in _expressions(raised.value)


def test_a_foreign_key_to_nothing_is_named(nora: AppAdapter) -> None:
    session = {
        "id": "01S",
        "workout_id": "01NOPE",
        "user_id": "01U",
        "completed_at": 1,
        "created_at": 1,
    }
    with pytest.raises(UnprocessableResource) as raised:
        _map(nora, {"users": [USER], "workout_sessions": [session]})
    assert _expressions(raised.value) == ["workout_sessions[0].workout_id"]


@pytest.mark.parametrize(
    ("payload", "expression"),
    [
        pytest.param(
            {"workouts": [{**WORKOUT, "exercises": "[{"}]}, "workouts[0].exercises", id="not-json"
        ),
        pytest.param(
            {"workouts": [{**WORKOUT, "exercises": '[{"name": "Run", "laps": 3}]'}]},
            "workouts[0].exercises",
            id="exercise-unknown-key",
        ),
        pytest.param(
            {"workouts": [{**WORKOUT, "exercises": '{"name": "Run"}'}]},
            "workouts[0].exercises",
            id="exercises-not-array",
        ),
        pytest.param(
            {"health_profiles": [{**PROFILE, "dietary_exclusions": '["DAIRY", 3]'}]},
            "health_profiles[0].dietary_exclusions",
            id="exclusion-not-text",
        ),
        pytest.param(
            {"health_profiles": [{**PROFILE, "physical_constraints": '[{"severity": "MILD"}]'}]},
            "health_profiles[0].physical_constraints",
            id="constraint-without-type",
        ),
        pytest.param(
            {"health_profiles": [{**PROFILE, "medical_redlines": "asthma"}]},
            "health_profiles[0].medical_redlines",
            id="redlines-not-json",
        ),
        pytest.param(
            {"progress_metrics": [{**METRIC, "value": '{"kg": 70}'}]},
            "progress_metrics[0].value",
            id="weight-not-a-number",
        ),
        pytest.param(
            {"progress_metrics": [{**METRIC, "date": 10**15}]},
            "progress_metrics[0].date",
            id="timestamp-beyond-fhir",
        ),
        pytest.param(
            {"health_profiles": [{**PROFILE, "medical_redlines": "[" * 100_000}]},
            "health_profiles[0].medical_redlines",
            id="json-nested-too-deeply",
        ),
        pytest.param(
            {"health_profiles": [{**PROFILE, "fitness_goals": '["Run", " "]'}]},
            "health_profiles[0].fitness_goals",
            id="blank-goal",
        ),
        pytest.param(
            {"health_profiles": [{**PROFILE, "physical_constraints": '[{"type": ""}]'}]},
            "health_profiles[0].physical_constraints",
            id="blank-constraint-type",
        ),
        pytest.param(
            {"workouts": [{**WORKOUT, "exercises": '[{"name": "Run", "sets": 0}]'}]},
            "workouts[0].exercises",
            id="zero-sets",
        ),
        pytest.param(
            {"workouts": [{**WORKOUT, "exercises": '[{"name": "Run", "sets": 2.5}]'}]},
            "workouts[0].exercises",
            id="fractional-sets",
        ),
        pytest.param(
            {"workouts": [{**WORKOUT, "duration_minutes": -10}]},
            "workouts[0].duration_minutes",
            id="negative-workout-duration",
        ),
        pytest.param(
            {
                "workouts": [WORKOUT],
                "workout_sessions": [
                    {
                        "id": "01S",
                        "workout_id": "01W",
                        "user_id": "01U",
                        "completed_at": 1,
                        "duration_minutes": -1,
                        "created_at": 1,
                    }
                ],
            },
            "workout_sessions[0].duration_minutes",
            id="negative-session-duration",
        ),
        pytest.param(
            {"progress_metrics": [{**METRIC, "type": "COMPLETION_RATE", "value": "120"}]},
            "progress_metrics[0].value",
            id="rate-above-100",
        ),
        pytest.param(
            {"progress_metrics": [{**METRIC, "value": "-70"}]},
            "progress_metrics[0].value",
            id="negative-weight",
        ),
        pytest.param(
            {"progress_metrics": [{**METRIC, "type": "STREAK", "value": ""}]},
            "progress_metrics[0].value",
            id="blank-value",
        ),
    ],
)
def test_a_value_the_mapping_cannot_carry_is_named(
    nora: AppAdapter, payload: Json, expression: str
) -> None:
    with pytest.raises(UnprocessableResource) as raised:
        _map(nora, {"users": [USER], **payload})
    assert _expressions(raised.value) == [expression]


def test_sqlite_booleans_are_read_as_booleans(nora: AppAdapter) -> None:
    records = read_records(nora, {"workouts": [{**WORKOUT, "is_outdoor": 1}]})
    model = records.rows["workouts"][0].model
    assert isinstance(model, Workout)
    assert model.is_outdoor is True


def test_a_non_numeric_metric_is_kept_as_text_without_a_profile(nora: AppAdapter) -> None:
    streak = {**METRIC, "type": "STREAK", "value": '{"current": 3}'}
    (observation,) = [
        r
        for r in _map(nora, {"users": [USER], "progress_metrics": [streak]})
        if r["resourceType"] == "Observation"
    ]
    assert observation["valueString"] == '{"current": 3}'
    assert "meta" not in observation


def test_blank_text_columns_are_left_out_never_written_empty(nora: AppAdapter) -> None:
    user = {**USER, "display_name": " ", "email": ""}
    workout = {**WORKOUT, "name": ""}
    resources = _map(nora, {"users": [user], "workouts": [workout]})
    patient, plan = resources
    assert ("name" in patient, "telecom" in patient, "title" in plan) == (False, False, False)
    for resource in resources:
        assert not blocking(findings(resource, ProfilePolicy()))
