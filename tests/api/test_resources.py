"""Instance interactions over HTTP: create, read, update, delete, vread, history, Prefer, ETags."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "identifier": [{"system": "http://clinic.example/mrn", "value": "MRN-100"}],
    "name": [{"use": "official", "family": "Rivera", "given": ["Ana"]}],
    "gender": "female",
    "birthDate": "1974-12",
    "_birthDate": {"extension": [{"url": "http://example.org/precision", "valueCode": "month"}]},
}
WEIGHT: dict[str, Any] = {
    "resourceType": "Observation",
    "status": "final",
    "category": [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "vital-signs",
                }
            ]
        }
    ],
    "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}], "text": "Weight"},
    "effectiveDateTime": "2026-05-03T08:15:00-04:00",
    "valueQuantity": {
        "value": 182.5,
        "unit": "lb",
        "system": "http://unitsofmeasure.org",
        "code": "[lb_av]",
    },
    "note": [{"text": "after breakfast"}],
}


def without_server_fields(resource: dict[str, Any]) -> dict[str, Any]:
    result = {k: v for k, v in resource.items() if k not in ("id", "meta")}
    return result


async def create(api: AsyncClient, resource: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(f"/{resource['resourceType']}", json=resource)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_create_answers_201_with_location_etag_and_last_modified(api: AsyncClient) -> None:
    response = await api.post("/Patient", json=PATIENT)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"http://test/fhir/Patient/{body['id']}/_history/1"
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert response.headers["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert body["meta"]["versionId"] == "1"
    assert body["meta"]["lastUpdated"].endswith("Z")
    assert without_server_fields(body) == without_server_fields(PATIENT)


async def test_client_id_on_create_is_ignored(api: AsyncClient) -> None:
    body = await create(api, {**PATIENT, "id": "chosen-by-client"})
    assert body["id"] != "chosen-by-client"
    missing = await api.get("/Patient/chosen-by-client")
    assert missing.status_code == 404


async def test_read_returns_the_created_resource_unchanged(api: AsyncClient) -> None:
    created = await create(api, WEIGHT)
    response = await api.get(f"/Observation/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response.headers["ETag"] == 'W/"1"'


async def test_update_increments_the_version_and_keeps_the_old_one(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    changed = {**PATIENT, "id": created["id"], "gender": "other"}
    response = await api.put(f"/Patient/{created['id']}", json=changed)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == 'W/"2"'
    assert response.json()["meta"]["versionId"] == "2"
    old = await api.get(f"/Patient/{created['id']}/_history/1")
    assert old.status_code == 200
    assert old.json() == created


async def test_put_to_an_unknown_id_creates_it(api: AsyncClient) -> None:
    response = await api.put("/Patient/pat-7", json={**PATIENT, "id": "pat-7"})
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == "http://test/fhir/Patient/pat-7/_history/1"
    assert (await api.get("/Patient/pat-7")).json()["gender"] == "female"


async def test_deleted_resource_reads_as_gone(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    deleted = await api.delete(f"/Patient/{created['id']}")
    assert deleted.status_code == 204
    assert deleted.headers["ETag"] == 'W/"2"'
    gone = await api.get(f"/Patient/{created['id']}")
    assert gone.status_code == 410
    assert gone.json()["issue"][0]["code"] == "deleted"


async def test_deleting_twice_changes_nothing(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    assert (await api.delete(f"/Patient/{created['id']}")).status_code == 204
    again = await api.delete(f"/Patient/{created['id']}")
    assert again.status_code == 204
    history = (await api.get(f"/Patient/{created['id']}/_history")).json()
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "POST"]


async def test_put_after_delete_continues_the_version_sequence(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    await api.delete(f"/Patient/{created['id']}")
    revived = await api.put(f"/Patient/{created['id']}", json={**PATIENT, "id": created["id"]})
    assert revived.status_code == 201
    assert revived.json()["meta"]["versionId"] == "3"


async def test_history_lists_versions_newest_first(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    await api.put(
        f"/Patient/{created['id']}", json={**PATIENT, "id": created["id"], "active": True}
    )
    await api.delete(f"/Patient/{created['id']}")
    response = await api.get(f"/Patient/{created['id']}/_history")
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "history"
    assert bundle["total"] == 3
    assert [e["response"]["etag"] for e in bundle["entry"]] == ['W/"3"', 'W/"2"', 'W/"1"']
    assert [e["request"]["method"] for e in bundle["entry"]] == ["DELETE", "PUT", "POST"]
    assert "resource" not in bundle["entry"][0]
    assert bundle["entry"][1]["resource"]["active"] is True
    assert bundle["entry"][2]["resource"] == created


async def test_vread_of_a_deletion_is_gone(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    await api.delete(f"/Patient/{created['id']}")
    assert (await api.get(f"/Patient/{created['id']}/_history/2")).status_code == 410
    assert (await api.get(f"/Patient/{created['id']}/_history/1")).status_code == 200
    assert (await api.get(f"/Patient/{created['id']}/_history/9")).status_code == 404


async def test_if_match_with_the_current_version_updates(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    response = await api.put(
        f"/Patient/{created['id']}",
        json={**PATIENT, "id": created["id"]},
        headers={"If-Match": 'W/"1"'},
    )
    assert response.status_code == 200, response.text


async def test_prefer_minimal_returns_no_body(api: AsyncClient) -> None:
    response = await api.post("/Patient", json=PATIENT, headers={"Prefer": "return=minimal"})
    assert response.status_code == 201
    assert response.content == b""
    assert response.headers["Location"].endswith("/_history/1")


async def test_prefer_operation_outcome_returns_an_outcome(api: AsyncClient) -> None:
    response = await api.post(
        "/Patient", json=PATIENT, headers={"Prefer": "return=OperationOutcome"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "information"


async def test_prefer_representation_returns_the_resource(api: AsyncClient) -> None:
    response = await api.post("/Patient", json=PATIENT, headers={"Prefer": "return=representation"})
    assert response.json()["resourceType"] == "Patient"


async def test_format_json_and_pretty_are_honoured(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    response = await api.get(
        f"/Patient/{created['id']}",
        params={"_format": "json", "_pretty": "true"},
        headers={"Accept": "*/*"},
    )
    assert response.status_code == 200
    assert response.text.startswith('{\n  "resourceType": "Patient"')


async def test_plain_application_json_is_accepted(api: AsyncClient) -> None:
    response = await api.post(
        "/Patient",
        json=PATIENT,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    assert response.status_code == 201


async def test_metadata_lists_the_implemented_types_and_interactions(api: AsyncClient) -> None:
    response = await api.get("/metadata")
    assert response.status_code == 200
    statement = response.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["format"] == ["application/fhir+json", "json"]
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {"Encounter", "MedicationStatement", "Observation", "Patient"} <= set(resources)
    assert {i["code"] for i in resources["Observation"]["interaction"]} == {
        "read", "vread", "update", "delete", "history-instance", "history-type", "create",
        "search-type",
    }  # fmt: skip
    system = {i["code"] for i in statement["rest"][0]["interaction"]}
    assert system == {"transaction", "batch", "search-system", "history-system"}


async def test_a_put_that_changes_nothing_keeps_the_current_version(api: AsyncClient) -> None:
    """No-op updates make no version (as HAPI FHIR does), so re-sent data leaves history be."""
    created = await create(api, PATIENT)
    same = {**PATIENT, "id": created["id"], "meta": {"versionId": "7"}}
    response = await api.put(f"/Patient/{created['id']}", json=same)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == 'W/"1"'
    assert response.json()["meta"]["lastUpdated"] == created["meta"]["lastUpdated"]
    history = (await api.get(f"/Patient/{created['id']}/_history")).json()
    assert history["total"] == 1
    changed = await api.put(f"/Patient/{created['id']}", json={**same, "gender": "other"})
    assert changed.headers["ETag"] == 'W/"2"'


async def test_a_batch_put_that_changes_nothing_says_so_in_its_outcome(api: AsyncClient) -> None:
    created = await create(api, PATIENT)
    entry = {"resource": {**PATIENT, "id": created["id"]},
             "request": {"method": "PUT", "url": f"Patient/{created['id']}"}}  # fmt: skip
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [entry]}
    response = (await api.post("", json=bundle)).json()["entry"][0]["response"]
    assert response["status"] == "200 OK"
    assert response["etag"] == 'W/"1"'
    coding = response["outcome"]["issue"][0]["details"]["coding"][0]
    assert coding == {
        "system": "http://fhir-gateway.org/fhir/CodeSystem/outcome",
        "code": "no-change",
    }
