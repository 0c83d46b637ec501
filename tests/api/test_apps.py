"""`/apps`, `/apps/{app}/records` and `/apps/{app}/schema` beside the FHIR base (the toy app)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import jsonschema
import orjson
import pytest
from httpx import AsyncClient

from gateway.jsonio import Json
from mappers.apps.base import Identity
from tests.conftest import api_client, make_settings
from tests.mappers.apps.toy import toy_app  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("toy_app")

RECORDS = {
    "clinics": [{"id": 7, "name": "Lakeside"}],
    "people": [{"id": "p1", "name": "Ann", "sex": "F", "clinic_id": 7, "password_hash": "h"}],
    "visits": [{"id": 1, "person_id": "p1", "clinic_id": 7, "at": "2026-01-02T10:00:00Z", "heart_rate": 72.50}],
    "recipes": [{"title": "soup"}],
}  # fmt: skip
BODY = orjson.dumps(RECORDS).replace(b"72.5", b"72.50")  # sent as an app would write it
APPS = "http://test/apps"


@pytest.fixture
async def api() -> AsyncIterator[AsyncClient]:
    async with api_client(make_settings()) as client:
        yield client


def expressions(answer: Json) -> list[str]:
    return [e for issue in answer["issue"] for e in issue.get("expression", ())]


async def test_records_are_stored_and_a_resend_changes_nothing(api: AsyncClient) -> None:
    first = await api.post(f"{APPS}/toy/records", content=BODY)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "application/json"
    answer = first.json()
    assert answer["resources"]["Observation"]["created"] == 1
    assert answer["dropped"] == [{"entity": "people", "field": "password_hash", "rows": 1}]
    again = (await api.post(f"{APPS}/toy/records", content=BODY)).json()
    assert {t: c["unchanged"] for t, c in again["resources"].items()} == dict.fromkeys(
        ("Organization", "Patient", "Encounter", "Observation"), 1
    )
    observation = await api.get(
        f"/Observation/{Identity('toy', 'visits', '1').resource_id('heartRate')}"
    )
    assert observation.json()["meta"]["versionId"] == "1"
    assert b'"value":72.50' in observation.content


async def test_a_patient_reads_back_in_the_apps_shape(api: AsyncClient) -> None:
    await api.post(f"{APPS}/toy/records", content=BODY)
    response = await api.get(f"{APPS}/toy/records", params={"patient": "p1"})
    assert response.status_code == 200, response.text
    assert response.content == (
        b'{"people":[{"id":"p1","name":"Ann","sex":"F","clinic_id":7}],"visits":[{"id":1,"person_id":"p1",'
        b'"clinic_id":7,"at":"2026-01-02T10:00:00Z","heart_rate":72.50}]}'
    )
    # and what comes back can be sent back as it is
    resend = await api.post(f"{APPS}/toy/records", content=response.content)
    assert resend.status_code == 200, resend.text


@pytest.mark.parametrize(
    "query",
    [
        {"patient": "p1", "entity": ["visits", "people"]},
        {"patient": "p1", "entity": "visits,people"},
    ],
)
async def test_entity_filters_repeat_or_list(api: AsyncClient, query: dict[str, object]) -> None:
    await api.post(f"{APPS}/toy/records", content=BODY)
    response = await api.get(f"{APPS}/toy/records", params=query)  # type: ignore[arg-type]
    assert list(response.json()) == ["people", "visits"]
    only = await api.get(f"{APPS}/toy/records", params={"patient": "p1", "entity": "visits"})
    assert list(only.json()) == ["visits"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "where"),
    [
        pytest.param("POST", "/toy/records", b'{"people": [', 400, [], id="malformed-json"),
        pytest.param("POST", "/toy/records", b"", 400, [], id="no-body"),
        pytest.param("POST", "/toy/records", b"[1]", 422, ["(body)"], id="not-an-object"),
        pytest.param("POST", "/toy/records", b'{"people": [{"id": "p1", "name": "A", "sex": "X"}]}', 422, ["people[0].sex"], id="bad-enum"),
        pytest.param("POST", "/toy/records", b'{"people": [{"id": {"$gt": ""}, "name": "A"}]}', 422, ["people[0].id"], id="operator-as-id"),
        pytest.param("POST", "/toy/records", b'{"visits": [{"id": 1, "person_id": "p9", "clinic_id": 7, "at": "2026-01-02"}]}', 422, ["visits[0].person_id", "visits[0].clinic_id"], id="foreign-key-to-nothing"),
        pytest.param("POST", "/nope/records", b"{}", 422, ["app"], id="unknown-app"),
        pytest.param("GET", "/nope/schema", b"", 422, ["app"], id="unknown-app-schema"),
        pytest.param("GET", "/toy/records", b"", 400, ["patient"], id="no-patient"),
        pytest.param("GET", "/toy/records?patient=p1&since=yesterday", b"", 400, ["since"], id="bad-since"),
        pytest.param("GET", "/toy/records?patient=p1&entity=nurses", b"", 422, ["entity"], id="unknown-entity"),
        pytest.param("GET", "/toy/records?patient=nobody", b"", 404, ["patient"], id="unknown-patient"),
    ],
)  # fmt: skip
async def test_bad_requests_are_operation_outcomes_naming_what_is_wrong(
    api: AsyncClient, method: str, path: str, body: bytes, status: int, where: list[str]
) -> None:
    response = await api.request(method, f"{APPS}{path}", content=body)
    assert response.status_code == status, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert expressions(response.json()) == where


async def test_a_request_with_a_bad_row_stores_nothing(api: AsyncClient) -> None:
    bad = {**RECORDS, "visits": [*RECORDS["visits"], {"id": 2, "person_id": "p1"}]}
    response = await api.post(f"{APPS}/toy/records", content=orjson.dumps(bad))
    assert response.status_code == 422
    assert expressions(response.json()) == ["visits[1].clinic_id", "visits[1].at"]
    assert (await api.get("/Patient")).json().get("total") == 0


async def test_limits_are_the_bundles(api: AsyncClient) -> None:
    async with api_client(make_settings(max_bundle_entries=3, max_bundle_bytes=2000)) as small:
        many = await small.post(f"{APPS}/toy/records", content=BODY)
        assert many.status_code == 413, many.text
        assert "the limit of one request is 3" in many.json()["issue"][0]["diagnostics"]
        big = await small.post(f"{APPS}/toy/records", content=b" " * 2001 + b"{}")
        assert big.status_code == 413


async def test_other_methods_are_405_with_allow(api: AsyncClient) -> None:
    response = await api.put(f"{APPS}/toy/records", content=b"{}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST, HEAD"


async def test_the_schema_describes_what_post_takes(api: AsyncClient) -> None:
    response = await api.get(f"{APPS}/toy/schema")
    assert response.status_code == 200, response.text
    schema = response.json()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(RECORDS, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"people": [{"id": "p1", "name": "A", "sex": "X"}]}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"nurses": []}, schema)
    assert list(schema["properties"]) == ["clinics", "people", "visits", "recipes"]
    assert schema["properties"]["recipes"]["description"] == (
        "No FHIR home: a recipe is not a health record. Rows are accepted and skipped."
    )
    person = schema["$defs"]["Person"]["properties"]
    assert person["password_hash"]["description"].startswith("Secret: accepted, never stored")
    assert "description" not in person["name"]


async def test_the_apps_are_listed(api: AsyncClient) -> None:
    response = await api.get(APPS)
    assert response.status_code == 200
    toy = next(a for a in response.json() if a["name"] == "toy")
    assert toy == {"name": "toy", "title": "Toy Clinic", "seeds": ["toy.md"], "patientEntity": "people",
                   "entities": ["clinics", "people", "visits", "recipes"]}  # fmt: skip


async def test_the_apps_stay_beside_a_base_at_the_root() -> None:
    """With the FHIR base at `/`, `/apps/toy/records` is still the apps' path, not a compartment."""
    async with api_client(make_settings(fhir_base_path="")) as root:
        response = await root.post("http://test/apps/toy/records", content=BODY)
        assert response.status_code == 200, response.text
        assert (await root.get("http://test/Patient")).json()["total"] == 1
