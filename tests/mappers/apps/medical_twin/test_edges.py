"""Values the seed allows but a profile or FHIR's datatypes do not: refused by field, or mapped
without claiming the profile they would break. Never a resource the write checks reject."""

from __future__ import annotations

import pytest

from gateway.errors import UnprocessableResource
from gateway.jsonio import Json
from gateway.services.profiles import ProfilePolicy
from gateway.services.resources import findings
from mappers.apps.ingest import map_records, read_records
from mappers.apps.medical_twin import ADAPTER
from tests.mappers.apps.medical_twin.conftest import mapped

BASE = {"id": "x1", "userId": "u1", "date": "2025-03-01T07:00:00Z", "title": "Reading"}
USER = {"id": "u1", "username": "ana"}


def _resources(event: Json) -> list[Json]:
    return mapped({"User": [USER], "Event": [{**BASE, **event}]})


def _profiles(resource: Json) -> list[str]:
    return [p.rsplit("/", 1)[1] for p in resource.get("meta", {}).get("profile", ())]


@pytest.mark.parametrize(
    ("event", "profiles"),
    [
        pytest.param({"type": "lab_result", "biomarkers": [{"name": "LDL", "value": 90, "unit": "mg/dL", "referenceMin": 130, "referenceMax": 100}]},
                     [], id="range low above high"),
        pytest.param({"type": "lab_result", "biomarkers": [{"name": "Ferritin", "value": 90, "unit": "ng/mL"}]},
                     [], id="no range and no flag"),
        pytest.param({"type": "lab_result", "biomarkers": [{"name": "TSH", "value": 2, "unit": "mIU/L", "flag": "normal"}]},
                     [], id="unit not UCUM"),
        pytest.param({"type": "metric", "source": "manual", "metricName": "Body fat", "value": 140, "unit": "%"},
                     [], id="manual percentage above 100"),
        pytest.param({"type": "metric", "source": "oura", "metricName": "Naps", "value": 2, "unit": "naps"},
                     [], id="wearable unit not UCUM"),
        pytest.param({"type": "metric", "source": "garmin", "metricName": "Weight", "value": 81.2, "unit": "kg"},
                     ["wearable-metric", "bodyweight"], id="wearable weight is a vital sign"),
        pytest.param({"type": "metric", "source": "manual", "metricName": "Mood", "value": 4},
                     ["personal-metric"], id="no unit is unity"),
    ],
)  # fmt: skip
def test_a_profile_is_claimed_only_where_it_holds(event: Json, profiles: list[str]) -> None:
    resources = _resources(event)
    observation = next(r for r in resources if r["resourceType"] == "Observation")
    assert _profiles(observation) == profiles
    for resource in resources:
        assert [i for i in findings(resource, ProfilePolicy()) if i.severity == "error"] == []


@pytest.mark.parametrize(
    ("event", "expression"),
    [
        pytest.param({"type": "metric", "source": "oura", "metricName": "HRV", "value": 40, "tags": ["ok", "two  spaces"]},
                     "Event[0].tags", id="tag a code cannot carry"),
        pytest.param({"type": "metric", "source": "oura", "metricName": "HRV\x07", "value": 40},
                     "Event[0].metricName", id="control character"),
    ],
)  # fmt: skip
def test_text_fhir_cannot_carry_is_refused_by_field(event: Json, expression: str) -> None:
    with pytest.raises(UnprocessableResource) as caught:
        map_records(read_records(ADAPTER, {"User": [USER], "Event": [{**BASE, **event}]}), {})
    assert [i.expression for i in caught.value.issues] == [expression]
