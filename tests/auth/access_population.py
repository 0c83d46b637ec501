"""Two patients' records, and the grants the search authorization tests use them with.

- p1 (Alpha): e1 (Encounter), o1-lab and o1-hba1c (laboratory), o1-vital (vital-signs), c1.
  o1-lab was written with encounter e1 and performer prac-1.
- p2 (Beta): e2, o2-lab (laboratory, with encounter e2), o2-vital (vital-signs), c2.
- prac-1 (Practitioner): in no patient's compartment.

Written through the HTTP API with authorization off (the test app's default), then searched at
the service level under `acting_as(access(...))`, as the HTTP edge runs a request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from httpx import AsyncClient

from gateway.auth.grant import grant_from_claims
from gateway.jsonio import Json
from gateway.services.access import Access
from gateway.services.context import Services
from tests.conftest import api_client, make_settings

BASE = "http://test/fhir"
LOINC = "http://loinc.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def access(scope: str, patient: str | None = "p1", client: str = "app-1") -> Access:
    """The access of a token with these scopes, launch patient and client id."""
    claims: Json = {"scope": scope, "client_id": client, "sub": f"{client}-user"}
    if patient is not None:
        claims["patient"] = patient
    return Access(grant_from_claims(claims), (BASE,))


def patient(id_: str, family: str) -> Json:
    return {"resourceType": "Patient", "id": id_, "name": [{"family": family}]}


def observation(id_: str, subject: str, category: str, code: str, **more: object) -> Json:
    return {
        "resourceType": "Observation",
        "id": id_,
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{subject}"},
        "effectiveDateTime": "2026-01-05",
        "valueQuantity": {"value": 5.4},
        **more,
    }


def encounter(id_: str, subject: str) -> Json:
    return {
        "resourceType": "Encounter",
        "id": id_,
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": f"Patient/{subject}"},
    }


def condition(id_: str, subject: str) -> Json:
    return {"resourceType": "Condition", "id": id_, "subject": {"reference": f"Patient/{subject}"}}


RESOURCES: list[Json] = [
    patient("p1", "Alpha"),
    patient("p2", "Beta"),
    {"resourceType": "Practitioner", "id": "prac-1", "name": [{"family": "Raman"}]},
    encounter("e1", "p1"),
    encounter("e2", "p2"),
    observation(
        "o1-lab",
        "p1",
        "laboratory",
        "718-7",
        encounter={"reference": "Encounter/e1"},
        performer=[{"reference": "Practitioner/prac-1"}],
    ),
    observation("o1-hba1c", "p1", "laboratory", "4548-4"),
    observation("o1-vital", "p1", "vital-signs", "8867-4"),
    observation("o2-lab", "p2", "laboratory", "718-7", encounter={"reference": "Encounter/e2"}),
    observation("o2-vital", "p2", "vital-signs", "8867-4"),
    condition("c1", "p1"),
    condition("c2", "p2"),
]


@dataclass
class Population:
    api: AsyncClient
    services: Services

    async def put(self, resource: Json) -> None:
        path = f"/{resource['resourceType']}/{resource['id']}"
        response = await self.api.put(path, json=resource)
        assert response.status_code in (200, 201), response.text

    async def delete(self, resource_type: str, resource_id: str) -> None:
        response = await self.api.delete(f"/{resource_type}/{resource_id}")
        assert response.status_code == 204, response.text


@pytest.fixture
async def population() -> AsyncIterator[Population]:
    wrapper = api_client(make_settings())
    async with wrapper as client:
        loaded = Population(client, wrapper.app.state.services)
        for resource in RESOURCES:
            await loaded.put(resource)
        yield loaded


def ids(bundle: Json, mode: str = "match") -> list[str]:
    """`Type/id` of the bundle's entries in `mode`, sorted."""
    return sorted(
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle.get("entry", [])
        if e.get("search", {}).get("mode", "match") == mode
    )
