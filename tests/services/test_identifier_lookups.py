"""Identifier lookups are served by a declared MongoDB index on every type that has one:
the exact filter each conditional interaction sends to the store, and the index it needs.

A token search on an identifier stores as an array of objects (`identifiers` on our four
types, `index.identifier` on the types kept whole); `system|value` becomes an `$elemMatch` of
both, which a compound multikey index on (value, system) of that array answers with bounds on
both fields, and `value` alone an equality on its leading field.
"""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from gateway.search.parameters import parameters_of
from gateway.services.generic import kept_types
from gateway.store.indexes import collection_name, index_keys
from gateway.store.repository import ResourceStore
from tests.search.test_index_prefixes import filter_of

MRN = "http://clinic.example/mrn"
NPI = "http://hl7.org/fhir/sid/us-npi"
DOMAIN_TYPES = {"Patient", "Encounter", "Observation", "MedicationStatement"}


def identifier_fields(resource_type: str) -> tuple[str, str, str]:
    """(array, code field, system field) of the type's stored identifiers."""
    if resource_type in DOMAIN_TYPES:
        return "identifiers", "value", "system"
    return "index.identifier", "code", "system"


def with_identifier() -> list[str]:
    return [t for t in kept_types() if "identifier" in parameters_of(t)]


def test_every_type_with_an_identifier_parameter_is_tested() -> None:
    """The table below reaches the types kept whole, not only our four."""
    types = with_identifier()
    assert set(types) >= DOMAIN_TYPES
    assert {"Practitioner", "Organization", "Condition", "Immunization"} <= set(types)
    assert len(types) > 80


@pytest.mark.parametrize("resource_type", with_identifier())
async def test_each_identifier_search_has_its_index(resource_type: str) -> None:
    array, code, system = identifier_fields(resource_type)
    assert (f"{array}.{code}", f"{array}.{system}") in index_keys(collection_name(resource_type))
    assert await filter_of(resource_type, f"identifier={NPI}|123") == {
        array: {"$elemMatch": {system: NPI, code: "123"}}
    }
    assert await filter_of(resource_type, "identifier=123") == {f"{array}.{code}": "123"}


Looked = tuple[str, Any, list[tuple[str, int]], int | None]


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[Looked]:
    """Every `ResourceStore.ids` call: (type, filter, sort, limit)."""
    seen: list[Looked] = []
    real = ResourceStore.ids

    async def recording(self: ResourceStore, query: Any, **kwargs: Any) -> list[str]:
        seen.append((self.resource_type, query, list(kwargs.get("sort", ())), kwargs.get("limit")))
        return await real(self, query, **kwargs)

    monkeypatch.setattr(ResourceStore, "ids", recording)
    return seen


def matches_of(resource_type: str, system: str, value: str) -> Looked:
    """What `conditional.matching_ids` asks the store for `identifier=system|value`."""
    array, code, system_field = identifier_fields(resource_type)
    query = {array: {"$elemMatch": {system_field: system, code: value}}}
    return (resource_type, query, [("_id", 1)], 2)


async def test_a_conditional_create_looks_the_identifier_up_by_its_index(
    api: AsyncClient, lookups: list[Looked]
) -> None:
    patient = {"resourceType": "Patient", "identifier": [{"system": MRN, "value": "7"}]}
    response = await api.post(
        "/Patient", json=patient, headers={"If-None-Exist": f"identifier={MRN}|7"}
    )
    assert response.status_code == 201, response.text
    assert lookups == [matches_of("Patient", MRN, "7")]


async def test_a_conditional_update_of_a_kept_type_looks_it_up_by_its_index(
    api: AsyncClient, lookups: list[Looked]
) -> None:
    practitioner = {"resourceType": "Practitioner", "identifier": [{"system": NPI, "value": "9"}]}
    response = await api.put(f"/Practitioner?identifier={NPI}|9", json=practitioner)
    assert response.status_code == 201, response.text
    assert lookups == [matches_of("Practitioner", NPI, "9")]


async def test_a_conditional_reference_looks_it_up_by_its_index(
    api: AsyncClient, lookups: list[Looked]
) -> None:
    organization = {"resourceType": "Organization", "identifier": [{"system": NPI, "value": "5"}]}
    created = await api.post("/Organization", json=organization)
    assert created.status_code == 201, created.text
    patient = {"resourceType": "Patient",
               "managingOrganization": {"reference": f"Organization?identifier={NPI}|5"}}  # fmt: skip
    entry = {"resource": patient, "request": {"method": "POST", "url": "Patient"}}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [entry]}
    response = await api.post("", json=bundle)
    assert response.status_code == 200, response.text
    assert lookups == [matches_of("Organization", NPI, "5")]
