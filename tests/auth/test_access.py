"""The one authorization check (gateway.services.access): its answers, and its two forms agree.

A search is restricted by a MongoDB clause, a read by an in-memory check on the resource; the
same grant must draw the same line both ways, or a resource could be found that cannot be read
(or the other way round). The agreement test stores resources of two patients and compares.
"""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from gateway.auth.grant import GRANT_ALL, grant_from_claims
from gateway.errors import Forbidden
from gateway.jsonio import Json
from gateway.search.filters import Resolver
from gateway.search.model import NOTHING
from gateway.services.access import TRUSTED, Access, acting_as, current
from gateway.services.context import Services
from gateway.services.search import StoreResolver
from tests.conftest import api_client, make_settings

BASE = "http://test/fhir"
LAB = "http://terminology.hl7.org/CodeSystem/observation-category"


def access(scope: str, patient: str | None = "a") -> Access:
    claims = {"scope": scope, **({"patient": patient} if patient else {})}
    return Access(grant_from_claims(claims), (BASE,))


def observation(id: str, patient: str, category: str) -> Json:
    return {
        "resourceType": "Observation",
        "id": id,
        "status": "final",
        "category": [{"coding": [{"system": LAB, "code": category}]}],
        "code": {"text": "x"},
        "subject": {"reference": patient},
    }


RESOURCES: list[Json] = [
    {"resourceType": "Patient", "id": "a"},
    {"resourceType": "Patient", "id": "b"},
    observation("a-lab", "Patient/a", "laboratory"),
    observation("a-vital", f"{BASE}/Patient/a", "vital-signs"),
    observation("b-lab", "Patient/b", "laboratory"),
    observation("nobody", "Group/g", "laboratory"),
    {"resourceType": "Condition", "id": "a-cond", "subject": {"reference": "Patient/a"}},
    {"resourceType": "Practitioner", "id": "doc"},
]

GRANTS = [
    "patient/*.read",
    "patient/Observation.rs",
    "patient/Observation.rs?category=laboratory",
    f"patient/Observation.rs?category={LAB}|vital-signs",
    "patient/Observation.rs?category=laboratory patient/Observation.rs?category=vital-signs",
    "user/Observation.rs?category=laboratory",
    "user/*.read",
    "system/Observation.read patient/Observation.rs",
    "patient/Observation.rs?code:text=x",  # a restriction the in-memory check cannot read
]


def test_outside_a_request_everything_is_allowed() -> None:
    assert current() is TRUSTED
    assert current().unrestricted


def test_acting_as_sets_and_restores_the_access() -> None:
    chosen = access("patient/*.read")
    with acting_as(chosen):
        assert current() is chosen
    assert current() is TRUSTED


async def test_tasks_started_inside_inherit_the_access() -> None:
    chosen = access("user/*.read")

    async def seen() -> Access:
        return current()

    with acting_as(chosen):
        task = asyncio.create_task(seen())
    assert await task is chosen


def test_a_type_without_scope_is_forbidden() -> None:
    with pytest.raises(Forbidden) as raised:
        access("patient/Observation.rs").restriction("r", "Condition")
    assert raised.value.status == 403
    assert "Condition" in raised.value.diagnostics


def test_check_refuses_another_patients_resource_and_names_it() -> None:
    chosen = access("patient/Observation.rs")
    chosen.check("r", observation("a-lab", "Patient/a", "laboratory"))
    with pytest.raises(Forbidden) as raised:
        chosen.check("r", observation("b-lab", "Patient/b", "laboratory"))
    assert "Observation/b-lab" in raised.value.diagnostics


def test_a_patient_scope_without_a_patient_claim_grants_nothing() -> None:
    with pytest.raises(Forbidden):
        access("patient/Observation.rs", patient=None).restriction("s", "Observation")


def test_visible_keeps_order_and_drops_what_is_outside() -> None:
    chosen = access("patient/*.read")
    kept = chosen.visible("r", RESOURCES)
    assert [r["id"] for r in kept] == ["a", "a-lab", "a-vital", "a-cond"]


def test_grant_all_is_unrestricted_and_its_clause_is_none() -> None:
    everything = Access(GRANT_ALL)
    assert everything.unrestricted
    assert asyncio.run(everything.clause("s", "Observation", NO_RESOLVER)) is None


async def test_clause_or_nothing_matches_nothing_for_a_type_not_allowed() -> None:
    chosen = access("patient/Observation.rs")
    assert await chosen.clause_or_nothing("s", "Condition", NO_RESOLVER) == NOTHING
    with pytest.raises(Forbidden):
        await chosen.clause("s", "Condition", NO_RESOLVER)


@pytest.mark.parametrize("scope", GRANTS)
async def test_the_search_clause_and_the_resource_check_agree(scope: str) -> None:
    async with api_client(make_settings()) as client:
        for resource in RESOURCES:
            path = f"/{resource['resourceType']}/{resource['id']}"
            assert (await client.put(path, json=resource)).status_code == 201
        services: Services = client._transport.app.state.services  # type: ignore[attr-defined]
        chosen = access(scope)
        resolver = StoreResolver(services, (BASE,))
        for resource_type in ("Patient", "Observation", "Condition", "Practitioner"):
            expected = {
                r["id"]
                for r in RESOURCES
                if r["resourceType"] == resource_type and chosen.may("s", r)
            }
            clause = await chosen.clause_or_nothing("s", resource_type, resolver)
            found = set(await services.store(resource_type).ids(clause or {}))
            assert found == expected, (scope, resource_type)


class _NoResolver:
    """A resolver the token-only restrictions never call."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the resolver was asked for {name}")


NO_RESOLVER = cast(Resolver, _NoResolver())
