"""Properties over generated rows: any VitalsSamples, SleepLogs or DailyScores row the model
accepts (and the profiles allow) comes back from its FHIR exactly, numbers' text included."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.jsonio import ExactDecimal, Json
from mappers.apps.view import row_json

from .support import ADAPTER, mapped, view_of

PEOPLE: dict[str, list[Json]] = {"Users": [{"id": 1, "email": "a@example.org", "name": "Ana"}]}

instants = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.000Z")
)
decimals = st.integers(0, 99999).map(lambda n: ExactDecimal(f"{n // 100}.{n % 100:02d}"))
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _back(entity: str, row: Json) -> list[Json]:
    result = mapped({**PEOPLE, entity: [row]})
    exported = ADAPTER.from_fhir(view_of(result, result.resources))
    return [row_json(e.row) for e in exported if e.entity == entity]


def _present(row: Json) -> Json:
    return {k: v for k, v in row.items() if v is not None}


vitals = st.fixed_dictionaries({
    "id": st.integers(1, 2**31), "userId": st.just(1), "recordedAt": instants,
    "systolicBP": _optional(st.integers(40, 260)), "diastolicBP": _optional(st.integers(20, 160)),
    "heartRate": _optional(st.integers(20, 250)), "weight": _optional(decimals),
    "oxygenSaturation": _optional(st.integers(50, 100)), "temperature": _optional(decimals),
    "notes": _optional(texts), "createdAt": _optional(instants),
})  # fmt: skip


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vitals)
def test_a_vitals_row_comes_back_from_its_observations(row: Json) -> None:
    measured = (
        "systolicBP",
        "diastolicBP",
        "heartRate",
        "weight",
        "oxygenSaturation",
        "temperature",
    )
    expected = [_present(row)] if any(row[m] is not None for m in measured) else []
    assert _back("VitalsSamples", row) == expected


sleep = st.fixed_dictionaries({
    "id": st.integers(1, 2**31), "userId": st.just(1), "sleepDate": instants,
    "bedtime": _optional(instants), "wakeTime": _optional(instants),
    "totalHours": _optional(decimals), "quality": _optional(st.integers(1, 5)),
    "interruptions": _optional(st.integers(0, 30)), "notes": _optional(texts),
})  # fmt: skip


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sleep)
def test_a_sleep_row_comes_back_from_its_observation(row: Json) -> None:
    assert _back("SleepLogs", row) == [_present(row)]


scores = st.fixed_dictionaries({
    "id": st.integers(1, 2**31), "userId": st.just(1), "date": instants,
    **{name: _optional(st.integers(0, 100)) for name in (
        "overallScore", "exerciseScore", "nutritionScore", "sleepScore", "medicationScore",
        "vitalsScore")},
    "notes": _optional(texts),
})  # fmt: skip


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scores)
def test_a_daily_scores_row_comes_back_from_its_observations(row: Json) -> None:
    scored = any(v is not None for k, v in row.items() if k.endswith("Score"))
    assert _back("DailyScores", row) == ([_present(row)] if scored else [])
