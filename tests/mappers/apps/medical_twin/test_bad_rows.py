"""Rows the seed does not allow are a 422 naming `<entity>[<row>].<field>`; secrets are dropped."""

from __future__ import annotations

import pytest

from gateway.errors import UnprocessableResource
from gateway.jsonio import Json
from mappers.apps.ingest import check_foreign_keys, read_records
from mappers.apps.medical_twin import ADAPTER

USER = {"id": "u1", "username": "ana", "passwordHash": "h"}
METRIC = {"id": "m1", "userId": "u1", "type": "metric", "date": "2025-03-01T07:00:00Z",
          "title": "HRV", "source": "oura", "metricName": "HRV", "value": 41, "unit": "ms"}  # fmt: skip
LAB = {"id": "l1", "userId": "u1", "type": "lab_result", "date": "2025-03-01", "title": "Labs",
       "biomarkers": [{"name": "LDL", "value": 120, "unit": "mg/dL"}]}  # fmt: skip


def _expressions(payload: Json) -> list[str]:
    with pytest.raises(UnprocessableResource) as caught:
        check_foreign_keys(read_records(ADAPTER, payload), {})
    return [
        e for issue in caught.value.issues for e in ([issue.expression] if issue.expression else [])
    ]


def _without(row: Json, name: str) -> Json:
    return {k: v for k, v in row.items() if k != name}


@pytest.mark.parametrize(
    ("events", "expression"),
    [
        pytest.param([_without(METRIC, "title")], "Event[0].title", id="missing base field"),
        pytest.param([_without(METRIC, "metricName")], "Event[0].metricName", id="missing subtype field"),
        pytest.param([{**METRIC, "value": "41"}], "Event[0].value", id="wrong type"),
        pytest.param([{**METRIC, "source": "fitbit"}], "Event[0].source", id="enum value not in the seed"),
        pytest.param([{**METRIC, "type": "workout"}], "Event[0].type", id="unknown event type"),
        pytest.param([{**METRIC, "type": {}}], "Event[0].type", id="event type an object"),
        pytest.param([{**METRIC, "type": [1]}], "Event[0].type", id="event type a list"),
        pytest.param([{**METRIC, "heartRate": 60}], "Event[0].heartRate", id="unknown field"),
        pytest.param([{**METRIC, "doctorName": "Dr. Who"}], "Event[0].doctorName", id="another subtype's field"),
        pytest.param([LAB, {**LAB, "id": "l2", "biomarkers": [{"name": "LDL", "unit": "mg/dL"}]}],
                     "Event[1].biomarkers[0].value", id="biomarker without value"),
        pytest.param([{**LAB, "biomarkers": [{"name": "LDL", "value": 1, "unit": "mg/dL", "flag": "borderline"}]}],
                     "Event[0].biomarkers[0].flag", id="flag not in the seed"),
        pytest.param([{**METRIC, "userId": "nobody"}], "Event[0].userId", id="foreign key to nothing"),
        pytest.param([{**METRIC, "date": "yesterday"}], "Event[0].date", id="not a date"),
        pytest.param([{**METRIC, "title": ""}], "Event[0].title", id="empty text"),
    ],
)  # fmt: skip
def test_bad_event_names_the_row_and_field(events: list[Json], expression: str) -> None:
    assert expression in _expressions({"User": [USER], "Event": events})


def test_bad_user_settings_name_the_nested_field() -> None:
    user = {**USER, "settings": {"aiProvider": "anthropic", "aiModel": "x", "theme": "dark"}}
    assert _expressions({"User": [user]}) == ["User[0].settings.aiProvider"]


def test_secrets_are_dropped_and_reported() -> None:
    user = {
        **USER,
        "settings": {"aiProvider": "google", "aiModel": "g", "apiKey": "k", "theme": "dark"},
    }
    records = read_records(ADAPTER, {"User": [user, {**USER, "id": "u2"}]})
    assert records.dropped == {"User": {"passwordHash": 2, "settings.apiKey": 1}}
