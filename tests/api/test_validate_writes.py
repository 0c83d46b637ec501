"""Profile validation on every write: claimed profiles, the required_profiles setting and the
unknown_profile setting, through create, update, transaction, batch and the bulk import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from httpx import AsyncClient

from gateway.jsonio import Json
from gateway.services.context import open_services
from gateway.services.imports.pipeline import Importer
from gateway.services.imports.preparation import Preparer
from gateway.services.imports.readers import read
from gateway.services.imports.report import Failure
from gateway.services.profiles import InvalidSetting
from tests.api.validate_fixtures import BP, blood_pressure, body_weight, errors, narrated
from tests.conftest import api_client, make_settings

VITAL_SIGNS_REQUIRED = {"Observation": ["vital-signs"]}
SLICE = ("Observation.component", "Observation.component:DiastolicBP")


async def count(api: AsyncClient, resource_type: str = "Observation") -> int:
    bundle = (await api.get(f"/{resource_type}", params={"_summary": "count"})).json()
    total: int = bundle["total"]
    return total


async def test_a_claimed_bp_without_diastolic_is_refused_naming_the_slice(
    api: AsyncClient,
) -> None:
    response = await api.post("/Observation", json=blood_pressure(BP, diastolic=False))
    assert response.status_code == 422, response.text
    answer = response.json()
    assert SLICE in errors(answer)
    assert any("DiastolicBP" in issue["diagnostics"] for issue in answer["issue"])
    assert await count(api) == 0


async def test_a_claimed_bp_with_both_components_is_stored(api: AsyncClient) -> None:
    response = await api.post("/Observation", json=blood_pressure(BP))
    assert response.status_code == 201, response.text


async def test_an_update_is_checked_too(api: AsyncClient) -> None:
    body = {**blood_pressure(BP, diastolic=False), "id": "bp1"}
    response = await api.put("/Observation/bp1", json=body)
    assert response.status_code == 422, response.text
    assert (await api.get("/Observation/bp1")).status_code == 404


async def test_an_unknown_profile_is_stored_with_a_warning(api: AsyncClient) -> None:
    claimed = narrated(
        {"resourceType": "Patient", "meta": {"profile": ["http://example.org/nope"]}}
    )
    response = await api.post(
        "/Patient", json=claimed, headers={"Prefer": "return=OperationOutcome"}
    )
    assert response.status_code == 201, response.text
    issues = response.json()["issue"]
    assert [(i["severity"], i.get("expression")) for i in issues] == [
        ("warning", ["Patient.meta.profile[0]"]),
        ("information", None),
    ]
    assert "`http://example.org/nope`" in issues[0]["diagnostics"]


async def test_an_unknown_profile_is_refused_when_the_setting_says_error() -> None:
    claimed = {"resourceType": "Patient", "meta": {"profile": ["http://example.org/nope"]}}
    async with api_client(make_settings(unknown_profile="error")) as api:
        response = await api.post("/Patient", json=claimed)
        assert response.status_code == 422, response.text
        assert errors(response.json()) == [("Patient.meta.profile[0]", None)]
        assert await count(api, "Patient") == 0


@pytest.mark.parametrize(
    ("unit", "status"), [pytest.param("cm", 422, id="cm"), pytest.param("[lb_av]", 201, id="lb")]
)
async def test_required_vital_signs_apply_to_an_unclaimed_body_weight(
    unit: str, status: int
) -> None:
    async with api_client(make_settings(required_profiles=VITAL_SIGNS_REQUIRED)) as api:
        response = await api.post("/Observation", json=body_weight(unit))
        assert response.status_code == status, response.text
        if status == 422:
            assert ("Observation.valueQuantity.code" in
                    [path for path, _ in errors(response.json())])  # fmt: skip


async def test_a_required_profile_leaves_what_it_does_not_select_alone() -> None:
    glucose = {"resourceType": "Observation", "status": "final",
               "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]}}  # fmt: skip
    async with api_client(make_settings(required_profiles={"Observation": [BP]})) as api:
        response = await api.post("/Observation", json=glucose)
        assert response.status_code == 201, response.text


async def test_a_required_profile_the_gateway_does_not_hold_stops_the_start() -> None:
    settings = make_settings(required_profiles={"Observation": ["http://example.org/x"]})
    with pytest.raises(InvalidSetting, match=r"http://example\.org/x"):
        async with api_client(settings):
            pass


def entry(resource: Json, url: str = "Observation") -> Json:
    return {"resource": resource, "request": {"method": "POST", "url": url}}


async def test_a_transaction_with_one_bad_entry_stores_nothing(api: AsyncClient) -> None:
    body = {"resourceType": "Bundle", "type": "transaction",
            "entry": [entry(blood_pressure(BP)), entry(blood_pressure(BP, diastolic=False))]}  # fmt: skip
    response = await api.post("", json=body)
    assert response.status_code in (400, 422), response.text
    slice_in_entry = ("Bundle.entry[1].resource.component", "Observation.component:DiastolicBP")
    assert slice_in_entry in errors(response.json())
    assert await count(api) == 0


async def test_a_batchs_bad_entry_fails_alone(api: AsyncClient) -> None:
    body = {"resourceType": "Bundle", "type": "batch",
            "entry": [entry(blood_pressure(BP, diastolic=False)), entry(blood_pressure(BP))]}  # fmt: skip
    response = await api.post("", json=body)
    assert response.status_code == 200, response.text
    answers = [e["response"] for e in response.json()["entry"]]
    assert [a["status"][:3] for a in answers] == ["422", "201"]
    assert SLICE in errors(answers[0]["outcome"])
    assert await count(api) == 1


@pytest.mark.parametrize("workers", [0, 1])
async def test_the_import_reports_the_bad_line_under_the_same_policy(
    tmp_path: Path, workers: int
) -> None:
    lines = [blood_pressure(BP), body_weight("cm"), blood_pressure(BP, diastolic=False)]
    (tmp_path / "vitals.ndjson").write_text("\n".join(json.dumps(line) for line in lines))
    services = await open_services(make_settings(required_profiles=VITAL_SIGNS_REQUIRED))
    failures: list[Failure] = []
    with Preparer(workers, profiles=services.profiles) as preparer:
        importer = Importer(services, on_failure=failures.append, preparer=preparer)
        report = await importer.run(read(tmp_path / "vitals.ndjson"))
    assert [f.position for f in failures] == ["line 2", "line 3"]
    assert SLICE in errors(failures[1].outcome)
    assert report.counts["Observation"]["created"] == 1
    services.close()


async def test_a_conditional_create_names_its_warnings_too(api: AsyncClient) -> None:
    claimed = narrated({"resourceType": "Patient", "meta": {"profile": ["http://example.org/nope"]},
                        "identifier": [{"system": "http://clinic.example/mrn", "value": "W-1"}]})  # fmt: skip
    headers = {"Prefer": "return=OperationOutcome",
               "If-None-Exist": "identifier=http://clinic.example/mrn|W-1"}  # fmt: skip
    response = await api.post("/Patient", json=claimed, headers=headers)
    assert response.status_code == 201, response.text
    assert [i["severity"] for i in response.json()["issue"]] == ["warning", "information"]
