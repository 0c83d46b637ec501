"""`/apps` with AUTH_MODE=smart: a token is needed; writes are checked before anything is
stored; a patient reads back only what its token may read (the toy app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from httpx import AsyncClient, Response

from mappers.apps.base import Identity
from tests.auth.tokens_for_tests import TestIssuer, bearer
from tests.mappers.apps.toy import toy_app  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("toy_app")

IDP = TestIssuer.shared()
APPS = "http://test/apps"
ALL = bearer(IDP.token(scope="system/*.cruds"))
RECORDS = {
    "clinics": [{"id": 7, "name": "Lakeside"}],
    "people": [
        {"id": "p1", "name": "Ann", "sex": "F", "clinic_id": 7},
        {"id": "p2", "name": "Bob", "sex": "M", "clinic_id": 7},
    ],
    "visits": [
        {"id": 1, "person_id": "p1", "clinic_id": 7, "at": "2026-01-02T10:00:00Z", "heart_rate": 72},
        {"id": 2, "person_id": "p2", "clinic_id": 7, "at": "2026-01-03T10:00:00Z", "heart_rate": 90},
    ],
}  # fmt: skip
P1 = Identity("toy", "people", "p1").resource_id()
P2 = Identity("toy", "people", "p2").resource_id()
OBSERVATION_2 = Identity("toy", "visits", "2").resource_id("heartRate")


def patient_token(patient: str, scope: str = "patient/*.cruds") -> dict[str, str]:
    return bearer(IDP.token(scope=scope, patient=patient))


@pytest.fixture
async def smart(tmp_path: Path) -> AsyncIterator[AsyncClient]:
    async with IDP.client(tmp_path) as client:
        stored = await client.post(f"{APPS}/toy/records", json=RECORDS, headers=ALL)
        assert stored.status_code == 200, stored.text
        yield client


async def post(client: AsyncClient, records: Any, headers: dict[str, str]) -> Response:
    return await client.post(f"{APPS}/toy/records", content=orjson.dumps(records), headers=headers)


async def snapshot(client: AsyncClient) -> list[tuple[str, str, str]]:
    """Every stored resource's type, id and version, read with a token that sees all."""
    found = []
    for resource_type in ("Organization", "Patient", "Encounter", "Observation"):
        bundle = (await client.get(f"/{resource_type}", headers=ALL)).json()
        for entry in bundle.get("entry", ()):
            resource = entry["resource"]
            found.append((resource_type, resource["id"], resource["meta"]["versionId"]))
    return sorted(found)


async def test_a_patient_reads_back_only_its_own_record(smart: AsyncClient) -> None:
    own = await smart.get(f"{APPS}/toy/records?patient=p1", headers=patient_token(P1))
    assert own.status_code == 200, own.text
    people = own.json()["people"]
    assert [person["id"] for person in people] == ["p1"]
    assert people[0]["name"] == "Ann"
    # the clinic is outside the patient's compartment: not read, so not mapped back
    assert "clinic_id" not in people[0]
    assert "Lakeside" not in own.text


@pytest.mark.parametrize("asked", ["p2", P2])
async def test_another_patients_records_are_an_empty_answer(smart: AsyncClient, asked: str) -> None:
    response = await smart.get(f"{APPS}/toy/records?patient={asked}", headers=patient_token(P1))
    assert response.status_code == 200, response.text
    assert response.json() == {}


async def test_a_token_without_read_scopes_reads_nothing(smart: AsyncClient) -> None:
    scopes = bearer(IDP.token(scope="openid fhirUser"))
    response = await smart.get(f"{APPS}/toy/records?patient=p1", headers=scopes)
    assert response.status_code == 200, response.text
    assert response.json() == {}


async def test_a_system_token_reads_everything(smart: AsyncClient) -> None:
    response = await smart.get(f"{APPS}/toy/records?patient=p2", headers=ALL)
    assert response.json()["visits"][0]["heart_rate"] == 90
    assert response.json()["people"][0]["clinic_id"] == 7


async def test_writing_another_patients_rows_is_403_and_stores_nothing(smart: AsyncClient) -> None:
    before = await snapshot(smart)
    changed = {"people": [{"id": "p2", "name": "Robert"}]}
    response = await post(smart, changed, patient_token(P1))
    assert response.status_code == 403, response.text
    assert response.json()["issue"][0]["code"] == "forbidden"
    assert f"Patient/{P2}" in response.json()["issue"][0]["diagnostics"]
    assert await snapshot(smart) == before


async def test_a_batch_with_one_forbidden_row_stores_none_of_it(smart: AsyncClient) -> None:
    before = await snapshot(smart)
    mixed = {"people": [{"id": "p1", "name": "Annie"}, {"id": "p2", "name": "Robert"}]}
    response = await post(smart, mixed, patient_token(P1))
    assert response.status_code == 403, response.text
    assert await snapshot(smart) == before


async def test_a_read_only_token_cannot_write_even_its_own_rows(smart: AsyncClient) -> None:
    before = await snapshot(smart)
    response = await post(
        smart, {"people": [{"id": "p1", "name": "Annie"}]}, patient_token(P1, "patient/*.rs")
    )
    assert response.status_code == 403, response.text
    assert await snapshot(smart) == before


async def test_a_patient_token_updates_its_own_rows(smart: AsyncClient) -> None:
    response = await post(smart, {"people": [{"id": "p1", "name": "Annie"}]}, patient_token(P1))
    assert response.status_code == 200, response.text
    assert response.json()["resources"]["Patient"]["updated"] == 1
    read = await smart.get(f"/Patient/{P1}", headers=ALL)
    assert read.json()["name"] == [{"text": "Annie"}]


async def test_a_token_without_write_scopes_is_403_before_its_foreign_keys_are_read(
    smart: AsyncClient,
) -> None:
    """The visit names clinic 7, stored but not readable to a patient token: without any
    write scope the answer is the scope's 403, not a 422 about the clinic."""
    before = await snapshot(smart)
    visit = {**RECORDS["visits"][0], "id": 3}
    response = await post(smart, {"visits": [visit]}, patient_token(P1, "patient/*.rs"))
    assert response.status_code == 403, response.text
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "MSG_AUTH_SCOPE"
    assert await snapshot(smart) == before


async def test_a_new_row_needs_create(smart: AsyncClient) -> None:
    new = {"people": [{"id": "p3", "name": "Cy"}]}
    refused = await post(smart, new, bearer(IDP.token(scope="user/Patient.ru")))
    assert refused.status_code == 403, refused.text
    allowed = await post(smart, new, bearer(IDP.token(scope="user/Patient.cru")))
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["resources"]["Patient"]["created"] == 1


async def test_what_a_resent_row_drops_needs_delete(smart: AsyncClient) -> None:
    """Visit 2 sent again without its heart rate: its Observation would be deleted."""
    before = await snapshot(smart)
    without_rate = {"visits": [{**RECORDS["visits"][1], "heart_rate": None}]}
    refused = await post(smart, without_rate, bearer(IDP.token(scope="user/*.cru")))
    assert refused.status_code == 403, refused.text
    assert "delete Observation" in refused.json()["issue"][0]["diagnostics"]
    assert await snapshot(smart) == before
    allowed = await post(smart, without_rate, bearer(IDP.token(scope="user/*.crud")))
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["resources"]["Observation"]["deleted"] == 1
    gone = await smart.get(f"/Observation/{OBSERVATION_2}", headers=ALL)
    assert gone.status_code == 410


async def test_a_row_the_token_may_not_read_is_as_absent_as_a_missing_one(
    smart: AsyncClient,
) -> None:
    """p1's token sends a visit of person p2 (stored, another patient) and of p9 (unknown):
    the same 422, so the answer does not tell whether p2 exists."""
    visit = {**RECORDS["visits"][0], "id": 3}
    answers = []
    for person in ("p2", "p9"):
        response = await post(
            smart, {"visits": [{**visit, "person_id": person}]}, patient_token(P1)
        )
        assert response.status_code == 422, response.text
        answers.append(response.json()["issue"][0]["diagnostics"].replace(person, "N"))
    assert answers[0] == answers[1]


async def test_a_patient_app_may_name_its_stored_clinic(smart: AsyncClient) -> None:
    """Clinic 7 is an Organization, in no patient's compartment: p1's visit naming it is
    stored, although the token may not read the clinic."""
    visit = {**RECORDS["visits"][0], "id": 3}
    response = await post(smart, {"visits": [visit]}, patient_token(P1))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["", "/toy/schema"])
async def test_the_list_and_the_schema_need_a_token_but_no_scope(
    smart: AsyncClient, path: str
) -> None:
    assert (await smart.get(f"{APPS}{path}")).status_code == 401
    response = await smart.get(f"{APPS}{path}", headers=bearer(IDP.token(scope="openid")))
    assert response.status_code == 200, response.text
