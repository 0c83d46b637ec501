"""The instance interactions over HTTP under a token: the answers the routes give when the
services refuse (403 OperationOutcome), and what stays stored.

Each request both carries a signed bearer token (the app runs with AUTH_MODE=smart and the
token's key) and runs inside `acting_as` with the same grant: today the edge does not yet turn
the token into the request's Access, and the contextvar set around the in-process client call
reaches the handler; once the edge authenticates, it sets that same grant from the token, so
these tests hold either way.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient, Response
from joserfc import jwk

from gateway.auth.grant import grant_from_claims
from gateway.services.access import Access, acting_as
from tests.auth.instance_grants import (
    BASE,
    LAB,
    PATIENT,
    PATIENTS_ONLY,
    STORED,
    SYSTEM,
    USER,
    observation,
)
from tests.auth.keysets import AUDIENCE, ISSUER, jwks, rsa, sign
from tests.conftest import api_client, make_settings


class Caller:
    """Sends requests as the holder of a token with given claims."""

    def __init__(self, client: AsyncClient, key: jwk.RSAKey) -> None:
        self.client, self.key = client, key

    async def __call__(
        self, claims: dict[str, Any], method: str, path: str, body: Any = None
    ) -> Response:
        now = int(time.time())
        token = sign(
            self.key,
            "RS256",
            {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": "client-7",
                "iat": now,
                "exp": now + 300,
                **claims,
            },
        )
        headers = {"Authorization": f"Bearer {token}"}
        with acting_as(Access(grant_from_claims(claims), (BASE,))):
            return await self.client.request(method, path, json=body, headers=headers)


@pytest.fixture
async def call(tmp_path: Path) -> AsyncIterator[Caller]:
    key = rsa()
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(jwks(key)))
    settings = make_settings(
        auth_mode="smart", auth_issuer=ISSUER, auth_audience=AUDIENCE, auth_jwks_file=keys
    )
    async with api_client(settings) as client:
        caller = Caller(client, key)
        for resource in STORED:
            path = f"/{resource['resourceType']}/{resource['id']}"
            response = await caller(SYSTEM, "PUT", path, resource)
            assert response.status_code == 201, response.text
        yield caller


def refused(response: Response) -> None:
    """A 403 OperationOutcome whose one issue is `forbidden`."""
    assert response.status_code == 403, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    (issue,) = outcome["issue"]
    assert (issue["severity"], issue["code"]) == ("error", "forbidden")


@pytest.mark.parametrize(
    ("claims", "path", "status"),
    [
        pytest.param(PATIENT, "/Observation/lab1", 200, id="own"),
        pytest.param(PATIENT, "/Observation/lab2", 403, id="other-patient"),
        pytest.param(PATIENT, "/Observation/lab2/_history/1", 403, id="vread-other-patient"),
        pytest.param(PATIENT, "/Observation/lab2/_history", 403, id="history-other-patient"),
        pytest.param(PATIENT, "/Observation/lab1/_history", 200, id="history-own"),
        pytest.param(LAB, "/Observation/vital1", 403, id="query-not-met"),
        pytest.param(PATIENTS_ONLY, "/Observation/lab1", 403, id="type-not-allowed"),
        pytest.param(PATIENTS_ONLY, "/Observation/nothing", 403, id="type-not-allowed-unknown"),
        pytest.param(USER, "/Observation/lab2", 200, id="user"),
        pytest.param(SYSTEM, "/Medication/med1", 200, id="system"),
    ],
)
async def test_a_read_answers_the_resource_or_403(
    call: Caller, claims: dict[str, Any], path: str, status: int
) -> None:
    response = await call(claims, "GET", path)
    if status == 403:
        refused(response)
    else:
        assert response.status_code == status, response.text


async def test_a_forbidden_create_is_403_and_stores_nothing(call: Caller) -> None:
    refused(await call(PATIENT, "POST", "/Observation", observation("p2")))
    refused(await call(LAB, "POST", "/Observation", observation("p1", "vital-signs")))
    found = await call(SYSTEM, "GET", "/Observation?subject=Patient/p2")
    assert [e["resource"]["id"] for e in found.json().get("entry", [])] == ["lab2"]
    created = await call(PATIENT, "POST", "/Observation", observation("p1"))
    assert created.status_code == 201, created.text


async def test_a_forbidden_update_or_delete_changes_nothing(call: Caller) -> None:
    taken = {**observation("p1"), "id": "lab2"}
    refused(await call(PATIENT, "PUT", "/Observation/lab2", taken))
    moved = {**observation("p2"), "id": "lab1"}
    refused(await call(PATIENT, "PUT", "/Observation/lab1", moved))
    refused(await call(PATIENT, "DELETE", "/Observation/lab2"))
    for rid, subject in (("lab1", "p1"), ("lab2", "p2")):
        stored = await call(SYSTEM, "GET", f"/Observation/{rid}")
        assert stored.json()["subject"] == {"reference": f"Patient/{subject}"}
        assert stored.json()["meta"]["versionId"] == "1"
    deleted = await call(PATIENT, "DELETE", "/Observation/lab1")
    assert deleted.status_code == 204


async def test_conditional_interactions_over_http(call: Caller) -> None:
    criteria = "subject=Patient/p2&code=http://loinc.org|718-7"
    refused(await call(PATIENT, "PUT", f"/Observation?{criteria}", observation("p1")))
    refused(await call(PATIENT, "DELETE", f"/Observation?{criteria}"))
    still = await call(SYSTEM, "GET", "/Observation/lab2")
    assert still.json()["meta"]["versionId"] == "1"


async def test_a_transaction_with_a_forbidden_entry_is_403_and_stores_nothing(
    call: Caller,
) -> None:
    entries = [
        {"resource": observation("p1"), "request": {"method": "POST", "url": "Observation"}},
        {"resource": observation("p2"), "request": {"method": "POST", "url": "Observation"}},
    ]
    sent = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    refused(await call(PATIENT, "POST", "", sent))
    counted = await call(SYSTEM, "GET", "/Observation?_summary=count")
    assert counted.json()["total"] == 3
    batch = await call(PATIENT, "POST", "", {**sent, "type": "batch"})
    assert batch.status_code == 200, batch.text
    statuses = [e["response"]["status"] for e in batch.json()["entry"]]
    assert statuses == ["201 Created", "403 Forbidden"]


async def test_validate_and_terminology_over_http(call: Caller) -> None:
    search_only = {"scope": "user/Observation.s"}
    refused(await call(search_only, "POST", "/Observation/$validate", observation("p1")))
    refused(await call(PATIENT, "POST", "/Observation/lab2/$validate?mode=delete"))
    allowed = await call(PATIENT, "POST", "/Observation/lab1/$validate?mode=delete")
    assert allowed.status_code == 200, allowed.text
    url = "http://hl7.org/fhir/ValueSet/administrative-gender"
    refused(await call(PATIENTS_ONLY, "GET", f"/ValueSet/$expand?url={url}"))
    expanded = await call({"scope": "user/ValueSet.rs"}, "GET", f"/ValueSet/$expand?url={url}")
    assert expanded.status_code == 200, expanded.text
