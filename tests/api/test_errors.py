"""Every error a client can cause: its status and the whole OperationOutcome; nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from gateway.store.repository import ResourceStore
from tests.api.test_resources import PATIENT, WEIGHT, create
from tests.conftest import api_client, make_settings

OO = "http://terminology.hl7.org/CodeSystem/operation-outcome"


def outcome(*issues: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def issue(code: str, diagnostics: str, *, expression: str | None = None,
          details: str | None = None, severity: str = "error") -> dict[str, Any]:  # fmt: skip
    result: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if details:
        result["details"] = {"coding": [{"system": OO, "code": details}]}
    if expression:
        result["expression"] = [expression]
    return result


async def test_malformed_json_is_400(api: AsyncClient) -> None:
    response = await api.post("/Patient", content=b'{"resourceType": "Patient",')
    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "invalid"
    assert body["issue"][0]["diagnostics"].startswith("The body is not valid JSON")


@pytest.mark.parametrize(
    "content",
    [pytest.param(b"[1, 2]", id="array"), pytest.param(b'{"name": []}', id="no-resourceType")],
)
async def test_body_that_is_not_a_resource_is_400(api: AsyncClient, content: bytes) -> None:
    response = await api.post("/Patient", content=content)
    assert response.status_code == 400
    assert response.json() == outcome(
        issue(
            "invalid",
            "The body must be a JSON object with a resourceType.",
            expression="resourceType",
        )
    )


async def test_invalid_resource_names_the_failing_element(api: AsyncClient) -> None:
    bad = {**WEIGHT, "valueQuantity": {"value": "heavy", "unit": "lb"}}
    response = await api.post("/Observation", json=bad)
    assert response.status_code == 400
    assert response.json() == outcome(
        issue("invalid", "Expected a JSON number.", expression="Observation.valueQuantity.value")
    )


async def test_missing_required_element_is_400(api: AsyncClient) -> None:
    bad = {k: v for k, v in WEIGHT.items() if k != "status"}
    response = await api.post("/Observation", json=bad)
    assert response.status_code == 400
    issues = response.json()["issue"]
    assert [(i["code"], i["expression"]) for i in issues] == [("required", ["Observation.status"])]


async def test_required_binding_violation_is_400(api: AsyncClient) -> None:
    response = await api.post("/Patient", json={**PATIENT, "gender": "banana"})
    assert response.status_code == 400
    assert response.json() == outcome(
        issue(
            "code-invalid",
            "`banana` is not in the required value set "
            "http://hl7.org/fhir/ValueSet/administrative-gender.",
            expression="Patient.gender",
            details="MSG_CODE_INVALID",
        )
    )


async def test_resource_type_not_matching_the_url_is_400(api: AsyncClient) -> None:
    response = await api.post("/Observation", json=PATIENT)
    assert response.status_code == 400
    assert response.json() == outcome(
        issue(
            "invalid",
            "resourceType `Patient` does not match `Observation`.",
            expression="resourceType",
        )
    )


async def test_put_with_a_different_id_in_the_body_is_400(api: AsyncClient) -> None:
    response = await api.put("/Patient/a1", json={**PATIENT, "id": "b2"})
    assert response.status_code == 400
    assert response.json() == outcome(
        issue(
            "invalid",
            "The body's id `b2` does not match the URL's `a1`.",
            expression="Patient.id",
            details="MSG_RESOURCE_ID_MISMATCH",
        )
    )
    assert (await api.get("/Patient/a1")).status_code == 404


async def test_unknown_type_is_404(api: AsyncClient) -> None:
    response = await api.get("/Spaceship/1")
    assert response.status_code == 404
    assert response.json() == outcome(
        issue(
            "not-found",
            "Resource type `Spaceship` is not supported by this server.",
            details="MSG_UNKNOWN_TYPE",
        )
    )


async def test_unknown_id_is_404(api: AsyncClient) -> None:
    response = await api.get("/Patient/nobody")
    assert response.status_code == 404
    assert response.json() == outcome(
        issue("not-found", "`Patient/nobody` is not known.", details="MSG_NO_EXIST")
    )


async def test_invalid_id_is_400(api: AsyncClient) -> None:
    response = await api.get("/Patient/bad$id")
    assert response.status_code == 400
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "MSG_ID_INVALID"


async def test_delete_of_an_unknown_id_is_404(api: AsyncClient) -> None:
    response = await api.delete("/Patient/nobody")
    assert response.status_code == 404


async def test_unsupported_method_is_405(api: AsyncClient) -> None:
    response = await api.patch("/Patient/x", json=[])
    assert response.status_code == 405
    assert response.json() == outcome(
        issue("not-supported", "`PATCH` is not supported at `/fhir/Patient/x`.")
    )


async def test_stale_if_match_on_update_is_412_and_changes_nothing(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    changed = {
        **PATIENT,
        "id": created["id"],
        "active": True,
    }  # a PUT changing nothing is no version
    await api.put(f"/Patient/{created['id']}", json=changed)
    response = await api.put(
        f"/Patient/{created['id']}",
        json={**PATIENT, "id": created["id"], "gender": "male"},
        headers={"If-Match": 'W/"1"'},
    )
    assert response.status_code == 412
    assert response.json() == outcome(
        issue(
            "conflict",
            f"`Patient/{created['id']}` is at version 2, not 1 (If-Match).",
            details="MSG_VERSION_AWARE_CONFLICT",
        )
    )
    current = (await api.get(f"/Patient/{created['id']}")).json()
    assert current["gender"] == "female"
    assert current["meta"]["versionId"] == "2"


async def test_stale_if_match_on_delete_is_412(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    response = await api.delete(f"/Patient/{created['id']}", headers={"If-Match": 'W/"7"'})
    assert response.status_code == 412
    assert (await api.get(f"/Patient/{created['id']}")).status_code == 200


async def test_concurrent_update_loses_with_409(
    api: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between our read of the version and our write, someone else writes: 409, no lost update."""
    created = await create(api, PATIENT)
    url = f"/Patient/{created['id']}"
    original = ResourceStore.current_document

    async def read_then_race(
        self: ResourceStore, resource_id: str, unit: object = None
    ) -> dict[str, Any] | None:
        seen = await original(self, resource_id)
        monkeypatch.setattr(ResourceStore, "current_document", original)
        racing = await api.put(url, json={**PATIENT, "id": created["id"], "active": True})
        assert racing.status_code == 200
        return seen

    monkeypatch.setattr(ResourceStore, "current_document", read_then_race)
    response = await api.put(url, json={**PATIENT, "id": created["id"], "active": False})
    assert response.status_code == 409
    assert response.json() == outcome(
        issue("conflict", f"`Patient/{created['id']}` changed while it was being updated.")
    )
    assert (await api.get(url)).json()["active"] is True


async def test_body_over_the_limit_is_413() -> None:
    async with api_client(make_settings(max_body_bytes=200)) as api:
        response = await api.post("/Observation", json=WEIGHT)
        assert response.status_code == 413
        assert response.json()["issue"][0]["code"] == "too-long"


@pytest.mark.parametrize("path", ["/ValueSet/$expand", "/Observation/$validate?mode=delete"])
async def test_an_operation_body_over_the_limit_is_413(path: str) -> None:
    """Operation bodies that may be empty are read within the limit too."""
    big = {
        "resourceType": "Parameters",
        "parameter": [{"name": "filter", "valueString": "x" * 400}],
    }
    async with api_client(make_settings(max_body_bytes=200)) as api:
        response = await api.post(path, json=big)
        assert response.status_code == 413
        assert response.json()["issue"][0]["code"] == "too-long"


async def test_xml_body_is_415(api: AsyncClient) -> None:
    response = await api.post(
        "/Patient", content=b"<Patient/>", headers={"Content-Type": "application/fhir+xml"}
    )
    assert response.status_code == 415
    assert response.json() == outcome(
        issue(
            "not-supported",
            "Content-Type `application/fhir+xml` is not supported; send application/fhir+json.",
        )
    )


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        pytest.param({"_format": "xml"}, {}, id="_format=xml"),
        pytest.param({}, {"Accept": "application/fhir+xml"}, id="accept-xml"),
    ],
)
async def test_asking_for_xml_is_406(
    api: AsyncClient, params: dict[str, str], headers: dict[str, str]
) -> None:
    response = await api.get("/metadata", params=params, headers=headers)
    assert response.status_code == 406
    assert response.json()["issue"][0]["code"] == "not-supported"


async def test_invariant_violation_is_422(api: AsyncClient) -> None:
    bad = {**WEIGHT, "dataAbsentReason": {"text": "not measured"}}
    response = await api.post("/Observation", json=bad)
    assert response.status_code == 422
    assert response.json() == outcome(
        issue(
            "invariant",
            "obs-6: dataAbsentReason and a value are both present.",
            expression="Observation.dataAbsentReason",
        )
    )


async def test_server_bug_is_500_without_internals(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(self: ResourceStore, resource_id: str) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(ResourceStore, "current", broken)
    async with api_client(make_settings(), raise_app_exceptions=False) as api:
        response = await api.get("/Patient/x")
    assert response.status_code == 500
    body = response.json()
    assert body["issue"][0]["code"] == "exception"
    assert "secret" not in response.text


@pytest.mark.parametrize("element", ["extension", "_birthDate"])
async def test_hostile_nesting_is_400_not_a_crash(api: AsyncClient, element: str) -> None:
    """Extensions nest without limit in FHIR; a body nesting them 500 deep must not crash us."""
    inner = '{"url": "http://x", "valueString": "v"}'
    for _ in range(500):
        inner = '{"url": "http://x", "extension": [' + inner + "]}"
    wrapper = (
        f'"{element}": {{"extension": [{inner}]}}'
        if element.startswith("_")
        else (f'"extension": [{inner}]')
    )
    body = '{"resourceType": "Patient", "birthDate": "1970", ' + wrapper + "}"
    response = await api.post("/Patient", content=body.encode())
    assert response.status_code == 400
    assert response.json()["issue"][0]["code"] == "too-long"
    assert response.json()["issue"][0]["diagnostics"] == "Elements are nested more than 64 deep."
