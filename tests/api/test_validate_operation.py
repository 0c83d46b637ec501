"""`POST [type]/$validate` and `POST [type]/[id]/$validate`: an OperationOutcome of every
finding, 200 whatever it finds, nothing written (resource-operation-validate.html)."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from gateway.jsonio import Json
from tests.api.validate_fixtures import (
    BODY_WEIGHT,
    BP,
    blood_pressure,
    body_weight,
    errors,
    narrated,
)

CLEAN = {"resourceType": "OperationOutcome", "issue": [
    {"severity": "information", "code": "informational",
     "diagnostics": "validation found no problems"}]}  # fmt: skip


def parameters(*parameter: Json) -> Json:
    return {"resourceType": "Parameters", "parameter": list(parameter)}


async def validated(api: AsyncClient, path: str, body: Json, **params: str) -> Json:
    response = await api.post(path, json=body, params=params)
    assert response.status_code == 200, response.text
    answer: Json = response.json()
    return answer


async def stored(api: AsyncClient, resource_type: str) -> int:
    bundle = (await api.get(f"/{resource_type}", params={"_summary": "count"})).json()
    total: int = bundle["total"]
    return total


async def test_a_valid_resource_gets_one_information_issue(api: AsyncClient) -> None:
    assert await validated(api, "/Observation/$validate", blood_pressure(BP)) == CLEAN
    assert await stored(api, "Observation") == 0


async def test_a_missing_slice_is_an_error_at_its_path_with_its_element_id(
    api: AsyncClient,
) -> None:
    answer = await validated(api, "/Observation/$validate", blood_pressure(BP, diastolic=False))
    assert ("Observation.component", "Observation.component:DiastolicBP") in errors(answer)
    assert all(issue["severity"] != "information" for issue in answer["issue"])


async def test_a_unit_outside_a_required_binding_is_an_error_at_the_code(
    api: AsyncClient,
) -> None:
    answer = await validated(api, "/Observation/$validate", body_weight("cm", BODY_WEIGHT))
    assert [path for path, _ in errors(answer)] == ["Observation.valueQuantity.code"]


async def test_structural_errors_are_reported_not_refused(api: AsyncClient) -> None:
    answer = await validated(api, "/Patient/$validate", {"resourceType": "Patient",
                                                         "gender": "banana"})  # fmt: skip
    assert errors(answer) == [("Patient.gender", None)]


async def test_the_r4_definition_applies_unclaimed(api: AsyncClient) -> None:
    """Observation.status and code are 1..1 in R4 itself (observation.html)."""
    answer = await validated(api, "/Observation/$validate", {"resourceType": "Observation"})
    paths = {path for path, _ in errors(answer)}
    assert {"Observation.status", "Observation.code"} <= paths


async def test_the_parameters_form_with_a_profile(api: AsyncClient) -> None:
    body = parameters({"name": "resource", "resource": blood_pressure(diastolic=False)},
                      {"name": "profile", "valueUri": BP})  # fmt: skip
    answer = await validated(api, "/Observation/$validate", body)
    assert ("Observation.component", "Observation.component:DiastolicBP") in errors(answer)
    unprofiled = parameters({"name": "resource", "resource": blood_pressure(diastolic=False)})
    assert await validated(api, "/Observation/$validate", unprofiled) == CLEAN


async def test_a_profile_in_the_query(api: AsyncClient) -> None:
    answer = await validated(
        api, "/Observation/$validate", blood_pressure(diastolic=False), profile=BP
    )
    assert ("Observation.component", "Observation.component:DiastolicBP") in errors(answer)


async def test_mode_update_needs_the_urls_id(api: AsyncClient) -> None:
    body = narrated({"resourceType": "Patient", "id": "other"})
    answer = await validated(api, "/Patient/p1/$validate", body, mode="update")
    assert errors(answer) == [("Patient.id", None)]
    assert answer["issue"][0]["details"]["coding"][0]["code"] == "MSG_RESOURCE_ID_MISMATCH"
    same = narrated({"resourceType": "Patient", "id": "p1"})
    assert await validated(api, "/Patient/p1/$validate", same, mode="update") == CLEAN
    body = parameters({"name": "resource", "resource": narrated({"resourceType": "Patient"})},
                      {"name": "mode", "valueCode": "update"})  # fmt: skip
    assert errors(await validated(api, "/Patient/$validate", body)) == [("Patient.id", None)]


async def test_mode_delete_needs_the_resource_to_exist(api: AsyncClient) -> None:
    body = parameters({"name": "mode", "valueCode": "delete"})
    response = await api.post("/Patient/p1/$validate", json=body)
    assert response.status_code == 404, response.text
    assert (await api.put("/Patient/p1", json={"resourceType": "Patient", "id": "p1"})).is_success
    answer = await validated(api, "/Patient/p1/$validate", body)
    assert [issue["severity"] for issue in answer["issue"]] == ["information"]
    assert "referential integrity" in answer["issue"][0]["diagnostics"]
    assert (await api.get("/Patient/p1")).status_code == 200


async def test_mode_delete_in_the_query_takes_no_body(api: AsyncClient) -> None:
    assert (await api.post("/Patient/p2/$validate?mode=delete")).status_code == 404
    assert (await api.put("/Patient/p2", json={"resourceType": "Patient", "id": "p2"})).is_success
    response = await api.post("/Patient/p2/$validate?mode=delete")
    assert response.status_code == 200, response.text
    assert [issue["severity"] for issue in response.json()["issue"]] == ["information"]


async def test_a_structural_error_and_the_profiles_findings_are_reported_together(
    api: AsyncClient,
) -> None:
    broken = narrated({**blood_pressure(BP, diastolic=False), "status": "bogus"})
    found = errors(await validated(api, "/Observation/$validate", broken))
    assert ("Observation.status", None) in found  # a structural issue: no profile rule
    assert ("Observation.component", "Observation.component:DiastolicBP") in found
    not_an_object = {**broken, "meta": 1.5, "subject": "Patient/1"}  # walked, never a 500
    assert errors(await validated(api, "/Observation/$validate", not_an_object))


async def test_an_unknown_claimed_profile_is_a_warning(api: AsyncClient) -> None:
    claimed = narrated(
        {"resourceType": "Patient", "meta": {"profile": ["http://example.org/nope"]}}
    )
    answer = await validated(api, "/Patient/$validate", claimed)
    assert [(i["severity"], i["expression"]) for i in answer["issue"]] == [
        ("warning", ["Patient.meta.profile[0]"])
    ]


@pytest.mark.parametrize(
    ("path", "body", "params", "status", "named"),
    [
        pytest.param("/Patient/$validate", {"resourceType": "Patient"},
                     {"profile": "http://example.org/nope"}, 400, "http://example.org/nope",
                     id="unknown-requested-profile"),
        pytest.param("/Patient/$validate", {"resourceType": "Observation"}, {}, 400,
                     "resourceType", id="wrong-type"),
        pytest.param("/Patient/$validate", {"resourceType": "Patient"}, {"mode": "merge"}, 400,
                     "merge", id="unknown-mode"),
        pytest.param("/Patient/$validate", parameters({"name": "resource", "valueString": "x"}),
                     {}, 400, "resource", id="bad-parameter"),
        pytest.param("/Patient/$validate", parameters(), {}, 400, "resource", id="no-resource"),
        pytest.param("/Patient/$validate", {"resourceType": "Parameters", "parameter": 5}, {},
                     400, "parameter", id="parameter-not-a-list"),
        pytest.param("/Patient/$validate", parameters("resource"), {}, 400, "parameter[0]",
                     id="parameter-not-an-object"),
        pytest.param("/Patient/$validate", parameters({"name": "mode", "valueCode": "delete"}),
                     {}, 400, "id", id="delete-without-id"),
        pytest.param("/Banana/$validate", {"resourceType": "Banana"}, {}, 404, "Banana",
                     id="unknown-type"),
    ],
)  # fmt: skip
async def test_bad_requests_are_4xx_outcomes(
    api: AsyncClient, path: str, body: Json, params: dict[str, str], status: int, named: str
) -> None:
    response = await api.post(path, json=body, params=params)
    assert response.status_code == status, response.text
    assert named in response.json()["issue"][0]["diagnostics"]


async def test_a_body_that_is_not_json_is_a_400(api: AsyncClient) -> None:
    response = await api.post("/Patient/$validate", content=b"{not json")
    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "MSG_JSON_OBJECT"


async def test_validate_writes_nothing(api: AsyncClient) -> None:
    await validated(api, "/Observation/$validate", blood_pressure(BP))
    await validated(api, "/Observation/o1/$validate", {**blood_pressure(BP), "id": "o1"},
                    mode="update")  # fmt: skip
    assert await stored(api, "Observation") == 0
    assert (await api.get("/Observation/o1")).status_code == 404
