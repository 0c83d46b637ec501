"""The store and the grants the instance-access tests share: two patients, their Observations
(one laboratory result and one vital sign for p1, a laboratory result for p2), a Medication
outside every compartment; grants of each context, written as token claims."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from gateway.auth.grant import grant_from_claims
from gateway.jsonio import Json
from gateway.services import resources
from gateway.services.access import Access, acting_as
from gateway.services.context import Services, open_services
from tests.conftest import make_settings

BASE = "http://test/fhir"
MRN = "http://clinic.example/mrn"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

# token claims, by the kind of grant they stand for
PATIENT = {"scope": "patient/*.cruds", "patient": "p1"}  # v2, everything on p1's compartment
PATIENT_V1 = {"scope": "patient/*.read patient/*.write", "patient": "p1"}  # v1
READ_ONLY = {"scope": "patient/Observation.rs patient/Patient.rs", "patient": "p1"}
LAB = {"scope": "patient/Observation.cruds?category=laboratory", "patient": "p1"}  # v2 query
PATIENTS_ONLY = {"scope": "patient/Patient.cruds", "patient": "p1"}  # no Observation scope
USER = {"scope": "user/Observation.cruds user/Patient.rs", "fhirUser": "Practitioner/pr1"}
SYSTEM = {"scope": "system/*.*"}


def patient(resource_id: str, mrn: str) -> Json:
    return {
        "resourceType": "Patient",
        "id": resource_id,
        "identifier": [{"system": MRN, "value": mrn}],
    }


def observation(subject: str, category: str = "laboratory", **fields: Any) -> Json:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        "subject": {"reference": f"Patient/{subject}"},
        **fields,
    }


STORED = [
    patient("p1", "MRN-1"),
    patient("p2", "MRN-2"),
    {**observation("p1"), "id": "lab1"},
    {**observation("p1", "vital-signs"), "id": "vital1"},
    {**observation("p2"), "id": "lab2"},
    {"resourceType": "Medication", "id": "med1", "status": "active"},
]


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    """The services of a new embedded store holding STORED, written with no token (TRUSTED)."""
    opened = await open_services(make_settings())
    for resource in STORED:
        store = opened.store(resource["resourceType"])
        await resources.update(store, resource["id"], resource)
    yield opened
    opened.close()


@contextmanager
def granted(claims: dict[str, Any]) -> Iterator[Access]:
    """Run the block as a request holding a token with these claims."""
    with acting_as(Access(grant_from_claims(claims), (BASE,))) as access:
        yield access


async def exists(services: Services, resource_type: str, resource_id: str) -> bool:
    return await services.store(resource_type).current(resource_id) is not None


async def count(services: Services, resource_type: str) -> int:
    return int(await services.store(resource_type).collection.count_documents({}))
